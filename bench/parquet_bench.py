#!/usr/bin/env python3
"""Our Parquet writer and reader against pyarrow's, on the silver table `lake` produced.

    python3 bench/parquet_bench.py --silver LAKE/silver_clickstream --parquet-tool BIN --work DIR

1. The silver files (one per event date) are merged with pyarrow into one file,
   `DIR/silver-merged.parquet` (zstd, 128Ki-row row groups), unless there is only one.
2. pyarrow: the merged file is read into memory once; then `pq.write_table(table, …,
   compression="zstd")` (pyarrow's defaults otherwise: zstd level 1, 1Mi-row row groups,
   dictionary on) and `pq.read_table(…)` (default: multithreaded; also timed single-threaded)
   are timed.
3. ours: `parquet-tool bench FILE --out OUT` reads the same file into memory with our reader,
   then times our writer (zstd level 1, 128Ki-row row groups) and our reader on the copy, and
   checks the copy reads back identical values.

Each timing is the best of --repeat runs (the machine is shared). MB/s divides the table's
Arrow in-memory size (`table.nbytes`) by the time, the same numerator for both sides, so the
MB/s ratio equals the rows/s ratio. Prints one JSON object.
"""

import argparse
import glob
import json
import os
import subprocess
import time

import pyarrow as pa
import pyarrow.parquet as pq


def best(repeat, action):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--silver", required=True, help="silver table folder (date=*/part-*.parquet)")
    parser.add_argument("--parquet-tool", required=True)
    parser.add_argument("--work", required=True, help="scratch folder for the copies")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    files = sorted(f for f in glob.glob(os.path.join(args.silver, "**", "*.parquet"), recursive=True)
                   if "_delta_log" not in f.split(os.sep))
    if not files:
        raise SystemExit(f"parquet_bench: no Parquet files under {args.silver}")
    if len(files) == 1:
        source = files[0]
    else:
        source = os.path.join(args.work, "silver-merged.parquet")
        merged = pa.concat_tables([pq.read_table(f) for f in files])
        pq.write_table(merged, source, compression="zstd", row_group_size=128 * 1024)
        del merged

    table = pq.read_table(source)
    rows, nbytes = table.num_rows, table.nbytes

    pa_out = os.path.join(args.work, "pyarrow.parquet")
    pa_write = best(args.repeat, lambda: pq.write_table(table, pa_out, compression="zstd"))
    pa_read = best(args.repeat, lambda: pq.read_table(pa_out))
    pa_read_1t = best(args.repeat, lambda: pq.read_table(pa_out, use_threads=False))
    pa_meta = pq.ParquetFile(pa_out).metadata

    ours_out = os.path.join(args.work, "ours.parquet")
    runs = []
    for _ in range(args.repeat):
        done = subprocess.run([args.parquet_tool, "bench", source, "--out", ours_out],
                              check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout))
    ours_write = min(r["write_seconds"] for r in runs)
    ours_read = min(r["read_seconds"] for r in runs)
    # the copy must be a file pyarrow reads with the same values
    same = pq.read_table(ours_out).equals(table)

    print(json.dumps({
        "source": source, "source_files": len(files), "rows": rows, "table_nbytes": nbytes,
        "source_bytes": os.path.getsize(source), "repeat": args.repeat,
        "pyarrow": {"version": pa.__version__, "write_seconds": pa_write, "read_seconds": pa_read,
                    "read_seconds_1thread": pa_read_1t, "bytes": os.path.getsize(pa_out),
                    "row_groups": pa_meta.num_row_groups},
        "ours": {"write_seconds": ours_write, "read_seconds": ours_read,
                 "bytes": runs[-1]["bytes"], "row_groups": runs[-1].get("row_groups"),
                 "pyarrow_reads_identical": same},
    }))


if __name__ == "__main__":
    main()
