"""Silver's dedup state across runs (SPEC §5): the live keys are rebuilt from silver's own rows
when a run starts, so a key accepted in one run must still reject its copies in the next, for
exactly as long as its event time is above the watermark, whatever happened in between
(compaction merged the files, the keys sit in many files of several dates, a key of several
columns, a re-sent key that died and came back).

Each scenario's input is written in pieces, one `lake run all` per piece, and compared with one
run over all of it: silver's ingest ids, the duplicate count and the quarantine reasons must be
the same. The outcome of each line is also known by construction and checked.
"""

import json
from datetime import datetime, timedelta, timezone

import pytest

from conftest import Lake, duck, rows

JOB = "transactions"
SILVER = "silver_transactions"
QUARANTINE = "quarantine_transactions"
T0 = datetime(2026, 2, 1, 23, 50, tzinfo=timezone.utc)  # a date boundary inside the window


def line(tid, minute, user="USER_100", amount=10.0):
    t = T0 + timedelta(minutes=minute)
    return json.dumps({"transaction_id": tid, "user_id": user, "city": "Rome", "category": "books",
                       "amount": amount, "quantity": 1, "payment_method": "card",
                       "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%f")})


def pieces():
    """The input in four pieces, and what each line must become."""
    p1 = [line(f"k{i}", i * 0.1) for i in range(200)]            # minutes 0–19.9 (two dates)
    p2 = ([line(f"k{i}", i * 0.1) for i in range(150, 200)]       # live copies: duplicates
          + [line(f"k{i}", 25) for i in range(0, 50)]             # same ids, new time: k0–k49 died
          + [line(f"n{i}", 20 + i * 0.01) for i in range(100)])   # new keys
    p3 = ([line(f"k{i}", 26) for i in range(0, 50)]               # copies of the re-sent keys
          + [line(f"k{i}", 26) for i in range(100, 120)]          # k100–k119 died at W=15 (t ≤ 11.9)
          + [line(f"n{i}", 20 + i * 0.01) for i in range(50, 100)])  # live: duplicates
    p4 = ([line("z", 40)]                                         # W=30 from here: n* died
          + [line(f"n{i}", 40) for i in range(0, 100)])
    return [p1, p2, p3, p4]


def write(lake, lines, name):
    folder = lake.root / "landing" / JOB
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(lines) + "\n")


def outcome(lake):
    con = duck()
    silver = rows(con, lake.live_paths(SILVER), "ingest_id, transaction_id, event_time")
    quarantined = rows(con, lake.live_paths(QUARANTINE), "ingest_id, reason")
    duplicates = lake.query("SELECT coalesce(sum(duplicate_count), 0) FROM lake_silver_duplicates")[0][0]
    bronze = lake.status()["tables"]["bronze_transactions"]["rows"]
    return {"silver": silver, "quarantined": quarantined, "duplicates": duplicates, "bronze": bronze}


@pytest.mark.parametrize("between", ["nothing", "compact"])
def test_keys_survive_restarts(tmp_path, between):
    whole = Lake(tmp_path / "whole")
    write(whole, [l for p in pieces() for l in p], "all.jsonl")
    whole.run("all", "--job", JOB)
    expected = outcome(whole)

    split = Lake(tmp_path / "split")
    for k, p in enumerate(pieces()):
        write(split, p, f"piece-{k}.jsonl")
        split.run("all", "--job", JOB)
        if between == "compact":
            split.cmd("compact")
    got = outcome(split)
    assert got == expected

    # By construction (watermark delay 10 minutes): p1 accepts 200; p2 50 duplicates (k150–
    # k199 live), 150 accepted (k0–k49 died, n0–n99 new); p3 100 duplicates (k0–k49 live again,
    # n50–n99), 20 accepted (k100–k119 died); p4 101 accepted (z moves the watermark past n*).
    assert got["bronze"] == 621
    assert len(got["silver"]) == 471
    assert got["duplicates"] == 150
    assert got["quarantined"] == []
    times = {}
    for _, tid, t in got["silver"]:
        times.setdefault(tid, []).append(t)
    assert len(times["k0"]) == 2 and len(times["k100"]) == 2 and len(times["n0"]) == 2
    assert len(times["k150"]) == 1 and len(times["k120"]) == 1 and len(times["n50"]) == 2
