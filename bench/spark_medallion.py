#!/usr/bin/env python3
"""The optional third column of `make bench` (BENCH_SPARK=1): the medallion work of
`bench/duckdb_medallion.py`, done by Apache Spark in local mode (PySpark, `local[*]`: one task
slot per core), the engine the seed documents run on a cluster.

One stage per process, as for DuckDB, so `/usr/bin/time -v` gives each its wall time and peak
RSS (the JVM is a child of this process and is counted):

    python3 bench/spark_medallion.py bronze --landing LAKE/landing/clickstream --out OUT
    python3 bench/spark_medallion.py silver --out OUT
    python3 bench/spark_medallion.py gold   --out OUT

Each prints one JSON line like duckdb_medallion.py: stage, rows, files, bytes, `seconds` spent
in the job (without JVM start-up, which the process wall time includes), Spark's version.

Same work and the same shortcuts as the DuckDB reference (see its docstring): bronze keeps
each line with a row number, arrival time, file name and byte offset (a running sum of line
lengths per file); silver parses with `from_json`, drops lines without the required fields or a
parseable timestamp, keeps the first row per eventId by ingest_id, writes Parquet partitioned
by event date; gold numbers sessions per user with LAG over event_time (a gap of more than
30 minutes starts one) and aggregates them. No per-record watermark, no quarantine table.
Settings: ZSTD Parquet, `spark.sql.shuffle.partitions` = 2 × cores (Spark's default of 200
is meant for clusters; a local user sets it down), 4 GB driver memory, UTC session time zone.
"""

import glob
import json
import os
import sys
import time

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from benchlib import medallion_args, proc_peak_rss_kb, tree_stats

EVENT_SCHEMA = T.StructType([
    T.StructField("eventId", T.StringType()), T.StructField("eventType", T.StringType()),
    T.StructField("userId", T.StringType()), T.StructField("sessionId", T.StringType()),
    T.StructField("pageUrl", T.StringType()), T.StructField("timestamp", T.StringType()),
    T.StructField("device", T.StructType([
        T.StructField("type", T.StringType()), T.StructField("os", T.StringType()),
        T.StructField("ip", T.StringType())])),
    T.StructField("data", T.StructType([
        T.StructField("productId", T.StringType()), T.StructField("productName", T.StringType()),
        T.StructField("category", T.StringType()), T.StructField("price", T.DoubleType()),
        T.StructField("currency", T.StringType()), T.StructField("searchQuery", T.StringType()),
        T.StructField("totalAmount", T.DoubleType())])),
])

SESSION_GAP_SECONDS = 30 * 60
WATERMARK_DELAY_SECONDS = 10 * 60


def bronze(spark, landing, out):
    target = os.path.join(out, "bronze")
    files = sorted(p for ext in (".json", ".jsonl", ".ndjson") for p in glob.glob(os.path.join(landing, "*" + ext)))
    if not files:
        sys.exit(f"spark_medallion: no landing files in {landing}")
    prefix = "file://" + landing.rstrip("/") + "/"
    raw = (spark.read.text(files)
           .withColumn("source", F.regexp_replace(F.input_file_name(), "^" + prefix.replace(".", "\\."), ""))
           .withColumn("ingest_id", F.monotonically_increasing_id()))
    per_file = Window.partitionBy("source").orderBy("ingest_id").rowsBetween(Window.unboundedPreceding, -1)
    rows = raw.select(
        "ingest_id", F.current_timestamp().alias("ingested_at"), "source",
        F.coalesce(F.sum(F.octet_length("value") + 1).over(per_file), F.lit(0)).cast("long").alias("source_offset"),
        F.col("value").cast("binary").alias("body"))
    rows.write.mode("overwrite").option("compression", "zstd").parquet(target)
    return target


def silver(spark, out):
    source = os.path.join(out, "bronze")
    target = os.path.join(out, "silver")
    j = F.from_json(F.col("body").cast("string"), EVENT_SCHEMA)
    parsed = spark.read.parquet(source).select("ingest_id", j.alias("j"))
    typed = parsed.select(
        F.col("j.eventId").alias("event_id"), F.col("j.eventType").alias("event_type"),
        F.col("j.userId").alias("user_id"), F.col("j.sessionId").alias("session_id"),
        F.col("j.pageUrl").alias("page_url"),
        F.to_timestamp(F.col("j.timestamp")).alias("event_time"),
        F.col("j.device.type").alias("device_type"), F.col("j.device.os").alias("device_os"),
        F.col("j.device.ip").alias("device_ip"), F.col("j.data.productId").alias("product_id"),
        F.col("j.data.productName").alias("product_name"), F.col("j.data.category").alias("category"),
        F.col("j.data.price").alias("price"), F.col("j.data.currency").alias("currency"),
        F.col("j.data.searchQuery").alias("search_query"),
        F.col("j.data.totalAmount").alias("total_amount"), "ingest_id")
    valid = typed.where(
        F.col("event_id").isNotNull() & F.col("event_type").isNotNull() & F.col("user_id").isNotNull()
        & F.col("event_time").isNotNull())
    first = Window.partitionBy("event_id").orderBy("ingest_id")
    deduped = (valid.withColumn("n", F.row_number().over(first)).where(F.col("n") == 1).drop("n")
               .withColumn("date", F.date_format("event_time", "yyyy-MM-dd")))
    deduped.write.mode("overwrite").option("compression", "zstd").partitionBy("date").parquet(target)
    return target


def gold(spark, out):
    source = os.path.join(out, "silver")
    target = os.path.join(out, "gold")
    events = spark.read.parquet(source).select("user_id", "event_time", "event_type", "total_amount", "ingest_id")
    w = Window.partitionBy("user_id").orderBy("event_time", "ingest_id")
    seconds = F.col("event_time").cast("double")
    flagged = events.withColumn(
        "new_session",
        F.when(seconds - F.lag(seconds).over(w) <= SESSION_GAP_SECONDS, 0).otherwise(1))
    numbered = flagged.withColumn(
        "session_no", F.sum("new_session").over(w.rowsBetween(Window.unboundedPreceding, 0)))
    watermark = events.agg(F.max("event_time")).first()[0]
    sessions = numbered.groupBy("user_id", "session_no").agg(
        F.min("event_time").alias("session_start"), F.max("event_time").alias("session_end"),
        F.count(F.lit(1)).cast("long").alias("events_count"),
        F.max(F.when(F.col("event_type") == "PURCHASE", 1).otherwise(0)).alias("is_purchased"),
        F.max(F.when(F.col("event_type") == "ADD_TO_CART", 1).otherwise(0)).alias("has_cart_activity"),
        F.coalesce(F.sum(F.when(F.col("event_type") == "PURCHASE", F.col("total_amount"))), F.lit(0.0))
        .alias("session_revenue"))
    window_end = F.col("session_end") + F.expr(f"INTERVAL {SESSION_GAP_SECONDS} SECONDS")
    result = sessions.select(
        "user_id", "session_start", "session_end", window_end.alias("window_end"), "events_count",
        "is_purchased", "has_cart_activity",
        ((F.col("has_cart_activity") == 1) & (F.col("is_purchased") == 0)).cast("int").alias("is_abandoned_cart"),
        "session_revenue",
        (window_end <= F.lit(watermark) - F.expr(f"INTERVAL {WATERMARK_DELAY_SECONDS} SECONDS"))
        .cast("int").alias("is_closed"))
    result.write.mode("overwrite").option("compression", "zstd").parquet(target)
    return target


def main():
    args = medallion_args(__doc__.split("\n")[0])
    cores = os.cpu_count() or 1
    spark = (SparkSession.builder.master("local[*]").appName(f"lake-bench-{args.stage}")
             .config("spark.sql.shuffle.partitions", str(2 * cores))
             .config("spark.driver.memory", "4g")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    out = os.path.abspath(args.out)
    started = time.perf_counter()
    if args.stage == "bronze":
        target = bronze(spark, os.path.abspath(args.landing), out)
    elif args.stage == "silver":
        target = silver(spark, out)
    else:
        target = gold(spark, out)
    seconds = time.perf_counter() - started
    rows = spark.read.parquet(target).count()
    files, size = tree_stats(target)
    print(json.dumps({"stage": args.stage, "rows": rows, "files": files, "bytes": size,
                      "seconds": round(seconds, 3), "threads": cores, "spark": spark.version,
                      "jvm_peak_rss_kb": jvm_peak_rss_kb(spark)}))
    spark.stop()


def jvm_peak_rss_kb(spark):
    """The JVM's peak RSS: `/usr/bin/time` around this script sees only Python, as the JVM is
    not reaped by it."""
    try:
        return proc_peak_rss_kb(spark.sparkContext._gateway.proc.pid)
    except AttributeError:
        return None


if __name__ == "__main__":
    main()
