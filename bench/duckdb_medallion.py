#!/usr/bin/env python3
"""The reference: the same medallion work as `lake run bronze|silver|gold`, done by DuckDB.

Run one stage per process so that `/usr/bin/time -v` gives each stage its own wall time and
peak RSS (bench/run.sh does that):

    python3 bench/duckdb_medallion.py bronze --landing LAKE/landing/clickstream --out OUT
    python3 bench/duckdb_medallion.py silver --out OUT
    python3 bench/duckdb_medallion.py gold   --out OUT

Each prints one JSON line: stage, rows written, files, bytes, seconds spent in the SQL (the
process wall time measured outside also counts Python start-up and `import duckdb`, ~0.2 s),
and DuckDB's thread count (its default: one per core).

What each stage does, and where it does less than `lake`:

- bronze: every line of the landing files (read as one VARCHAR column: no quote, no escape, a
  delimiter that never occurs) → `OUT/bronze/part-0.parquet` with `ingest_id` (row number in
  file order), `ingested_at` (now), `source` (landing-relative name), `source_offset` (byte
  offset of the line, a running sum of line lengths per file) and `body` (BLOB). ZSTD.
  Less than lake: DuckDB rejects a line that is not valid UTF-8 (lake keeps it byte-exact), and
  there is no per-source checkpoint, no growing-file handling, no catalog commit.
- silver: parse each body once (`from_json` with the silver column structure), cast the event
  time to TIMESTAMPTZ, drop lines without eventId/eventType/userId/a parseable timestamp, keep
  the first row per eventId (`QUALIFY row_number() … = 1`), write Parquet partitioned by event
  date. Strictly less work than lake: no per-record watermark (SQL cannot express "max of the
  records *accepted* before this one" without a sequential scan), so no `late` and no
  watermark-bounded dedup state; no clock-skew check; no quarantine table with reasons;
  `from_json` coerces wrong types instead of rejecting them.
- gold: sessions per user with LAG over event_time (a new session when the gap exceeds
  30 minutes; exactly 30:00.000 continues one) and a running SUM of the new-session flags,
  then one GROUP BY: start, end, window_end, events, purchase/cart/abandoned flags, revenue.
  `is_closed` compares window_end with the final watermark (max event time − 10 min). It
  recomputes everything from all of silver (lake's gold is incremental, carries open
  sessions as checkpointed state, and also writes every session to SQLite).
"""

import glob
import json
import os
import sys
import time

import duckdb

from benchlib import medallion_args, tree_stats

# The event's JSON structure; from_json parses each line once into these typed fields.
EVENT_STRUCTURE = json.dumps({
    "eventId": "VARCHAR", "eventType": "VARCHAR", "userId": "VARCHAR", "sessionId": "VARCHAR",
    "pageUrl": "VARCHAR", "timestamp": "VARCHAR",
    "device": {"type": "VARCHAR", "os": "VARCHAR", "ip": "VARCHAR"},
    "data": {"productId": "VARCHAR", "productName": "VARCHAR", "category": "VARCHAR",
             "price": "DOUBLE", "currency": "VARCHAR", "searchQuery": "VARCHAR",
             "totalAmount": "DOUBLE"},
})

SESSION_GAP = "INTERVAL 30 MINUTE"
WATERMARK_DELAY = "INTERVAL 10 MINUTE"


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def bronze(con, landing, out):
    target = os.path.join(out, "bronze")
    os.makedirs(target, exist_ok=True)
    prefix = landing.rstrip("/") + "/"
    pattern = [os.path.join(landing, "*" + ext) for ext in (".json", ".jsonl", ".ndjson")]
    files = sorted(p for pat in pattern for p in glob.glob(pat))
    if not files:
        sys.exit(f"duckdb_medallion: no landing files in {landing}")
    file_list = "[" + ", ".join(sql_string(f) for f in files) + "]"
    con.execute(f"""
        COPY (
          WITH raw AS (
            SELECT row_number() OVER () AS ingest_id, filename, body
            FROM read_csv({file_list}, columns = {{'body': 'VARCHAR'}}, header = false,
                          delim = E'\\x01', quote = '', escape = '', auto_detect = false,
                          filename = true, max_line_size = 2097152)
          )
          SELECT ingest_id,
                 now() AS ingested_at,
                 replace(filename, {sql_string(prefix)}, '') AS source,
                 coalesce(sum(strlen(body) + 1) OVER (
                   PARTITION BY filename ORDER BY ingest_id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT AS source_offset,
                 encode(body) AS body
          FROM raw
          ORDER BY ingest_id
        ) TO {sql_string(os.path.join(target, "part-0.parquet"))}
          (FORMAT parquet, COMPRESSION zstd)
    """)
    return target


def silver(con, out):
    source = os.path.join(out, "bronze", "*.parquet")
    target = os.path.join(out, "silver")
    con.execute(f"""
        COPY (
          WITH parsed AS (
            SELECT ingest_id, try(from_json(decode(body), {sql_string(EVENT_STRUCTURE)})) AS j
            FROM read_parquet({sql_string(source)})
          ),
          typed AS (
            SELECT j.eventId AS event_id, j.eventType AS event_type, j.userId AS user_id,
                   j.sessionId AS session_id, j.pageUrl AS page_url,
                   try_cast(j."timestamp" AS TIMESTAMPTZ) AS event_time,
                   j.device.type AS device_type, j.device.os AS device_os, j.device.ip AS device_ip,
                   j.data.productId AS product_id, j.data.productName AS product_name,
                   j.data.category AS category, j.data.price AS price, j.data.currency AS currency,
                   j.data.searchQuery AS search_query, j.data.totalAmount AS total_amount,
                   ingest_id
            FROM parsed
          )
          SELECT *, strftime(event_time, '%Y-%m-%d') AS date
          FROM typed
          WHERE event_id IS NOT NULL AND event_type IS NOT NULL AND user_id IS NOT NULL
            AND event_time IS NOT NULL
          QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingest_id) = 1
        ) TO {sql_string(target)}
          (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE)
    """)
    return target


def gold(con, out):
    source = os.path.join(out, "silver", "*", "*.parquet")
    target = os.path.join(out, "gold")
    os.makedirs(target, exist_ok=True)
    con.execute(f"""
        COPY (
          WITH events AS (
            SELECT user_id, event_time, event_type, total_amount, ingest_id
            FROM read_parquet({sql_string(source)}, hive_partitioning = false)
          ),
          flagged AS (
            SELECT *,
                   CASE WHEN event_time - lag(event_time) OVER w <= {SESSION_GAP} THEN 0 ELSE 1 END
                     AS new_session
            FROM events
            WINDOW w AS (PARTITION BY user_id ORDER BY event_time, ingest_id)
          ),
          numbered AS (
            SELECT *, sum(new_session) OVER (PARTITION BY user_id ORDER BY event_time, ingest_id
                                             ROWS UNBOUNDED PRECEDING) AS session_no
            FROM flagged
          ),
          watermark AS (SELECT max(event_time) - {WATERMARK_DELAY} AS w FROM events),
          sessions AS (
            SELECT user_id,
                   min(event_time) AS session_start,
                   max(event_time) AS session_end,
                   max(event_time) + {SESSION_GAP} AS window_end,
                   count(*) AS events_count,
                   max(CASE WHEN event_type = 'PURCHASE' THEN 1 ELSE 0 END)::INTEGER AS is_purchased,
                   max(CASE WHEN event_type = 'ADD_TO_CART' THEN 1 ELSE 0 END)::INTEGER
                     AS has_cart_activity,
                   coalesce(sum(CASE WHEN event_type = 'PURCHASE' THEN total_amount END), 0)::DOUBLE
                     AS session_revenue
            FROM numbered
            GROUP BY user_id, session_no
          )
          SELECT user_id, session_start, session_end, window_end, events_count, is_purchased,
                 has_cart_activity,
                 (has_cart_activity = 1 AND is_purchased = 0)::INTEGER AS is_abandoned_cart,
                 session_revenue,
                 (window_end <= (SELECT w FROM watermark))::INTEGER AS is_closed
          FROM sessions
        ) TO {sql_string(os.path.join(target, "part-0.parquet"))}
          (FORMAT parquet, COMPRESSION zstd)
    """)
    return target


def main():
    args = medallion_args(__doc__.split("\n")[0])

    con = duckdb.connect()  # in memory; default threads (one per core) and memory limit
    con.execute("SET TimeZone = 'UTC'")
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    started = time.perf_counter()
    if args.stage == "bronze":
        target = bronze(con, os.path.abspath(args.landing), args.out)
    elif args.stage == "silver":
        target = silver(con, args.out)
    else:
        target = gold(con, args.out)
    seconds = time.perf_counter() - started
    rows = con.execute(
        f"SELECT count(*) FROM read_parquet({sql_string(os.path.join(target, '**', '*.parquet'))}, "
        "hive_partitioning = false)").fetchall()[0][0]
    files, size = tree_stats(target)
    print(json.dumps({"stage": args.stage, "rows": rows, "files": files, "bytes": size,
                      "seconds": round(seconds, 3), "threads": threads,
                      "duckdb": duckdb.__version__}))


if __name__ == "__main__":
    main()
