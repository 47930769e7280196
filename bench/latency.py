#!/usr/bin/env python3
"""End-to-end latency of `lake run all --follow`: from a line appended to a landing file to its
session row in gold (SQLite `gold_session_stats`).

    python3 bench/latency.py [--lake-bin BIN] [--rate 10000] [--seconds 60] [--results FILE]

1. A fresh lake; `lake run all --follow --interval 1` runs on it.
2. A writer appends events to `landing/clickstream/events-live.jsonl` at a target rate, one
   `write(2)` per 10 ms tick (the events due by then). The events are `lake generate` lines with
   a unique `eventId`, `userId` cycling over `--users` users and `timestamp` = now, so the
   watermark and the clock-skew guard see live traffic (nothing late, nothing in the future).
3. Every 100 ms one event of the tick is a *sample*: it belongs to a user of its own
   (`lat_0000042`), so the sample is in gold exactly when a session row of that user exists. Its
   append time is taken when `write(2)` returned.
4. A poller thread queries SQLite (read-only, a fresh read transaction each time) every 10 ms for
   sample users' rows and notes when each first appears. latency = seen − appended (resolution
   ~10 ms: the poll interval).
5. After the writer stops, it waits until every sample is visible: the *final lag* is the time
   from the last append (itself a sample) to its visibility. The follow process is stopped with
   SIGINT and must exit 0; bronze must then hold exactly the lines written.

Reported per run: p50/p99/max latency, final lag, CPU used by the lake process
(utime+stime from /proc/<pid>/stat over the wall time from the first append to the last
visible sample, in cores), its peak RSS, passes per second (the lines it prints per pass).

A run *falls behind* when p99 > 2 s, the final lag > 2 s, or latency grows during the run
(median of the last quarter of samples − median of the first quarter > 0.5 s: a backlog
building up). A sweep (`--sweep`, 15 s per rate) doubles the rate until a run falls behind, then
tries the midpoint once; the highest rate that did not fall behind is the sustained maximum.
A run whose writer could not reach 95% of its target rate (the writer is Python on the same two
cores) is marked writer-limited and ends the sweep.

The Markdown table is printed and, with --results, put into that file between marker comments
(replacing an earlier latency section, else appended at the end).
Environment: LAKE_BIN, LATENCY_SECONDS, LATENCY_RATE, LATENCY_USERS, LATENCY_SWEEP
("10000,20000,…" or "0" for none), LATENCY_SWEEP_SECONDS.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchlib import interrupt, percentile, proc_cpu_seconds, proc_peak_rss_kb, put_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BEGIN = "<!-- bench/latency.py: begin -->"
END = "<!-- bench/latency.py: end -->"

TICK = 0.010          # the writer appends every 10 ms
SAMPLE_EVERY = 0.100  # one sample per 100 ms
POLL = 0.010          # the poller queries SQLite every 10 ms
BEHIND_P99 = 2.0
BEHIND_LAG = 2.0
BEHIND_GROWTH = 0.5


def log(msg):
    print(f"latency: {msg}", file=sys.stderr, flush=True)


def median(values):
    return percentile(values, 50)


class EventFactory:
    """Realistic event lines (`lake generate` output) as %-templates with the event id, user and
    timestamp left open."""

    def __init__(self, lake_bin, jobs, work, users):
        gen = work / "templates"
        if gen.exists():
            shutil.rmtree(gen)
        subprocess.run([lake_bin, "generate", "--lake", str(work / "template-lake"), "--jobs", str(jobs),
                        "--events", "500", "--users", "50", "--seed", "7", "--out", str(gen)],
                       check=True, capture_output=True)
        self.templates = []
        for line in (gen / "events-00000.jsonl").read_text().splitlines():
            d = json.loads(line)
            d["eventId"], d["userId"], d["timestamp"] = "@E@", "@U@", "@T@"
            t = json.dumps(d, separators=(",", ":"), ensure_ascii=False).replace("%", "%%")
            t = t.replace('"@E@"', '"%(e)s"').replace('"@U@"', '"%(u)s"').replace('"@T@"', '"%(t)s"')
            self.templates.append(t + "\n")
        self.users = users
        self.tag = os.urandom(4).hex()
        self.n = 0

    def lines(self, count, iso, sample_user=None):
        """`count` events at time `iso`; the last one belongs to `sample_user` when given."""
        tpl, users, tag, n0 = self.templates, self.users, self.tag, self.n
        k = len(tpl)
        out = [tpl[(n0 + i) % k] % {"e": f"{tag}-{n0 + i:x}", "u": f"user_{(n0 + i) % users}", "t": iso}
               for i in range(count)]
        if sample_user is not None and out:
            i = count - 1
            out[-1] = tpl[(n0 + i) % k] % {"e": f"{tag}-{n0 + i:x}", "u": sample_user, "t": iso}
        self.n += count
        return "".join(out).encode()


def iso_now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


class Poller(threading.Thread):
    """Notes when each sample user's first gold row appears."""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db = db
        self.seen = {}           # user -> monotonic time first seen
        self.next_unseen = 0     # every sample below this index has been seen
        self.stop = threading.Event()
        self.polls = 0

    def run(self):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, check_same_thread=False)
        con.execute("PRAGMA busy_timeout = 1000")
        while not self.stop.is_set():
            low = sample_user(self.next_unseen)
            rows = con.execute("SELECT DISTINCT user_id FROM gold_session_stats "
                               "WHERE user_id >= ? AND user_id < 'lat`'", (low,)).fetchall()
            now = time.monotonic()
            self.polls += 1
            for (u,) in rows:
                self.seen.setdefault(u, now)
            while sample_user(self.next_unseen) in self.seen:
                self.next_unseen += 1
            time.sleep(POLL)
        con.close()


def sample_user(i):
    return "lat_%07d" % i


def wait_for_gold_table(db, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"latency: lake exited {proc.returncode} before gold was set up")
        if db.exists():
            try:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
                ok = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'gold_session_stats'").fetchall()[0][0]
                con.close()
                if ok:
                    return
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    raise SystemExit("latency: gold_session_stats did not appear within a minute")


def one_run(args, factory, rate, seconds, name):
    """One follow process on a fresh lake at `rate` events/s for `seconds`; returns its figures."""
    lake = args.work / f"lake-{name}"
    if lake.exists():
        shutil.rmtree(lake)
    landing = lake / "landing" / "clickstream"
    landing.mkdir(parents=True)
    errlog = open(args.work / f"follow-{name}.err", "wb")
    proc = subprocess.Popen([args.lake_bin, "run", "all", "--follow", "--interval", "1",
                             "--lake", str(lake), "--jobs", str(args.jobs)],
                            stdout=subprocess.DEVNULL, stderr=errlog)
    try:
        db = lake / "catalog.db"
        wait_for_gold_table(db, proc)
        poller = Poller(db)
        poller.start()
        fd = os.open(landing / "events-live.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        appended = []            # monotonic append time per sample
        written = lines_total = 0
        writer_cpu0 = time.process_time()
        cpu0 = proc_cpu_seconds(proc.pid)
        t0 = time.monotonic()
        next_sample = t0
        tick = 0
        late_ticks = 0
        while True:
            now = time.monotonic()
            elapsed = now - t0
            last = elapsed >= seconds
            due = int(rate * min(elapsed, seconds)) - written
            want_sample = now >= next_sample or last
            if due > 0 or want_sample:
                count = max(due, 1)
                user = sample_user(len(appended)) if want_sample else None
                data = factory.lines(count, iso_now(), user)
                os.write(fd, data)
                done = time.monotonic()
                if user is not None:
                    appended.append(done)
                    next_sample += SAMPLE_EVERY
                written += count
                lines_total += count
            if last:
                break
            tick += 1
            pause = t0 + tick * TICK - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:
                late_ticks += 1
        t_last = time.monotonic()
        os.close(fd)
        write_seconds = t_last - t0
        writer_cpu = time.process_time() - writer_cpu0
        # Wait until every sample is visible (or give up: the lake is far behind).
        deadline = t_last + max(60.0, seconds * 2)
        target = sample_user(len(appended) - 1)
        while target not in poller.seen and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.005)
        t_end = time.monotonic()
        cpu = proc_cpu_seconds(proc.pid) - cpu0 if proc.poll() is None else float("nan")
        rss_kb = proc_peak_rss_kb(proc.pid)
        rss = rss_kb / 1024 if rss_kb is not None else float("nan")
        poller.stop.set()
        poller.join()
    finally:
        code = interrupt(proc, 120)
        errlog.close()
    if code != 0:
        raise SystemExit(f"latency: the follow process exited {code}; see {args.work / f'follow-{name}.err'}")

    seen = poller.seen
    lat = [seen[sample_user(i)] - a for i, a in enumerate(appended) if sample_user(i) in seen]
    missing = len(appended) - len(lat)
    con = sqlite3.connect(f"file:{lake / 'catalog.db'}?mode=ro", uri=True)
    nxt = con.execute("SELECT value FROM lake_checkpoint WHERE job = 'clickstream' AND stage = 'bronze' "
                      "AND key = 'next_ingest_id'").fetchall()
    silver_pos = con.execute("SELECT value FROM lake_checkpoint WHERE job = 'clickstream' AND stage = 'silver' "
                             "AND key = 'position'").fetchall()
    con.close()
    bronze_rows = int(nxt[0][0]) - 1 if nxt else 0
    silver_read = int(silver_pos[0][0]) if silver_pos and silver_pos[0][0] else 0
    passes = sum(1 for line in open(args.work / f"follow-{name}.err", errors="replace")
                 if line.startswith("[") and "clickstream:" in line)
    wall = t_end - t0
    q = max(1, len(lat) // 4)
    r = dict(
        name=name, target_rate=rate, seconds=seconds, write_seconds=write_seconds,
        written=lines_total, written_rate=lines_total / write_seconds, samples=len(appended),
        missing=missing, bronze_rows=bronze_rows, silver_read=silver_read,
        p50=median(lat) if lat else float("nan"), p99=percentile(lat, 99) if lat else float("nan"),
        max=max(lat) if lat else float("nan"),
        final_lag=(seen[target] - t_last) if target in seen else float("inf"),
        growth=(median(lat[-q:]) - median(lat[:q])) if lat else float("nan"),
        cpu_cores=cpu / wall, cpu_seconds=cpu, wall=wall, peak_rss_mb=rss,
        passes=passes, passes_per_s=passes / wall, writer_cpu_cores=writer_cpu / write_seconds,
        late_ticks=late_ticks, polls=poller.polls)
    r["writer_limited"] = r["written_rate"] < 0.95 * rate
    reasons = []
    if missing:
        reasons.append(f"{missing} samples never visible")
    if r["p99"] > BEHIND_P99:
        reasons.append("p99 > 2 s")
    if r["final_lag"] > BEHIND_LAG:
        reasons.append("final lag > 2 s")
    if r["growth"] > BEHIND_GROWTH:
        reasons.append(f"latency grew {r['growth']:.2f} s")
    r["behind"] = reasons
    r["accounted"] = bronze_rows == lines_total and silver_read == lines_total
    log(f"{name}: {rate:,} ev/s target, {r['written_rate']:,.0f} written, p50 {r['p50'] * 1000:.0f} ms, "
        f"p99 {r['p99'] * 1000:.0f} ms, max {r['max'] * 1000:.0f} ms, final lag {r['final_lag'] * 1000:.0f} ms, "
        f"lake CPU {r['cpu_cores']:.2f} cores, {r['passes_per_s']:.1f} passes/s, bronze rows {bronze_rows:,} "
        f"of {lines_total:,}" + (f"; BEHIND: {', '.join(reasons)}" if reasons else ""))
    if not r["accounted"]:
        raise SystemExit(f"latency: bronze holds {bronze_rows} rows and silver read {silver_read}, "
                         f"but {lines_total} lines were written; the lake is kept in {lake}")
    if not args.keep:
        shutil.rmtree(lake)  # up to a GB per run at the sweep's top rates
    return r


def sweep(args, factory):
    rates = [int(x) for x in args.sweep.split(",") if x.strip() and int(x) > 0]
    results = []
    ok_rate = None
    bad_rate = None
    for rate in rates:
        r = one_run(args, factory, rate, args.sweep_seconds, f"sweep-{rate}")
        results.append(r)
        if r["writer_limited"] and not r["behind"]:
            ok_rate = rate
            break
        if r["behind"]:
            bad_rate = rate
            break
        ok_rate = rate
    if ok_rate is not None and bad_rate is not None:
        mid = (ok_rate + bad_rate) // 2
        mid = int(round(mid, -3))
        if ok_rate < mid < bad_rate:
            r = one_run(args, factory, mid, args.sweep_seconds, f"sweep-{mid}")
            results.append(r)
            if not r["behind"]:
                ok_rate = mid
    return results, ok_rate


def ms(x):
    if x != x:
        return "—"
    if x == float("inf"):
        return "∞"
    return f"{x * 1000:,.0f}"


def markdown(args, main, sweeps, sustained, started):
    load = open("/proc/loadavg").read().split()[:3]
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip() or "unknown"
    except OSError:
        commit = "unknown"
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    w = []
    w.append(BEGIN)
    w.append("## Streaming latency: `lake run all --follow --interval 1`")
    w.append("")
    w.append(f"Written by `bench/latency.py` on {started} at commit `{commit}` ({cpu}, {os.cpu_count()} cores, "
             f"shared; load average {' '.join(load)} at the end). A Python writer appends `lake generate` "
             f"lines with event time = now, unique event ids and {args.users:,} users cycling to one landing "
             "file, one `write(2)` every 10 ms; every 100 ms one event belongs to a user of its own, and a "
             "poller queries SQLite `gold_session_stats` every 10 ms for those users. Latency = first "
             "poll that sees the sample's session row − the return of the `write(2)` that appended it "
             "(resolution ~10 ms). Final lag: last append (a sample) → visible. CPU: the lake process's "
             "utime+stime over the wall time from the first append to the last sample visible (1.00 = "
             "one core); the writer and the poller run on the same two cores. Falling behind: p99 > 2 s, "
             "final lag > 2 s, or the median latency of the last quarter of samples 0.5 s above the "
             "first quarter's (a growing backlog).")
    w.append("")
    w.append("| run | target events/s | written events/s | s | samples | p50 ms | p99 ms | max ms | final lag ms "
             "| lake CPU (cores) | lake peak RSS MB | passes/s | verdict |")
    w.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")

    def row(r, label):
        if r["behind"]:
            verdict = "fell behind: " + ", ".join(r["behind"])
        elif r["writer_limited"]:
            verdict = "kept up (writer-limited)"
        else:
            verdict = "kept up"
        w.append(f"| {label} | {r['target_rate']:,} | {r['written_rate']:,.0f} | {r['write_seconds']:.0f} "
                 f"| {r['samples']} | {ms(r['p50'])} | {ms(r['p99'])} | {ms(r['max'])} | {ms(r['final_lag'])} "
                 f"| {r['cpu_cores']:.2f} | {r['peak_rss_mb']:.0f} | {r['passes_per_s']:.1f} | {verdict} |")

    if main:
        row(main, "**main**")
    for r in sweeps:
        row(r, "sweep")
    w.append("")
    if main:
        met = main["p99"] < 1.0 and not main["behind"]
        w.append(f"- Target p99 < 1 s at {main['target_rate']:,} events/s: p99 {ms(main['p99'])} ms "
                 f"→ **{'met' if met else 'not met'}**. Bronze holds exactly the {main['written']:,} lines "
                 f"written and silver read them all: {main['accounted']}.")
    if sweeps:
        limited = any(r["writer_limited"] for r in sweeps)
        if sustained is None:
            w.append("- Highest sustained rate: below the first sweep rate.")
        else:
            w.append(f"- Highest sustained rate ({args.sweep_seconds:.0f} s per rate, fresh lake each): "
                     f"**{sustained:,} events/s**"
                     + (" (the Python writer could not go faster on this machine: a lower bound)"
                        if limited and not any(r["behind"] for r in sweeps) else "") + ".")
    w.append(END)
    return "\n".join(w) + "\n"


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lake-bin", default=env("LAKE_BIN", str(ROOT / ".build" / "release" / "lake")))
    ap.add_argument("--jobs", type=Path, default=ROOT / "jobs")
    ap.add_argument("--work", type=Path, default=Path(env("BENCH_OUT", str(HERE / "out"))) / "latency")
    ap.add_argument("--rate", type=int, default=int(env("LATENCY_RATE", "10000")))
    ap.add_argument("--seconds", type=float, default=float(env("LATENCY_SECONDS", "60")))
    ap.add_argument("--users", type=int, default=int(env("LATENCY_USERS", "1000")))
    ap.add_argument("--sweep", default=env("LATENCY_SWEEP", "10000,20000,40000,80000,160000"),
                    help="rates for the sweep, comma-separated; 0 for none")
    ap.add_argument("--sweep-seconds", type=float, default=float(env("LATENCY_SWEEP_SECONDS", "15")))
    ap.add_argument("--results", type=Path, help="put the Markdown section into this file")
    ap.add_argument("--json", type=Path, help="write every run's figures here")
    ap.add_argument("--keep", action="store_true", help="keep each run's lake (deleted by default)")
    args = ap.parse_args()
    if not os.access(args.lake_bin, os.X_OK):
        raise SystemExit(f"latency: {args.lake_bin} is missing; build it with: swift build -c release")
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    factory = EventFactory(args.lake_bin, args.jobs, args.work, args.users)
    main_run = one_run(args, factory, args.rate, args.seconds, "main") if args.seconds > 0 else None
    sweeps, sustained = sweep(args, factory) if args.sweep.strip() not in ("", "0") else ([], None)
    md = markdown(args, main_run, sweeps, sustained, started)
    print(md)
    if args.results:
        put_section(args.results, md, BEGIN, END)
    if args.json:
        args.json.write_text(json.dumps(dict(main=main_run, sweep=sweeps, sustained=sustained), indent=1))


if __name__ == "__main__":
    main()
