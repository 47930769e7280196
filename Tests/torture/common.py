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
import tomllib
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "e2e"))

from conftest import (BRONZE, GOLD, GOLD_COLUMNS, JOB, JOBS, LAKE_BIN, QUARANTINE,  # noqa: E402,F401
                      SILVER, TABLES, Lake, check_catalog, digest, duck, lake_digest, link_tree,
                      retired_lists, rows, scan, table_files_on_disk)

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


def verify_finds(lake, path):
    """`lake verify` finds the damage: exit 1 and a line on stdout naming `path`."""
    r = no_crash(lake_run(lake, "verify"))
    found = [l for l in r.stdout.decode(errors="replace").splitlines() if str(path) in l]
    require(r.returncode == 1 and found, f"lake verify did not find the damage to {path}: {r.describe()} "
            f"{r.stdout.decode(errors='replace')[-400:]}")


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

def job_variant(folder, job=JOB, **replacements):
    """A jobs folder whose <job>.toml (clickstream unless `job` says otherwise) has `old → new`
    text replacements (keys: any name; values: (old, new) pairs)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = (JOBS / f"{job}.toml").read_text()
    for old, new in replacements.values():
        assert old in text, old
        text = text.replace(old, new, 1)
    (folder / f"{job}.toml").write_text(text)
    return folder


def small_commits_jobs(folder, rows, job=JOB):
    return job_variant(folder, job=job, rows=("max_file_rows = 1_000_000", f"max_file_rows = {rows}"))


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
    if isinstance(lake, JobLake):
        return JobLake(dst, lake.tables, jobs=jobs or lake.jobs)
    return Lake(dst, jobs=jobs or lake.jobs)


def after_crash_state(lake):
    """The state a kill left must already be consistent. A kill before the first run's catalog
    set-up committed leaves no catalog or an empty one: status then says so in one line."""
    if not (lake.root / "catalog.db").exists():
        return "no catalog"
    p = lake_run(lake, "status", "--json")
    no_crash(p)
    # Every table of the job (conftest's TABLES predate the declared gold tables: a kill in gold
    # can leave a gold_category_activity orphan that check_catalog does not know of).
    tables = lake.tables if isinstance(lake, JobLake) else JobTables(JOB, lake.jobs)
    if p.returncode != 0:
        line = one_line_error(p)
        require("catalog is empty" in line, f"status after a kill: {line}")
        require(not job_files_on_disk(lake, tables), "table files but an empty catalog")
        return "empty catalog"
    import json
    status = json.loads(p.stdout)
    status = check_job_catalog(lake, tables, status)
    # The log versions the kill left: the rerun may add versions, never change these.
    lake.delta_after_kill = delta_versions(lake)
    # `run all` runs its stages side by side: name every stage the kill cut short.
    running = sorted({r["stage"] for r in status["runs"] if r["status"] == "running"})
    return f"running: {'+'.join(running) or 'none'}, {len(status['orphans'])} orphans"


def delta_versions(lake):
    """{path: bytes} of every version file in the tables' _delta_log folders."""
    out = {}
    for log in lake.root.glob("*/_delta_log"):
        for p in log.iterdir():
            if p.name[:1].isdigit() and p.name.endswith(".json"):
                out[str(p.relative_to(lake.root))] = p.read_bytes()
    return out


def check_delta_log(lake, status):
    """Every table with files reads through its Delta log (delta-rs) with exactly the rows the
    catalog counts, nothing left queued, and no version that existed after the kill changed."""
    from deltalake import DeltaTable
    for name, t in status["tables"].items():
        require(t.get("delta_queued", 0) == 0, f"{name}: {t.get('delta_queued')} commits not in the Delta log")
        if t["files"] == 0 and t["retired_files"] == 0:
            continue
        dt = DeltaTable(str(lake.root / name))
        require(dt.version() == t["delta_version"], f"{name}: delta-rs version {dt.version()}, status {t['delta_version']}")
        rows = dt.to_pyarrow_table().num_rows
        require(rows == t["rows"], f"{name}: delta-rs reads {rows} rows, the catalog has {t['rows']}")
    before = getattr(lake, "delta_after_kill", None) or {}
    now = delta_versions(lake)
    changed = sorted(k for k, v in before.items() if now.get(k) != v)
    require(not changed, f"Delta versions rewritten or removed after the kill: {changed[:5]}")


def no_run_left_running(lake):
    left = lake.query("SELECT run_id, stage FROM lake_run WHERE status = 'running'")
    require(left == [], f"runs still 'running' after a clean rerun: {left}")


def compare_digests(got, expected, keys=None):
    """Equal digests (lake_digest's values; job_digest's row lists compared by compare_rows)."""
    rows = {}
    for key in keys or expected:
        if isinstance(expected[key], list) and expected[key] and isinstance(expected[key][0], tuple) \
                and isinstance(expected[key][0][0], tuple):
            rows[key] = expected[key]
            continue
        require(got[key] == expected[key],
                f"{key} differs from the clean run: got {str(got[key])[:200]}, "
                f"expected {str(expected[key])[:200]}")
    if rows:
        compare_rows({k: got.get(k) for k in rows}, rows)


def status_json(lake):
    import json
    p = ok(lake_run(lake, "status", "--json"))
    return json.loads(p.stdout)


def job_accounting(status, job=JOB):
    """The accounting row of one job: status lists one per job of the jobs folder (a job with
    no input yet included)."""
    rows = [a for a in status["accounting"] if a["job"] == job]
    require(len(rows) == 1, f"status has {len(rows)} accounting rows for job {job}: {status['accounting']}")
    return rows[0]


# -- any job: its tables, its catalog invariants, its digest -----------------------------------

class JobTables:
    """The tables a job file declares (SPEC §11, §12): bronze, silver, quarantine and gold. Gold
    tables with a `window` (and sessions) keep their closed rows in Parquet too; running totals
    and top tables live in SQLite only."""

    def __init__(self, job, jobs=JOBS):
        spec = tomllib.loads((Path(jobs) / f"{job}.toml").read_text())
        self.job = job
        self.landing = spec["source"].get("landing")  # none for a Kafka source
        self.bronze = spec["bronze"]["table"]
        self.silver = spec["silver"]["table"]
        self.quarantine = spec["silver"]["quarantine_table"]
        # Child tables ([silver.children]): silver tables of their own.
        self.children = [c.get("table", "silver_" + key)
                         for key, c in spec["silver"].get("children", {}).items()]
        self.gold = {}  # table name → True if its closed rows are in Parquet too
        # Columns that depend on which model labelled a row, not on silver alone (kmeans: the
        # model the first gold commit fits depends on how silver was split into commits).
        self.model_columns = {}
        for key, g in spec.get("gold", {}).items():
            name = g.get("table", "gold_" + key)
            self.gold[name] = g["kind"] in ("sessions", "kmeans") or "window" in g
            if g["kind"] == "kmeans":
                self.model_columns[name] = [g.get("label_column", "segment"), "model_version"]
        self.windowed = [t for t, parquet in self.gold.items() if parquet]
        self.parquet = [self.bronze, self.silver, self.quarantine, *self.children, *self.windowed]


class JobLake(Lake):
    """A lake whose landing folder is the job's (`lake run … --job NAME` is passed explicitly)."""

    def __init__(self, root, tables, jobs=JOBS):
        super().__init__(root, jobs=jobs)
        self.tables = tables

    @property
    def landing(self):
        return self.root / self.tables.landing


def job_files_on_disk(lake, tables):
    """Parquet and temp files under the job's table folders, lake-relative."""
    found = set()
    for table in tables.parquet:
        for dirpath, _, names in os.walk(lake.root / table):
            in_log = "_delta_log" in Path(dirpath).parts
            for n in names:
                # The Delta log's versions and checkpoints are not data files; a temporary file a
                # kill left there is an orphan (as `lake status` counts them).
                if n.startswith(".tmp-") if in_log else n.endswith((".parquet", ".tmp")):
                    found.add(str((Path(dirpath) / n).relative_to(lake.root)))
    return found


def check_job_catalog(lake, tables, status=None):
    """check_catalog (Tests/e2e/conftest.py) for any job's tables: every live file exists, is
    live once, has the row count and size the catalog says; status agrees; every accounting row
    balances; the SQLite-only gold tables have no files; orphans are exactly the files the
    catalog does not know."""
    import pyarrow.parquet as pq
    status = status or status_json(lake)
    everything = lake.query("SELECT path, end_snapshot FROM lake_data_file")
    live = [p for p, end in everything if end is None]
    require(len(live) == len(set(live)), "a path is live twice")
    for table in tables.parquet:
        files = lake.live_files(table)
        for path, count, size in files:
            full = lake.root / path
            require(full.is_file(), f"live file {path} is missing")
            require(pq.ParquetFile(full).metadata.num_rows == count, f"row count of {path}")
            require(full.stat().st_size == size, f"size of {path}")
        if table in status["tables"]:
            t = status["tables"][table]
            require((t["rows"], t["files"], t["bytes"]) == (
                sum(c for _, c, _ in files), len(files), sum(s for _, _, s in files)),
                f"{table}: status {t} disagrees with the catalog's live files")
        else:
            require(not files, f"{table} has files but status does not list it")
    for table, parquet in tables.gold.items():
        if not parquet:
            require(not lake.live_files(table), f"{table} lives in SQLite only, yet has files")
    for a in status["accounting"]:
        require(a["balanced"] and a["bronze_rows"] == a["silver_rows"] + a["duplicates"]
                + a["quarantined"] + a["pending"], f"accounting does not balance: {a}")
    unknown = job_files_on_disk(lake, tables) - {p for p, _ in everything} - {e["path"] for _, e in retired_lists(lake)}
    require(set(status["orphans"]) == unknown,
            f"orphans {sorted(status['orphans'])[:4]}, files the catalog does not know {sorted(unknown)[:4]}")
    require(not set(status["orphans"]) & set(live), "a live file is listed as an orphan")
    return status


def frozen(value):
    """A value as an exact, orderable key: floats bit for bit (NaN included), timestamps as text."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, float):
        return (2, value.hex())
    if isinstance(value, int):
        return (3, value)
    if isinstance(value, str):
        return (4, value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return (5, bytes(value))
    if isinstance(value, datetime):
        return (6, value.isoformat())
    return (7, repr(value))


def sorted_rows(rows):
    return sorted(tuple(frozen(v) for v in row) for row in rows)


def all_columns(lake, table, skip=()):
    """A select list of every column of a table (its schema in the catalog) but `skip`,
    timestamps as microseconds: a window of an event early in year 1 starts in year 0, which
    Python's datetime cannot hold."""
    import json
    (schema,) = lake.query("SELECT schema_json FROM lake_table WHERE table_name = ?", table)[0]
    return ", ".join(f'epoch_us("{c["name"]}")' if c["type"] == "timestamp" else f'"{c["name"]}"'
                     for c in json.loads(schema) if c["name"] not in skip)


def job_digest(con, lake, tables, gold_only=False):
    """Everything a clean run and a rerun must agree on, for any job: bronze (order-independent
    hash of every column but the wall-clock ingested_at), every row and column of silver and
    quarantine (a future_timestamp detail quotes the arrival time, so it is left out), every
    gold table's SQLite rows and the windowed gold tables' live Parquet rows, sorted. With
    gold_only, the gold tables only."""
    from conftest import scan
    if gold_only:
        out = {}
        for table in tables.windowed:
            paths = lake.live_paths(table)
            out[f"{table} (Parquet)"] = sorted_rows(con.sql(
                f"SELECT {all_columns(lake, table, skip=model_columns(tables, table))} FROM {scan(paths)}"
            ).fetchall()) if paths else []
        for table in tables.gold:
            out[f"{table} (SQLite)"] = sorted_rows(lake.query(f"SELECT {sqlite_columns(lake, tables, table)} FROM \"{table}\""))
        return out
    out = {}
    paths = lake.live_paths(tables.bronze)
    out[tables.bronze] = tuple(int(x) for x in con.sql(
        "SELECT count(*), count(DISTINCT ingest_id), coalesce(sum(hash(ingest_id, source, source_offset, "
        f"body)::HUGEINT), 0) FROM {scan(paths)}").fetchall()[0]) if paths else (0, 0, 0)
    queries = {tables.silver: all_columns(lake, tables.silver),
               tables.quarantine: "ingest_id, reason, body, CASE WHEN reason = "
               "'future_timestamp' THEN NULL ELSE detail END AS detail"}
    for table in getattr(tables, "children", []):
        queries[table] = all_columns(lake, table)
    for table in tables.windowed:
        queries[table] = all_columns(lake, table, skip=model_columns(tables, table))
    for table, columns in queries.items():
        paths = lake.live_paths(table)
        key = table if table in (tables.silver, tables.quarantine, *getattr(tables, "children", [])) \
            else f"{table} (Parquet)"
        out[key] = sorted_rows(con.sql(f"SELECT {columns} FROM {scan(paths)}").fetchall()) if paths else []
    for table in tables.gold:
        out[f"{table} (SQLite)"] = sorted_rows(lake.query(f"SELECT {sqlite_columns(lake, tables, table)} FROM \"{table}\""))
    return out


def model_columns(tables, table):
    return getattr(tables, "model_columns", {}).get(table, [])


def sqlite_columns(lake, tables, table):
    """Every column of a gold table's SQLite rows but those a model decides (`*` when none)."""
    skip = model_columns(tables, table)
    if not skip:
        return "*"
    names = [r[1] for r in lake.query(f'PRAGMA table_info("{table}")')]
    return ", ".join(f'"{n}"' for n in names if n not in skip)


def compare_rows(got, expected):
    """Each table of two job_digests equal; the message shows a few rows on either side."""
    problems = []
    for key, want in expected.items():
        have = got.get(key)
        if have == want:
            continue
        if not isinstance(want, list) or not isinstance(have, list):
            problems.append(f"{key}: {have}, clean run {want}")
            continue
        def show(rows):  # a few rows, values as read (floats as hex)
            return str([tuple(v[1] if len(v) > 1 else None for v in row) for row in rows[:2]])[:300]
        extra = list((Counter(have) - Counter(want)).elements())
        missing = list((Counter(want) - Counter(have)).elements())
        problems.append(f"{key}: {len(have)} rows, clean run {len(want)}; only here {show(extra)}, "
                        f"only in the clean run {show(missing)}")
    require(not problems, "differs from the clean run: " + " | ".join(problems))
