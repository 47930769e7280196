#!/usr/bin/env python3
"""HTTP ingest under load: `lake serve` on a free loopback port, 8 client threads each POSTing
NDJSON requests of 1,000 events to `/ingest/clickstream` (keep-alive, one request in flight per
thread) for N seconds; then a check that bronze holds exactly what was acknowledged.

    python3 bench/http_load.py [--lake-bin BIN] [--seconds 20] [--clients 8] [--results FILE]

Reported: acknowledged events/s and requests/s over the load's wall time, p50/p99/max request
latency (send → 200 answer, which `lake serve` gives only after the commit), failed requests,
and the CPU the server used (utime+stime from /proc/<pid>/stat over the wall time, in cores).

The check (DuckDB over the bronze Parquet files the catalog lists as live, rows with
source = 'http'): their count equals the sum of the acknowledged `lines`; every answer's
[first_ingest_id, last_ingest_id] spans exactly its `lines`; the ranges are pairwise disjoint;
every http row's ingest_id lies in one of them and no ingest_id repeats (so the ranges cover the
rows exactly); and a sample of requests' bodies equals, byte for byte, the rows of their range.

The Markdown section is printed and, with --results, put into that file between marker
comments (replacing an earlier one, else appended). Environment: LAKE_BIN, HTTP_SECONDS,
HTTP_CLIENTS, HTTP_EVENTS_PER_REQUEST.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from benchlib import interrupt, percentile, proc_cpu_seconds, put_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BEGIN = "<!-- bench/http_load.py: begin -->"
END = "<!-- bench/http_load.py: end -->"


def log(msg):
    print(f"http_load: {msg}", file=sys.stderr, flush=True)


def start_server(lake_bin, lake, jobs, errlog, extra_env=None, *extra):
    """`lake serve --port 0`; returns (process, port) once it listens."""
    env = dict(os.environ, **(extra_env or {}))
    proc = subprocess.Popen([lake_bin, "serve", "--port", "0", "--lake", str(lake), "--jobs", str(jobs), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 60
    line = b""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        errlog.write(line)
        m = re.search(rb"http://[^:/]+:(\d+)/", line)
        if m:
            # Keep draining stderr so the server never blocks on a full pipe.
            threading.Thread(target=lambda: shutil.copyfileobj(proc.stderr, errlog), daemon=True).start()
            return proc, int(m.group(1))
    proc.kill()
    raise SystemExit(f"http_load: lake serve did not start: {line.decode(errors='replace')}")


def make_bodies(lake_bin, jobs, work, per_request, count):
    """`count` request bodies of `per_request` consecutive `lake generate` events each."""
    gen = work / "generated"
    if gen.exists():
        shutil.rmtree(gen)
    subprocess.run([lake_bin, "generate", "--lake", str(work / "gen-lake"), "--jobs", str(jobs),
                    "--events", str(per_request * count), "--users", "1000", "--seed", "11",
                    "--out", str(gen)], check=True, capture_output=True)
    lines = (gen / "events-00000.jsonl").read_bytes().splitlines(keepends=True)
    return [b"".join(lines[i * per_request:(i + 1) * per_request]) for i in range(count)]


class Client(threading.Thread):
    def __init__(self, port, bodies, deadline, index):
        super().__init__(daemon=True)
        self.port, self.bodies, self.deadline, self.index = port, bodies, deadline, index
        self.acks = []        # (first, last, lines, body index)
        self.latencies = []
        self.failures = []

    def run(self):
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        i = self.index
        while time.monotonic() < self.deadline:
            k = i % len(self.bodies)
            i += 1
            body = self.bodies[k]
            t0 = time.monotonic()
            try:
                con.request("POST", "/ingest/clickstream", body=body,
                            headers={"Content-Type": "application/x-ndjson"})
                resp = con.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as e:
                self.failures.append(repr(e))
                con.close()
                con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.latencies.append(time.monotonic() - t0)
            if resp.status != 200:
                self.failures.append(f"{resp.status} {data[:200]!r}")
                continue
            a = json.loads(data)
            self.acks.append((a["first_ingest_id"], a["last_ingest_id"], a["lines"], k))
        con.close()


def check_bronze(lake, acks, bodies, per_request):
    """The bronze http rows are exactly the acknowledged ones; returns a list of problems."""
    import sqlite3
    problems = []
    con = sqlite3.connect(f"file:{lake / 'catalog.db'}?mode=ro", uri=True)
    paths = [str(lake / p) for (p,) in con.execute(
        "SELECT f.path FROM lake_data_file f JOIN lake_table t USING (table_id) "
        "WHERE t.table_name = 'bronze_clickstream' AND f.end_snapshot IS NULL").fetchall()]
    con.close()
    acked = sum(n for _, _, n, _ in acks)
    for first, last, n, _ in acks:
        if n != per_request or last - first + 1 != n:
            problems.append(f"answer [{first}, {last}] for {n} lines")
    ranges = sorted((f, l) for f, l, _, _ in acks)
    for (f0, l0), (f1, l1) in zip(ranges, ranges[1:]):
        if f1 <= l0:
            problems.append(f"ranges [{f0}, {l0}] and [{f1}, {l1}] overlap")
    db = duckdb.connect()
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    db.execute(f"CREATE VIEW bronze AS SELECT * FROM read_parquet([{quoted}], hive_partitioning = false) "
               "WHERE source = 'http'")
    db.execute("CREATE TABLE acks (first BIGINT, last BIGINT)")
    db.executemany("INSERT INTO acks VALUES (?, ?)", ranges)
    rows, distinct = db.sql("SELECT count(*), count(DISTINCT ingest_id) FROM bronze").fetchall()[0]
    outside = db.sql("SELECT count(*) FROM bronze b WHERE NOT EXISTS "
                     "(SELECT 1 FROM acks a WHERE b.ingest_id BETWEEN a.first AND a.last)").fetchall()[0][0]
    if rows != acked:
        problems.append(f"bronze holds {rows} http rows, {acked} lines were acknowledged")
    if distinct != rows:
        problems.append(f"{rows - distinct} repeated ingest ids")
    if outside:
        problems.append(f"{outside} http rows outside every acknowledged range")
    # Byte-exact bodies for a sample of requests (every 25th answer), in one scan.
    sample = acks[::25]
    db.execute("CREATE TABLE sample (first BIGINT, last BIGINT)")
    db.executemany("INSERT INTO sample VALUES (?, ?)", [(f, l) for f, l, _, _ in sample])
    got = {}
    for first, body in db.sql("SELECT s.first, b.body FROM bronze b JOIN sample s "
                              "ON b.ingest_id BETWEEN s.first AND s.last ORDER BY b.ingest_id").fetchall():
        got.setdefault(first, []).append(bytes(body) + b"\n")
    for first, last, _, k in sample:
        if b"".join(got.get(first, [])) != bodies[k]:
            problems.append(f"bronze rows {first}..{last} differ from the body sent")
    return problems, rows, len(paths)


def markdown(r, started):
    load = open("/proc/loadavg").read().split()[:3]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    w = [BEGIN, "## HTTP ingest under load: `lake serve`, `POST /ingest/clickstream`", ""]
    w.append(f"Written by `bench/http_load.py` on {started} at commit `{commit}` (load average "
             f"{' '.join(load)} at the end). {r['clients']} Python client threads, each with one "
             f"keep-alive connection and one request in flight, POST {r['per_request']:,}-event NDJSON "
             f"bodies ({r['body_bytes'] / 1e3:,.0f} KB) for {r['seconds']:.0f} s. Every 200 answer comes "
             "after the request's bronze commit (Parquet file fsynced, catalog transaction committed); "
             "requests are committed one at a time. Latency: send → answer. CPU: the server process "
             "(1.00 = one core); the clients share the two cores.")
    w.append("")
    w.append("| clients | events/request | requests | events/s | requests/s | MB/s | p50 ms | p99 ms | max ms "
             "| failed | server CPU (cores) | bronze = acknowledged |")
    w.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    w.append(f"| {r['clients']} | {r['per_request']:,} | {r['requests']:,} | {r['events_per_s']:,.0f} "
             f"| {r['requests_per_s']:,.1f} | {r['mb_per_s']:,.1f} | {r['p50'] * 1000:,.0f} | {r['p99'] * 1000:,.0f} "
             f"| {r['max'] * 1000:,.0f} | {r['failed']} | {r['cpu_cores']:.2f} "
             f"| {'yes' if not r['problems'] else 'NO: ' + '; '.join(r['problems'][:3])} |")
    w.append("")
    w.append(f"Bronze after the load: {r['bronze_rows']:,} http rows in {r['bronze_files']:,} files (one per "
             f"request; `lake compact` or `--follow` merges them); the {r['requests']:,} acknowledged "
             "ranges are disjoint, each spans its `lines`, and together they cover the http rows exactly "
             "(DuckDB over the live bronze files); every 25th request's body is byte-identical to its rows.")
    w.append(END)
    return "\n".join(w) + "\n"


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lake-bin", default=env("LAKE_BIN", str(ROOT / ".build" / "release" / "lake")))
    ap.add_argument("--jobs", type=Path, default=ROOT / "jobs")
    ap.add_argument("--work", type=Path, default=Path(env("BENCH_OUT", str(HERE / "out"))) / "http")
    ap.add_argument("--seconds", type=float, default=float(env("HTTP_SECONDS", "20")))
    ap.add_argument("--clients", type=int, default=int(env("HTTP_CLIENTS", "8")))
    ap.add_argument("--per-request", type=int, default=int(env("HTTP_EVENTS_PER_REQUEST", "1000")))
    ap.add_argument("--results", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not os.access(args.lake_bin, os.X_OK):
        raise SystemExit(f"http_load: {args.lake_bin} is missing; build it with: swift build -c release")
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    bodies = make_bodies(args.lake_bin, args.jobs, args.work, args.per_request, 64)
    lake = args.work / "lake"
    errlog = open(args.work / "serve.err", "wb")
    proc, port = start_server(args.lake_bin, lake, args.jobs, errlog)
    try:
        cpu0 = proc_cpu_seconds(proc.pid)
        t0 = time.monotonic()
        clients = [Client(port, bodies, t0 + args.seconds, i * 7) for i in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        wall = time.monotonic() - t0
        cpu = proc_cpu_seconds(proc.pid) - cpu0
    finally:
        code = interrupt(proc, 60)
        errlog.close()
    if code != 0:
        log(f"lake serve exited {code} after SIGINT (see {args.work / 'serve.err'})")
    acks = [a for c in clients for a in c.acks]
    lat = [x for c in clients for x in c.latencies]
    failures = [f for c in clients for f in c.failures]
    problems, bronze_rows, bronze_files = check_bronze(lake, acks, bodies, args.per_request)
    events = sum(n for _, _, n, _ in acks)
    r = dict(clients=args.clients, per_request=args.per_request, seconds=wall, requests=len(acks),
             events=events, events_per_s=events / wall, requests_per_s=len(acks) / wall,
             body_bytes=sum(map(len, bodies)) / len(bodies),
             mb_per_s=sum(len(bodies[k]) for *_, k in acks) / wall / 1e6,
             p50=percentile(lat, 50) if lat else float("nan"), p99=percentile(lat, 99) if lat else float("nan"),
             max=max(lat) if lat else float("nan"), failed=len(failures), failures=failures[:5],
             cpu_cores=cpu / wall, bronze_rows=bronze_rows, bronze_files=bronze_files, problems=problems,
             exit_code=code)
    log(f"{len(acks):,} requests, {r['events_per_s']:,.0f} events/s, {r['requests_per_s']:.1f} req/s, "
        f"p50 {r['p50'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms, failed {len(failures)}, "
        f"server CPU {r['cpu_cores']:.2f}; problems: {problems or 'none'}")
    md = markdown(r, started)
    print(md)
    if args.results:
        put_section(args.results, md, BEGIN, END)
    if args.json:
        args.json.write_text(json.dumps(r, indent=1))
    if problems or failures or code != 0:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
