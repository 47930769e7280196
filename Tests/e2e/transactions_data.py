"""Deterministic input for the transactions job (seed 004's shape, SPEC §12), written in Python so
the tests do not depend on `lake generate`.

One line per card transaction, as a Python producer writes it (`json.dumps` of a dict whose
timestamp is a naive `datetime.isoformat()`, read as UTC by the job):

    {"transaction_id": "9b2f…", "user_id": "USER_123", "city": "Milano", "category": "Books",
     "amount": 249.99, "quantity": 2, "payment_method": "Credit Card",
     "timestamp": "2026-01-29T23:15:02.123456"}

Event times start at 2026-01-29T23:00 and run for `hours` (so the data spans two event dates),
at `rate` transactions a second, each up to 30 s behind its nominal time. On top of that:
- exact duplicate lines, a few lines after the original (silver drops them as duplicates);
- late lines: new transactions 15–60 min behind the latest event time so far (silver's
  watermark is 10 min, so they are quarantined as `late`, and a backfill recovers them);
- malformed lines: bad JSON, a missing amount, amount "abc" (quarantined);
- a few transactions without city and category (NULL groups), a few without quantity;
- bursts: a user making 4–6 transactions within 3 minutes (gold_user_alerts has rows);
- 4 transactions of 500.00 and 9 of 499.99 (every other amount is below), so the top 10 ends
  inside a tie that only the ingest order breaks;
- some timestamps on a whole second (`isoformat()` then writes no fraction).
The counts of each kind are exact, so the tests know silver's outcome line by line.
"""

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

CITIES = ["Milano", "Roma", "Napoli", "Torino", "Bologna", "Firenze"]
CATEGORIES = ["Electronics", "Clothing", "Home", "Books", "Sports", "Beauty"]
PAYMENTS = ["Credit Card", "Debit Card", "PayPal", "Cash"]
START = datetime(2026, 1, 29, 23, 0, 0)
SECOND = 1_000_000  # microseconds


@dataclass
class Transactions:
    lines: list          # the NDJSON lines, bytes, each ending in a newline, in delivery order
    accepted: int        # lines silver accepts in a run (distinct, on time, well formed)
    duplicates: int      # exact copies of accepted lines
    late: int            # on-time-looking transactions that silver quarantines as late
    malformed: int       # lines quarantined for their content
    first_date: str      # event dates the lines span (late ones included), YYYY-MM-DD
    last_date: str

    def pieces(self, k):
        """The lines cut at line boundaries into k pieces of about equal length (landing files)."""
        cuts = [len(self.lines) * i // k for i in range(k + 1)]
        return [b"".join(self.lines[a:b]) for a, b in zip(cuts, cuts[1:])]


def generate(seed=4, rate=7.0, hours=2.0, users=8_000, duplicates=0.02, late=0.005,
             malformed=0.005, bursts=25):
    rng = random.Random(seed)
    span = int(hours * 3600 * SECOND)

    def tx_id():
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def transaction(user=None, amount=None):
        return {"transaction_id": tx_id(),
                "user_id": user or f"USER_{rng.randint(1, users)}",
                "city": rng.choice(CITIES),
                "category": rng.choice(CATEGORIES),
                "amount": amount if amount is not None else round(rng.uniform(10.0, 499.98), 2),
                "quantity": rng.randint(1, 5),
                "payment_method": rng.choice(PAYMENTS)}

    # (arrival position, event time, both in µs from START; transaction), before the faults are
    # mixed in. An event time is up to 30 s behind its arrival, never ahead of it.
    events = []
    for i in range(int(rate * span / SECOND)):
        nominal = int(i * SECOND / rate)
        t = max(0, nominal - rng.randrange(30 * SECOND))
        if rng.random() < 0.002:
            t -= t % SECOND  # a whole second: isoformat() writes no fraction
        events.append((nominal, t, transaction()))
    for _ in range(bursts):
        user = f"USER_{rng.randint(1, users)}"
        base = rng.randrange(span - 180 * SECOND)
        for _ in range(rng.randint(4, 6)):
            t = base + rng.randrange(180 * SECOND)
            events.append((t, t, transaction(user)))
    for amount in [500.0] * 4 + [499.99] * 9:
        t = rng.randrange(span)
        events.append((t, t, transaction(amount=amount)))
    for _, _, tx in rng.sample(events, 12):
        del tx["city"], tx["category"]
    for _, _, tx in rng.sample(events, 12):
        if "category" in tx:
            del tx["quantity"]
    events.sort(key=lambda e: e[0])  # stable: equal positions keep their draw order

    def line(t, tx):
        return (json.dumps({**tx, "timestamp": (START + timedelta(microseconds=t)).isoformat()})
                + "\n").encode()

    out, copies = [], []          # copies: [emit after this many more lines, line]
    counts = dict(accepted=0, duplicates=0, late=0, malformed=0)
    latest = None                  # the latest event time silver has accepted
    earliest = 0

    def emit(b):
        out.append(b)
        for c in copies:
            c[0] -= 1
        for c in [c for c in copies if c[0] <= 0]:
            copies.remove(c)
            out.append(c[1])
            counts["duplicates"] += 1

    for _, t, tx in events:
        b = line(t, tx)
        latest = t if latest is None else max(latest, t)
        counts["accepted"] += 1
        emit(b)
        if rng.random() < duplicates:
            copies.append([rng.randint(1, 20), b])
        if rng.random() < late:
            lt = latest - rng.randrange(15 * 60 * SECOND, 60 * 60 * SECOND)
            earliest = min(earliest, lt)
            counts["late"] += 1
            emit(line(lt, transaction()))
        if rng.random() < malformed:
            bad = {**transaction(), "timestamp": (START + timedelta(microseconds=t)).isoformat()}
            kind = rng.randrange(3)
            if kind == 0:
                text = json.dumps(bad)[:-rng.randint(2, 30)]  # cut short: not JSON
            elif kind == 1:
                del bad["amount"]
                text = json.dumps(bad)
            else:
                bad["amount"] = "abc"
                text = json.dumps(bad)
            counts["malformed"] += 1
            emit((text + "\n").encode())
    for _, b in copies:  # copies still pending at the end
        out.append(b)
        counts["duplicates"] += 1

    return Transactions(
        lines=out, **counts,
        first_date=(START + timedelta(microseconds=earliest)).date().isoformat(),
        last_date=(START + timedelta(microseconds=latest)).date().isoformat())
