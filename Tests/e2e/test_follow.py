"""`lake run all --follow` against one batch `lake run all` (SPEC §2, §5, §7, §10): the same
generated input (~21k lines with duplicates, late and malformed lines) is delivered into the
landing folder in random bursts while follow runs (appends to a growing file, new files, bursts
that end in the middle of a line). Whatever the delivery, and whatever kill -9 or SIGTERM hits
the follow process, the lake it leaves must equal a batch run over the final landing files:
bronze, silver, quarantine and gold Parquet, and the SQLite gold rows.

Random choices come from one seed, printed (`LAKE_TEST_SEED=<n>` replays a run).
"""

import os
import random
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Lake, check_catalog, duck, lake_digest

SEED = int(os.environ.get("LAKE_TEST_SEED", random.randrange(1 << 32)))
EVENTS = 20_000
KILL_TRIALS = 5
IDLE_TIMEOUT = 90


# -- helpers ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    """One generated stream: 20k clean events, 3% duplicates, 1% late, 1% malformed lines."""
    base = tmp_path_factory.mktemp("follow-input")
    out = base / "input"
    Lake(base / "gen").generate(out=out, events=EVENTS, users=300, seed=5, files=1,
                                duplicates=0.03, late=0.01, malformed=0.01)
    data = (out / "events-00000.jsonl").read_bytes()
    assert data.endswith(b"\n")
    return data


class Delivery:
    """The stream cut into landing files (at line boundaries, named in stream order) and into
    bursts (at random bytes: many end inside a line). A burst appends to the current file, and
    when it crosses a file boundary finishes that file and creates the next one."""

    def __init__(self, data, rng, files, burst_max=200_000):
        self.data = data
        ends = [m.end() for m in re.finditer(b"\n", data)]
        cuts = sorted(rng.sample(ends[:-1], files - 1))
        self.files = list(zip([0] + cuts, cuts + [len(data)]))
        self.bursts = []
        pos = 0
        while pos < len(data):
            size = rng.choice((rng.randint(1, 2_000), rng.randint(2_000, 60_000),
                               rng.randint(60_000, burst_max)))
            end = min(len(data), pos + size)
            if rng.random() < 0.3:  # some bursts end exactly at a line end
                nl = data.find(b"\n", end - 1)
                end = len(data) if nl < 0 else nl + 1
            self.bursts.append((pos, end))
            pos = end
        self.lines = len(ends)

    def write(self, landing, burst):
        """Appends one burst's bytes to the landing files it covers."""
        pos, end = burst
        for i, (fs, fe) in enumerate(self.files):
            lo, hi = max(pos, fs), min(end, fe)
            if lo < hi:
                with open(landing / f"part-{i:05d}.jsonl", "ab") as f:
                    f.write(self.data[lo:hi])

    def all(self, landing, rng, pause_max=0.03, on_burst=None):
        landing.mkdir(parents=True, exist_ok=True)
        for n, b in enumerate(self.bursts):
            self.write(landing, b)
            if on_burst:
                on_burst(n)
            time.sleep(rng.uniform(0, pause_max))


def start_follow(lake, log, interval=1):
    """`lake run all --follow`, its stderr to `log` (one log per process)."""
    proc = lake.popen("run", "all", "--follow", "--interval", interval,
                      stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    proc.log = log
    return proc


def wait_following(proc, timeout=60):
    """Waits for the process's 'following' line: from then on SIGINT/SIGTERM stop it cleanly
    (a signal during its start-up kills it, as it would any program)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"follow exited {proc.returncode}: {proc.log.read_text()}"
        if "following" in proc.log.read_text():
            return
        time.sleep(0.01)
    raise AssertionError(f"follow did not start within {timeout} s")


def progress(lake):
    """(bronze rows, silver position, gold has read every silver snapshot) or None before set-up."""
    try:
        db = sqlite3.connect(f"file:{lake.root / 'catalog.db'}?mode=ro", uri=True, timeout=5)
        try:
            def cp(stage, key):
                r = db.execute("SELECT value FROM lake_checkpoint WHERE job = 'clickstream' AND stage = ? "
                               "AND key = ?", (stage, key)).fetchall()
                return int(r[0][0]) if r and r[0][0] is not None else 0
            latest = db.execute("SELECT coalesce(max(snapshot_id), 0) FROM lake_snapshot WHERE "
                                "status = 'committed' AND job = 'clickstream' AND stage = 'silver'").fetchall()[0][0]
            return (cp("bronze", "next_ingest_id") - 1, cp("silver", "position"),
                    cp("gold", "silver_snapshot") >= latest)
        finally:
            db.close()
    except sqlite3.Error:
        return None


def wait_idle(lake, lines, proc, timeout=IDLE_TIMEOUT):
    """Waits until bronze holds `lines` rows and silver and gold have read all of them."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"follow exited {proc.returncode} before it was idle"
        state = progress(lake)
        if state == (lines, lines, True):
            return
        time.sleep(0.02)
    raise AssertionError(f"follow not idle after {timeout} s: (bronze, silver, gold done) = {state}, "
                         f"want ({lines}, {lines}, True); seed {SEED}")


def stop(proc, sig=signal.SIGINT, timeout=60):
    wait_following(proc)
    proc.send_signal(sig)
    return proc.wait(timeout=timeout)


def runs_of(lake, pid):
    return lake.query("SELECT stage, status, coalesce(error, '') FROM lake_run WHERE pid = ? ORDER BY run_id", pid)


def batch_reference(lake, tmp):
    """A batch `lake run all` over a copy of the lake's final landing files; its digest."""
    ref = Lake(tmp)
    ref.landing.mkdir(parents=True)
    for p in lake.landing_files():
        os.link(p, ref.landing / p.name)
    ref.run("all")
    check_catalog(ref)
    return lake_digest(duck(), ref)


def assert_same(lake, ref_digest, what):
    got = lake_digest(duck(), lake)
    for key in ref_digest:
        if key == "gold_sqlite":
            assert got[key] == ref_digest[key], f"{what}: SQLite gold differs (seed {SEED})"
        else:
            assert got[key] == ref_digest[key], f"{what}: {key} (rows, distinct, hash) differs (seed {SEED})"


# -- tests -----------------------------------------------------------------------------------

def test_follow_equals_batch(stream, tmp_path):
    """(a) Follow during a bursty delivery, then SIGINT once idle: exit 0, its runs end 'ok',
    and every table equals one batch run over the same landing files."""
    print(f"seed {SEED}")
    rng = random.Random(SEED)
    d = Delivery(stream, rng, files=6)
    lake = Lake(tmp_path / "lake")
    lake.landing.mkdir(parents=True)
    proc = start_follow(lake, tmp_path / "follow.err")
    try:
        d.all(lake.landing, rng)
        wait_idle(lake, d.lines, proc)
        code = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, (tmp_path / "follow.err").read_text()
    runs = runs_of(lake, proc.pid)
    assert {s for s, _, _ in runs} >= {"bronze", "silver", "gold"}, runs
    assert all(status == "ok" for _, status, _ in runs), runs
    status = check_catalog(lake)
    assert status["orphans"] == []
    passes = sum(1 for line in (tmp_path / "follow.err").read_text().splitlines() if "clickstream:" in line)
    print(f"{len(d.bursts)} bursts into {len(d.files)} files, {passes} passes")
    assert passes > 3, "the delivery should have been picked up in several passes"
    assert_same(lake, batch_reference(lake, tmp_path / "batch"), "follow vs batch")


def test_follow_kill9_during_delivery(stream, tmp_path):
    """(b) kill -9 of the follow process at random instants while bursts arrive, restarted at
    once each time; after the last burst the final follow is stopped once idle. Every trial
    ends with the tables of a batch run."""
    print(f"seed {SEED}")
    for trial in range(KILL_TRIALS):
        rng = random.Random(SEED * 1000 + trial)
        d = Delivery(stream, rng, files=rng.randint(1, 5), burst_max=400_000)
        lake = Lake(tmp_path / f"lake-{trial}")
        lake.landing.mkdir(parents=True)
        logs = (tmp_path / f"follow-{trial}-{k}.err" for k in range(100))
        kills = set(rng.sample(range(len(d.bursts)), min(len(d.bursts), rng.randint(2, 4))))
        procs = [start_follow(lake, next(logs))]
        notes = []

        def maybe_kill(n):
            if n in kills:
                # A random instant after this burst: inside a pass, between passes, or in set-up.
                time.sleep(rng.uniform(0, 0.15))
                procs[-1].kill()
                procs[-1].wait()
                notes.append(f"kill after burst {n}: {progress(lake)}")
                procs.append(start_follow(lake, next(logs)))

        try:
            d.all(lake.landing, rng, on_burst=maybe_kill)
            wait_idle(lake, d.lines, procs[-1])
            code = stop(procs[-1])
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        print(f"trial {trial}: {len(d.bursts)} bursts, {len(d.files)} files; " + "; ".join(notes))
        assert code == 0, procs[-1].log.read_text()
        assert all(s == "ok" for _, s, _ in runs_of(lake, procs[-1].pid))
        check_catalog(lake)
        assert_same(lake, batch_reference(lake, tmp_path / f"batch-{trial}"), f"trial {trial}")


def test_follow_sigterm_mid_pass(stream, tmp_path):
    """(c) SIGTERM while a pass is in flight (bronze has committed, silver or gold still runs):
    the pass finishes, the process exits 0 with its runs 'ok', no orphan is left, nothing
    unreferenced is live, and the accounting balances; a batch run then finishes the job with
    the batch tables."""
    print(f"seed {SEED}")
    rng = random.Random(SEED + 7)
    for trial, delay in enumerate((0.0, rng.uniform(0.0, 0.1), rng.uniform(0.1, 0.4))):
        lake = Lake(tmp_path / f"lake-{trial}")
        lake.landing.mkdir(parents=True)
        log = tmp_path / f"follow-{trial}.err"
        proc = start_follow(lake, log, interval=30)
        try:
            # Let the first (empty) pass set the catalog up, then deliver everything at once.
            deadline = time.monotonic() + 30
            while progress(lake) is None and time.monotonic() < deadline:
                time.sleep(0.01)
            (lake.landing / "part-00000.jsonl").write_bytes(stream)
            while (progress(lake) or (0,))[0] <= 0 and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(delay)
            at = progress(lake)
            code = stop(proc, signal.SIGTERM)
        finally:
            if proc.poll() is None:
                proc.kill()
        print(f"trial {trial}: SIGTERM {delay * 1000:.0f} ms after bronze committed, state then {at}, "
              f"after exit {progress(lake)}")
        assert code == 0, log.read_text()
        runs = runs_of(lake, proc.pid)
        assert runs and all(s == "ok" for _, s, _ in runs), runs
        status = check_catalog(lake)
        assert status["orphans"] == [], status["orphans"]
        assert not list((lake.root).rglob("*.tmp")), "temporary files left behind"
        lake.run("all")
        check_catalog(lake)
        assert_same(lake, batch_reference(lake, tmp_path / f"batch-{trial}"), f"SIGTERM trial {trial}")


def test_input_during_a_pass_does_not_wait_for_the_interval(stream, tmp_path):
    """Bytes appended while a pass runs start the next pass at once: with --interval 60 the
    second burst (appended while the pass over the first is in flight) must reach gold within
    seconds, not after the interval. (Follow used to record the landing sizes *after* each pass,
    so such bytes looked already read and waited for the interval.)"""
    lake = Lake(tmp_path / "lake")
    lake.landing.mkdir(parents=True)
    log = tmp_path / "follow.err"
    proc = start_follow(lake, log, interval=60)
    cut = stream.rfind(b"\n", 0, len(stream) * 9 // 10) + 1
    lines = stream.count(b"\n")
    try:
        deadline = time.monotonic() + 30
        while progress(lake) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        with open(lake.landing / "events.jsonl", "ab") as f:
            f.write(stream[:cut])
        while (progress(lake) or (0,))[0] <= 0 and time.monotonic() < deadline:
            time.sleep(0.002)
        in_flight = progress(lake)
        with open(lake.landing / "events.jsonl", "ab") as f:
            f.write(stream[cut:])
        t0 = time.monotonic()
        wait_idle(lake, lines, proc, timeout=20)
        took = time.monotonic() - t0
        stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"second burst appended at {in_flight}; all in gold {took:.2f} s later")
    assert took < 10


def _commits_while_trickling(tmp_path, stream, commit_wait):
    """Follow fed ~300 lines a second for 6 s: how many bronze commits it made."""
    jobs = tmp_path / f"jobs-{commit_wait}"
    jobs.mkdir()
    text = (Path(__file__).resolve().parents[2] / "jobs" / "clickstream.toml").read_text()
    (jobs / "clickstream.toml").write_text(text + f'\n[catalog]\ncommit_wait = "{commit_wait}"\n')
    lake = Lake(tmp_path / f"lake-{commit_wait}", jobs=jobs)
    lake.landing.mkdir(parents=True)
    lines = stream.splitlines(keepends=True)
    p = lake.popen("run", "all", "--follow", "--interval", "1", stderr=subprocess.DEVNULL)
    written = 0
    try:
        with open(lake.landing / "events.jsonl", "ab") as f:
            start = time.monotonic()
            while time.monotonic() - start < 6:
                f.write(b"".join(lines[written:written + 30]))
                f.flush()
                written += 30
                time.sleep(0.1)
        time.sleep(2.5)
    finally:
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=60) == 0
    bronze = lake.query("SELECT count(*) FROM lake_snapshot WHERE stage = 'bronze' AND status = 'committed'")[0][0]
    assert lake.status()["accounting"][0]["bronze_rows"] == written  # nothing waits for ever
    return bronze


def test_little_input_waits_for_more_under_commit_wait(tmp_path, stream):
    """[catalog] commit_wait (default 1 s): under 256 KiB of new input waits up to it for more,
    so a trickle makes about a commit a second instead of one per pass (SPEC §7, issue #22)."""
    waiting = _commits_while_trickling(tmp_path, stream, "1s")
    eager = _commits_while_trickling(tmp_path, stream, "0s")
    assert 4 <= waiting <= 12, waiting
    assert eager >= 2 * waiting, (eager, waiting)
