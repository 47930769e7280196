"""Crash safety (SPEC §7, §10): `lake run` killed with SIGKILL at random instants, then rerun to
completion, gives exactly the tables a clean run gives, and the catalog stays consistent at every
step: live files exist once with their row counts, the accounting balances, and what the crash
left behind is listed as orphans (never a live file)."""

import random
import shutil
import subprocess
import time

import pytest

from conftest import (BRONZE, JOBS, Lake, check_catalog, digest, duck, lake_digest, link_tree,
                      table_files_on_disk)

EVENTS = 100_000
BRONZE_TRIALS = 20
ALL_TRIALS = 10


@pytest.fixture(scope="module")
def crash_setup(tmp_path_factory):
    """One generated input of 100k clean events (~102k lines, ~43 MB, with 2% duplicates and
    0.5% late and malformed lines) shared by every trial, and a clean run over it as the
    reference. 100k events make bronze take a few tenths of a second and `run all` a few
    seconds in a debug build, long enough for kills to land inside every phase (catalog set-up,
    writing, fsync, commit) while 30 trials still fit in about a minute and a half."""
    base = tmp_path_factory.mktemp("crash")
    source = base / "input"
    Lake(base / "gen").generate(out=source, events=EVENTS, users=1000, seed=99, files=4,
                                jitter=30, duplicates=0.02, late=0.005, malformed=0.005)
    # A job that commits bronze every 7000 lines (~15 commits) so kills also land between
    # commits; the tables' contents do not depend on it.
    small = base / "jobs-small-commits"
    small.mkdir()
    toml = (JOBS / "clickstream.toml").read_text()
    assert "max_file_rows = 1_000_000" in toml
    (small / "clickstream.toml").write_text(toml.replace("max_file_rows = 1_000_000", "max_file_rows = 7_000"))

    ref = Lake(base / "reference")
    link_tree(source, ref.landing)
    t0 = time.monotonic()
    ref.run("bronze")
    bronze_seconds = time.monotonic() - t0
    ref.run("all")
    all_seconds = time.monotonic() - t0
    check_catalog(ref)
    digest = lake_digest(duck(), ref)
    print(f"clean run: bronze {bronze_seconds:.2f} s, all {all_seconds:.2f} s")
    return dict(base=base, source=source, small_jobs=small, digest=digest,
                bronze_seconds=bronze_seconds, all_seconds=all_seconds)


def kill_at(lake, stage, delay):
    """Starts `lake run <stage>`, SIGKILLs it after `delay` seconds; True if it was killed."""
    p = lake.popen("run", stage, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=delay)
        return False  # finished first
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return True


def after_crash_checks(lake):
    """The state a kill left must already be consistent. A kill before the first run's catalog
    set-up committed leaves no catalog or an empty one: status then says so in one line."""
    if not (lake.root / "catalog.db").exists():
        return "no catalog"
    p = lake.cmd("status", "--json", check=False)
    if p.returncode != 0:
        lines = p.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and "catalog is empty" in lines[0], lines
        assert not table_files_on_disk(lake)
        return "empty catalog"
    status = check_catalog(lake)
    running = [r["stage"] for r in status["runs"] if r["status"] == "running"]
    return f"killed in {running[0] if running else '-'}, {len(status['orphans'])} orphans"


def no_run_left_running(lake):
    left = lake.query("SELECT run_id, stage FROM lake_run WHERE status = 'running'")
    assert left == [], left


def run_trials(crash_setup, stage, trials, max_delay, compare):
    seed = random.randrange(1 << 30)
    print(f"crash {stage}: seed {seed}, delays up to {max_delay:.2f} s")
    rng = random.Random(seed)
    killed = 0
    # Half the trials commit bronze once, half every 7000 lines, shuffled over the slices.
    job_folders = [JOBS, crash_setup["small_jobs"]] * (trials // 2) + [JOBS] * (trials % 2)
    rng.shuffle(job_folders)
    for trial in range(trials):
        jobs = job_folders[trial]
        # Stratified: trial i is killed at a random instant of the i-th of `trials` equal slices
        # of the clean run, so the short last phase (gold) is hit too, not only by luck.
        delay = rng.uniform(trial, trial + 1) * max_delay / trials
        lake = Lake(crash_setup["base"] / f"{stage}-{seed}-{trial}", jobs=jobs)
        link_tree(crash_setup["source"], lake.landing)
        context = f"seed {seed} trial {trial} delay {delay:.3f} s jobs {jobs.name}"
        was_killed = kill_at(lake, stage, delay)
        killed += was_killed
        try:
            print(f"  trial {trial}: delay {delay:.3f} s, {'killed' if was_killed else 'finished'}, "
                  f"{after_crash_checks(lake)}")
            lake.run(stage)
            status = check_catalog(lake)
            no_run_left_running(lake)
            assert status["accounting"][0]["pending"] == (
                status["tables"][BRONZE]["rows"] if stage == "bronze" else 0)
            compare(lake)
        except AssertionError as e:
            raise AssertionError(f"{context}: {e}") from e
        shutil.rmtree(lake.root)
    print(f"crash {stage}: {killed} of {trials} runs killed before they finished")
    assert killed >= trials // 2


def test_bronze_killed_at_random_instants(crash_setup):
    """20 kills of `lake run bronze` between 0 and the clean run's duration, half with one
    commit per run and half with ~15; each rerun must give the clean bronze table exactly."""
    expected = crash_setup["digest"][BRONZE]
    con = duck()

    def compare(lake):
        assert digest(con, lake, BRONZE) == expected

    run_trials(crash_setup, "bronze", BRONZE_TRIALS, crash_setup["bronze_seconds"], compare)


def test_run_all_killed_at_random_instants(crash_setup):
    """10 kills of `lake run all` between 0 and the clean run's duration (bronze, silver or gold
    may be the one killed); the rerun must give the clean bronze, silver, quarantine, gold
    Parquet and SQLite gold exactly."""
    expected = crash_setup["digest"]
    con = duck()

    def compare(lake):
        got = lake_digest(con, lake)
        for key in expected:
            assert got[key] == expected[key], key

    run_trials(crash_setup, "all", ALL_TRIALS, crash_setup["all_seconds"], compare)
