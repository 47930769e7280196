#!/usr/bin/env python3
"""A long run of `lake run all --follow` at a steady rate: does it stay fast and small?

    python3 bench/soak.py [--rate 20000] [--minutes 30] [--users 1000] [--name NAME]
                          [--results bench/RESULTS.md]

The writer and the latency samples are bench/latency.py's (event time = now, unique event ids,
`--users` users cycling, one sample event of a user of its own every 100 ms, a poller that
notes when each sample's gold session row appears). Unlike latency.py, the writer rotates its
landing file every minute, as a collector would, and deletes files bronze has read completely
two rotations later (a soak at 20k events/s writes ~9 GB of NDJSON in 30 minutes), 32 MB at a
time (see `shrink_and_delete`).

Every 10 s a sampler records, for that interval: the lake process's RSS (VmRSS) and peak
(VmHWM), catalog.db and WAL bytes, rows of lake_snapshot, lake_data_file and lake_run, live
files per table (the largest), the latency quantiles (p50/p99/max) of the samples appended in
the interval, and the lake's CPU. At the end the process is stopped with SIGINT and must exit 0;
bronze must hold exactly the lines written.

Output: a Markdown section (targets of issue #22 checked: after the first minute p99 < 500 ms
and max < 1 s in every interval; peak RSS < 600 MB and the last 10 minutes within 10% of each
other; catalog + WAL < 100 MB; growth of the catalog per hour) put into --results between
markers named after --name, a PNG plot next to it (bench/soak-NAME.png), and the raw samples as
JSON in the work folder.
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from benchlib import interrupt, percentile, proc_cpu_seconds, put_section
from latency import TICK, SAMPLE_EVERY, EventFactory, Poller, iso_now, sample_user, wait_for_gold_table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
INTERVAL = 10.0
ROTATE = 60.0


def log(msg):
    print(f"soak: {msg}", file=sys.stderr, flush=True)


def status_kb(pid, key):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def size(path):
    try:
        return path.stat().st_size
    except OSError:
        return 0


class Sampler(threading.Thread):
    def __init__(self, proc, lake, appended, poller):
        super().__init__(daemon=True)
        self.proc, self.lake, self.appended, self.poller = proc, lake, appended, poller
        self.samples = []
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        con = sqlite3.connect(f"file:{self.lake / 'catalog.db'}?mode=ro", uri=True, check_same_thread=False)
        con.execute("PRAGMA busy_timeout = 2000")
        cpu_prev = proc_cpu_seconds(self.proc.pid)
        start_index = 0
        t_prev = self.t0
        while not self.stop.wait(INTERVAL - ((time.monotonic() - self.t0) % INTERVAL)):
            now = time.monotonic()
            cpu = proc_cpu_seconds(self.proc.pid)
            # Samples appended in this interval that are visible by now (later ones count in the
            # next interval's figures when they show up late: see `late`).
            end_index = len(self.appended)
            lat, late = [], 0
            for i in range(start_index, end_index):
                seen = self.poller.seen.get(sample_user(i))
                if seen is None:
                    late += 1
                    lat.append(now - self.appended[i])
                else:
                    lat.append(seen - self.appended[i])
            try:
                snapshots = con.execute("SELECT count(*) FROM lake_snapshot").fetchone()[0]
                files = con.execute("SELECT count(*) FROM lake_data_file").fetchone()[0]
                runs = con.execute("SELECT count(*) FROM lake_run").fetchone()[0]
                listed = con.execute("SELECT coalesce(sum(file_count), 0) FROM lake_retired_list").fetchone()[0] \
                    if con.execute("SELECT 1 FROM sqlite_schema WHERE name = 'lake_retired_list'").fetchone() else 0
                live = con.execute("""
                    SELECT t.table_name, count(*) FROM lake_data_file f JOIN lake_table t USING (table_id)
                    WHERE f.end_snapshot IS NULL GROUP BY t.table_name ORDER BY 2 DESC""").fetchall()
                parts = catalog_parts(con)
            except sqlite3.Error as e:
                log(f"catalog query failed: {e}")
                snapshots = files = runs = listed = None
                live = []
                parts = {}
            s = dict(
                t=round(now - self.t0, 1),
                rss_mb=(status_kb(self.proc.pid, "VmRSS") or 0) / 1024,
                peak_mb=(status_kb(self.proc.pid, "VmHWM") or 0) / 1024,
                catalog_mb=size(self.lake / "catalog.db") / 1e6,
                wal_mb=size(self.lake / "catalog.db-wal") / 1e6,
                snapshots=snapshots, file_rows=files, runs=runs, listed_files=listed, parts_mb=parts,
                live_files=dict(live), live_files_max=max((n for _, n in live), default=0),
                samples=len(lat), not_yet_visible=late,
                p50=percentile(lat, 50) if lat else None, p99=percentile(lat, 99) if lat else None,
                max=max(lat) if lat else None,
                cpu_cores=(cpu - cpu_prev) / (now - t_prev) if cpu is not None and cpu_prev is not None else None)
            self.samples.append(s)
            log(f"t={s['t']:.0f}s rss {s['rss_mb']:.0f} MB, catalog {s['catalog_mb']:.1f}+{s['wal_mb']:.1f} MB, "
                f"{snapshots} snapshots, {files} file rows, live files max {s['live_files_max']}, "
                f"p50 {ms(s['p50'])} p99 {ms(s['p99'])} max {ms(s['max'])} ms, cpu {s['cpu_cores'] or 0:.2f}")
            start_index = end_index
            cpu_prev, t_prev = cpu, now
        con.close()


# What the catalog's pages hold: the history the lake keeps about itself (snapshots, file rows,
# runs: what `snapshot_retention` bounds), stage state (open gold groups, checkpoints, source
# positions: bounded by the open windows and sessions), and the gold tables users query (they
# grow with the data, as any table does).
HISTORY = ("lake_snapshot", "lake_data_file", "lake_run", "lake_retired_list")
STATE = ("lake_gold_state", "lake_checkpoint", "lake_source_position")


def catalog_parts(con):
    pages = con.execute("SELECT name, tbl_name, pgsize FROM dbstat JOIN sqlite_schema USING (name)").fetchall()
    parts = dict(history=0, state=0, gold=0)
    for _, table, size in pages:
        kind = "history" if table in HISTORY else "state" if table in STATE or table.startswith("lake_") \
            or table.startswith("sqlite_") else "gold"
        parts[kind] += size / 1e6
    return parts


def ms(x):
    return "—" if x is None else f"{x * 1000:,.0f}"


def soak(args):
    lake = args.work / f"lake-{args.name}"
    if lake.exists():
        shutil.rmtree(lake)
    landing = lake / "landing" / "clickstream"
    landing.mkdir(parents=True)
    factory = EventFactory(args.lake_bin, args.jobs, args.work, args.users)
    errlog = open(args.work / f"follow-{args.name}.err", "wb")
    proc = subprocess.Popen([args.lake_bin, "run", "all", "--follow", "--interval", "1",
                             "--lake", str(lake), "--jobs", str(args.jobs)],
                            stdout=subprocess.DEVNULL, stderr=errlog)
    appended = []
    written = 0
    try:
        db = lake / "catalog.db"
        wait_for_gold_table(db, proc)
        poller = Poller(db)
        poller.start()
        sampler = Sampler(proc, lake, appended, poller)
        seconds = args.minutes * 60
        t0 = sampler.t0 = time.monotonic()
        wall0 = time.time()
        sampler.start()
        files = []
        fd = None
        next_sample = t0
        next_sync = t0 + 1.0
        tick = 0
        while True:
            now = time.monotonic()
            elapsed = now - t0
            last = elapsed >= seconds
            rotation = int(min(elapsed, seconds) // ROTATE)
            if fd is None or rotation != len(files) - 1:
                if fd is not None:
                    os.close(fd)
                path = landing / f"events-{rotation:05d}.jsonl"
                files.append(path)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                prune(lake, files[:-2])
            due = int(args.rate * min(elapsed, seconds)) - written
            want_sample = now >= next_sample or last
            if due > 0 or want_sample:
                count = max(due, 1)
                user = sample_user(len(appended)) if want_sample else None
                os.write(fd, factory.lines(count, iso_now(), user))
                if user is not None:
                    appended.append(time.monotonic())
                    next_sample += SAMPLE_EVERY
                written += count
            if now >= next_sync:
                # A durable collector syncs what it wrote (Fluent Bit's `storage.sync full`);
                # left to the kernel, ~40 MB of landing data reached the disk every few seconds
                # and each lake commit's WAL fdatasync waited behind it (270-380 ms, perf trace).
                os.fdatasync(fd)
                next_sync += 1.0
            if last:
                break
            tick += 1
            pause = t0 + tick * TICK - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        os.close(fd)
        t_last = time.monotonic()
        target = sample_user(len(appended) - 1)
        while target not in poller.seen and time.monotonic() < t_last + 120 and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(INTERVAL)  # one more sample after the writer stopped
        sampler.stop.set()
        sampler.join()
        poller.stop.set()
        poller.join()
        peak = (status_kb(proc.pid, "VmHWM") or 0) / 1024
    finally:
        code = interrupt(proc, 300)
        errlog.close()
    if code != 0:
        raise SystemExit(f"soak: the follow process exited {code}; see {args.work / f'follow-{args.name}.err'}")
    con = sqlite3.connect(f"file:{lake / 'catalog.db'}?mode=ro", uri=True)
    nxt = con.execute("SELECT value FROM lake_checkpoint WHERE job = 'clickstream' AND stage = 'bronze' "
                      "AND key = 'next_ingest_id'").fetchall()
    con.close()
    bronze = int(nxt[0][0]) - 1 if nxt else 0
    # Pass durations per interval (the commit cost the 100k-user soak watches).
    passes = pass_seconds(args.work / f"follow-{args.name}.err", wall0)
    for x in sampler.samples:
        d = [p for at, p in passes if x["t"] - INTERVAL < at <= x["t"]]
        x["pass_p50"] = percentile(d, 50) if d else None
        x["pass_max"] = max(d) if d else None
    result = dict(name=args.name, rate=args.rate, minutes=args.minutes, users=args.users, written=written,
                  catalog=catalog_settings(args),
                  bronze=bronze, peak_mb=peak, samples=sampler.samples,
                  lake_bytes=sum(p.stat().st_size for p in lake.rglob("*") if p.is_file()))
    if not args.keep:
        shutil.rmtree(lake)
    return result


def prune(lake, old):
    """Deletes landing files bronze has read to their end (as a collector's rotation would)."""
    try:
        con = sqlite3.connect(f"file:{lake / 'catalog.db'}?mode=ro", uri=True)
        pos = dict(con.execute("SELECT source, byte_offset FROM lake_source_position").fetchall())
        con.close()
    except sqlite3.Error:
        return
    for p in old:
        if p.exists():
            rel = str(p.relative_to(lake / "landing" / "clickstream"))
            done = any(src.endswith(rel) and off >= p.stat().st_size for src, off in pos.items())
            if done:
                threading.Thread(target=shrink_and_delete, args=(p,), daemon=True).start()


def shrink_and_delete(path, step=32 << 20):
    """Deletes a file in steps: on ext4 here, unlinking a 480 MB file at once held every other
    fsync on the disk for up to 135 ms (the lake's commits included), which is the deleting
    collector's cost, not the lake's. Cut back 32 MB at a time it held none past 25 ms. The file
    leaves the landing folder first: shrunk in place it would look truncated by a copytruncate
    rotation, and bronze would read it again as new data."""
    trash = path.parent.parent / ".soak-trash"
    trash.mkdir(exist_ok=True)
    moved = trash / path.name
    try:
        os.rename(path, moved)
    except FileNotFoundError:
        return
    fd = os.open(moved, os.O_WRONLY)
    try:
        size = os.fstat(fd).st_size
        while size > 0:
            size = max(0, size - step)
            os.ftruncate(fd, size)
            time.sleep(0.02)
    finally:
        os.close(fd)
    moved.unlink(missing_ok=True)


def verdicts(r):
    s = [x for x in r["samples"] if x["t"] > 60]
    out = []
    worst_p99 = max((x["p99"] for x in s if x["p99"] is not None), default=None)
    worst_max = max((x["max"] for x in s if x["max"] is not None), default=None)
    out.append(("p99 < 500 ms in every 10-s interval after the first minute",
                f"worst {ms(worst_p99)} ms", worst_p99 is not None and worst_p99 < 0.5))
    out.append(("max < 1 s in every 10-s interval after the first minute",
                f"worst {ms(worst_max)} ms", worst_max is not None and worst_max < 1.0))
    out.append(("peak RSS < 600 MB", f"{r['peak_mb']:.0f} MB", r["peak_mb"] < 600))
    tail = [x["rss_mb"] for x in r["samples"] if x["t"] >= r["minutes"] * 60 - 600]
    if r["minutes"] >= 20 and tail:
        spread = (max(tail) - min(tail)) / max(tail)
        out.append(("RSS flat in the last 10 minutes (within 10%)",
                    f"{min(tail):.0f}–{max(tail):.0f} MB ({spread * 100:.0f}%)", spread <= 0.10))
    cat = max((x["catalog_mb"] + x["wal_mb"] for x in r["samples"]), default=0)
    out.append(("catalog.db + WAL < 100 MB", f"max {cat:.1f} MB", cat < 100))
    hist = [x["parts_mb"].get("history", 0) for x in r["samples"] if x["t"] >= r["minutes"] * 60 - 600 and x.get("parts_mb")]
    if r["minutes"] >= 20 and hist:
        spread = (max(hist) - min(hist)) / max(hist)
        out.append(("catalog history flat in the last 10 minutes (within 10%)",
                    f"{min(hist):.1f}–{max(hist):.1f} MB ({spread * 100:.0f}%)", spread <= 0.10))
    out.append(("bronze = lines written", f"{r['bronze']:,} of {r['written']:,}", r["bronze"] == r["written"]))
    return out


def growth_per_hour(r):
    s = [x for x in r["samples"] if x["snapshots"] is not None]
    if len(s) < 2:
        return None
    a, b = s[len(s) // 3], s[-1]  # after the warm-up
    hours = (b["t"] - a["t"]) / 3600
    if hours <= 0:
        return None
    parts = {k: (b["parts_mb"].get(k, 0) - a["parts_mb"].get(k, 0)) / hours for k in ("history", "state", "gold")}
    return dict(parts=parts, catalog_mb=((b["catalog_mb"] + b["wal_mb"]) - (a["catalog_mb"] + a["wal_mb"])) / hours,
                snapshots=(b["snapshots"] - a["snapshots"]) / hours,
                file_rows=(b["file_rows"] - a["file_rows"]) / hours)


def plot(r, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    s = r["samples"]
    t = [x["t"] / 60 for x in s]
    fig, ax = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    ax[0].plot(t, [(x["p50"] or 0) * 1000 for x in s], label="p50")
    ax[0].plot(t, [(x["p99"] or 0) * 1000 for x in s], label="p99")
    ax[0].plot(t, [(x["max"] or 0) * 1000 for x in s], label="max", alpha=0.5)
    ax[0].axhline(500, color="grey", linestyle=":", linewidth=1)
    ax[0].set_ylabel("latency ms (per 10 s)")
    ax[0].legend(loc="upper left")
    ax[1].plot(t, [x["rss_mb"] for x in s], label="RSS")
    ax[1].set_ylabel("lake RSS MB")
    ax[2].plot(t, [x["catalog_mb"] + x["wal_mb"] for x in s], label="catalog.db + WAL MB")
    for part in ("history", "state", "gold"):
        ax[2].plot(t, [(x.get("parts_mb") or {}).get(part, 0) for x in s], label=f"{part} MB", linestyle="--")
    ax2 = ax[2].twinx()
    ax2.plot(t, [x["snapshots"] or 0 for x in s], color="tab:orange", label="snapshot rows")
    ax2.plot(t, [x["file_rows"] or 0 for x in s], color="tab:green", label="file rows")
    ax[2].set_ylabel("catalog MB")
    ax2.set_ylabel("rows")
    ax[2].set_xlabel("minutes")
    h1, l1 = ax[2].get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax[2].legend(h1 + h2, l1 + l2, loc="upper left")
    fig.suptitle(f"soak {r['name']}: {r['rate']:,} events/s, {r['users']:,} users, {r['minutes']} min")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def catalog_settings(args):
    """The `[catalog]` settings the options ask for, {key: duration}."""
    out = {}
    if args.retention:
        out["snapshot_retention"] = args.retention
    if args.delta_retention:
        out["delta_retention"] = args.delta_retention
    return out


def jobs_with_catalog(jobs, to, settings):
    """A copy of the job files with these `[catalog]` settings."""
    if to.exists():
        shutil.rmtree(to)
    shutil.copytree(jobs, to)
    for f in to.glob("*.toml"):
        text = f.read_text()
        if "\n[catalog]" in text:
            raise SystemExit(f"soak: {f} has a [catalog] section already; edit it instead of --retention")
        f.write_text(text + "\n[catalog]\n" + "".join(f'{k} = "{v}"\n' for k, v in settings.items()))
    return to


def pass_seconds(errlog, wall0):
    """(seconds since the writer started, pass seconds) of each pass the follow log reports."""
    out = []
    pattern = re.compile(r"^\[(\S+)\] \w+: .*\((\d+\.\d+) s[:)]")
    for line in errlog.read_text(errors="replace").splitlines():
        m = pattern.match(line)
        if m:
            at = datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
            out.append((at - wall0, float(m.group(2))))
    return out


def markdown(r, png, started, commit):
    begin, end = f"<!-- bench/soak.py {r['name']}: begin -->", f"<!-- bench/soak.py {r['name']}: end -->"
    w = [begin, f"## Soak `{r['name']}`: {r['rate']:,} events/s for {r['minutes']} minutes, {r['users']:,} users", ""]
    w.append(f"`python3 bench/soak.py --rate {r['rate']} --minutes {r['minutes']} --users {r['users']} "
             f"--name {r['name']}` on {started} at commit `{commit}` ({os.cpu_count()} cores, shared with the "
             "Python writer and poller). `lake run all --follow --interval 1` on the clickstream job (10-minute "
             "watermark), " + (", ".join(f"`[catalog] {k} = \"{v}\"`" for k, v in r["catalog"].items()) if r.get("catalog")
                               else "default `[catalog]` settings") + ". Figures per 10-s interval; latency = append → "
             "sample's gold session row visible in SQLite.")
    w.append("")
    w.append(f"![soak {r['name']}]({png.name})")
    w.append("")
    w.append("| target | figure | status |")
    w.append("|---|---|---|")
    for name, figure, ok in verdicts(r):
        w.append(f"| {name} | {figure} | {'**met**' if ok else '**not met**'} |")
    g = growth_per_hour(r)
    if g:
        p = g["parts"]
        w.append(f"| catalog growth per hour (after the first third) | {g['catalog_mb']:+.1f} MB: history "
                 f"{p['history']:+.1f} MB ({g['snapshots']:+,.0f} snapshot rows, {g['file_rows']:+,.0f} file rows), "
                 f"state {p['state']:+.1f} MB, gold tables {p['gold']:+.1f} MB | — |")
    w.append("")
    w.append("History = snapshot, file and run rows and retired-file lists (snapshots folded past `snapshot_retention` and "
             "thinned to one a minute past `snapshot_detail`; past `snapshot_detail` a retired file's row becomes an entry of "
             "a compressed list, kept until vacuum deletes the file after `delta_retention`); state = open gold groups, "
             "checkpoints, source positions; gold = the gold tables in catalog.db. Pass = one `--follow` pass "
             "(bronze, silver and gold commits), median and max in the interval.")
    w.append("")
    w.append("| min | RSS MB | catalog MB | WAL MB | history / state / gold MB | snapshots | file rows | listed retired "
             "| runs | live files (max table) | samples | p50 ms | p99 ms | max ms | pass p50 / max ms | lake CPU |")
    w.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    step = max(1, len(r["samples"]) // 40)  # at most ~40 rows in the table; the plot has all
    for x in r["samples"][::step]:
        p = x.get("parts_mb") or {}
        w.append(f"| {x['t'] / 60:.1f} | {x['rss_mb']:.0f} | {x['catalog_mb']:.1f} | {x['wal_mb']:.1f} "
                 f"| {p.get('history', 0):.1f} / {p.get('state', 0):.1f} / {p.get('gold', 0):.1f} "
                 f"| {x['snapshots']} | {x['file_rows']} | {x.get('listed_files', 0)} | {x['runs']} | {x['live_files_max']} | {x['samples']} "
                 f"| {ms(x['p50'])} | {ms(x['p99'])} | {ms(x['max'])} | {ms(x.get('pass_p50'))} / {ms(x.get('pass_max'))} "
                 f"| {x['cpu_cores'] or 0:.2f} |")
    w.append("")
    w.append(f"Lake folder at the end: {r['lake_bytes'] / 1e9:.2f} GB. Peak RSS {r['peak_mb']:.0f} MB.")
    w.append(end)
    return "\n".join(w) + "\n", begin, end


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lake-bin", default=env("LAKE_BIN", str(ROOT / ".build" / "release" / "lake")))
    ap.add_argument("--jobs", type=Path, default=ROOT / "jobs")
    ap.add_argument("--work", type=Path, default=Path(env("BENCH_OUT", str(HERE / "out"))) / "soak")
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--name", default=None)
    ap.add_argument("--results", type=Path, help="put the Markdown section into this file")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--retention", help="the jobs' [catalog] snapshot_retention (default: the job files')")
    ap.add_argument("--delta-retention", help="the jobs' [catalog] delta_retention: how long retired files (and "
                    "their catalog rows) are kept for time travel (default: the job files', 7 days)")
    args = ap.parse_args()
    args.name = args.name or f"{args.rate}-{args.users}"
    if not os.access(args.lake_bin, os.X_OK):
        raise SystemExit(f"soak: {args.lake_bin} is missing; build it with: swift build -c release")
    args.work.mkdir(parents=True, exist_ok=True)
    if catalog_settings(args):
        args.jobs = jobs_with_catalog(args.jobs, args.work / f"jobs-{args.name}", catalog_settings(args))
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    r = soak(args)
    (args.work / f"soak-{args.name}.json").write_text(json.dumps(r, indent=1))
    png = (args.results.parent if args.results else args.work) / f"soak-{args.name}.png"
    try:
        plot(r, png)
    except ImportError:
        log("matplotlib is missing (pip install matplotlib): no plot")
    md, begin, end = markdown(r, png, started, commit)
    print(md)
    if args.results:
        put_section(args.results, md, begin, end)


if __name__ == "__main__":
    main()
