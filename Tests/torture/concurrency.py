"""Scenario 3, concurrency (SPEC §7): two runs of the same stage at once (bronze, silver, gold,
compact, backfill; with and without --wait) never commit twice; readers (`sqlite3` shells,
`lake sql`, `lake serve`'s /api/dashboard) polled in loops while `lake run all` writes see no
error, consistent snapshots and monotone counts; a `lake backfill all` while `lake run all
--follow` is running gives exactly a clean run plus the backfill."""

import json
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from common import (GOLD, Failed, Lake, Scenario, check_catalog, compare_digests,
                    copy_lake, duck, job_accounting, lake_digest, lake_run, link_tree, ok, require, status_json)

EVENTS = 20_000


def plan(full):
    return {"races per stage": 4 if full else 1, "reader pieces": 10 if full else 4,
            "backfill-follow trials": 3 if full else 1}


def live_file_counts(lake):
    return dict(lake.query(
        "SELECT t.table_name, count(f.file_id) FROM lake_table t LEFT JOIN lake_data_file f "
        "ON f.table_id = t.table_id AND f.end_snapshot IS NULL GROUP BY t.table_name"))


def race(lake, args, wait=False):
    """Two `lake <args>` started together; returns [(exit code, stderr lines)]."""
    extra = ["--wait"] if wait else []
    procs = [subprocess.Popen(lake.args(*args, *extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(2)]
    out = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            p.kill()
            raise Failed(f"`lake {' '.join(args)}` hung in a race")
        out.append((p.returncode, [l for l in err.decode(errors="replace").splitlines() if l.strip()]))
    return out


def judge_race(outs, wait):
    """Each run succeeded or refused with one line saying the stage is running; one succeeded."""
    refusals = 0
    for rc, lines in outs:
        require(rc >= 0, f"a racing run was killed by signal {-rc}")
        if rc != 0:
            require(not wait, f"with --wait both must succeed: {outs}")
            require(len(lines) == 1 and "already running" in lines[0], f"refusal is not one clear line: {lines}")
            refusals += 1
    require(any(rc == 0 for rc, _ in outs), f"neither racing run succeeded: {outs}")
    return refusals


class Inputs:
    def __init__(self, base, sc):
        self.base = base
        seed = sc.rng.randrange(1, 1 << 31)
        self.source = base / "input"
        self.manifest = Lake(base / "gen").generate(out=self.source, events=EVENTS, users=400, seed=seed,
                                                    files=4, duplicates=0.02, late=0.005, malformed=0.005)
        self.day = self.manifest["event_time_min"][:10]
        con = duck()
        self.ref = Lake(base / "ref")
        link_tree(self.source, self.ref.landing)
        ok(lake_run(self.ref, "run", "all"))
        self.digest = lake_digest(con, self.ref)
        ref_bf = copy_lake(self.ref, base / "ref-bf")
        ok(lake_run(ref_bf, "backfill", "all", "--from", self.day, "--to", self.day))
        self.digest_backfill = lake_digest(con, ref_bf)
        # States each racing stage starts from.
        self.after_bronze = Lake(base / "after-bronze")
        link_tree(self.source, self.after_bronze.landing)
        ok(lake_run(self.after_bronze, "run", "bronze"))
        self.after_silver = copy_lake(self.after_bronze, base / "after-silver")
        ok(lake_run(self.after_silver, "run", "silver"))
        self.pieces = base / "pieces"
        Lake(base / "gen-pieces").generate(out=self.pieces, events=EVENTS, users=400, seed=seed, files=20,
                                           duplicates=0.02, late=0.005, malformed=0.005)
        self.small_runs = Lake(base / "small-runs")
        self.small_runs.landing.mkdir(parents=True)
        for f in sorted(self.pieces.glob("events-*.jsonl")):
            (self.small_runs.landing / f.name).hardlink_to(f)
            ok(lake_run(self.small_runs, "run", "all"))
        self.digest_small = lake_digest(con, self.small_runs)
        compacted = copy_lake(self.small_runs, base / "compacted")
        ok(lake_run(compacted, "compact"))
        self.files_compacted = live_file_counts(compacted)
        sc.log(f"input: generator seed {seed}, {self.manifest['lines']} lines; backfill date {self.day}")


def races(sc, inp, n):
    con = duck()
    kinds = [
        ("bronze", lambda d: fresh_with_input(inp, d), ["run", "bronze"], "run all", inp.digest),
        ("silver", lambda d: copy_lake(inp.after_bronze, d), ["run", "silver"], "run all", inp.digest),
        ("gold", lambda d: copy_lake(inp.after_silver, d), ["run", "gold"], "run all", inp.digest),
        ("all", lambda d: fresh_with_input(inp, d), ["run", "all"], "run all", inp.digest),
        ("compact", lambda d: copy_lake(inp.small_runs, d), ["compact"], "compact", inp.digest_small),
        ("backfill", lambda d: copy_lake(inp.ref, d), ["backfill", "all", "--from", inp.day, "--to", inp.day],
         "backfill", inp.digest_backfill),
    ]
    overlapped = {}
    for kind, make, args, finish, expected in kinds:
        overlapped[kind] = 0
        for trial in range(n):
            for wait in (False, True):
                folder = inp.base / f"race-{kind}-{trial}-{wait}"
                context = f"race {kind} trial {trial}{' --wait' if wait else ''}"
                try:
                    lake = make(folder)
                    outs = race(lake, args, wait)
                    overlapped[kind] += judge_race(outs, wait)
                    if finish == "run all":
                        ok(lake_run(lake, "run", "all"))
                    else:
                        ok(lake_run(lake, *args))  # rerun: must change nothing
                    check_catalog(lake, status_json(lake))
                    compare_digests(lake_digest(con, lake), expected)
                    if kind == "compact":
                        require(live_file_counts(lake) == inp.files_compacted,
                                f"live files {live_file_counts(lake)}, clean compaction {inp.files_compacted}")
                except (Failed, AssertionError) as e:
                    sc.fail(context, str(e))
                sc.trials += 1
                sc.cases += 1
                shutil.rmtree(folder, ignore_errors=True)
    sc.notes.append("races where the second run was refused (the runs overlapped): " +
                    ", ".join(f"{k} {v}/{n}" for k, v in overlapped.items()))
    sc.log(sc.notes[-1])


def fresh_with_input(inp, folder):
    lake = Lake(folder)
    link_tree(inp.source, lake.landing)
    return lake


# -- readers while writing -------------------------------------------------------------------------

READ_SQL = """.timeout 10000
BEGIN;
SELECT count(*) FROM lake_data_file;
SELECT coalesce(sum(record_count), 0) FROM lake_data_file f JOIN lake_table t USING (table_id)
  WHERE t.table_name = 'gold_session_stats' AND f.end_snapshot IS NULL;
SELECT count(*) FROM gold_session_stats WHERE is_closed = 1;
SELECT coalesce(sum(record_count), 0) FROM lake_data_file f JOIN lake_table t USING (table_id)
  WHERE t.table_name = 'bronze_clickstream' AND f.end_snapshot IS NULL;
COMMIT;
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Loop(threading.Thread):
    """Calls `read` until stopped; collects results and errors."""

    def __init__(self, read):
        super().__init__(daemon=True)
        self.read = read
        self.results = []
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.results.append(self.read())
            except Exception as e:  # noqa: BLE001 (every reader failure is a finding)
                self.errors.append(repr(e)[:300])


def readers_while_writing(sc, inp, pieces):
    files = sorted(inp.pieces.glob("events-*.jsonl"))
    step = max(1, len(files) // pieces)
    groups = [files[i:i + step] for i in range(0, len(files), step)]
    lake = Lake(inp.base / "readers")
    lake.landing.mkdir(parents=True)
    for f in groups[0]:
        (lake.landing / f.name).hardlink_to(f)
    ok(lake_run(lake, "run", "all"))
    port = free_port()
    serve = subprocess.Popen(lake.args("serve", "--port", port), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/dashboard"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=5).read()
            break
        except OSError:
            time.sleep(0.1)

    def sqlite_read():
        p = subprocess.run(["sqlite3", str(lake.root / "catalog.db")], input=READ_SQL.encode(),
                           capture_output=True, timeout=60)
        if p.returncode != 0 or p.stderr:
            raise Failed(f"sqlite3 exited {p.returncode}: {p.stderr.decode()[:200]}")
        files, gold_parquet, gold_closed, bronze = [int(x) for x in p.stdout.decode().split()]
        require(gold_parquet == gold_closed, f"gold Parquet rows {gold_parquet} != closed SQLite rows "
                f"{gold_closed} inside one read")
        return files, gold_closed, bronze

    def dashboard_read():
        with urllib.request.urlopen(url, timeout=30) as r:
            require(r.status == 200, f"HTTP {r.status}")
            d = json.loads(r.read())
        k = d["kpis"]
        total, open_ = k["total_sessions"], k.get("open_sessions", 0)
        require(d["funnel"][0]["sessions"] == total, f"funnel {d['funnel'][0]} != total sessions {total}")
        require(sum(s["sessions"] for s in d["session_status"]) == total, "session status does not add up")
        acct = job_accounting(d["status"])
        require(acct["balanced"] and acct["bronze_rows"] == acct["silver_rows"] + acct["duplicates"]
                + acct["quarantined"] + acct["pending"], f"accounting {acct}")
        gold = d["status"]["tables"].get(GOLD, {}).get("rows", 0)
        require(gold == total - open_, f"gold Parquet rows {gold} != closed sessions {total - open_}")
        return total - open_, acct["bronze_rows"], acct["silver_rows"] + acct["duplicates"] + acct["quarantined"]

    def sql_read():
        p = subprocess.run(lake.args("sql", "SELECT count(*) FROM gold_session_stats WHERE is_closed = 1"),
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            raise Failed(f"lake sql exited {p.returncode}: {p.stderr.decode()[:200]}")
        return int(p.stdout.split()[-1])

    loops = {"sqlite3": Loop(sqlite_read), "dashboard": Loop(dashboard_read), "lake sql": Loop(sql_read)}
    for loop in loops.values():
        loop.start()
    try:
        for group in groups[1:]:
            for f in group:
                (lake.landing / f.name).hardlink_to(f)
            ok(lake_run(lake, "run", "all"))
            sc.trials += 1
    except Failed as e:
        sc.fail("readers: writer", str(e))
    finally:
        time.sleep(0.5)
        for loop in loops.values():
            loop.stop.set()
        for loop in loops.values():
            loop.join(timeout=120)
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            sc.fail("readers: lake serve", "did not stop on SIGTERM within 30 s")
    for name, loop in loops.items():
        sc.cases += len(loop.results)
        if loop.errors:
            sc.fail(f"readers: {name}", f"{len(loop.errors)} failed reads, first: {loop.errors[0]}")
        if len(loop.results) < 5:
            sc.fail(f"readers: {name}", f"only {len(loop.results)} reads happened")
        for a, b in zip(loop.results, loop.results[1:]):
            if not all(y >= x for x, y in zip(a if isinstance(a, tuple) else (a,),
                                               b if isinstance(b, tuple) else (b,))):
                sc.fail(f"readers: {name}", f"a count went down between two reads: {a} then {b}")
                break
        distinct = len(set(loop.results))
        if distinct < 2:
            sc.fail(f"readers: {name}", "the reader never saw a commit happen")
    sc.notes.append("reads while writing: " + ", ".join(f"{n} {len(l.results)}" for n, l in loops.items()))
    sc.log(sc.notes[-1])
    try:
        check_catalog(lake, status_json(lake))
        compare_digests(lake_digest(duck(), lake), inp.digest_small)
    except (Failed, AssertionError) as e:
        sc.fail("readers: final tables", str(e))
    shutil.rmtree(lake.root, ignore_errors=True)


# -- backfill while following -------------------------------------------------------------------

def backfill_during_follow(sc, inp, trials):
    """Input A (the scenario's input) then input B (later dates, other ids): the reference is a
    clean `run all` over A, `backfill all` of A's first date, then `run all` over B."""
    con = duck()
    later = inp.base / "input-later"
    m = Lake(inp.base / "gen-later").generate(out=later, events=8000, users=400, seed=sc.rng.randrange(1, 1 << 31),
                                              files=1, start="2026-02-03T00:00:00Z", duplicates=0.02,
                                              late=0.005, malformed=0.005)
    later_file = next(later.glob("events-*.jsonl"))

    def deliver_later(lake):
        (lake.landing / ("later-" + later_file.name)).hardlink_to(later_file)
    ref = copy_lake(inp.ref, inp.base / "bf-follow-ref")
    ok(lake_run(ref, "backfill", "all", "--from", inp.day, "--to", inp.day))
    deliver_later(ref)
    ok(lake_run(ref, "run", "all"))
    expected = lake_digest(con, ref)
    lines_a = inp.manifest["lines"]
    for trial in range(trials):
        lake = Lake(inp.base / f"bf-follow-{trial}")
        link_tree(inp.source, lake.landing)
        follow = subprocess.Popen(lake.args("run", "all", "--follow", "--interval", "0.2"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        context = f"backfill during --follow, trial {trial}"
        try:
            wait_for(lambda: bronze_rows(lake) >= lines_a, 120, "follow to ingest input A")
            # Trial 0 starts the backfill as soon as A is in bronze (silver/gold still busy),
            # later ones after a random pause.
            time.sleep(sc.rng.uniform(0, 1.5) if trial else 0)
            deliver_later(lake)
            r = ok(lake_run(lake, "backfill", "all", "--from", inp.day, "--to", inp.day, "--wait"))
            wait_for(lambda: caught_up(lake, lines_a + m["lines"]), 120, "follow to catch up with input B")
            follow.send_signal(signal.SIGTERM)
            rc = follow.wait(timeout=60)
            require(rc == 0, f"--follow exited {rc} on SIGTERM: {follow.stderr.read().decode()[-300:]}")
            ok(lake_run(lake, "run", "all"))
            check_catalog(lake, status_json(lake))
            compare_digests(lake_digest(con, lake), expected)
            sc.log(f"{context}: backfill took {r.seconds:.1f} s while following; tables equal")
        except (Failed, AssertionError) as e:
            sc.fail(context, str(e))
        finally:
            if follow.poll() is None:
                follow.kill()
                follow.wait()
        sc.trials += 1
        sc.cases += 1
        shutil.rmtree(lake.root, ignore_errors=True)


def bronze_rows(lake):
    try:
        r = lake.query("SELECT value FROM lake_checkpoint WHERE stage = 'bronze' AND key = 'next_ingest_id'")
        return int(r[0][0]) - 1 if r else 0
    except Exception:  # noqa: BLE001 (the catalog may not exist yet)
        return 0


def caught_up(lake, lines):
    if bronze_rows(lake) < lines:
        return False
    s = status_json(lake)
    a = job_accounting(s)
    silver_snapshot = lake.query("SELECT max(snapshot_id) FROM lake_snapshot WHERE stage = 'silver' "
                                 "AND status = 'committed'")[0][0]
    gold_read = lake.query("SELECT value FROM lake_checkpoint WHERE stage = 'gold' AND key = 'silver_snapshot'")
    return a["pending"] == 0 and gold_read and int(gold_read[0][0]) == silver_snapshot


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise Failed(f"timed out waiting for {what}")


def scenario(work, seed, full):
    sc = Scenario("concurrency", seed)
    base = work / "concurrency"
    base.mkdir(parents=True)
    p = plan(full)
    try:
        inp = Inputs(base, sc)
    except (Failed, AssertionError) as e:
        sc.fail("set-up", str(e))
        return sc.done()
    for name, step in [("races", lambda: races(sc, inp, p["races per stage"])),
                       ("readers", lambda: readers_while_writing(sc, inp, p["reader pieces"])),
                       ("backfill during follow", lambda: backfill_during_follow(sc, inp, p["backfill-follow trials"]))]:
        try:
            step()
        except (Failed, AssertionError) as e:
            sc.fail(name, str(e))
    shutil.rmtree(base, ignore_errors=True)
    return sc.done()
