"""Scenario 1, kill test (SPEC §7, §10): SIGKILL at seeded random instants during `lake run all`,
`lake run all --follow` (fed by a collector appending to a landing file), `lake backfill all
--from D --to D` and `lake compact` after many small runs; every trial checks the state the kill
left (catalog consistent, accounting balanced, leftovers listed as orphans), reruns to
completion, and compares bronze, silver, quarantine, gold Parquet and SQLite gold with a clean
run's."""

import shutil
import subprocess
import threading
import time

from common import (JOBS, Failed, Lake, Scenario, after_crash_state, check_catalog,
                    compare_digests, copy_lake, duck, lake_digest, lake_run, link_tree,
                    no_run_left_running, ok, require, small_commits_jobs, status_json)

EVENTS = 30_000
PIECES = 40
MODES = ("all", "follow", "backfill", "compact")


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


def finished_checks(lake):
    """After a rerun to completion: consistent catalog, no run left running, nothing pending."""
    status = check_catalog(lake, status_json(lake))
    no_run_left_running(lake)
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
        check_catalog(self.ref)
        self.digest = lake_digest(con, self.ref)

        # follow: the same stream as one growing file.
        self.stream = b"".join(p.read_bytes() for p in sorted(self.source.glob("events-*.jsonl")))
        ref_follow = Lake(base / "ref-follow")
        ref_follow.landing.mkdir(parents=True)
        (ref_follow.landing / "events.jsonl").write_bytes(self.stream)
        ok(lake_run(ref_follow, "run", "all"))
        self.digest_follow = lake_digest(con, ref_follow)
        self.seconds["follow"] = 4.0

        # backfill: from the clean run's lake; the reference is the clean run plus the backfill.
        ref_bf = copy_lake(self.ref, base / "ref-backfill")
        self.seconds["backfill"] = timed(lambda: ok(lake_run(
            ref_bf, "backfill", "all", "--from", self.day, "--to", self.day)))
        check_catalog(ref_bf)
        self.digest_backfill = lake_digest(con, ref_bf)

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
        self.digest_template = lake_digest(con, self.template)
        ref_compact = copy_lake(self.template, base / "ref-compact")
        self.seconds["compact"] = timed(lambda: ok(lake_run(ref_compact, "compact")))
        check_catalog(ref_compact)
        self.files_compacted = live_file_counts(ref_compact)
        compare_digests(lake_digest(con, ref_compact), self.digest_template)
        (ref_compact.landing / self.piece_files[-1].name).hardlink_to(self.piece_files[-1])
        ok(lake_run(ref_compact, "run", "all"))
        # Many small runs, compaction, one more run == one clean run over the same files.
        whole = Lake(base / "ref-pieces")
        link_tree(self.pieces, whole.landing)
        ok(lake_run(whole, "run", "all"))
        self.digest_pieces = lake_digest(con, whole)
        compare_digests(lake_digest(con, ref_compact), self.digest_pieces)
        sc.log("clean durations: " + ", ".join(f"{m} {s:.2f} s" for m, s in self.seconds.items()))


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
            compare_digests(lake_digest(con, lake), s.digest)
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
            compare_digests(lake_digest(con, lake), s.digest_follow)
        elif mode == "backfill":
            lake = copy_lake(s.ref, lake_dir, jobs=jobs)
            args = ["backfill", "all", "--from", s.day, "--to", s.day]
            killed = kill_after(lake, args, delay)
            state = after_crash_state(lake)
            ok(lake_run(lake, *args))
            finished_checks(lake)
            compare_digests(lake_digest(con, lake), s.digest_backfill)
        else:
            lake = copy_lake(s.template, lake_dir, jobs=jobs)
            killed = kill_after(lake, ["compact"], delay)
            state = after_crash_state(lake)
            ok(lake_run(lake, "compact"))
            finished_checks(lake)
            compare_digests(lake_digest(con, lake), s.digest_template)
            counts = live_file_counts(lake)
            require(counts == s.files_compacted,
                    f"live files after compaction {counts}, clean compaction {s.files_compacted}")
            (lake.landing / s.piece_files[-1].name).hardlink_to(s.piece_files[-1])
            ok(lake_run(lake, "run", "all"))
            finished_checks(lake)
            compare_digests(lake_digest(con, lake), s.digest_pieces)
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


def scenario(work, seed, full):
    sc = Scenario("kill", seed)
    base = work / "kill"
    base.mkdir(parents=True)
    try:
        s = Setup(base, sc)
    except (Failed, AssertionError) as e:
        sc.fail("set-up (clean references)", str(e))
        return sc.done()
    trials = plan(full)
    schedule = []
    for mode, n in trials.items():
        # Stratified: trial k of n dies at a random instant of the k-th of n equal slices of
        # 1.15 × the clean duration, so short phases (gold, the commit) are hit too.
        span = s.seconds[mode] * 1.15
        jobs = [JOBS, s.small_jobs] * (n // 2) + [JOBS] * (n % 2)
        sc.rng.shuffle(jobs)
        for k in range(n):
            schedule.append((mode, k, sc.rng.uniform(k, k + 1) * span / n, jobs[k]))
    sc.rng.shuffle(schedule)
    killed = {m: 0 for m in MODES}
    for mode, k, delay, jobs in schedule:
        got = trial(s, sc, mode, k, delay, jobs)
        sc.trials += 1
        killed[mode] += bool(got)
    sc.notes.append("killed before finishing: " + ", ".join(
        f"{m} {killed[m]}/{trials[m]}" for m in MODES))
    sc.log(sc.notes[-1])
    for m in MODES:
        if trials[m] >= 4 and killed[m] < trials[m] // 2:
            sc.fail(f"{m} kills", f"only {killed[m]} of {trials[m]} runs were killed before they "
                    "finished: the kill instants missed the work")
    shutil.rmtree(base, ignore_errors=True)
    return sc.done()
