"""Scenario 1, kill test (SPEC §7, §10): SIGKILL at seeded random instants during `lake run all`,
`lake run all --follow` (fed by a collector appending to a landing file), `lake backfill all
--from D --to D` and `lake compact` after many small runs; every trial checks the state the kill
left (catalog consistent, accounting balanced, leftovers listed as orphans), reruns to
completion, and compares bronze, silver, quarantine, gold Parquet and SQLite gold with a clean
run's.

`kill-tx` (scenario_transactions) does the same for the transactions job (SPEC §12, seed 004):
`run all --job transactions`, its `--follow` and its `backfill all`, killed and rerun; every
table compared with a clean run's row by row (silver, quarantine, the windowed gold tables'
Parquet rows, every gold SQLite table), and the accounting with the generator's manifest."""

import datetime
import os
import shutil
import subprocess
import threading
import time

from common import (JOB, JOBS, Failed, JobLake, JobTables, Lake, Scenario, after_crash_state, check_delta_log,
                    check_job_catalog, compare_digests, compare_rows, copy_lake,
                    duck, job_accounting, job_digest, lake_digest, lake_run, link_tree,
                    no_run_left_running, ok, require, scan, small_commits_jobs, status_json)

EVENTS = 30_000
PIECES = 40
MODES = ("all", "follow", "backfill", "compact")
CLICKSTREAM = JobTables(JOB)


def digest_all(con, lake):
    """conftest's lake_digest (bronze, silver, quarantine, gold_session_stats), plus every other
    gold table the clickstream job declares (SQLite rows; windowed ones' Parquet rows)."""
    return {**lake_digest(con, lake), **job_digest(con, lake, CLICKSTREAM, gold_only=True)}


def plan(full):
    """Trials per mode: 200 in --full, 10 in the slice."""
    if full:
        return {"all": 100, "follow": 40, "backfill": 30, "compact": 30}
    return {"all": 4, "follow": 2, "backfill": 2, "compact": 2}


def timed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def live_file_counts(lake):
    return dict(lake.query(
        "SELECT t.table_name, count(f.file_id) FROM lake_table t LEFT JOIN lake_data_file f "
        "ON f.table_id = t.table_id AND f.end_snapshot IS NULL GROUP BY t.table_name"))


def finished_checks(lake, tables=None):
    """After a rerun to completion: consistent catalog, no run left running, nothing pending."""
    status = check_job_catalog(lake, tables or CLICKSTREAM)
    no_run_left_running(lake)
    check_delta_log(lake, status)
    for a in status["accounting"]:
        require(a["pending"] == 0, f"pending rows after a complete rerun: {a}")
    return status


class Setup:
    """Inputs and clean references shared by the trials."""

    def __init__(self, base, sc):
        self.base = base
        con = duck()
        seed = sc.rng.randrange(1, 1 << 31)
        self.source = base / "input"
        gen = Lake(base / "gen")
        self.manifest = gen.generate(out=self.source, events=EVENTS, users=600, seed=seed, files=4,
                                     jitter=30, duplicates=0.02, late=0.005, malformed=0.005)
        self.day = self.manifest["event_time_min"][:10]
        sc.log(f"input: generator seed {seed}, {self.manifest['lines']} lines, "
               f"{self.manifest['bytes'] / 1e6:.1f} MB, backfill date {self.day}")
        self.small_jobs = small_commits_jobs(base / "jobs-small", 3000)

        # run all: the clean reference (default commits; small commits must give the same).
        self.ref = Lake(base / "ref")
        link_tree(self.source, self.ref.landing)
        self.seconds = {"all": timed(lambda: ok(lake_run(self.ref, "run", "all")))}
        check_job_catalog(self.ref, CLICKSTREAM)
        self.digest = digest_all(con, self.ref)

        # follow: the same stream as one growing file, with a copy of every 10th line 80 lines
        # later (~6 minutes of event time: within the watermark, so a duplicate): whenever the
        # kill lands, copies of keys accepted before it arrive after the restart, and the rerun
        # must reject them from the dedup state it rebuilt from silver.
        self.stream = with_copies(b"".join(p.read_bytes() for p in sorted(self.source.glob("events-*.jsonl"))))
        ref_follow = Lake(base / "ref-follow")
        ref_follow.landing.mkdir(parents=True)
        (ref_follow.landing / "events.jsonl").write_bytes(self.stream)
        ok(lake_run(ref_follow, "run", "all"))
        self.digest_follow = digest_all(con, ref_follow)
        self.seconds["follow"] = 4.0

        # backfill: from the clean run's lake; the reference is the clean run plus the backfill.
        ref_bf = copy_lake(self.ref, base / "ref-backfill")
        self.seconds["backfill"] = timed(lambda: ok(lake_run(
            ref_bf, "backfill", "all", "--from", self.day, "--to", self.day)))
        check_job_catalog(ref_bf, CLICKSTREAM)
        self.digest_backfill = digest_all(con, ref_bf)

        # compact: PIECES-1 small runs, one per file; then compaction, then the last piece.
        self.pieces = base / "pieces"
        Lake(base / "gen-pieces").generate(out=self.pieces, events=EVENTS, users=600, seed=seed,
                                            files=PIECES, jitter=30, duplicates=0.02, late=0.005,
                                            malformed=0.005)
        self.piece_files = sorted(self.pieces.glob("events-*.jsonl"))
        self.template = Lake(base / "template-compact")
        self.template.landing.mkdir(parents=True)
        t0 = time.monotonic()
        for f in self.piece_files[:-1]:
            (self.template.landing / f.name).hardlink_to(f)
            ok(lake_run(self.template, "run", "all"))
        sc.log(f"compact template: {PIECES - 1} small runs in {time.monotonic() - t0:.1f} s, "
               f"live files {live_file_counts(self.template)}")
        self.digest_template = digest_all(con, self.template)
        ref_compact = copy_lake(self.template, base / "ref-compact")
        self.seconds["compact"] = timed(lambda: ok(lake_run(ref_compact, "compact")))
        check_job_catalog(ref_compact, CLICKSTREAM)
        self.files_compacted = live_file_counts(ref_compact)
        compare_digests(digest_all(con, ref_compact), self.digest_template)
        (ref_compact.landing / self.piece_files[-1].name).hardlink_to(self.piece_files[-1])
        ok(lake_run(ref_compact, "run", "all"))
        # Many small runs, compaction, one more run == one clean run over the same files.
        whole = Lake(base / "ref-pieces")
        link_tree(self.pieces, whole.landing)
        ok(lake_run(whole, "run", "all"))
        self.digest_pieces = digest_all(con, whole)
        compare_digests(digest_all(con, ref_compact), self.digest_pieces)
        sc.log("clean durations: " + ", ".join(f"{m} {s:.2f} s" for m, s in self.seconds.items()))


def with_copies(stream, every=10, after=80):
    lines = stream.splitlines(keepends=True)
    copies = {}
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        out.extend(copies.pop(i, []))
        if i % every == 0 and line.endswith(b"\n"):
            copies.setdefault(i + after, []).append(line)
    for k in sorted(copies):
        out.extend(copies[k])
    return b"".join(out)


def kill_after(lake, args, delay):
    """Starts `lake <args>`, SIGKILLs it after `delay` seconds; True if it was killed."""
    p = subprocess.Popen(lake.args(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=delay)
        if p.returncode != 0:
            raise Failed(f"`lake {' '.join(args)}` exited {p.returncode} before the kill")
        return False
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return True


class Collector(threading.Thread):
    """Appends `data` to `path` in random chunks cut at arbitrary bytes (mid-line included),
    like a log shipper: a first chunk before the follow run starts, the rest over ~2.5 s."""

    def __init__(self, path, data, rng):
        super().__init__(daemon=True)
        self.path = path
        self.data = data
        n = rng.randint(4, 10)
        self.cuts = sorted(rng.randrange(1, len(data)) for _ in range(n)) + [len(data)]
        self.pauses = [rng.uniform(0.1, 2.5 / n) for _ in self.cuts]
        self.path.write_bytes(data[:self.cuts[0]])
        self.done = 0

    def run(self):
        for lo, hi, pause in zip(self.cuts, self.cuts[1:], self.pauses):
            time.sleep(pause)
            with open(self.path, "ab") as f:
                f.write(self.data[lo:hi])
            self.done = hi


def trial(s, sc, mode, i, delay, jobs):
    con = duck()
    lake_dir = s.base / f"t-{mode}-{i}"
    context = f"{mode} trial {i} delay {delay:.3f} s jobs {jobs.name}"
    try:
        if mode == "all":
            lake = Lake(lake_dir, jobs=jobs)
            link_tree(s.source, lake.landing)
            killed = kill_after(lake, ["run", "all"], delay)
            state = after_crash_state(lake)
            ok(lake_run(lake, "run", "all"))
            finished_checks(lake)
            compare_digests(digest_all(con, lake), s.digest)
        elif mode == "follow":
            lake = Lake(lake_dir, jobs=jobs)
            lake.landing.mkdir(parents=True)
            collector = Collector(lake.landing / "events.jsonl", s.stream, sc.rng)
            collector.start()
            killed = kill_after(lake, ["run", "all", "--follow", "--interval", "0.2"], delay)
            collector.join()
            state = after_crash_state(lake)
            ok(lake_run(lake, "run", "all"))
            finished_checks(lake)
            compare_digests(digest_all(con, lake), s.digest_follow)
        elif mode == "backfill":
            lake = copy_lake(s.ref, lake_dir, jobs=jobs)
            args = ["backfill", "all", "--from", s.day, "--to", s.day]
            killed = kill_after(lake, args, delay)
            state = after_crash_state(lake)
            ok(lake_run(lake, *args))
            finished_checks(lake)
            compare_digests(digest_all(con, lake), s.digest_backfill)
        else:
            lake = copy_lake(s.template, lake_dir, jobs=jobs)
            killed = kill_after(lake, ["compact"], delay)
            state = after_crash_state(lake)
            ok(lake_run(lake, "compact"))
            finished_checks(lake)
            compare_digests(digest_all(con, lake), s.digest_template)
            counts = live_file_counts(lake)
            require(counts == s.files_compacted,
                    f"live files after compaction {counts}, clean compaction {s.files_compacted}")
            (lake.landing / s.piece_files[-1].name).hardlink_to(s.piece_files[-1])
            ok(lake_run(lake, "run", "all"))
            finished_checks(lake)
            compare_digests(digest_all(con, lake), s.digest_pieces)
        # Cases: the state the kill left, the rerun's catalog, the rerun's tables (and for
        # compaction the file counts and the run after it).
        sc.cases += 5 if mode == "compact" else 3
        sc.log(f"{context}: {'killed' if killed else 'finished'}, {state}; rerun equal")
        return killed
    except (Failed, AssertionError) as e:
        sc.fail(f"{context} (seed {sc.seed})", str(e) or repr(e))
        return None
    finally:
        shutil.rmtree(lake_dir, ignore_errors=True)


def run_kills(name, work, seed, full, make_setup, trials, modes, run_trial):
    """A kill scenario: clean references (`make_setup`), then `trials[mode]` runs per mode, each
    killed at a random instant of the k-th of n equal slices of 1.15 × the clean duration (so
    short phases, gold and the commit, are hit too) and compared by `run_trial`."""
    sc = Scenario(name, seed)
    base = work / name
    base.mkdir(parents=True)
    try:
        s = make_setup(base, sc)
    except (Failed, AssertionError) as e:
        sc.fail("set-up (clean references)", str(e) or repr(e))
        return sc.done()
    schedule = []
    for mode, n in trials.items():
        span = s.seconds[mode] * 1.15
        jobs = [JOBS, s.small_jobs] * (n // 2) + [JOBS] * (n % 2)
        sc.rng.shuffle(jobs)
        for k in range(n):
            schedule.append((mode, k, sc.rng.uniform(k, k + 1) * span / n, jobs[k]))
    sc.rng.shuffle(schedule)
    killed = {m: 0 for m in modes}
    for mode, k, delay, jobs in schedule:
        got = run_trial(s, sc, mode, k, delay, jobs)
        sc.trials += 1
        killed[mode] += bool(got)
    sc.notes.append("killed before finishing: " + ", ".join(
        f"{m} {killed[m]}/{trials[m]}" for m in modes))
    sc.log(sc.notes[-1])
    for m in modes:
        if trials[m] >= 4 and killed[m] < trials[m] // 2:
            sc.fail(f"{m} kills", f"only {killed[m]} of {trials[m]} runs were killed before they "
                    "finished: the kill instants missed the work")
    shutil.rmtree(base, ignore_errors=True)
    return sc.done()


def scenario(work, seed, full):
    return run_kills("kill", work, seed, full, Setup, plan(full), MODES, trial)


# -- the transactions job (kill-tx) ----------------------------------------------------------------

TX = "transactions"
TX_EVENTS = 20_000
TX_MODES = ("all", "follow", "backfill")


def tx_plan(full):
    """Trials per mode: 90 in --full, 6 in the slice."""
    if full:
        return {"all": 50, "follow": 20, "backfill": 20}
    return {"all": 3, "follow": 2, "backfill": 1}


def manifest_checks(lake, tables, status, manifest, recovered_late=False):
    """The accounting of a finished run is the generator's manifest exactly: bronze = silver +
    duplicates + quarantined, each count and each quarantine reason as generated (after a
    backfill over the whole range, the late events are in silver)."""
    a = job_accounting(status, tables.job)
    quarantined = dict(manifest["quarantined"])
    silver = manifest["accepted"]
    duplicates = manifest["duplicates"]
    if recovered_late:
        # A late copy of an accepted event is a duplicate once the backfill sees both.
        copies = manifest.get("late_duplicates", 0)
        silver += quarantined.pop("late", 0) - copies
        duplicates += copies
    want = (manifest["lines"], silver, duplicates, sum(quarantined.values()), 0)
    got = (a["bronze_rows"], a["silver_rows"], a["duplicates"], a["quarantined"], a["pending"])
    require(got == want, f"accounting (bronze, silver, duplicates, quarantined, pending) {got}, "
            f"manifest {want}")
    reasons = {}
    paths = lake.live_paths(tables.quarantine)
    if paths:
        reasons = dict(duck().sql(f"SELECT reason, count(*) FROM {scan(paths)} GROUP BY reason").fetchall())
    require(reasons == quarantined, f"quarantine reasons {reasons}, manifest {quarantined}")


def gold_oracle(lake, job=TX):
    """Gold of a clean run against an independent computation over its silver: DuckDB SQL in
    Tests/e2e/test_transactions_gold.py or test_orders.py (every row and column but a k-means
    label, SQLite and Parquet); skipped with a note when that module is not there."""
    try:
        if job == TX:
            import test_transactions_gold as ref
            ref.assert_gold_matches_silver(ref.TxLake(lake.root, jobs=lake.jobs))
        else:
            import test_orders as ref
            ref.assert_gold_matches_silver(lake)
    except ImportError as e:
        return f"not checked ({e})"
    return "equal to DuckDB's computation over silver"


class TxSetup:
    """A job's generated input (lake generate --job transactions, or orders) and its clean
    references."""

    def __init__(self, base, sc, job=TX):
        self.base = base
        self.job = job
        TX = job  # the rest of the set-up is the job's
        con = duck()
        self.tables = JobTables(TX)
        seed = sc.rng.randrange(1, 1 << 31)
        self.source = base / "input"
        self.manifest = Lake(base / "gen").generate(
            out=self.source, job=TX, events=TX_EVENTS, seed=seed, files=4, jitter=30,
            duplicates=0.02, late=0.005, malformed=0.005)
        m = self.manifest
        # Late events lie up to an hour behind the stream (event_time_min is the first on-time
        # one), so the backfill starts a day earlier to recover every one.
        first = datetime.date.fromisoformat(m["event_time_min"][:10]) - datetime.timedelta(days=1)
        self.days = (first.isoformat(), m["event_time_max"][:10])
        sc.log(f"input: generator seed {seed}, {m['lines']} lines ({m['accepted']} accepted, "
               f"{m['duplicates']} duplicates, {sum(m['quarantined'].values())} quarantined), "
               f"{m['bytes'] / 1e6:.1f} MB, backfill {self.days[0]}..{self.days[1]}")
        self.small_jobs = small_commits_jobs(base / "jobs-small", 3000, job=TX)

        # run all: the clean reference.
        self.ref = self.lake(base / "ref")
        link_tree(self.source, self.ref.landing)
        self.seconds = {"all": timed(lambda: ok(lake_run(self.ref, "run", "all", "--job", TX)))}
        manifest_checks(self.ref, self.tables, check_job_catalog(self.ref, self.tables), m)
        sc.log(f"clean run: gold {gold_oracle(self.ref, TX)}")
        self.digest = job_digest(con, self.ref, self.tables)
        sizes = {k: len(v) for k, v in self.digest.items() if isinstance(v, list)}
        require(all(sizes[f"{t} (SQLite)"] for t in self.tables.gold), f"an empty gold table: {sizes}")
        require(all(sizes[f"{t} (Parquet)"] for t in self.tables.windowed), f"no closed window: {sizes}")
        sc.log(f"clean run rows: {sizes}")

        # follow: the same stream as one growing file; its tables are the run's (bronze aside:
        # one source instead of four).
        self.stream = b"".join(p.read_bytes() for p in sorted(self.source.glob("events-*.jsonl")))
        ref_follow = self.lake(base / "ref-follow")
        ref_follow.landing.mkdir(parents=True)
        (ref_follow.landing / "events.jsonl").write_bytes(self.stream)
        ok(lake_run(ref_follow, "run", "all", "--job", TX))
        self.digest_follow = job_digest(con, ref_follow, self.tables)
        compare_rows({k: v for k, v in self.digest_follow.items() if k != self.tables.bronze},
                     {k: v for k, v in self.digest.items() if k != self.tables.bronze})
        self.seconds["follow"] = 4.0

        # backfill over the input's dates: the late events recovered.
        ref_bf = copy_lake(self.ref, base / "ref-backfill")
        self.backfill_args = ["backfill", "all", "--job", TX, "--from", self.days[0], "--to", self.days[1]]
        self.seconds["backfill"] = timed(lambda: ok(lake_run(ref_bf, *self.backfill_args)))
        manifest_checks(ref_bf, self.tables, check_job_catalog(ref_bf, self.tables), m, recovered_late=True)
        sc.log(f"clean backfill: gold {gold_oracle(ref_bf, TX)}")
        self.digest_backfill = job_digest(con, ref_bf, self.tables)
        sc.log("clean durations: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items()))

    def lake(self, root, jobs=JOBS):
        return JobLake(root, self.tables, jobs=jobs)


def tx_trial(s, sc, mode, i, delay, jobs):
    con = duck()
    TX = s.job
    lake_dir = s.base / f"t-{mode}-{i}"
    context = f"{TX} {mode} trial {i} delay {delay:.3f} s jobs {jobs.name}"
    try:
        if mode == "all":
            lake = s.lake(lake_dir, jobs=jobs)
            link_tree(s.source, lake.landing)
            killed = kill_after(lake, ["run", "all", "--job", TX], delay)
            state = after_crash_state(lake)
            ok(lake_run(lake, "run", "all", "--job", TX))
            expected, late = s.digest, False
        elif mode == "follow":
            lake = s.lake(lake_dir, jobs=jobs)
            lake.landing.mkdir(parents=True)
            collector = Collector(lake.landing / "events.jsonl", s.stream, sc.rng)
            collector.start()
            killed = kill_after(lake, ["run", "all", "--job", TX, "--follow", "--interval", "0.2"], delay)
            collector.join()
            state = after_crash_state(lake)
            ok(lake_run(lake, "run", "all", "--job", TX))
            expected, late = s.digest_follow, False
        else:
            lake = copy_lake(s.ref, lake_dir, jobs=jobs)
            killed = kill_after(lake, s.backfill_args, delay)
            state = after_crash_state(lake)
            ok(lake_run(lake, *s.backfill_args))
            expected, late = s.digest_backfill, True
        status = finished_checks(lake, s.tables)
        manifest_checks(lake, s.tables, status, s.manifest, recovered_late=late)
        compare_rows(job_digest(con, lake, s.tables), expected)
        # Cases: the state the kill left, the rerun's catalog and accounting, its tables.
        sc.cases += 3
        sc.log(f"{context}: {'killed' if killed else 'finished'}, {state}; rerun equal")
        return killed
    except (Failed, AssertionError) as e:
        sc.fail(f"{context} (seed {sc.seed})", str(e) or repr(e))
        return None
    finally:
        shutil.rmtree(lake_dir, ignore_errors=True)


def scenario_transactions(work, seed, full):
    return run_kills("kill-tx", work, seed, full, TxSetup, tx_plan(full), TX_MODES, tx_trial)


# -- the orders job (kill-orders) ------------------------------------------------------------------
# The same trials for seed 000's orders: local time, a child table, a hashed column, a kmeans
# table (whose labels depend on the model the first gold commit fitted, so the digest leaves
# the label and model_version out; every other column must be the clean run's).

def scenario_orders(work, seed, full):
    os.environ.setdefault("LAKE_PII_KEY", "torture-pii-key-0123456789")  # one key for every lake
    setup = lambda base, sc: TxSetup(base, sc, job="orders")
    return run_kills("kill-orders", work, seed, full, setup, tx_plan(full), TX_MODES, tx_trial)
