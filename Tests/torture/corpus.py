"""Scenario 2, bad input (SPEC §3, §5, §10): hostile lines through every way in (landing file,
.zst landing file, standard input, and a job with 64 MiB lines), hostile files (damaged .zst
landing files, damaged or missing Parquet files the catalog references, damaged catalogs, job
files with wrong types, odd landing entries), and two seeded, time-bounded fuzz loops (mutated
event lines checked line by line against the model in oracle.py; damaged Parquet files read by
`parquet-tool dump`/`meta`). Every case must have a defined outcome: the expected silver row or
quarantine reason, or a refusal (non-zero exit, one stderr line naming the file); never a signal
or a hang."""

import json
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import hostile_lines
import oracle
from common import (BRONZE, GOLD, JOBS, PARQUET_TOOL, QUARANTINE, SILVER, Failed, Lake, Scenario,
                    check_catalog, job_variant, lake_run, no_crash, ok, one_line_error,
                    require, run, status_json)

COLUMNS = [c[0] for c in oracle.Job().columns]


# -- reading what lake wrote ---------------------------------------------------------------------

def read_rows(lake, table, min_ingest_id=None):
    """Rows of the table's live files as dicts (timestamps as int micros), by ingest_id; with
    min_ingest_id, only files that may hold larger ids (the catalog's ingest id range)."""
    sql = ("SELECT f.path FROM lake_data_file f JOIN lake_table t USING (table_id) "
           "WHERE t.table_name = ? AND f.end_snapshot IS NULL")
    params = [table]
    if min_ingest_id is not None:
        sql += " AND (f.max_ingest_id IS NULL OR f.max_ingest_id >= ?)"
        params.append(min_ingest_id)
    out = {}
    for (path,) in lake.query(sql, *params):
        t = pq.read_table(lake.root / path)
        cols = {}
        for name in t.column_names:
            c = t.column(name)
            if pa.types.is_timestamp(c.type):
                c = c.cast(pa.int64())
            cols[name] = c.to_pylist()
        for i in range(t.num_rows):
            row = {k: v[i] for k, v in cols.items()}
            if min_ingest_id is None or row["ingest_id"] >= min_ingest_id:
                require(row["ingest_id"] not in out, f"{table}: ingest_id {row['ingest_id']} twice")
                out[row["ingest_id"]] = row
    return out


def outcome_of(i, silver, quarantine):
    if i in silver:
        require(i not in quarantine, f"ingest_id {i} is in silver and in quarantine")
        return ("silver", silver[i])
    if i in quarantine:
        return ("quarantine", quarantine[i]["reason"])
    return ("duplicate",)


def check_outcome(name, line, expected, got, quarantine_row=None):
    """One line's outcome against the expectation; values compared exactly."""
    where = f"case {name!r}"
    require(got[0] == expected[0] and (got[0] != "quarantine" or got[1] == expected[1]),
            f"{where}: expected {expected[0]} {expected[1] if expected[0] == 'quarantine' else ''}, "
            f"got {got[0]} {got[1] if got[0] == 'quarantine' else ''} (line {oracle.parsed_repr(line)})")
    if got[0] == "silver":
        row = got[1]
        values = expected[1] if isinstance(expected[1], dict) else dict(zip(COLUMNS, expected[1]))
        for column, value in values.items():
            require(oracle.equal_values(row[column], value),
                    f"{where}: silver {column} = {str(row[column])[:80]!r}, expected {str(value)[:80]!r}")
    if got[0] == "quarantine" and quarantine_row is not None:
        require(quarantine_row["body"] == line, f"{where}: the quarantine body is not the line byte for byte")


# -- the corpus through each way in ------------------------------------------------------------

def verify_corpus(sc, lake, cases, label, job=None):
    """Bronze holds every line byte-exact in order; each line has its outcome; the accounting
    balances; the catalog is consistent; the model in oracle.py agrees with the expectations."""
    bronze = read_rows(lake, BRONZE)
    require(len(bronze) == len(cases), f"{label}: bronze has {len(bronze)} rows for {len(cases)} lines")
    silver = read_rows(lake, SILVER)
    quarantine = read_rows(lake, QUARANTINE)
    model = oracle.Silver(job or oracle.Job())
    problems = 0
    for i, (name, line, expected) in enumerate(cases, start=1):
        try:
            require(bronze[i]["body"] == line, f"case {name!r}: bronze body differs from the line")
            got = outcome_of(i, silver, quarantine)
            check_outcome(name, line, expected, got, quarantine.get(i))
            predicted = model.step(line, bronze[i]["ingested_at"])
            require(predicted[0] == expected[0] and predicted[:2] == expected[:2] or
                    predicted[0] == expected[0] == "silver",
                    f"case {name!r}: the model predicts {predicted[:2] if predicted[0] != 'silver' else 'silver'}"
                    f" (harness bug: expectation and model disagree)")
        except Failed as e:
            problems += 1
            sc.fail(f"corpus {label}", str(e))
    status = check_catalog(lake, status_json(lake))
    (acct,) = status["accounting"]
    counts = {"silver": 0, "duplicate": 0, "quarantine": 0}
    for _, _, e in cases:
        counts[e[0]] += 1
    require((acct["bronze_rows"], acct["silver_rows"], acct["duplicates"], acct["quarantined"], acct["pending"])
            == (len(cases), counts["silver"], counts["duplicate"], counts["quarantine"], 0),
            f"{label}: accounting {acct}, expected {counts} of {len(cases)} lines")
    return problems


def corpus_lakes(sc, base, full):
    cases = hostile_lines.Corpus(sc.rng).build(long_lines=True)
    data = b"\n".join(line for _, line, _ in cases) + b"\n"
    sc.log(f"corpus: {len(cases)} lines, {len(data) / 1e6:.1f} MB "
           f"({sum(e[0] == 'quarantine' for _, _, e in cases)} to quarantine)")
    transports = ["landing", "landing .zst", "stdin"]
    for transport in transports:
        lake = Lake(base / f"corpus-{transport.replace(' ', '').replace('.', '')}")
        lake.landing.mkdir(parents=True)
        try:
            if transport == "landing":
                (lake.landing / "corpus.jsonl").write_bytes(data)
            elif transport == "landing .zst":
                p = subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True, check=True)
                (lake.landing / "corpus.jsonl.zst").write_bytes(p.stdout)
            else:
                ok(lake_run(lake, "run", "bronze", "--stdin", input=data, timeout=600))
            ok(lake_run(lake, "run", "all", timeout=600))
            verify_corpus(sc, lake, cases, transport)
            gold_whale(lake)
        except (Failed, AssertionError) as e:
            sc.fail(f"corpus {transport}", str(e))
        sc.cases += len(cases)
        sc.trials += 1
        sc.log(f"corpus via {transport}: {len(cases)} cases checked")
        shutil.rmtree(lake.root, ignore_errors=True)

    # A job that parses lines up to 64 MiB: 50 MB lines and 10^6-deep nesting reach the parser.
    big = hostile_lines.big_line_cases()
    jobs = job_variant(base / "jobs-big", lines=("max_line_bytes = 1_048_576", "max_line_bytes = 67_108_864"))
    lake = Lake(base / "corpus-big", jobs=jobs)
    lake.landing.mkdir(parents=True)
    (lake.landing / "big.jsonl").write_bytes(b"\n".join(line for _, line, _ in big) + b"\n")
    try:
        r = ok(lake_run(lake, "run", "all", timeout=600))
        sc.log(f"corpus with 64 MiB lines: run all {r.seconds:.1f} s")
        verify_corpus(sc, lake, big, "64 MiB lines", oracle.Job(jobs / "clickstream.toml"))
    except (Failed, AssertionError) as e:
        sc.fail("corpus 64 MiB lines", str(e))
    sc.cases += len(big)
    sc.trials += 1
    shutil.rmtree(lake.root, ignore_errors=True)


def gold_whale(lake):
    """Two purchases of 8e12 in one session: the session revenue (integer micro-units) is the
    exact sum or, beyond Int64 micro-units, saturated; gold must not crash."""
    rows = lake.query("SELECT session_revenue FROM gold_session_stats WHERE user_id = 'whale'")
    require(len(rows) == 1, f"whale sessions: {rows}")
    require(rows[0][0] in (1.6e13, 9223372036854.775807), f"whale session revenue {rows[0][0]}")


# -- hostile files ---------------------------------------------------------------------------------

def sample_lines(n=50):
    out = []
    for i in range(n):
        ts = hostile_lines.iso_ms(hostile_lines.micros(hostile_lines.T0) + i * 1_000_000)
        out.append(hostile_lines.event(hostile_lines.q(f"s{i}"), hostile_lines.q(ts)))
    return out


def zstd(data, *flags):
    return subprocess.run(["zstd", "-q", "-c", *flags], input=data, capture_output=True, check=True).stdout


def bronze_bodies(lake):
    return [r["body"] for _, r in sorted(read_rows(lake, BRONZE).items())]


def hostile_files(sc, base):
    """Each case: set-up, then the outcome it must have."""
    lines = sample_lines()
    data = b"\n".join(lines) + b"\n"
    cases = []

    def case(fn):
        cases.append(fn)
        return fn

    def fresh(name, jobs=JOBS):
        lake = Lake(base / "files" / name, jobs=jobs)
        lake.landing.mkdir(parents=True)
        return lake

    def ingested(name):
        """A lake that ran `run all` over the sample lines (a few silver/gold files)."""
        lake = fresh(name)
        (lake.landing / "a.jsonl").write_bytes(data)
        ok(lake_run(lake, "run", "all"))
        return lake

    @case
    def zst_garbage():
        lake = fresh("zst-garbage")
        f = lake.landing / "a.jsonl.zst"
        f.write_bytes(bytes(sc.rng.randrange(256) for _ in range(5000)))
        one_line_error(lake_run(lake, "run", "bronze"), f.name)
        f.unlink()  # moving the file away unblocks the pipeline
        ok(lake_run(lake, "run", "all"))

    @case
    def zst_flipped_byte():
        lake = fresh("zst-flip")
        z = bytearray(zstd(data))
        z[len(z) // 2] ^= 0xFF
        f = lake.landing / "a.jsonl.zst"
        f.write_bytes(bytes(z))
        one_line_error(lake_run(lake, "run", "bronze"), f.name)
        if (lake.root / "catalog.db").exists():
            require(not lake.live_files(BRONZE), "bronze rows from a damaged .zst file")

    @case
    def zst_trailing_garbage():
        lake = fresh("zst-trailing")
        f = lake.landing / "a.jsonl.zst"
        f.write_bytes(zstd(data) + b"garbage after the frame")
        one_line_error(lake_run(lake, "run", "bronze"), f.name)

    @case
    def zst_truncated_then_completed():
        lake = fresh("zst-truncated")
        z = zstd(data, "--no-check")
        f = lake.landing / "a.jsonl.zst"
        f.write_bytes(z[:len(z) // 2])
        ok(lake_run(lake, "run", "bronze"))
        got = bronze_bodies(lake) if (lake.root / "catalog.db").exists() else []
        require(got == lines[:len(got)], "a cut .zst frame gave lines that are not a prefix of the input")
        with open(f, "r+b") as out:  # the collector finishes the file (same inode)
            out.write(z)
        ok(lake_run(lake, "run", "all"))
        require(bronze_bodies(lake) == lines, "completed .zst file: bronze is not every line once")

    @case
    def zst_empty_and_no_final_newline():
        lake = fresh("zst-empty")
        (lake.landing / "a.jsonl.zst").write_bytes(b"")
        (lake.landing / "b.jsonl.zst").write_bytes(zstd(data[:-1]))
        ok(lake_run(lake, "run", "all"))
        require(bronze_bodies(lake) == lines[:-1], "the unterminated last line must wait")

    @case
    def zst_multiple_frames():
        lake = fresh("zst-frames")
        (lake.landing / "a.jsonl.zst").write_bytes(zstd(data[:1000]) + zstd(data[1000:]))
        ok(lake_run(lake, "run", "all"))
        require(bronze_bodies(lake) == lines, "concatenated frames: bronze is not every line once")

    @case
    def landing_entries_that_are_not_files():
        lake = fresh("odd-entries")
        (lake.landing / "dir.jsonl").mkdir()
        os.mkfifo(lake.landing / "fifo.jsonl")  # opening it would block forever
        os.symlink(lake.landing / "missing", lake.landing / "dangling.jsonl")
        os.symlink(lake.landing / "loop.jsonl", lake.landing / "loop.jsonl")
        (lake.landing / "ok.jsonl").write_bytes(data)
        ok(lake_run(lake, "run", "all", timeout=60))
        require(bronze_bodies(lake) == lines, "odd landing entries disturbed the real file")

    @case
    def landing_file_copytruncated():
        lake = fresh("copytruncate")
        f = lake.landing / "a.jsonl"
        f.write_bytes(data)
        ok(lake_run(lake, "run", "bronze"))
        with open(f, "r+b") as out:
            out.truncate(0)
            out.write(lines[0] + b"\n")
        r = ok(lake_run(lake, "run", "bronze"))
        require(any("shrank" in l and f.name in l for l in r.err_lines), f"no warning naming the file: {r.err_lines}")
        require(bronze_bodies(lake) == lines + lines[:1], "re-read after truncation")

    @case
    def landing_file_name_not_utf8():
        lake = fresh("name-not-utf8")
        raw = bytes(lake.landing) + b"/ev\xff.jsonl"
        with open(raw, "wb") as out:
            out.write(data)
        r = ok(lake_run(lake, "run", "all"))
        got = bronze_bodies(lake) if lake.live_files(BRONZE) else []
        warned = [l for l in r.err_lines if ".jsonl" in l and "UTF-8" in l]
        require(got == lines or len(warned) == 1,
                "a landing file whose name is not valid UTF-8 was skipped without a word "
                f"(bronze {len(got)} rows, stderr {r.err_lines})")
        os.rename(raw, lake.landing / "renamed.jsonl")  # what the warning asks for
        ok(lake_run(lake, "run", "all"))
        require(bronze_bodies(lake) == lines, "the renamed file was not ingested once")

    @case
    def truncated_bronze_parquet():
        lake = fresh("bronze-truncated")
        (lake.landing / "a.jsonl").write_bytes(data)
        ok(lake_run(lake, "run", "bronze"))
        (path, _, size), = lake.live_files(BRONZE)
        os.truncate(lake.root / path, size // 2)
        one_line_error(lake_run(lake, "run", "silver"), path)
        ok(lake_run(lake, "status"))
        one_line_error(run([PARQUET_TOOL, "dump", lake.root / path]), path)

    @case
    def missing_bronze_parquet():
        lake = fresh("bronze-missing")
        (lake.landing / "a.jsonl").write_bytes(data)
        ok(lake_run(lake, "run", "bronze"))
        (path, _, _), = lake.live_files(BRONZE)
        os.unlink(lake.root / path)
        one_line_error(lake_run(lake, "run", "silver"), path)
        one_line_error(lake_run(lake, "run", "all"), path)
        ok(lake_run(lake, "status"))

    @case
    def damaged_silver_parquet_gold_reads():
        lake = fresh("silver-damaged")
        (lake.landing / "a.jsonl").write_bytes(data)
        ok(lake_run(lake, "run", "bronze"))
        ok(lake_run(lake, "run", "silver"))
        path = lake.live_files(SILVER)[0][0]
        full = lake.root / path
        b = bytearray(full.read_bytes())
        b[-12:-8] = b"\xff\xff\xff\x7f"  # footer length beyond the file
        full.write_bytes(bytes(b))
        one_line_error(lake_run(lake, "run", "gold"), path)

    @case
    def missing_silver_parquet_gold_and_backfill():
        lake = fresh("silver-missing")
        (lake.landing / "a.jsonl").write_bytes(data)
        ok(lake_run(lake, "run", "bronze"))
        ok(lake_run(lake, "run", "silver"))
        path = lake.live_files(SILVER)[0][0]
        os.unlink(lake.root / path)
        one_line_error(lake_run(lake, "run", "gold"), path)
        day = path.split("date=")[1][:10]
        one_line_error(lake_run(lake, "backfill", "gold", "--from", day, "--to", day), path)

    @case
    def damaged_quarantine_parquet_backfill():
        lake = fresh("quarantine-damaged")
        late = hostile_lines.event(b'"late-1"', hostile_lines.q("2026-01-29T09:00:00Z"))
        (lake.landing / "a.jsonl").write_bytes(data + late + b"\n")
        ok(lake_run(lake, "run", "all"))
        path = lake.live_files(QUARANTINE)[0][0]
        full = lake.root / path
        full.write_bytes(bytes(sc.rng.randrange(256) for _ in range(full.stat().st_size)))
        one_line_error(lake_run(lake, "backfill", "silver", "--from", "2026-01-29", "--to", "2026-01-29"), path)

    @case
    def damaged_files_and_compaction():
        lake = fresh("compact-damaged")
        for k in range(3):
            (lake.landing / f"a{k}.jsonl").write_bytes(b"\n".join(lines[k * 10:(k + 1) * 10]) + b"\n")
            ok(lake_run(lake, "run", "all"))
        path = lake.live_files(BRONZE)[1][0]
        os.truncate(lake.root / path, 100)
        one_line_error(lake_run(lake, "compact", "bronze_clickstream"), path)
        ok(lake_run(lake, "status"))  # the failed compaction committed nothing
        require(lake.live_files(BRONZE)[1][0] == path, "the damaged file was retired anyway")

    @case
    def gold_parquet_missing_backfill_gold():
        lake = ingested("gold-missing")
        files = lake.live_files(GOLD)
        if files:
            os.unlink(lake.root / files[0][0])
        r = no_crash(lake_run(lake, "backfill", "gold", "--from", "2026-01-29", "--to", "2026-01-29"))
        if r.returncode != 0:
            one_line_error(r, files[0][0])

    @case
    def catalog_garbage():
        lake = ingested("catalog-garbage")
        for n in ("catalog.db-wal", "catalog.db-shm"):
            (lake.root / n).unlink(missing_ok=True)
        (lake.root / "catalog.db").write_bytes(b"not a database " * 500)
        for args in (["status"], ["run", "all"], ["sql", "SELECT 1"], ["compact"], ["vacuum"]):
            one_line_error(lake_run(lake, *args), "catalog.db")

    @case
    def catalog_truncated():
        lake = ingested("catalog-truncated")
        for n in ("catalog.db-wal", "catalog.db-shm"):
            (lake.root / n).unlink(missing_ok=True)
        db = lake.root / "catalog.db"
        os.truncate(db, max(0, db.stat().st_size // 3))
        for args in (["status"], ["run", "all"]):
            r = no_crash(lake_run(lake, *args))
            if r.returncode != 0:
                one_line_error(r, "catalog")

    @case
    def catalog_wal_damaged():
        lake = ingested("wal-damaged")
        wal = lake.root / "catalog.db-wal"
        if wal.exists() and wal.stat().st_size > 100:
            b = bytearray(wal.read_bytes())
            for _ in range(20):
                b[sc.rng.randrange(32, len(b))] ^= 0xFF
            wal.write_bytes(bytes(b))
        r = no_crash(lake_run(lake, "status", "--json"))
        if r.returncode == 0:
            check_catalog(lake, json.loads(r.stdout))
        else:
            one_line_error(r, "catalog")

    @case
    def catalog_rows_pointing_at_missing_files():
        lake = ingested("catalog-missing-rows")
        import sqlite3
        with sqlite3.connect(lake.root / "catalog.db") as db:
            tid = db.execute("SELECT table_id FROM lake_table WHERE table_name = ?", (BRONZE,)).fetchone()[0]
            db.execute("INSERT INTO lake_data_file (table_id, path, record_count, file_size_bytes, "
                       "min_ingest_id, max_ingest_id, begin_snapshot) VALUES (?, ?, 5, 100, 1000, 1004, "
                       "(SELECT max(snapshot_id) FROM lake_snapshot WHERE status = 'committed'))",
                       (tid, "bronze_clickstream/date=2026-01-01/part-999-0.parquet"))
        one_line_error(lake_run(lake, "run", "silver"), "part-999-0.parquet")
        ok(lake_run(lake, "status"))

    bad_jobs = [
        ("max_file_rows = 1_000_000", 'max_file_rows = "many"'),
        ("max_file_rows = 1_000_000", "max_file_rows = -1"),
        ("max_file_rows = 1_000_000", "max_file_rows = 0"),
        ("max_file_rows = 1_000_000", "max_file_rows = 99999999999999999999999"),
        ("max_file_rows = 1_000_000", "max_file_rows = 1.5"),
        ("max_line_bytes = 1_048_576", "max_line_bytes = true"),
        ('dedup_keys = ["event_id"]', 'dedup_keys = "event_id"'),
        ('dedup_keys = ["event_id"]', "dedup_keys = []"),
        ('dedup_keys = ["event_id"]', 'dedup_keys = ["no_such_column"]'),
        ('watermark_delay = "10m"', "watermark_delay = 10"),
        ('watermark_delay = "10m"', 'watermark_delay = "-10m"'),
        ('watermark_delay = "10m"', 'watermark_delay = "10 minutes"'),
        ('clock_skew_max = "1h"', "clock_skew_max = [1]"),
        ('timestamp_format = "iso8601"', "timestamp_format = true"),
        ('timestamp_format = "iso8601"', 'timestamp_format = "rfc2822"'),
        ('event_id = { path = "eventId", type = "string", required = true }', "event_id = 5"),
        ('event_id = { path = "eventId", type = "string", required = true }',
         'event_id = { path = 5, type = "string" }'),
        ('price = { path = "data.price", type = "double" }', 'price = { path = "data.price", type = "decimal" }'),
        ("required = true }", 'required = "yes" }'),
        ('session_gap = "30m"', "session_gap = [1, 2]"),
        ('table = "gold_session_stats"', "table = 7"),
        ('table = "gold_session_stats"', 'table = "gold_session_stats"\ntable = "again"'),
        ("[gold]", "[gold"),
        ('cron = "* * * * *"', 'cron = "99 * * * *"'),
        ('landing = "landing/clickstream"', "landing = { a = 1 }"),
        ('description = "', 'description = 5\nx = "'),
    ]
    for k, (old, new) in enumerate(bad_jobs):
        def bad_job(old=old, new=new, k=k):
            jobs = job_variant(base / "files" / f"jobs-bad-{k}", change=(old, new))
            lake = fresh(f"bad-job-{k}", jobs=jobs)
            (lake.landing / "a.jsonl").write_bytes(data)
            for args in (["run", "all"], ["backfill", "all", "--from", "2026-01-29", "--to", "2026-01-29"],
                         ["cron"]):
                one_line_error(lake_run(lake, *args), "clickstream.toml")
            require(not (lake.root / BRONZE).exists(), "a bad job file still ingested data")
        bad_job.__name__ = f"job file: {new.splitlines()[0][:40]}"
        cases.append(bad_job)

    for name, content in [("binary garbage", bytes(sc.rng.randrange(256) for _ in range(3000))),
                          ("empty", b""), ("NUL bytes", b"\x00" * 100),
                          ("UTF-16", (JOBS / "clickstream.toml").read_text().encode("utf-16")),
                          ("truncated", (JOBS / "clickstream.toml").read_bytes()[:1500])]:
        def raw_job(content=content, name=name):
            folder = base / "files" / f"jobs-raw-{name.replace(' ', '-')}"
            folder.mkdir(parents=True)
            (folder / "clickstream.toml").write_bytes(content)
            lake = fresh(f"raw-job-{name.replace(' ', '-')}", jobs=folder)
            one_line_error(lake_run(lake, "run", "all"), "clickstream.toml")
        raw_job.__name__ = f"job file: {name}"
        cases.append(raw_job)

    failures = 0
    for fn in cases:
        try:
            fn()
            sc.log(f"file case {fn.__name__}: defined outcome")
        except Exception as e:  # noqa: BLE001 (a harness error is reported like a failure)
            if fn.__name__ in KNOWN_BUGS:
                sc.known_bug(f"{fn.__name__}: {KNOWN_BUGS[fn.__name__]}")
            else:
                failures += 1
                sc.fail(f"file case {fn.__name__}", str(e) or repr(e))
        sc.cases += 1
        sc.trials += 1
    shutil.rmtree(base / "files", ignore_errors=True)


# Cases that fail because of a bug not fixed yet: name → what goes wrong. Each is excluded with a
# printed "KNOWN BUG" line and described in docs/RELIABILITY.md. (None at the moment.)
KNOWN_BUGS = {}


# -- fuzz: mutated event lines -----------------------------------------------------------------

HOSTILE_VALUES = [b"1e309", b"-0", b'""', b"null", b"true", b"[]", b"{}", b'"2026-13-01"', b'"\\ud800"',
                  b"1e-400", b"123456789012345678901234567890", b'"Z\xc3\xbcrich"', b'"120.50"',
                  b"[" * 70 + b"]" * 70, b"NaN", b'"\\u0000"', b"0", b"-1", b'"2026-01-29"',
                  b'"2026-01-29 10:00:00+05:30"', b"1769680000000", b'"\xff"', b'"a\\"b"', b"9e12"]
INTERESTING = b'\x00\xff"\\{}[],: \t\r0123456789.eE+-\x80\xc3\xbf\xef\xbb'


def mutate(rng, line, seen_ids):
    """1–3 random mutations of a valid event line: bytes and JSON tokens; no newline."""
    b = bytearray(line)
    for _ in range(rng.randint(1, 3)):
        m = rng.randrange(12)
        n = len(b)
        if n == 0:
            b += b"{"
            continue
        p = rng.randrange(n)
        if m == 0:
            b[p] ^= 1 << rng.randrange(8)
        elif m == 1:
            b[p] = rng.choice(INTERESTING)
        elif m == 2:
            del b[p:p + rng.randint(1, 8)]
        elif m == 3:
            b[p:p] = bytes(rng.choice(INTERESTING) for _ in range(rng.randint(1, 4)))
        elif m == 4:
            q = rng.randrange(n)
            lo, hi = min(p, q), max(p, q)
            b[p:p] = b[lo:hi][:200]
        elif m == 5:
            del b[p:]
        elif m in (6, 7):  # a JSON value replaced by a hostile one
            try:
                obj = json.loads(bytes(b))
                keys = [(obj, k) for k in obj] + [(obj[k], j) for k in ("device", "data")
                                                  if isinstance(obj.get(k), dict) for j in obj[k]]
                parent, key = rng.choice(keys)
                parent[key] = "\x00HOLE"
                text = json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode()
                b = bytearray(text.replace(b'"\\u0000HOLE"', rng.choice(HOSTILE_VALUES)))
            except (ValueError, IndexError, AttributeError, TypeError):
                b[p] = rng.choice(INTERESTING)
        elif m == 8:  # the timestamp moved or rewritten (late, future, other formats)
            i = b.find(b'"timestamp":"')
            if i >= 0:
                j = b.find(b'"', i + 13)
                t = oracle.parse_iso(b[i + 13:j].decode(errors="replace"))
                if t is not None:
                    t += rng.choice([-1, 1]) * rng.choice([1, 599_999_999, 600_000_000, 600_000_001,
                                                          3600_000_000, 86400_000_000 * 400])
                    t = max(t, 0)
                    text = hostile_lines.iso_ms(t)
                    text = rng.choice([text, text.replace("T", " "), text[:-1], text[:-1] + "+00:00",
                                       text[:19] + "Z", text[:10]])
                    b[i + 13:j] = text.encode()
        elif m == 9 and seen_ids:  # another event's id: a duplicate, or late, or neither
            i = b.find(b'"eventId":"')
            if i >= 0:
                j = b.find(b'"', i + 11)
                b[i + 11:j] = rng.choice(seen_ids)
        elif m == 10:
            b = bytearray(rng.choice([b"\xef\xbb\xbf", b" ", b"\t", b""])) + b + rng.choice([b"\r", b" ", b""])
        else:
            k = b.find(b",", p)
            if k >= 0:  # a member given twice
                i = b.find(b'"', rng.randrange(n))
                j = b.find(b",", i)
                if 0 <= i < j:
                    b[k:k] = b"," + b[i:j]
    return bytes(b).replace(b"\n", b" ")


def boundary(rng, line, model):
    """The line moved to the model's watermark W (W − 1 µs, W, W + 1 µs), possibly with the id of
    the accepted event whose time is nearest W (is its key still remembered?). The model's state
    is the one before this batch, a fair approximation: the batch may move W further."""
    w = model.watermark
    if w is None:
        return line
    obj = json.loads(line)
    obj["timestamp"] = hostile_lines.iso_ms(w + rng.choice([-1, 0, 1, 2]))
    if model.keys and rng.random() < 0.5:
        key, _ = min(model.keys.items(), key=lambda kv: abs(kv[1] - w))
        obj["eventId"] = key[0]
    return json.dumps(obj).encode()


def fuzz_events(sc, base, seconds):
    pool_dir = base / "fuzz-pool"
    Lake(base / "fuzz-gen").generate(out=pool_dir, events=4000, users=200, seed=sc.rng.randrange(1, 1 << 31))
    pool = b"".join(p.read_bytes() for p in sorted(pool_dir.glob("events-*.jsonl"))).splitlines()
    job = oracle.Job()
    deadline = time.monotonic() + seconds
    batches = lines_fed = mutated = 0
    epoch = 0
    while time.monotonic() < deadline:
        epoch += 1
        lake = Lake(base / f"fuzz-lake-{epoch}")
        model = oracle.Silver(job)
        position = 0
        seen_ids = []
        last_id = 0
        for _ in range(40):
            if time.monotonic() >= deadline or position >= len(pool):
                break
            batch = []
            for line in pool[position:position + 30]:
                i = line.find(b'"eventId":"')
                seen_ids.append(line[i + 11:line.find(b'"', i + 11)])
                if sc.rng.random() < 0.06:
                    # Not a mutation: the exact watermark and dedup-expiry boundaries.
                    batch.append(boundary(sc.rng, line, model))
                elif sc.rng.random() < 0.8:
                    batch.append(mutate(sc.rng, line, seen_ids[-200:]))
                    mutated += 1
                else:
                    batch.append(line)
            position += 30
            data = b"\n".join(batch) + b"\n"
            context = f"fuzz epoch {epoch} batch at pool line {position - 30} (seed {sc.seed})"
            try:
                ok(lake_run(lake, "run", "bronze", "--stdin", input=data, timeout=120))
                ok(lake_run(lake, "run", "silver", timeout=120))
                bronze = read_rows(lake, BRONZE, last_id + 1)
                ids = sorted(bronze)
                require(ids == list(range(last_id + 1, last_id + 1 + len(batch))),
                        f"bronze ids {ids[:3]}…, expected {len(batch)} from {last_id + 1}")
                silver = read_rows(lake, SILVER, last_id + 1)
                quarantine = read_rows(lake, QUARANTINE, last_id + 1)
                for k, i in enumerate(ids):
                    require(bronze[i]["body"] == batch[k], f"bronze body of line {k} differs")
                    expected = model.step(batch[k], bronze[i]["ingested_at"])
                    got = outcome_of(i, silver, quarantine)
                    check_outcome(f"line {k}", batch[k], expected, got, quarantine.get(i))
                (acct,) = status_json(lake)["accounting"]
                require(acct["balanced"] and acct["pending"] == 0 and acct["bronze_rows"] == last_id + len(batch)
                        and acct["bronze_rows"] == acct["silver_rows"] + acct["duplicates"] + acct["quarantined"],
                        f"accounting {acct}")
                last_id += len(batch)
            except (Failed, AssertionError) as e:
                sc.fail(context, str(e))
                # Resynchronize: a new lake and model.
                break
            batches += 1
            sc.trials += 1
            lines_fed += len(batch)
        shutil.rmtree(lake.root, ignore_errors=True)
    sc.fuzz += mutated
    sc.notes.append(f"event fuzz: {mutated} mutated lines ({lines_fed} lines, {batches} batches, "
                    f"{epoch} lakes) in {seconds:.0f} s, each checked against the model")
    sc.log(sc.notes[-1])


# -- fuzz: damaged Parquet files -------------------------------------------------------------

def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def damage(rng, data):
    b = bytearray(data)
    n = len(b)
    kind = rng.randrange(9)
    footer = max(0, n - 8 - rng.randint(1, 2000))
    p = rng.randrange(footer, n) if rng.random() < 0.5 else rng.randrange(n)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(n)] ^= 1 << rng.randrange(8)
    elif kind == 1:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(footer, n)] = rng.randrange(256)
    elif kind == 2:
        del b[p:]
    elif kind == 3:
        k = rng.randint(1, 64)
        b[p:p + k] = bytes(rng.randrange(256) for _ in range(k))
    elif kind == 4:
        b[-8:-4] = rng.choice([b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f", b"\x00\x00\x00\x00",
                               b"\x01\x00\x00\x00", int(n).to_bytes(4, "little"),
                               rng.randrange(1 << 32).to_bytes(4, "little")])
    elif kind == 5:
        k = rng.randint(1, 256)
        b[p:p + k] = b"\x00" * k
    elif kind == 6:
        b[p:p] = b[rng.randrange(n):][:rng.randint(1, 300)]
    elif kind == 7:  # Thrift varints and lengths pushed to extremes inside the footer
        for _ in range(rng.randint(1, 6)):
            b[rng.randrange(footer, n)] = rng.choice([0xFF, 0x7F, 0x80, 0x00, 0x19, 0x1C, 0x15, 0x16])
    else:
        k = rng.randint(1, 100)
        del b[p:p + k]
    return bytes(b)


def fuzz_parquet(sc, base, seconds):
    sources = []
    lake = Lake(base / "pq-lake")
    lake.generate(events=3000, users=100, seed=5, duplicates=0.02, late=0.01, malformed=0.02)
    ok(lake_run(lake, "run", "all"))
    for t in (BRONZE, SILVER, QUARANTINE, GOLD):
        sources += lake.live_paths(t)[:2]
    fixtures = base / "pq-fixtures"
    ok(run([PARQUET_TOOL, "fixtures", fixtures, "--large-rows", "5000"]))
    sources += [str(p) for p in sorted(fixtures.glob("*.parquet"))]
    originals = [(Path(p).name, Path(p).read_bytes()) for p in sources]
    target = base / "damaged.parquet"
    deadline = time.monotonic() + seconds
    n = refused = 0
    while time.monotonic() < deadline:
        name, data = sc.rng.choice(originals)
        target.write_bytes(damage(sc.rng, data))
        command = sc.rng.choice(["dump", "dump", "meta"])
        t0 = time.monotonic()
        p = subprocess.Popen([PARQUET_TOOL, command, str(target)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, preexec_fn=limit_memory)
        try:
            _, err = p.communicate(timeout=30)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            rc = None
        n += 1
        keep = base / f"parquet-fuzz-finding-{n}.parquet"
        lines = [l for l in err.decode(errors="replace").splitlines() if l.strip()] if rc is not None else []
        problem = None
        if rc is None:
            problem = f"hung ({time.monotonic() - t0:.0f} s)"
        elif rc < 0:
            problem = f"killed by signal {-rc}"
        elif rc not in (0, 1):
            problem = f"exit {rc}"
        elif rc == 1 and len(lines) != 1:
            problem = f"{len(lines)} stderr lines: {lines[:3]}"
        elif rc == 1 and str(target) not in lines[0]:
            problem = f"the error does not name the file: {lines[0]}"
        if problem:
            shutil.copy(target, keep)
            sc.fail(f"parquet fuzz #{n} ({command} of damaged {name}, seed {sc.seed})",
                    f"{problem}; file kept as {keep}")
        refused += rc == 1
    sc.fuzz += n
    sc.notes.append(f"parquet fuzz: {n} damaged files ({refused} refused with one line, "
                    f"{n - refused} still readable) in {seconds:.0f} s")
    sc.log(sc.notes[-1])


def scenario(work, seed, full):
    sc = Scenario("corpus", seed)
    base = work / "corpus"
    base.mkdir(parents=True)
    steps = [("hostile lines", lambda: corpus_lakes(sc, base, full)),
             ("hostile files", lambda: hostile_files(sc, base)),
             ("event fuzz", lambda: fuzz_events(sc, base, 200 if full else 25)),
             ("parquet fuzz", lambda: fuzz_parquet(sc, base, 120 if full else 15))]
    for name, step in steps:
        try:
            step()
        except (Failed, AssertionError) as e:
            sc.fail(name, str(e))
    shutil.rmtree(base, ignore_errors=True)
    return sc.done()
