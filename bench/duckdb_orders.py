#!/usr/bin/env python3
"""The reference for the orders job: `lake run all --job orders`, done by DuckDB.

    python3 bench/duckdb_orders.py run   --landing LAKE/landing/orders --out OUT
    python3 bench/duckdb_orders.py check --catalog LAKE/catalog.db --out OUT

`run` is one process, as `lake run all` is (bench/run.sh times it under `/usr/bin/time -v`), and
prints one JSON line: silver_orders and silver_order_items rows, the rows of each gold table,
Parquet files and bytes, seconds spent in the SQL (silver, gold and both; the process wall time
measured outside also counts Python start-up and `import duckdb`), DuckDB's thread count (its
default: one per core).

What it does, mirroring bench/duckdb_transactions.py (jobs/orders.toml):

- silver: every line of the landing files (sorted by name, read as one VARCHAR column as
  duckdb_medallion.py's bronze reads them; the row number is the input order, lake's
  `ingest_id`), parsed once with `from_json` into the order's fields and its `items` array.
  The timestamp ("%Y-%m-%d %H:%M:%S", the shop's wall clock without a zone) is read with
  `try_strptime` and placed in Europe/Rome with `AT TIME ZONE` (ICU), session time zone UTC.
  ICU alone reads the hour skipped in spring (02:xx on the last Sunday of March) with the
  winter offset, i.e. as 03:xx summer time, and the hour repeated in autumn (02:xx on the last
  Sunday of October) as its *second*, winter-time occurrence. lake quarantines the skipped hour
  (`bad_timestamp`) and takes the *first* occurrence of the repeated one (as Python's fold=0,
  Java and Foundation do), so the SQL does the same: for rows whose wall time is in the 02:00
  hour only (both Europe/Rome changes happen there; every other row costs one `AT TIME ZONE`),
  a time that does not read back as itself is dropped and one whose instant an hour earlier
  has the same wall time is moved to that earlier instant. Rows without order_id, a parseable
  timestamp or total, and rows with an item lacking product_name, quantity or total (lake
  quarantines the whole order for a bad item) are dropped; the first row per order_id is kept
  (`QUALIFY row_number() … = 1` by input order). customer.email is hashed with HMAC-SHA256
  under the key in LAKE_PII_KEY (bench/run.sh sets the same key for lake, so the hashes are
  equal and `check` compares them): DuckDB has no HMAC function, so it is written out in SQL
  from its `sha256` (RFC 2104: sha256((K ^ opad) || unhex(sha256((K ^ ipad) || email))), the
  padded keys computed once in Python) — a real HMAC, vectorised and on every core (1M
  e-mails: ~0.65 s on 2 threads; an Arrow Python UDF calling `hmac.digest` per row took ~1.9 s,
  a row-at-a-time one ~2.3 s, a plain unkeyed sha256 ~0.2 s). The first name is not kept.
  silver_orders (order_id, event_time, currency, total, duration_session, customer_email,
  ingest_id) and silver_order_items (`unnest(items)`: order_id and event_time of the order,
  product_name, quantity, total, ingest_id) are written as Parquet partitioned by event date
  (ZSTD). Both are kept as DuckDB tables for gold (in one process that is what a DuckDB user
  would do; lake's gold reads the items back from silver's Parquet).
- gold: the tables of jobs/orders.toml from those tables, each one Parquet file under
  OUT/gold/<table>/ (ZSTD): order_segments (order_id, event_time, total, duration_session,
  spender_type = CASE total > 150, stock_alert = CASE total > 500) and product_sales (1-hour
  tumbling windows by product_name over the items: quantity = sum(quantity), revenue =
  sum(total), orders = count(distinct order_id), with window_start, window_end and is_closed =
  window_end <= the final watermark, max event time - 10 min, as lake's).

Where it does less than lake (as duckdb_transactions.py, which this mirrors):
- No k-means: lake's gold_order_segments also carries purchase_behaviour (the label of the
  current k-means model; its first gold commit fits one on the silver rows it has) and
  model_version, and writes gold_segment_model. DuckDB has no k-means; `lake train` is timed
  against scikit-learn separately (bench/sklearn_orders.py).
- No bronze: lake's `run all` also writes every raw line to bronze Parquet; DuckDB reads the
  landing files straight into silver.
- No per-record watermark, so no `late` rows are dropped: lake quarantines as late the exact
  copies that arrive more than 10 minutes of event time after their original (DuckDB drops
  them as duplicates, same silver) and the orders of the repeated autumn hour's second pass,
  which read back an hour early (DuckDB keeps them, with that earlier time: a handful of
  orders a year). No clock-skew check (lake quarantines orders more than 1 h ahead of their
  ingestion: bench/run.sh generates them in the past), no quarantine table with reasons;
  `from_json` coerces some wrong types instead of rejecting them. `check` reports the
  difference and whether lake's late quarantine explains it.
- Gold recomputes everything from all of silver; lake's gold is incremental, writes every
  order_segments row and every product_sales window (open ones too) to SQLite in the
  catalog's transaction as well as closed rows to Parquet by date. Here each is one Parquet
  file, and nothing goes to SQLite.

`check` compares lake's gold tables (SQLite, catalog.db) and silver Parquet (the folders next to
catalog.db) with DuckDB's output: orders in gold_order_segments and the sum of their total,
items in silver_order_items, sum(quantity) and sum(revenue) of gold_product_sales, and the
distinct customer_email hashes (equal keys give equal hashes: lake's, DuckDB's and both
together count the same). It prints one line, starting with "WARNING" when they differ other
than by the orders lake quarantined as late and DuckDB kept (those are counted in the line), and
always exits 0: the e2e tests own correctness, this only catches a bench comparing unlike work.
"""

import argparse
import glob
import hashlib
import json
import os
import sqlite3
import sys
import time

import duckdb

from benchlib import tree_stats

# The order's JSON structure (jobs/orders.toml's silver columns, children and their paths).
ORDER_STRUCTURE = json.dumps({
    "order_id": "BIGINT", "timestamp": "VARCHAR",
    "items": [{"product_name": "VARCHAR", "quantity": "BIGINT", "total": "DOUBLE"}],
    "customer": {"email": "VARCHAR"}, "currency": "VARCHAR", "total": "DOUBLE",
    "duration_session": "DOUBLE",
})

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
TIMEZONE = "Europe/Rome"
WATERMARK_DELAY = "INTERVAL 10 MINUTE"
GOLD_TABLES = ("order_segments", "product_sales")
# Without LAKE_PII_KEY lake makes a random <lake>/pii.key, which this script cannot know.
DEFAULT_PII_KEY = "bench-pii-key-0123456789abcdef"


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def sql_blob(data):
    return "'" + "".join(f"\\x{b:02X}" for b in data) + "'::BLOB"


def hmac_pads(key):
    """The HMAC-SHA256 inner and outer padded keys (RFC 2104): a key longer than the 64-byte
    block is hashed first, a shorter one padded with zeros."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def landing_files(landing):
    pattern = [os.path.join(landing, "*" + ext) for ext in (".json", ".jsonl", ".ndjson")]
    files = sorted(p for pat in pattern for p in glob.glob(pat))
    if not files:
        sys.exit(f"duckdb_orders: no landing files in {landing}")
    return files


def silver(con, files, out, pii_key):
    target = os.path.join(out, "silver")
    os.makedirs(target, exist_ok=True)
    file_list = "[" + ", ".join(sql_string(f) for f in files) + "]"
    ipad, opad = hmac_pads(pii_key)
    zone = sql_string(TIMEZONE)
    con.execute(f"""
        CREATE TEMP TABLE orders AS
        WITH raw AS (
          SELECT row_number() OVER () AS ingest_id, body
          FROM read_csv({file_list}, columns = {{'body': 'VARCHAR'}}, header = false,
                        delim = E'\\x01', quote = '', escape = '', auto_detect = false,
                        max_line_size = 2097152)
        ),
        parsed AS (
          SELECT ingest_id, try(from_json(body, {sql_string(ORDER_STRUCTURE)})) AS j
          FROM raw
        ),
        local AS (
          SELECT ingest_id, j,
                 try_strptime(j."timestamp", {sql_string(TIMESTAMP_FORMAT)})::TIMESTAMP AS wall
          FROM parsed
        ),
        zoned AS (
          SELECT ingest_id, j, wall, wall AT TIME ZONE {zone} AS t FROM local
        ),
        typed AS (
          SELECT j.order_id AS order_id,
                 -- lake's DST rule (see the docstring): only the 02:00 wall hour can be skipped
                 -- or repeated in Europe/Rome, so only its rows pay for the extra conversions.
                 CASE WHEN hour(wall) <> 2 THEN t
                      WHEN (t AT TIME ZONE {zone}) <> wall THEN NULL
                      WHEN ((t - INTERVAL 1 HOUR) AT TIME ZONE {zone}) = wall THEN t - INTERVAL 1 HOUR
                      ELSE t END AS event_time,
                 j.currency AS currency, j.total AS total, j.duration_session AS duration_session,
                 j.customer.email AS email, j.items AS items, ingest_id
          FROM zoned
        )
        SELECT order_id, event_time, currency, total, duration_session,
               sha256({sql_blob(opad)} || unhex(sha256({sql_blob(ipad)} || encode(email))))
                 AS customer_email,
               items, ingest_id
        FROM (
          SELECT * FROM typed
          WHERE order_id IS NOT NULL AND event_time IS NOT NULL AND total IS NOT NULL
            AND NOT coalesce(list_bool_or(list_transform(items, lambda x: x IS NULL
                  OR x.product_name IS NULL OR x.quantity IS NULL OR x.total IS NULL)), false)
          QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY ingest_id) = 1
        )
    """)
    con.execute("""
        CREATE TEMP TABLE order_items AS
        SELECT order_id, event_time, item.product_name AS product_name,
               item.quantity AS quantity, item.total AS total, ingest_id
        FROM (SELECT order_id, event_time, unnest(items) AS item, ingest_id FROM orders)
    """)
    tables = {"silver_orders": "SELECT * EXCLUDE (items) FROM orders",
              "silver_order_items": "SELECT * FROM order_items"}
    for name, query in tables.items():
        con.execute(f"""
            COPY (SELECT *, strftime(event_time, '%Y-%m-%d') AS date FROM ({query}))
            TO {sql_string(os.path.join(target, name))}
              (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE)
        """)
    return target


# Each gold table as a query over the `orders` and `order_items` tables; `watermark` is a CTE
# every query gets.
GOLD_QUERIES = {
    "order_segments": """
        SELECT order_id, event_time, total, duration_session,
               CASE WHEN total > 150 THEN 'High Spender' ELSE 'Standard Spender' END AS spender_type,
               CASE WHEN total > 500 THEN 'High Demand' ELSE 'Normal Demand' END AS stock_alert
        FROM orders""",
    "product_sales": """
        SELECT window_start, window_start + INTERVAL 1 HOUR AS window_end, product_name,
               quantity, revenue, orders,
               (window_start + INTERVAL 1 HOUR <= (SELECT w FROM watermark))::INTEGER AS is_closed
        FROM (
          SELECT date_trunc('hour', event_time) AS window_start, product_name,
                 sum(quantity)::BIGINT AS quantity, sum(total) AS revenue,
                 count(DISTINCT order_id) AS orders
          FROM order_items
          GROUP BY 1, 2
        )""",
}


def gold(con, out):
    target = os.path.join(out, "gold")
    for name in GOLD_TABLES:
        folder = os.path.join(target, name)
        os.makedirs(folder, exist_ok=True)
        con.execute(f"""
            COPY (
              WITH watermark AS (SELECT max(event_time) - {WATERMARK_DELAY} AS w FROM orders)
              {GOLD_QUERIES[name]}
            ) TO {sql_string(os.path.join(folder, "part-0.parquet"))}
              (FORMAT parquet, COMPRESSION zstd)
        """)
    return target


def parquet_glob(folder):
    return sql_string(os.path.join(folder, "**", "*.parquet"))


def parquet_rows(con, folder):
    return con.execute(
        f"SELECT count(*) FROM read_parquet({parquet_glob(folder)}, hive_partitioning = false)"
    ).fetchall()[0][0]


def pii_key():
    return os.environ.get("LAKE_PII_KEY", DEFAULT_PII_KEY).encode()


def run(args):
    files = landing_files(os.path.abspath(args.landing))
    con = duckdb.connect()  # in memory; default threads (one per core) and memory limit
    con.execute("SET TimeZone = 'UTC'")  # event times are instants; dates and hours in UTC, as lake's
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    started = time.perf_counter()
    silver_dir = silver(con, files, args.out, pii_key())
    silver_done = time.perf_counter()
    gold_dir = gold(con, args.out)
    finished = time.perf_counter()
    files_count, size = tree_stats(args.out)
    print(json.dumps({
        "job": "orders",
        "rows": parquet_rows(con, os.path.join(silver_dir, "silver_orders")),
        "item_rows": parquet_rows(con, os.path.join(silver_dir, "silver_order_items")),
        "gold_rows": {name: parquet_rows(con, os.path.join(gold_dir, name)) for name in GOLD_TABLES},
        "files": files_count, "bytes": size,
        "silver_bytes": tree_stats(silver_dir)[1], "gold_bytes": tree_stats(gold_dir)[1],
        "seconds": round(finished - started, 3),
        "silver_seconds": round(silver_done - started, 3),
        "gold_seconds": round(finished - silver_done, 3),
        "threads": threads, "duckdb": duckdb.__version__}))


def check(args):
    """One line comparing lake's orders tables with DuckDB's; never fails the bench."""
    lake_dir = os.path.dirname(os.path.abspath(args.catalog))
    silver_dir = os.path.join(args.out, "silver")
    gold_dir = os.path.join(args.out, "gold")
    try:
        with sqlite3.connect(f"file:{args.catalog}?mode=ro", uri=True) as db:
            l_orders, l_total = db.execute(
                "SELECT count(*), sum(total) FROM gold_order_segments").fetchone()
            l_qty, l_rev = db.execute(
                "SELECT sum(quantity), sum(revenue) FROM gold_product_sales").fetchone()
        con = duckdb.connect()
        one = lambda sql: con.execute(sql).fetchone()
        d_orders, d_total = one(f"SELECT count(*), sum(total) FROM read_parquet("
                                f"{parquet_glob(os.path.join(gold_dir, 'order_segments'))})")
        d_qty, d_rev = one(f"SELECT sum(quantity), sum(revenue) FROM read_parquet("
                           f"{parquet_glob(os.path.join(gold_dir, 'product_sales'))})")
        lake_orders = f"read_parquet({parquet_glob(os.path.join(lake_dir, 'silver_orders'))}, hive_partitioning = false)"
        duck_orders = f"read_parquet({parquet_glob(os.path.join(silver_dir, 'silver_orders'))}, hive_partitioning = false)"
        l_items, = one(f"SELECT count(*) FROM read_parquet("
                       f"{parquet_glob(os.path.join(lake_dir, 'silver_order_items'))}, hive_partitioning = false)")
        d_items, = one(f"SELECT count(*) FROM read_parquet("
                       f"{parquet_glob(os.path.join(silver_dir, 'silver_order_items'))}, hive_partitioning = false)")
        # Equal keys give equal HMACs: the union has no more distinct hashes than either side.
        l_mail, d_mail, u_mail = one(
            f"SELECT (SELECT count(DISTINCT customer_email) FROM {lake_orders}), "
            f"(SELECT count(DISTINCT customer_email) FROM {duck_orders}), "
            f"(SELECT count(DISTINCT customer_email) FROM (SELECT customer_email FROM {lake_orders} "
            f"UNION ALL SELECT customer_email FROM {duck_orders}))")
        # Orders only DuckDB kept, and those of them lake quarantined as late (DuckDB has no
        # watermark): what they add to DuckDB's figures.
        con.execute(
            f"CREATE TEMP TABLE only_duck AS SELECT d.order_id, q.order_id IS NOT NULL AS late FROM "
            f"(SELECT order_id FROM {duck_orders} EXCEPT SELECT order_id FROM {lake_orders}) d "
            f"LEFT JOIN (SELECT DISTINCT json_extract(decode(body), '$.order_id')::BIGINT AS order_id "
            f"FROM read_parquet({parquet_glob(os.path.join(lake_dir, 'quarantine_orders'))}, hive_partitioning = false) "
            f"WHERE reason = 'late') q USING (order_id)")
        only_duck, only_duck_late = one("SELECT count(*), count(*) FILTER (WHERE late) FROM only_duck")
        only_lake, = one(f"SELECT count(*) FROM (SELECT order_id FROM {lake_orders} "
                         f"EXCEPT SELECT order_id FROM {duck_orders})")
        late_total, = one(f"SELECT coalesce(sum(total), 0) FROM {duck_orders} "
                          "WHERE order_id IN (SELECT order_id FROM only_duck WHERE late)")
        late_items, late_qty, late_rev = one(
            f"SELECT count(*), coalesce(sum(quantity), 0), coalesce(sum(total), 0) FROM read_parquet("
            f"{parquet_glob(os.path.join(silver_dir, 'silver_order_items'))}, hive_partitioning = false) "
            "WHERE order_id IN (SELECT order_id FROM only_duck WHERE late)")
    except Exception as error:  # a missing table or file is worth a warning, not a failure
        print(f"WARNING: the orders tables could not be compared: {error}")
        return
    # Sums of doubles in a different order differ in the last bits: compare to the cent.
    near = lambda a, b: a is not None and b is not None and abs(a - b) < 0.005

    def agree(late_orders=0, late_total=0.0, late_items=0, late_qty=0, late_rev=0.0):
        """lake's figures equal DuckDB's once the given late orders are taken out of DuckDB's."""
        return (l_orders == d_orders - late_orders and near(l_total, d_total - late_total)
                and l_items == d_items - late_items and l_qty == d_qty - late_qty
                and near(l_rev, d_rev - late_rev) and l_mail == d_mail == u_mail)

    figures = (f"gold_order_segments rows lake {l_orders:,} / DuckDB {d_orders:,}, sum(total) "
               f"{l_total:,.2f} / {d_total:,.2f}; silver_order_items rows {l_items:,} / {d_items:,}; "
               f"gold_product_sales sum(quantity) {l_qty:,} / {d_qty:,}, sum(revenue) {l_rev:,.2f} / "
               f"{d_rev:,.2f}; distinct customer_email hashes {l_mail:,} / {d_mail:,} "
               f"({u_mail:,} together)")
    if agree():
        print(f"orders agree: {figures}")
        return
    late = (f"{only_duck_late:,} that lake quarantined as late (DuckDB has no watermark; e.g. "
            f"the repeated autumn hour's second pass, read back an hour early), with "
            f"{late_total:,.2f} of total, {late_items:,} items, {late_qty:,} units")
    if only_lake == 0 and only_duck == only_duck_late and agree(
            only_duck_late, late_total, late_items, late_qty, late_rev):
        print(f"orders agree but for the {only_duck:,} orders only DuckDB kept, all {late}: {figures}")
        return
    print(f"WARNING: the orders tables differ between lake and DuckDB: {figures}; orders only "
          f"DuckDB kept: {only_duck:,}, of them {late}; orders only lake kept: {only_lake:,}")

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="silver (orders and items) and the two gold tables, timed")
    p_run.add_argument("--landing", required=True, help="landing folder of the orders")
    p_run.add_argument("--out", required=True, help="folder for silver/ and gold/")
    p_check = sub.add_parser("check", help="compare lake's orders tables with DuckDB's")
    p_check.add_argument("--catalog", required=True, help="the lake's catalog.db")
    p_check.add_argument("--out", required=True, help="the folder `run` wrote")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        check(args)


if __name__ == "__main__":
    main()
