#!/usr/bin/env python3
"""The reference for the transactions job: `lake run all --job transactions`, done by DuckDB.

    python3 bench/duckdb_transactions.py run   --landing LAKE/landing/transactions --out OUT
    python3 bench/duckdb_transactions.py check --catalog LAKE/catalog.db --out OUT

`run` is one process, as `lake run all` is (bench/run.sh times it under `/usr/bin/time -v`), and
prints one JSON line: silver rows, the rows of each gold table, Parquet files and bytes, seconds
spent in the SQL (silver, gold and both; the process wall time measured outside also counts
Python start-up and `import duckdb`), DuckDB's thread count (its default: one per core).

What it does, mirroring bench/duckdb_medallion.py's silver and gold (jobs/transactions.toml):

- silver: every line of the landing files (sorted by name, read as one VARCHAR column as
  duckdb_medallion.py's bronze reads them; the row number is the input order, lake's
  `ingest_id`), parsed once with `from_json` into the silver columns, the zone-less timestamp
  cast to TIMESTAMPTZ in UTC (the job's `timezone`), rows without transaction_id, user_id,
  amount or a parseable timestamp dropped, the first row per transaction_id kept
  (`QUALIFY row_number() … = 1` by input order), written as Parquet partitioned by event date
  (ZSTD). The typed rows are kept in a DuckDB table for gold (cheaper than reading the Parquet
  back: in one process that is what a DuckDB user would do).
- gold: the six tables of jobs/transactions.toml from that table, each one Parquet file under
  OUT/gold/<table>/ (ZSTD): sales_per_minute (1-minute windows by category: sum(amount),
  count, sum(quantity), count(distinct user_id), avg(amount)), city_totals, payment_totals,
  totals, top_transactions (10 by amount desc), user_alerts (5-minute windows sliding by a
  minute, per user_id, having count >= 4). Windowed tables carry window_start, window_end and
  is_closed (window_end <= the final watermark, max event time - 10 min), as lake's do.

Where it does less than lake (as duckdb_medallion.py, which this mirrors):
- No bronze: lake's `run all` also writes every raw line to bronze Parquet; DuckDB reads the
  landing files straight into silver.
- No per-record watermark (duckdb_medallion.py has none either: SQL cannot express "max of the
  records *accepted* before this one" without a sequential scan), so no `late` rows are dropped
  and dedup state is not bounded by the watermark; no clock-skew check; no quarantine table with
  reasons; `from_json` coerces wrong types instead of rejecting them. With the bench's input
  (2% exact copies a few lines after the original, default 30 s jitter, no --late/--malformed)
  none of these drop a row in lake either, so silver and gold hold the same rows.
- Gold recomputes everything from all of silver; lake's gold is incremental with checkpointed
  state, writes closed windows to Parquet and every row (open windows, running totals, top 10)
  to SQLite in the catalog's transaction. Here the running totals and the top 10 are Parquet
  files too, and nothing goes to SQLite.

`check` compares lake's gold_totals (SQLite, catalog.db) with DuckDB's totals: revenue,
transactions, unique_users. It prints one line, starting with "WARNING" when they differ, and
always exits 0: the e2e tests own correctness, this only catches a bench comparing unlike work.
"""

import argparse
import glob
import json
import os
import sqlite3
import sys
import time

import duckdb

from benchlib import tree_stats

# The transaction's JSON structure (jobs/transactions.toml's silver columns and their paths).
TRANSACTION_STRUCTURE = json.dumps({
    "transaction_id": "VARCHAR", "user_id": "VARCHAR", "city": "VARCHAR", "category": "VARCHAR",
    "amount": "DOUBLE", "quantity": "BIGINT", "payment_method": "VARCHAR", "timestamp": "VARCHAR",
})

WATERMARK_DELAY = "INTERVAL 10 MINUTE"
GOLD_TABLES = ("sales_per_minute", "city_totals", "payment_totals", "totals", "top_transactions",
               "user_alerts")


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def landing_files(landing):
    pattern = [os.path.join(landing, "*" + ext) for ext in (".json", ".jsonl", ".ndjson")]
    files = sorted(p for pat in pattern for p in glob.glob(pat))
    if not files:
        sys.exit(f"duckdb_transactions: no landing files in {landing}")
    return files


def silver(con, files, out):
    target = os.path.join(out, "silver")
    os.makedirs(out, exist_ok=True)
    file_list = "[" + ", ".join(sql_string(f) for f in files) + "]"
    con.execute(f"""
        CREATE TEMP TABLE silver AS
        WITH raw AS (
          SELECT row_number() OVER () AS ingest_id, body
          FROM read_csv({file_list}, columns = {{'body': 'VARCHAR'}}, header = false,
                        delim = E'\\x01', quote = '', escape = '', auto_detect = false,
                        max_line_size = 2097152)
        ),
        parsed AS (
          SELECT ingest_id, try(from_json(body, {sql_string(TRANSACTION_STRUCTURE)})) AS j
          FROM raw
        ),
        typed AS (
          SELECT j.transaction_id AS transaction_id, j.user_id AS user_id, j.city AS city,
                 j.category AS category, j.amount AS amount, j.quantity AS quantity,
                 j.payment_method AS payment_method,
                 try_cast(j."timestamp" AS TIMESTAMPTZ) AS event_time,
                 ingest_id
          FROM parsed
        )
        SELECT * FROM typed
        WHERE transaction_id IS NOT NULL AND user_id IS NOT NULL AND amount IS NOT NULL
          AND event_time IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY transaction_id ORDER BY ingest_id) = 1
    """)
    con.execute(f"""
        COPY (SELECT *, strftime(event_time, '%Y-%m-%d') AS date FROM silver)
        TO {sql_string(target)}
          (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE)
    """)
    return target


# Each gold table as a query over the `silver` table; `watermark` is a CTE every query gets.
GOLD_QUERIES = {
    "sales_per_minute": """
        SELECT window_start, window_start + INTERVAL 1 MINUTE AS window_end, category, revenue,
               transactions, items, unique_users, avg_ticket,
               (window_start + INTERVAL 1 MINUTE <= (SELECT w FROM watermark))::INTEGER AS is_closed
        FROM (
          SELECT date_trunc('minute', event_time) AS window_start, category,
                 sum(amount) AS revenue, count(*) AS transactions,
                 sum(quantity)::BIGINT AS items, count(DISTINCT user_id) AS unique_users,
                 avg(amount) AS avg_ticket
          FROM silver
          GROUP BY 1, 2
        )""",
    "city_totals": """
        SELECT city, sum(amount) AS revenue, count(*) AS transactions,
               sum(quantity)::BIGINT AS items
        FROM silver GROUP BY city""",
    "payment_totals": """
        SELECT payment_method, sum(amount) AS revenue, count(*) AS transactions
        FROM silver GROUP BY payment_method""",
    "totals": """
        SELECT sum(amount) AS revenue, count(*) AS transactions, sum(quantity)::BIGINT AS items,
               count(DISTINCT user_id) AS unique_users, avg(amount) AS avg_ticket
        FROM silver""",
    "top_transactions": """
        SELECT transaction_id, user_id, city, category, amount, quantity, payment_method,
               event_time
        FROM silver ORDER BY amount DESC LIMIT 10""",
    # A 5-minute window sliding by a minute: an event at t is in the windows starting at
    # minute(t), minute(t) - 1 min, …, minute(t) - 4 min.
    "user_alerts": """
        SELECT window_start, window_start + INTERVAL 5 MINUTE AS window_end, user_id,
               transactions, amount,
               (window_start + INTERVAL 5 MINUTE <= (SELECT w FROM watermark))::INTEGER AS is_closed
        FROM (
          SELECT date_trunc('minute', event_time) - to_minutes(k) AS window_start, user_id,
                 count(*) AS transactions, sum(amount) AS amount
          FROM silver CROSS JOIN range(5) AS slides(k)
          GROUP BY 1, 2
          HAVING count(*) >= 4
        )""",
}


def gold(con, out):
    target = os.path.join(out, "gold")
    for name in GOLD_TABLES:
        folder = os.path.join(target, name)
        os.makedirs(folder, exist_ok=True)
        con.execute(f"""
            COPY (
              WITH watermark AS (SELECT max(event_time) - {WATERMARK_DELAY} AS w FROM silver)
              {GOLD_QUERIES[name]}
            ) TO {sql_string(os.path.join(folder, "part-0.parquet"))}
              (FORMAT parquet, COMPRESSION zstd)
        """)
    return target


def parquet_rows(con, folder):
    return con.execute(
        f"SELECT count(*) FROM read_parquet({sql_string(os.path.join(folder, '**', '*.parquet'))}, "
        "hive_partitioning = false)").fetchall()[0][0]


def run(args):
    files = landing_files(os.path.abspath(args.landing))
    con = duckdb.connect()  # in memory; default threads (one per core) and memory limit
    con.execute("SET TimeZone = 'UTC'")  # jobs/transactions.toml: timezone = "UTC"
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    started = time.perf_counter()
    silver_dir = silver(con, files, args.out)
    silver_done = time.perf_counter()
    gold_dir = gold(con, args.out)
    finished = time.perf_counter()
    files_count, size = tree_stats(args.out)
    print(json.dumps({
        "job": "transactions",
        "rows": parquet_rows(con, silver_dir),
        "gold_rows": {name: parquet_rows(con, os.path.join(gold_dir, name)) for name in GOLD_TABLES},
        "files": files_count, "bytes": size,
        "silver_bytes": tree_stats(silver_dir)[1], "gold_bytes": tree_stats(gold_dir)[1],
        "seconds": round(finished - started, 3),
        "silver_seconds": round(silver_done - started, 3),
        "gold_seconds": round(finished - silver_done, 3),
        "threads": threads, "duckdb": duckdb.__version__}))


def check(args):
    """One line comparing lake's gold_totals with DuckDB's; never fails the bench."""
    fields = ("revenue", "transactions", "unique_users")
    try:
        with sqlite3.connect(f"file:{args.catalog}?mode=ro", uri=True) as db:
            lake = db.execute(f"SELECT {', '.join(fields)} FROM gold_totals").fetchall()
        duck = duckdb.connect().execute(
            f"SELECT {', '.join(fields)} FROM read_parquet("
            f"{sql_string(os.path.join(args.out, 'gold', 'totals', '*.parquet'))})").fetchall()
    except Exception as error:  # a missing table or file is worth a warning, not a failure
        print(f"WARNING: gold_totals could not be compared: {error}")
        return
    if len(lake) != 1 or len(duck) != 1:
        print(f"WARNING: gold_totals differ: lake has {len(lake)} row(s), DuckDB {len(duck)} "
              "(expected one each)")
        return
    (l_rev, l_tx, l_users), (d_rev, d_tx, d_users) = lake[0], duck[0]
    # Sums of doubles in a different order differ in the last bits: compare to the cent.
    same = (l_rev is not None and d_rev is not None and abs(l_rev - d_rev) < 0.005
            and l_tx == d_tx and l_users == d_users)
    figures = (f"lake revenue {l_rev:.2f}, transactions {l_tx}, unique_users {l_users}; "
               f"DuckDB revenue {d_rev:.2f}, transactions {d_tx}, unique_users {d_users}")
    if same:
        print(f"gold_totals agree: {figures}")
    else:
        print(f"WARNING: gold_totals differ between lake and DuckDB: {figures}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="silver and the six gold tables, timed")
    p_run.add_argument("--landing", required=True, help="landing folder of the transactions")
    p_run.add_argument("--out", required=True, help="folder for silver/ and gold/")
    p_check = sub.add_parser("check", help="compare lake's gold_totals with DuckDB's totals")
    p_check.add_argument("--catalog", required=True, help="the lake's catalog.db")
    p_check.add_argument("--out", required=True, help="the folder `run` wrote")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        check(args)


if __name__ == "__main__":
    main()
