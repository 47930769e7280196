"""Hopping windows (6m sliding by 2m and 9m by 3m: a window the merge of the three panes of
one slide it spans), with `having`, a `first()` that merge must order by event time,
and a table whose output reads its window's bounds (so windows over the same rows are not
shared), against DuckDB over silver: in one run, and in many runs where windows close early
(inside a commit, as silver's watermark passes them) and at commits.

The job is the transactions job with three more gold tables (written into a temporary jobs
folder); the input comes from transactions_data.py.
"""

from pathlib import Path

from conftest import duck, scan
from transactions_data import generate
import pyarrow.parquet as pq

from test_transactions_gold import MONEY, TxLake, iso, gold_watermark, sqlite_table

JOB = "transactions"
EXTRA = '''
[gold.odd_hops]
kind = "windows"
window = "6m"
slide = "2m"
group_by = ["city"]
having = "transactions >= 3"
[gold.odd_hops.columns]
transactions = "count()"
amount = "sum(amount)"
first_category = "first(category)"

[gold.user_hops]
kind = "windows"
window = "9m"
slide = "3m"
group_by = ["user_id"]
having = "transactions >= 2"
[gold.user_hops.columns]
transactions = "count()"

[gold.bounded_hops]
kind = "windows"
window = "3m"
slide = "1m"
group_by = ["user_id"]
[gold.bounded_hops.columns]
transactions = "count()"
closes_at = "window_end"
'''
TABLES = {  # table: (window s, slide s, group_by, [(column, DuckDB expression)], having)
    "gold_odd_hops": (360, 120, "city",
                      [("transactions", "count(*)"), ("amount", MONEY),
                       ("first_category", "first(category ORDER BY t, ingest_id)")], "transactions >= 3"),
    "gold_user_hops": (540, 180, "user_id", [("transactions", "count(*)")], "transactions >= 2"),
    "gold_bounded_hops": (180, 60, "user_id",
                          [("transactions", "count(*)"), ("closes_at", "ws + 180000000")], None),
}
TIMESTAMP_COLUMNS = {"window_start", "window_end", "closes_at"}


def jobs_folder(tmp_path):
    folder = tmp_path / "jobs"
    folder.mkdir()
    text = (Path(__file__).resolve().parents[2] / "jobs" / f"{JOB}.toml").read_text()
    head, views = text.split("\n[views]\n", 1)
    (folder / f"{JOB}.toml").write_text(head + EXTRA + "\n[views]\n" + views)
    return folder


def expected(lake):
    """{table: (SQLite rows, Parquet rows)}: every window holding a row, closed iff its end is
    at or below gold's watermark (timestamps ISO text in SQLite, microseconds in Parquet)."""
    con = duck()
    silver = scan(lake.live_paths("silver_transactions"))
    watermark = gold_watermark(lake)
    out = {}
    for table, (window, slide, key, columns, having) in TABLES.items():
        w, s = window * 1_000_000, slide * 1_000_000
        hops = window // slide
        select = ", ".join(["ws", f"ws + {w} AS we", key, *(f"{e} AS {c}" for c, e in columns)])
        rows = con.sql(f"""
            WITH timed AS (SELECT *, epoch_us(event_time) AS t FROM {silver}),
                 w AS (SELECT *, (t // {s} - i) * {s} AS ws FROM timed CROSS JOIN range({hops}) AS r(i))
            SELECT * FROM (SELECT {select} FROM w GROUP BY ws, {key})
            WHERE {having or "true"}""").fetchall()
        names = ["window_start", "window_end", key, *(c for c, _ in columns), "is_closed"]
        rows = [(*r, int(r[1] <= watermark)) for r in rows]
        as_text = [tuple(iso(v) if n in TIMESTAMP_COLUMNS else v for n, v in zip(names, r)) for r in rows]
        out[table] = (sorted(as_text, key=repr), sorted((r for r in rows if r[-1] == 1), key=repr))
    return out


def parquet_rows(lake, table):
    """The rows of the table's live Parquet files, timestamps as microseconds."""
    paths = lake.live_paths(table)
    if not paths:
        return []
    names = pq.read_schema(paths[0]).names
    select = ", ".join(f"epoch_us({c})" if c in TIMESTAMP_COLUMNS else c for c in names)
    return duck().sql(f"SELECT {select} FROM {scan(paths)}").fetchall()


def normalized(rows):
    return sorted((tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows), key=repr)


def assert_matches(lake, what):
    for table, (want_sqlite, want_parquet) in expected(lake).items():
        _, got = sqlite_table(lake, table)
        assert normalized(got) == normalized(want_sqlite), f"{what}: {table} (SQLite)"
        got = parquet_rows(lake, table)
        assert normalized(got) == normalized(want_parquet), f"{what}: {table} (Parquet)"


def test_hopping_windows_equal_duckdb_in_one_and_many_runs(tmp_path):
    data = generate(hours=1.0)
    jobs = jobs_folder(tmp_path)

    single = TxLake(tmp_path / "single", jobs=jobs)
    for i, piece in enumerate(data.pieces(3)):
        single.deliver(piece, i)
    single.run("all")
    assert_matches(single, "one run")
    closed = {t: len(expected(single)[t][1]) for t in TABLES}
    assert all(closed.values()), f"a table closed no window: {closed}"

    many = TxLake(tmp_path / "many", jobs=jobs)
    for i, piece in enumerate(data.pieces(5)):
        many.deliver(piece, i)
        many.run("all")
        assert_matches(many, f"after run {i + 1}")
    for table in TABLES:
        assert sqlite_table(many, table) == sqlite_table(single, table), table
