"""Every table is a Delta Lake table (SPEC §13, issue #23): delta-rs (`deltalake`) reads each
table's `_delta_log` and gets exactly the rows `lake status` counts and our files hold, after
many small runs, compaction, a backfill and vacuum; `version=N` gives the table as it was at
version N; compaction is a non-data-change version; a checkpoint every 10 versions is enough to
read the table; the schema string is the one delta-rs writes for the same Arrow schema; a
version is never rewritten, and a version rebuilt after a kill is byte for byte the same.
"""

import json
import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from conftest import Lake

JOB = "clickstream"


def file_tables(lake):
    """Tables that have committed files (a table without any has no log yet)."""
    return [t for t, v in lake.status()["tables"].items() if v["files"] > 0 or v["retired_files"] > 0]


def our_rows(lake, table):
    """The table's live files read with pyarrow (no `date`: it lives in the folder names)."""
    paths = [lake.root / p for p, *_ in lake.live_files(table)]
    return pa.concat_tables([pq.read_table(p) for p in paths]) if paths else None


def canonical(t):
    """Rows as sorted tuples of Python values, so order and chunking do not matter."""
    return sorted(tuple(row.values()) for row in t.to_pylist())


def check_reads(lake):
    status = lake.status()["tables"]
    tables = file_tables(lake)
    assert tables, "no table has files"
    for table in tables:
        dt = DeltaTable(str(lake.root / table))
        got = dt.to_pyarrow_table()
        assert got.num_rows == status[table]["rows"], table
        assert status[table]["delta_version"] == dt.version(), table
        assert status[table]["delta_queued"] == 0, table
        ours = our_rows(lake, table)
        if ours is None:
            assert got.num_rows == 0
            continue
        assert canonical(got.drop_columns(["date"]).select(ours.column_names)) == canonical(ours), table
        # The partition value is the day the folder names.
        days = {p.split("/")[1].removeprefix("date=") for p, *_ in lake.live_files(table)}
        assert {d.isoformat() for d in got.column("date").to_pylist()} == days, table


def files_at(lake, table, version):
    rows = lake.query(
        "SELECT f.path FROM lake_data_file f JOIN lake_table t USING (table_id) WHERE t.table_name = ? "
        "AND f.delta_added <= ? AND (f.delta_removed IS NULL OR f.delta_removed > ?)", table, version, version)
    return {p.split("/", 1)[1] for (p,) in rows}


def fed(tmp_path, pieces, stage="all"):
    """A new lake that ran `stage` after each piece landed (one small run per piece)."""
    lake = Lake(tmp_path / "lake")
    (lake.root / "landing" / JOB).mkdir(parents=True)
    for piece in pieces:
        shutil.copy(piece, lake.root / "landing" / JOB / piece.name)
        lake.run(stage)
    return lake


@pytest.fixture
def landed(tmp_path):
    src = tmp_path / "input"
    Lake(tmp_path / "gen").generate(out=src, job=JOB, events=4000, files=12, seed=23)
    return sorted(p for p in src.iterdir() if p.suffix == ".jsonl")


def test_delta_rs_reads_every_table_through_runs_compaction_backfill_and_vacuum(tmp_path, landed):
    lake = fed(tmp_path, landed)
    check_reads(lake)

    silver = lake.root / "silver_clickstream"
    before = DeltaTable(str(silver)).version()
    assert before >= 11
    # A checkpoint every 10 versions, and _last_checkpoint naming the latest.
    assert (silver / "_delta_log" / "00000000000000000010.checkpoint.parquet").exists()
    last = json.loads((silver / "_delta_log" / "_last_checkpoint").read_text())
    assert last["version"] % 10 == 0 and last["version"] <= before

    # Time travel: version N lists exactly the files the catalog says version N had.
    for n in (0, 3, 7, before):
        dt = DeltaTable(str(silver), version=n)
        assert {a for a in dt.get_add_actions(flatten=True).column("path").to_pylist()} == files_at(lake, "silver_clickstream", n)

    lake.cmd("compact")
    check_reads(lake)
    history = DeltaTable(str(silver)).history()
    optimize = [h for h in history if h["operation"] == "OPTIMIZE"]
    assert optimize, [h["operation"] for h in history]
    assert all(not h.get("isBlindAppend", False) for h in optimize)
    log = silver / "_delta_log" / f"{DeltaTable(str(silver)).version():020d}.json"
    actions = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(a["add"]["dataChange"] is False for a in actions if "add" in a)
    assert all(a["remove"]["dataChange"] is False for a in actions if "remove" in a)

    day = lake.query("SELECT min(partition_value) FROM lake_data_file f JOIN lake_table t USING (table_id) "
                     "WHERE t.table_name = 'silver_clickstream'")[0][0]
    lake.cmd("backfill", "silver", "--from", day, "--to", day)
    lake.cmd("backfill", "gold", "--from", day, "--to", day)
    check_reads(lake)

    # Vacuum with a zero retention deletes every retired file; the current versions still read.
    lake.cmd("vacuum", "--retention-seconds", "0")
    check_reads(lake)


def test_default_vacuum_keeps_files_old_versions_list(tmp_path, landed):
    lake = fed(tmp_path, landed[:4])
    bronze = lake.root / "bronze_clickstream"
    v = DeltaTable(str(bronze)).version()
    old = DeltaTable(str(bronze), version=v).to_pyarrow_table().num_rows
    lake.cmd("compact")
    lake.cmd("vacuum")  # default: Delta's 7 days
    assert DeltaTable(str(bronze), version=v).to_pyarrow_table().num_rows == old


def test_checkpoint_alone_reads_the_table(tmp_path, landed):
    lake = fed(tmp_path, landed, "bronze")
    bronze = lake.root / "bronze_clickstream"
    assert DeltaTable(str(bronze)).version() == len(landed) - 1
    expect = DeltaTable(str(bronze)).to_pyarrow_table().num_rows
    # A copy of the table without the JSON versions the checkpoint covers: delta-rs must
    # start from the checkpoint (version 10) and replay 11.
    copy = tmp_path / "copy"
    shutil.copytree(bronze, copy)
    for v in range(0, 11):
        (copy / "_delta_log" / f"{v:020d}.json").unlink()
    cp = pq.read_table(copy / "_delta_log" / "00000000000000000010.checkpoint.parquet")
    assert cp.num_rows == 2 + 11  # protocol, metaData, 11 live files
    assert DeltaTable(str(copy)).to_pyarrow_table().num_rows == expect
    assert DeltaTable(str(copy)).version() == len(landed) - 1


def test_schema_string_equals_what_delta_rs_writes(tmp_path, landed):
    lake = fed(tmp_path, landed[:1])
    for table in file_tables(lake):
        log = lake.root / table / "_delta_log" / "00000000000000000000.json"
        ours = next(json.loads(line)["metaData"] for line in log.read_text().splitlines() if "metaData" in line)
        assert ours["partitionColumns"] == ["date"]
        sample = our_rows(lake, table).slice(0, 1)
        sample = sample.append_column(pa.field("date", pa.date32()), pa.array([None], pa.date32()).cast(pa.date32()))
        # Our files' Arrow schema, with the partition column as delta-rs would get it.
        theirs_path = tmp_path / f"rs-{table}"
        write_deltalake(str(theirs_path), sample, partition_by=["date"])
        theirs_log = theirs_path / "_delta_log" / "00000000000000000000.json"
        theirs = next(json.loads(line)["metaData"] for line in theirs_log.read_text().splitlines() if "metaData" in line)
        assert json.loads(ours["schemaString"]) == json.loads(theirs["schemaString"]), table
        protocol = next(json.loads(line)["protocol"] for line in theirs_log.read_text().splitlines() if "protocol" in line)
        assert protocol["minReaderVersion"] >= 1


def test_a_version_is_never_rewritten(tmp_path, landed):
    lake = fed(tmp_path, landed[:1])
    log = lake.root / "bronze_clickstream" / "_delta_log"
    versions = sorted(log.glob("0*.json"))
    assert [p.name for p in versions] == ["00000000000000000000.json"]
    before = versions[0].read_bytes()
    # Another writer put version 1 there first: lake's next commit must not replace it.
    squatter = log / "00000000000000000001.json"
    squatter.write_text('{"commitInfo":{"operation":"SOMEONE ELSE"}}\n')
    shutil.copy(landed[1], lake.root / "landing" / JOB / landed[1].name)
    p = lake.run("all", check=False)
    assert p.returncode != 0
    assert b"already exists with other content" in p.stderr
    assert squatter.read_text() == '{"commitInfo":{"operation":"SOMEONE ELSE"}}\n'
    assert versions[0].read_bytes() == before
    # The commit itself stands (the catalog is the truth); the log waits, queued, until the
    # squatter is moved away, and is then written with the same content it would have had.
    assert lake.status()["tables"]["bronze_clickstream"]["delta_queued"] == 1
    squatter.unlink()
    lake.run("all")
    check_reads(lake)


def test_follow_gathers_commits_into_versions(tmp_path, landed):
    from conftest import jobs_with
    lake = Lake(tmp_path / "lake", jobs=jobs_with(tmp_path / "jobs", JOB, '[catalog]\ndelta_interval = "2s"'))
    (lake.root / "landing" / JOB).mkdir(parents=True)
    import signal
    import subprocess
    import time
    proc = lake.popen("run", "all", "--follow", "--interval", "0.2", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for piece in landed:
            shutil.copy(piece, lake.root / "landing" / JOB / piece.name)
            time.sleep(0.5)
        time.sleep(3)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    check_reads(lake)
    commits = lake.query("SELECT count(*) FROM lake_snapshot WHERE stage = 'bronze' AND status = 'committed'")[0][0]
    versions = DeltaTable(str(lake.root / "bronze_clickstream")).version() + 1
    assert commits >= len(landed) - 2
    # ~8 s of commits in versions of at most 2 s each (plus the one written at exit).
    assert versions < commits, (versions, commits)
    ops = {h["operation"] for h in DeltaTable(str(lake.root / "bronze_clickstream")).history()}
    assert "STREAMING UPDATE" in ops, ops


def test_retired_files_kept_as_lists_stay_tombstones_and_time_travel(tmp_path):
    """Past `snapshot_detail`, the fold moves retired file rows the log has removed into
    compressed lists (`lake_retired_list`): the next checkpoint still carries each one as a
    tombstone, time travel to a version before the compaction still reads its files, status
    still counts them, and vacuum past the retention deletes them and their lists."""
    from conftest import check_catalog, jobs_with, retired_lists

    src = tmp_path / "input"
    Lake(tmp_path / "gen").generate(out=src, job=JOB, events=4000, files=24, seed=31)
    pieces = sorted(p for p in src.iterdir() if p.suffix == ".jsonl")
    lake = Lake(tmp_path / "lake", jobs=jobs_with(tmp_path / "jobs", JOB, '[catalog]\nsnapshot_detail = "0s"'))
    (lake.root / "landing" / JOB).mkdir(parents=True)

    def feed(batch):
        for piece in batch:
            shutil.copy(piece, lake.root / "landing" / JOB / piece.name)
            lake.run("all")

    feed(pieces[:8])
    silver = lake.root / "silver_clickstream"
    v_before = DeltaTable(str(silver)).version()
    rows_before = DeltaTable(str(silver), version=v_before).to_pyarrow_table().num_rows
    lake.cmd("compact")
    retired = {t: v["retired_files"] for t, v in lake.status()["tables"].items()}
    assert retired["silver_clickstream"] >= 2
    lake.cmd("vacuum")  # default retention: nothing deleted, rows folded into lists
    assert lake.query("SELECT count(*) FROM lake_data_file WHERE end_snapshot IS NOT NULL")[0][0] == 0
    listed = retired_lists(lake)
    silver_id = lake.query("SELECT table_id FROM lake_table WHERE table_name = 'silver_clickstream'")[0][0]
    silver_listed = {e["path"].split("/", 1)[1] for t, e in listed if t == silver_id}
    assert len(silver_listed) == retired["silver_clickstream"]
    assert {t: v["retired_files"] for t, v in lake.status()["tables"].items()} == retired
    assert all((lake.root / e["path"]).is_file() for _, e in listed)
    assert DeltaTable(str(silver), version=v_before).to_pyarrow_table().num_rows == rows_before
    check_catalog(lake)
    # A backup holds the listed files too: time travel works in it.
    backup = tmp_path / "backup"
    lake.cmd("backup", str(backup))
    assert all((backup / e["path"]).is_file() for _, e in listed)
    assert len(retired_lists(Lake(backup))) == len(listed)
    assert DeltaTable(str(backup / "silver_clickstream"), version=v_before).to_pyarrow_table().num_rows == rows_before

    # Enough versions after the fold for the next checkpoint: it lists every tombstone.
    feed(pieces[8:])
    version = DeltaTable(str(silver)).version()
    checkpoints = sorted((silver / "_delta_log").glob("*.checkpoint.parquet"))
    last = checkpoints[-1]
    assert int(last.name.split(".")[0]) > v_before + 1, (last.name, v_before)
    removes = pq.read_table(last, columns=["remove"]).column("remove").to_pylist()
    tombstones = {r["path"] for r in removes if r is not None}
    assert tombstones == silver_listed
    check_reads(lake)
    assert DeltaTable(str(silver), version=v_before).to_pyarrow_table().num_rows == rows_before
    assert version >= int(last.name.split(".")[0])

    lake.cmd("vacuum", "--retention-seconds", "0")
    assert lake.query("SELECT count(*) FROM lake_retired_list")[0][0] == 0
    assert not any((lake.root / e["path"]).exists() for _, e in listed)
    assert all(v["retired_files"] == 0 for v in lake.status()["tables"].values())
    check_catalog(lake)
    check_reads(lake)
