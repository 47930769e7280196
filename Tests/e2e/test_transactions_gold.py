"""The transactions job's declared gold tables (SPEC §11–§12, jobs/transactions.toml) against an
independent reference: every gold table recomputed in DuckDB SQL from the live silver Parquet
files, compared row by row and column by column with the SQLite table (every row, open windows
included) and with the gold Parquet files (exactly the closed windows). Then the same gold,
bit for bit, however the input arrives: in many runs, stage by stage, under `--follow`; and,
after `lake backfill all`, the batch computation over all silver rows (late events recovered).

The input (~52k lines, two event dates, duplicates, late and malformed lines, NULL groups,
bursts, tied amounts) comes from transactions_data.py, so its outcome in silver is known exactly.
"""

import json
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Lake, duck, scan
from transactions_data import generate

JOB = "transactions"
SILVER = "silver_transactions"
QUARANTINE = "quarantine_transactions"
PIECES = 5
FOLLOW_TIMEOUT = 60  # seconds test_follow_equals_single_run may take before it fails

# -- the job file's gold, as DuckDB computes it over silver -----------------------------------

# sum(double) is exact in micro-units (SPEC §11): round(x * 1e6) summed as integers, then / 1e6.
MONEY = "CAST(sum(CAST(round(amount * 1e6) AS BIGINT)) AS DOUBLE) / 1e6"
AGGREGATES = {  # output column: (DuckDB expression, Python type of its values)
    "revenue": (MONEY, float),
    "amount": (MONEY, float),
    "transactions": ("count(*)", int),
    "items": ("sum(quantity)", int),
    "unique_users": ("count(DISTINCT user_id)", int),
    "avg_ticket": (f"{MONEY} / count(amount)", float),
}
WINDOWED = {  # table: (window s, slide s, group_by, columns, having)
    "gold_sales_per_minute": (60, 60, ["category"],
                              ["revenue", "transactions", "items", "unique_users", "avg_ticket"], None),
    "gold_user_alerts": (300, 60, ["user_id"], ["transactions", "amount"], "transactions >= 4"),
}
TOTALS = {  # table: (group_by, columns)
    "gold_city_totals": (["city"], ["revenue", "transactions", "items"]),
    "gold_payment_totals": (["payment_method"], ["revenue", "transactions"]),
    "gold_totals": ([], ["revenue", "transactions", "items", "unique_users", "avg_ticket"]),
}
TOP = "gold_top_transactions"
TOP_N = 10
TOP_COLUMNS = ["transaction_id", "user_id", "city", "category", "amount", "quantity",
               "payment_method", "event_time"]
GOLD = [*WINDOWED, *TOTALS, TOP]
VIEWS = ["transactions_kpis", "revenue_by_category", "revenue_by_city", "revenue_by_payment",
         "revenue_per_minute"]
TIMESTAMPS = {"window_start", "window_end", "event_time"}


def windowed_columns(table):
    _, _, group_by, columns, _ = WINDOWED[table]
    return ["window_start", "window_end", *group_by, *columns, "is_closed"]


def iso(us):
    """UTC microseconds as the catalog writes timestamps: 2026-01-29T23:15:02.123Z."""
    t = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def expected_gold(lake):
    """{table: (SQLite rows, Parquet rows or None)} computed from the live silver files; windows
    are closed iff window_end <= gold's watermark. Timestamps are ISO text in the SQLite rows and
    microseconds in the Parquet rows."""
    con = duck()
    silver = scan(lake.live_paths(SILVER))
    watermark = gold_watermark(lake)
    assert watermark is not None, "no gold watermark_us checkpoint"
    out = {}
    for table, (window, slide, group_by, columns, having) in WINDOWED.items():
        w, s = window * 1_000_000, slide * 1_000_000
        select = ", ".join(["ws", f"ws + {w} AS we", *group_by,
                            *(f"{AGGREGATES[c][0]} AS {c}" for c in columns)])
        # Every window holding t: the starts that are multiples of the slide, t - window < start <= t.
        rows = con.sql(f"""
            WITH timed AS (SELECT *, epoch_us(event_time) AS t FROM {silver}),
                 w AS (SELECT *, (t // {s} - i) * {s} AS ws
                       FROM timed CROSS JOIN range({window // slide}) AS r(i))
            SELECT * FROM (SELECT {select} FROM w GROUP BY ALL)
            WHERE {having or "true"}""").fetchall()
        rows = [(*r, int(r[1] <= watermark)) for r in rows]
        out[table] = ([(iso(r[0]), iso(r[1]), *r[2:]) for r in rows],
                      [r for r in rows if r[-1] == 1])
    for table, (group_by, columns) in TOTALS.items():
        select = ", ".join([*group_by, *(f"{AGGREGATES[c][0]} AS {c}" for c in columns)])
        group = f"GROUP BY {', '.join(group_by)}" if group_by else ""
        out[table] = (con.sql(f"SELECT {select} FROM {silver} {group}").fetchall(), None)
    select = ", ".join("epoch_us(event_time)" if c == "event_time" else c for c in TOP_COLUMNS)
    top = con.sql(f"SELECT {select} FROM {silver} ORDER BY amount DESC, ingest_id LIMIT {TOP_N}").fetchall()
    out[TOP] = ([(*r[:-1], iso(r[-1])) for r in top], None)
    return out


# -- what the lake holds ----------------------------------------------------------------------

class TxLake(Lake):
    """A lake running only the transactions job."""

    @property
    def landing(self):
        return self.root / "landing" / JOB

    def run(self, stage="all", *extra, **kw):
        return super().run(stage, "--job", JOB, *extra, **kw)

    def deliver(self, piece, index):
        self.landing.mkdir(parents=True, exist_ok=True)
        (self.landing / f"tx-{index:04d}.jsonl").write_bytes(piece)

    def checkpoint(self, stage, key):
        r = self.query("SELECT value FROM lake_checkpoint WHERE job = ? AND stage = ? AND key = ?",
                       JOB, stage, key)
        return int(r[0][0]) if r and r[0][0] is not None else None

    def accounting(self, timeout=300):
        status = json.loads(self.cmd("status", "--json", timeout=timeout).stdout)
        (a,) = [a for a in status["accounting"] if a["job"] == JOB]
        return a


def gold_watermark(lake):
    return lake.checkpoint("gold", "watermark_us")


def sqlite_table(lake, table):
    """(column names, rows) of the SQLite table."""
    with lake.catalog() as db:
        cur = db.execute(f"SELECT * FROM {table}")
        return [d[0] for d in cur.description], cur.fetchall()


def parquet_table(lake, table):
    """(column names of every live file, rows of all of them, timestamps as microseconds)."""
    paths = lake.live_paths(table)
    names = {tuple(pq.read_schema(p).names) for p in paths}
    if not paths:
        return names, []
    select = ", ".join(f"epoch_us({c})" if c in TIMESTAMPS else c for c in windowed_columns(table))
    return names, duck().sql(f"SELECT {select} FROM {scan(paths)}").fetchall()


def gold_state(lake):
    """Every gold table as the lake holds it, for exact comparison between lakes."""
    state = {}
    for table in GOLD:
        names, rows = sqlite_table(lake, table)
        state[table] = {"sqlite": (names, sorted(rows, key=sort_key))}
        if table in WINDOWED:
            names, rows = parquet_table(lake, table)
            state[table]["parquet"] = (names, sorted(rows, key=sort_key))
    return state


def sort_key(row):
    return tuple((v is None, v if v is not None else 0) for v in row)


def silver_count(lake):
    return duck().sql(f"SELECT count(*) FROM {scan(lake.live_paths(SILVER))}").fetchall()[0][0]


# -- comparisons ------------------------------------------------------------------------------

def assert_rows(what, got, want, types):
    """Same rows (in any order); floats within 1e-6 (abs) or 1e-9 (rel), everything else equal,
    each value of the type the contract gives it (None allowed)."""
    got, want = sorted(got, key=sort_key), sorted(want, key=sort_key)
    assert len(got) == len(want), f"{what}: {len(got)} rows, want {len(want)}"
    for g, w in zip(got, want):
        assert len(g) == len(w), f"{what}: row {g} has {len(g)} columns, want {len(w)}"
        for gv, wv, t in zip(g, w, types):
            ok = (gv is None and wv is None) or (
                isinstance(gv, t) and not isinstance(gv, bool) and
                (gv == pytest.approx(wv, rel=1e-9, abs=1e-6) if t is float else gv == wv))
            assert ok, f"{what}: row {g}, want {w}"


def column_types(columns):
    """Python types of the values of these output columns (timestamps: text in SQLite)."""
    types = {**{c: t for c, (_, t) in AGGREGATES.items()}, "quantity": int, "is_closed": int}
    return [types.get(c, str) for c in columns]


def assert_gold_matches_silver(lake):
    """Every gold table, in SQLite and Parquet, equals the DuckDB computation over live silver."""
    expected = expected_gold(lake)
    for table, (want_sqlite, want_parquet) in expected.items():
        if table in WINDOWED:
            columns = windowed_columns(table)
        elif table in TOTALS:
            columns = [*TOTALS[table][0], *TOTALS[table][1]]
        else:
            columns = TOP_COLUMNS
        names, rows = sqlite_table(lake, table)
        assert names == columns, f"{table}: SQLite columns"
        types = column_types(columns)
        assert_rows(f"{table} (SQLite)", rows, want_sqlite, types)
        if table in WINDOWED:
            names, rows = parquet_table(lake, table)
            assert all(n == tuple(columns) for n in names), f"{table}: Parquet columns {names}"
            ptypes = [int if c in TIMESTAMPS else t for c, t in zip(columns, types)]
            assert_rows(f"{table} (Parquet)", rows, want_parquet, ptypes)
        else:
            assert not lake.live_paths(table), f"{table} lives in SQLite only"
    return expected


def assert_same_gold(lake, reference, what):
    got = gold_state(lake)
    for table in GOLD:
        for where in reference[table]:
            assert got[table][where] == reference[table][where], f"{what}: {table} ({where}) differs"


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data():
    return generate()


@pytest.fixture(scope="module")
def single(data, tmp_path_factory):
    """A lake that read the whole input in one `run all`; its gold state."""
    lake = TxLake(tmp_path_factory.mktemp("single") / "lake")
    for i, piece in enumerate(data.pieces(PIECES)):
        lake.deliver(piece, i)
    lake.run("all")
    return lake, gold_state(lake)


# -- tests ------------------------------------------------------------------------------------

def test_single_run_gold_equals_duckdb(data, single):
    lake, _ = single
    assert lake.accounting() == {
        "job": JOB, "bronze_rows": len(data.lines), "silver_rows": data.accepted,
        "duplicates": data.duplicates, "quarantined": data.late + data.malformed,
        "pending": 0, "balanced": True}
    reasons = dict(duck().sql(f"SELECT reason, count(*) FROM {scan(lake.live_paths(QUARANTINE))} "
                              "GROUP BY reason").fetchall())
    assert reasons.pop("late") == data.late and sum(reasons.values()) == data.malformed

    expected = assert_gold_matches_silver(lake)

    # The input exercises what it should: open and closed minutes, a NULL category, a user twice
    # in a minute, closed alerts, a top 10 whose last place is decided by ingest order alone.
    minutes = expected["gold_sales_per_minute"][0]
    assert {r[-1] for r in minutes} == {0, 1}
    assert any(r[2] is None for r in minutes)
    assert any(r[6] < r[4] for r in minutes), "count_distinct never differs from count()"
    assert expected["gold_user_alerts"][1], "no closed alert"
    assert [r[0] for r in expected["gold_city_totals"][0]].count(None) == 1
    tenth_and_eleventh = duck().sql(f"SELECT amount FROM {scan(lake.live_paths(SILVER))} "
                                    f"ORDER BY amount DESC LIMIT 2 OFFSET {TOP_N - 1}").fetchall()
    assert tenth_and_eleventh[0] == tenth_and_eleventh[1]

    # Parquet: INT32 booleans, UTC microsecond timestamps, one date= folder per window start date.
    for table in WINDOWED:
        for path, _, _ in lake.live_files(table):
            schema = pq.read_schema(lake.root / path)
            assert schema.field("is_closed").type == pa.int32(), table
            for c in ("window_start", "window_end"):
                assert schema.field(c).type == pa.timestamp("us", tz="UTC"), (table, c)
            dates = duck().sql(f"SELECT DISTINCT strftime(window_start, '%Y-%m-%d') "
                               f"FROM {scan([str(lake.root / path)])}").fetchall()
            assert dates == [(path.split("date=")[1].split("/")[0],)], path

    names = {n for (n,) in lake.query("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert set(VIEWS) <= names
    for view in VIEWS:
        assert lake.query(f"SELECT * FROM {view}"), f"view {view} is empty"
    (kpis,) = lake.query("SELECT revenue, transactions, items, unique_users FROM transactions_kpis")
    total = duck().sql(f"SELECT {MONEY}, count(*), sum(quantity), count(DISTINCT user_id) "
                       f"FROM {scan(lake.live_paths(SILVER))}").fetchall()[0]
    assert kpis[0] == pytest.approx(round(total[0], 2), abs=1e-6)
    assert kpis[1:] == total[1:] and kpis[1] == data.accepted


def test_many_runs_equal_single_run(data, single, tmp_path):
    """One `run all` after each landing file; after each, gold equals DuckDB over silver so far
    (closed windows never change, open ones follow), and at the end the single run's bit for bit."""
    lake = TxLake(tmp_path / "lake")
    for i, piece in enumerate(data.pieces(PIECES)):
        lake.deliver(piece, i)
        lake.run("all")
        assert_gold_matches_silver(lake)
    assert_same_gold(lake, single[1], "many runs vs one")


def test_stage_by_stage_equals_single_run(data, single, tmp_path):
    """`run bronze`, `run silver`, `run gold` as separate commands, in two rounds."""
    lake = TxLake(tmp_path / "lake")
    pieces = data.pieces(PIECES)
    for first, last in ((0, 2), (2, PIECES)):
        for i in range(first, last):
            lake.deliver(pieces[i], i)
        for stage in ("bronze", "silver", "gold"):
            lake.run(stage)
    assert_same_gold(lake, single[1], "stage by stage vs one run")


def test_follow_equals_single_run(data, single, tmp_path):
    """`run all --follow` while the input arrives in chunks cut at arbitrary bytes; once every
    line is accounted for and gold's watermark has caught up with silver's and stays put,
    SIGINT: exit 0 and the single run's gold. Fails after FOLLOW_TIMEOUT seconds."""
    deadline = time.monotonic() + FOLLOW_TIMEOUT

    def left():
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"follow test took more than {FOLLOW_TIMEOUT} s"
        return remaining

    lake = TxLake(tmp_path / "lake")
    lake.landing.mkdir(parents=True)
    log = tmp_path / "follow.err"
    with open(log, "wb") as err:
        proc = lake.popen("run", "all", "--job", JOB, "--follow", stdout=subprocess.DEVNULL, stderr=err)
    try:
        for i, piece in enumerate(data.pieces(PIECES)):
            for a, b in ((0, len(piece) // 3), (len(piece) // 3, len(piece) * 4 // 5),
                         (len(piece) * 4 // 5, len(piece))):
                with open(lake.landing / f"tx-{i:04d}.jsonl", "ab") as f:
                    f.write(piece[a:b])
                time.sleep(0.2)
        last = None
        while True:
            assert proc.poll() is None, f"follow exited {proc.returncode}: {log.read_text()}"
            a = lake.accounting(timeout=left())
            done = a["silver_rows"] + a["duplicates"] + a["quarantined"] == len(data.lines)
            marks = (lake.checkpoint("silver", "watermark_us"), gold_watermark(lake))
            if done and marks[0] == marks[1] and marks == last:
                break
            last = marks if done else None
            time.sleep(min(1.5, left()))
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=left())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, log.read_text()
    assert_same_gold(lake, single[1], "follow vs one run")


def test_backfill_recovers_late_events_into_gold(data, tmp_path):
    """After a run, the late lines are in quarantine and missing from closed windows;
    `lake backfill all` over the input's dates puts them into silver, and every gold table,
    open rows included, then equals the batch computation over all live silver rows."""
    lake = TxLake(tmp_path / "lake")
    for i, piece in enumerate(data.pieces(PIECES)):
        lake.deliver(piece, i)
    lake.run("all")
    before = sqlite_table(lake, "gold_sales_per_minute")[1]
    assert silver_count(lake) == data.accepted

    lake.cmd("backfill", "all", "--job", JOB, "--from", data.first_date, "--to", data.last_date)

    assert silver_count(lake) == data.accepted + data.late, "late events not recovered"
    a = lake.accounting()
    assert (a["silver_rows"], a["quarantined"], a["balanced"]) == (
        data.accepted + data.late, data.malformed, True)
    assert_gold_matches_silver(lake)
    after = sqlite_table(lake, "gold_sales_per_minute")[1]
    assert sorted(after, key=sort_key) != sorted(before, key=sort_key), "backfill changed no window"
