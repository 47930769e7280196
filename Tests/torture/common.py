"""Shared pieces of the torture harness: the e2e helpers (imported read-only from
Tests/e2e/conftest.py), process running with crash and hang detection, scenario bookkeeping,
lake copies and job-file variants."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "e2e"))

from conftest import (BRONZE, GOLD, GOLD_COLUMNS, JOB, JOBS, LAKE_BIN, QUARANTINE,  # noqa: E402,F401
                      SILVER, TABLES, Lake, check_catalog, digest, duck, lake_digest, link_tree,
                      rows, scan, table_files_on_disk)

PARQUET_TOOL = os.environ.get("PARQUET_TOOL", str(REPO / ".build" / "debug" / "parquet-tool"))


class Failed(Exception):
    """A check of the harness did not hold (a difference, a crash, a hang, a bad message)."""


def require(condition, message):
    if not condition:
        raise Failed(message)


# -- processes ---------------------------------------------------------------------------------

class Result:
    """A finished process: exit code (negative: killed by that signal), output, seconds."""

    def __init__(self, argv, returncode, stdout, stderr, seconds, timed_out=False):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.timed_out = timed_out

    @property
    def err_lines(self):
        return [l for l in self.stderr.decode(errors="replace").splitlines() if l.strip()]

    def describe(self):
        argv = " ".join(str(a) for a in self.argv[:6])
        if self.timed_out:
            return f"`{argv}` hung (timeout after {self.seconds:.0f} s)"
        if self.returncode < 0:
            return f"`{argv}` crashed: killed by signal {signal.Signals(-self.returncode).name}"
        return f"`{argv}` exited {self.returncode}: {self.stderr.decode(errors='replace')[-600:]}"


def run(argv, input=None, timeout=120, env=None):
    """Runs argv to completion (or kills it at `timeout`); never raises for exit codes."""
    t0 = time.monotonic()
    p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.PIPE if input is not None else
                         subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, start_new_session=True)
    try:
        out, err = p.communicate(input=input, timeout=timeout)
        return Result(argv, p.returncode, out, err, time.monotonic() - t0)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return Result(argv, p.returncode, out, err, time.monotonic() - t0, timed_out=True)


def lake_run(lake, *args, input=None, timeout=300):
    return run(lake.args(*args), input=input, timeout=timeout)


def ok(result):
    """Exit 0, else Failed with what happened."""
    require(result.returncode == 0 and not result.timed_out, result.describe())
    return result


def no_crash(result):
    """Neither a signal nor a hang."""
    require(not result.timed_out and result.returncode >= 0, result.describe())
    return result


def one_line_error(result, *must_contain):
    """A defined refusal: non-zero exit (not a signal) and exactly one line on stderr that names
    each of `must_contain`."""
    no_crash(result)
    require(result.returncode != 0, f"expected a refusal, got exit 0: {result.describe()}")
    lines = result.err_lines
    require(len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {lines[:4]}")
    for text in must_contain:
        require(str(text) in lines[0], f"stderr line does not name {text!r}: {lines[0]}")
    return lines[0]


# -- scenario bookkeeping ----------------------------------------------------------------------

class Scenario:
    """Counts of one scenario for the summary table; failures are collected, not raised, so one
    run of the harness reports every problem it meets."""

    def __init__(self, name, seed):
        self.name = name
        self.seed = seed
        self.rng = random.Random(seed)
        self.trials = 0
        self.cases = 0
        self.fuzz = 0
        self.failures = []
        self.notes = []
        self.known_bugs = []
        self.skipped = None
        self.started = time.monotonic()
        self.seconds = 0.0
        print(f"\n== {name} (seed {seed})", flush=True)

    def log(self, text):
        print(f"  {text}", flush=True)

    def fail(self, context, message):
        self.failures.append(f"{context}: {message}")
        print(f"  FAILURE {context}: {message}", flush=True)

    def known_bug(self, text):
        self.known_bugs.append(text)
        print(f"  KNOWN BUG (excluded): {text}", flush=True)

    def check(self, context, fn, *args, **kw):
        """Runs one check; a Failed or AssertionError becomes a recorded failure."""
        try:
            return fn(*args, **kw)
        except (Failed, AssertionError) as e:
            self.fail(context, str(e) or repr(e))
            return None

    def done(self):
        self.seconds = time.monotonic() - self.started
        return self


# -- lakes -------------------------------------------------------------------------------------

def job_variant(folder, **replacements):
    """A jobs folder whose clickstream.toml has `old → new` text replacements (keys: any name;
    values: (old, new) pairs)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = (JOBS / "clickstream.toml").read_text()
    for old, new in replacements.values():
        assert old in text, old
        text = text.replace(old, new, 1)
    (folder / "clickstream.toml").write_text(text)
    return folder


def small_commits_jobs(folder, rows):
    return job_variant(folder, rows=("max_file_rows = 1_000_000", f"max_file_rows = {rows}"))


def copy_lake(lake, dst, jobs=None):
    """A copy of a lake no process is using: Parquet and landing files hard-linked (lake never
    rewrites a file in place), the catalog and its WAL copied."""
    src, dst = Path(lake.root), Path(dst)
    for dirpath, dirs, files in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for n in files:
            s, d = Path(dirpath) / n, dst / rel / n
            if n.startswith("catalog.db"):
                if n != "catalog.db-shm":
                    shutil.copy2(s, d)
            elif n.endswith(".lock"):
                continue
            else:
                os.link(s, d)
    return Lake(dst, jobs=jobs or lake.jobs)


def after_crash_state(lake):
    """The state a kill left must already be consistent. A kill before the first run's catalog
    set-up committed leaves no catalog or an empty one: status then says so in one line."""
    if not (lake.root / "catalog.db").exists():
        return "no catalog"
    p = lake_run(lake, "status", "--json")
    no_crash(p)
    if p.returncode != 0:
        line = one_line_error(p)
        require("catalog is empty" in line, f"status after a kill: {line}")
        require(not table_files_on_disk(lake), "table files but an empty catalog")
        return "empty catalog"
    import json
    status = check_catalog(lake, json.loads(p.stdout))
    running = [r["stage"] for r in status["runs"] if r["status"] == "running"]
    return f"running: {running[0] if running else 'none'}, {len(status['orphans'])} orphans"


def no_run_left_running(lake):
    left = lake.query("SELECT run_id, stage FROM lake_run WHERE status = 'running'")
    require(left == [], f"runs still 'running' after a clean rerun: {left}")


def compare_digests(got, expected, keys=None):
    for key in keys or expected:
        require(got[key] == expected[key],
                f"{key} differs from the clean run: got {str(got[key])[:200]}, "
                f"expected {str(expected[key])[:200]}")


def status_json(lake):
    import json
    p = ok(lake_run(lake, "status", "--json"))
    return json.loads(p.stdout)
