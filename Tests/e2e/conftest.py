"""Shared helpers for the end-to-end suite: run the `lake` binary on a throwaway lake and read
back what it wrote with independent tools (the catalog with Python's sqlite3, Parquet with
pyarrow and DuckDB).

The binary comes from $LAKE_BIN (default: <repo>/.build/debug/lake), the job definitions from
<repo>/jobs. Every test builds its own lake under pytest's tmp_path.
"""

import json
import os
import shutil
import struct
import sqlite3
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
LAKE_BIN = os.environ.get("LAKE_BIN", str(REPO / ".build" / "debug" / "lake"))
JOBS = REPO / "jobs"

JOB = "clickstream"
BRONZE = "bronze_clickstream"
SILVER = "silver_clickstream"
QUARANTINE = "quarantine_clickstream"
GOLD = "gold_session_stats"
TABLES = (BRONZE, SILVER, QUARANTINE, GOLD)

GOLD_COLUMNS = (
    "user_id, session_start, session_end, window_end, events_count, is_purchased, "
    "has_cart_activity, is_abandoned_cart, session_revenue, is_closed"
)


def pytest_configure(config):
    if not Path(LAKE_BIN).is_file():
        raise pytest.UsageError(
            f"lake binary not found at {LAKE_BIN}: run `swift build` or set LAKE_BIN")


class Lake:
    """One lake folder and the commands that act on it."""

    def __init__(self, root, jobs=JOBS):
        self.root = Path(root)
        self.jobs = Path(jobs)
        self.root.mkdir(parents=True, exist_ok=True)

    # -- the binary ------------------------------------------------------------------------

    def args(self, *args):
        """The argv of `lake <args> --lake ROOT --jobs JOBS`."""
        return [LAKE_BIN, *map(str, args), "--lake", str(self.root), "--jobs", str(self.jobs)]

    def cmd(self, *args, input=None, check=True, timeout=300):
        p = subprocess.run(self.args(*args), input=input, capture_output=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(
                f"`lake {' '.join(map(str, args))}` exited {p.returncode}\n"
                f"stderr: {p.stderr.decode(errors='replace')}")
        return p

    def run(self, stage="all", *extra, **kw):
        return self.cmd("run", stage, *extra, **kw)

    def popen(self, *args, **kw):
        return subprocess.Popen(self.args(*args), **kw)

    def generate(self, out=None, **options):
        """`lake generate` with --name value options; returns the manifest."""
        argv = ["generate"]
        for k, v in options.items():
            argv += ["--" + k.replace("_", "-"), str(v)]
        if out is not None:
            argv += ["--out", str(out)]
        self.cmd(*argv)
        folder = Path(out) if out is not None else self.landing
        return json.loads((folder / ".manifest.json").read_text())

    def status(self):
        return json.loads(self.cmd("status", "--json").stdout)

    # -- landing ---------------------------------------------------------------------------

    @property
    def landing(self):
        return self.root / "landing" / JOB

    def landing_files(self):
        """The files bronze reads, in the order it reads them (name order, hidden ones skipped)."""
        return sorted(p for p in self.landing.iterdir()
                      if p.is_file() and not p.name.startswith((".", "_")))

    def landing_bytes(self):
        return b"".join(p.read_bytes() for p in self.landing_files())

    # -- catalog ---------------------------------------------------------------------------

    def catalog(self):
        """A read-only connection to catalog.db."""
        return sqlite3.connect(f"file:{self.root / 'catalog.db'}?mode=ro", uri=True)

    def query(self, sql, *params):
        with self.catalog() as db:
            return db.execute(sql, params).fetchall()

    def live_files(self, table):
        """[(path relative to the lake, record_count, file_size_bytes)] of the table's live files."""
        return self.query(
            "SELECT f.path, f.record_count, f.file_size_bytes FROM lake_data_file f "
            "JOIN lake_table t USING (table_id) WHERE t.table_name = ? AND f.end_snapshot IS NULL "
            "ORDER BY f.file_id", table)

    def live_paths(self, table):
        return [str(self.root / p) for p, _, _ in self.live_files(table)]

    def gold_sqlite(self, where="1"):
        return self.query(
            f"SELECT {GOLD_COLUMNS} FROM {GOLD} WHERE {where} ORDER BY user_id, session_start")


def duck():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def scan(paths):
    """A DuckDB table expression over exactly these Parquet files (no globbing, no hive columns)."""
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    return f"read_parquet([{quoted}], hive_partitioning = false)"


def rows(con, paths, columns="*", order="ingest_id"):
    if not paths:
        return []
    return con.sql(f"SELECT {columns} FROM {scan(paths)} ORDER BY {order}").fetchall()


# What each table must hold identically across runs. Bronze's ingested_at is wall-clock time and
# a future_timestamp quarantine detail quotes it, so those are left out; everything else counts.
DIGEST_COLUMNS = {
    BRONZE: "ingest_id, source, source_offset, body",
    SILVER: "t",
    QUARANTINE: "ingest_id, reason, body, "
                "CASE WHEN reason = 'future_timestamp' THEN NULL ELSE detail END",
    GOLD: "t",
}


def digest(con, lake, table):
    """(rows, distinct ingest ids or rows, order-independent hash of every row) of the live files."""
    paths = lake.live_paths(table)
    if not paths:
        return (0, 0, 0)
    distinct = "count(DISTINCT ingest_id)" if table != GOLD else "count(*)"
    r = con.sql(f"SELECT count(*), {distinct}, coalesce(sum(hash({DIGEST_COLUMNS[table]})::HUGEINT), 0) "
                f"FROM {scan(paths)} t").fetchall()[0]
    return tuple(int(x) for x in r)


def lake_digest(con, lake):
    """Everything a clean run and a rerun must agree on: every table and the SQLite gold rows."""
    return {**{t: digest(con, lake, t) for t in TABLES}, "gold_sqlite": lake.gold_sqlite()}


def all_tables(lake):
    """The clickstream tables, every other table the catalog registers (every job's gold
    tables: they are declared in the job files, and a kill can leave orphans in any of them),
    and folders laid out as tables that the catalog does not name (a catalog that lost its last
    commits to a damaged WAL forgets the tables they created; `lake status` still shows their
    files as orphans)."""
    try:
        registered = [t for (t,) in lake.query("SELECT table_name FROM lake_table")]
    except Exception:
        registered = []
    on_disk = [d.name for d in lake.root.iterdir() if d.is_dir() and d.name not in ("landing", "logs", "locks")
               and not d.name.startswith(".") and any(c.name == "_delta_log" or c.name.startswith("date=")
                                                      for c in d.iterdir())] if lake.root.is_dir() else []
    return list(TABLES) + sorted((set(registered) | set(on_disk)) - set(TABLES))


def table_files_on_disk(lake):
    """Parquet and temp files under the tables' folders, lake-relative."""
    found = set()
    for table in all_tables(lake):
        folder = lake.root / table
        if not folder.exists():
            continue
        for dirpath, _, names in os.walk(folder):
            in_log = "_delta_log" in Path(dirpath).parts
            for n in names:
                # The Delta log's versions and checkpoints are not data files; a temporary file a
                # kill left there is an orphan (as `lake status` counts them).
                if n.startswith(".tmp-") if in_log else n.endswith((".parquet", ".tmp")):
                    found.add(str((Path(dirpath) / n).relative_to(lake.root)))
    return found


def jobs_with(folder, job, extra):
    """A jobs folder at `folder` holding the shipped `job` file with `extra` TOML appended."""
    folder.mkdir()
    text = (REPO / "jobs" / f"{job}.toml").read_text()
    (folder / f"{job}.toml").write_text(text + "\n" + extra + "\n")
    return folder


def retired_lists(lake):
    """The retired files the catalog keeps as compressed lists (`RetiredFileList`), decoded:
    (table_id, entry dict) pairs."""
    out = []
    for table_id, blob in lake.query("SELECT table_id, files FROM lake_retired_list ORDER BY list_id"):
        assert blob[:4] == b"LKR1"
        size = struct.unpack("<q", blob[4:12])[0]
        raw = pa.decompress(blob[12:], decompressed_size=size, codec="zstd", asbytes=True)
        pos = 0

        def i64():
            nonlocal pos
            pos += 8
            return struct.unpack("<q", raw[pos - 8:pos])[0]

        def text():
            nonlocal pos
            n = i64()
            pos += n
            return raw[pos - n:pos].decode()

        for _ in range(i64()):
            e = {"path": text()}
            pos += 1
            e["partition"] = text() if raw[pos - 1] == 1 else None
            for k in ("size", "begin", "end", "delta_added", "delta_removed", "removed_ms"):
                e[k] = i64()
            pos += 1
            e["data_change"] = raw[pos - 1] == 1
            out.append((table_id, e))
        assert pos == len(raw)
    return out


def check_catalog(lake, status=None):
    """The invariants every lake must hold whatever happened to it: every live file exists, is
    live once, has the row count and size the catalog says; status agrees with the files; the
    accounting balances; orphans are exactly the files the catalog does not know."""
    status = status or lake.status()
    everything = lake.query("SELECT path, end_snapshot FROM lake_data_file")
    live = [p for p, end in everything if end is None]
    assert len(live) == len(set(live)), "a path is live twice"
    for table in all_tables(lake):
        files = lake.live_files(table)
        for path, count, size in files:
            full = lake.root / path
            assert full.is_file(), f"live file {path} is missing"
            assert pq.ParquetFile(full).metadata.num_rows == count, f"row count of {path}"
            assert full.stat().st_size == size, f"size of {path}"
        if table in status["tables"]:
            t = status["tables"][table]
            assert (t["rows"], t["files"], t["bytes"]) == (
                sum(c for _, c, _ in files), len(files), sum(s for _, _, s in files)), table
        else:
            assert not files, f"{table} has files but status does not list it"
    for a in status["accounting"]:
        assert a["balanced"], a
        assert a["bronze_rows"] == a["silver_rows"] + a["duplicates"] + a["quarantined"] + a["pending"], a
    unknown = table_files_on_disk(lake) - {p for p, _ in everything} - {e["path"] for _, e in retired_lists(lake)}
    assert set(status["orphans"]) == unknown
    assert not set(status["orphans"]) & set(live)
    return status


def link_tree(src, dst):
    """Hard-links (or copies) every file of src into dst: generated input shared between lakes."""
    dst.mkdir(parents=True, exist_ok=True)
    for p in Path(src).iterdir():
        if p.is_file():
            try:
                os.link(p, dst / p.name)
            except OSError:
                shutil.copy2(p, dst / p.name)


@pytest.fixture
def lake(tmp_path):
    return Lake(tmp_path / "lake")
