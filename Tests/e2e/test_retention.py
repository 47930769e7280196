"""A bounded catalog (SPEC §7, §10; issue #22): snapshots older than the job's
`[catalog] snapshot_retention` are folded by `lake vacuum` (and the follow loop's maintenance),
run rows pruned, and nothing a reader or a later run needs goes with them: every table's live
files and rows are unchanged, the newest snapshot of each stage stays, silver snapshots gold has
not read stay, and the next runs give what a lake that never folded gives.
"""

import shutil
import time

from conftest import Lake, check_catalog, jobs_with, retired_lists

JOB = "transactions"


def job_folder(tmp_path, retention):
    return jobs_with(tmp_path / f"jobs-{retention}", JOB, f'[catalog]\nsnapshot_retention = "{retention}"')


def tables(lake):
    return {k: (v["rows"], v["files"]) for k, v in lake.status()["tables"].items()}


def test_fold_keeps_what_is_needed(tmp_path):
    src = tmp_path / "input"
    Lake(tmp_path / "gen").generate(out=src, job=JOB, events=6000, files=6, seed=5)
    pieces = sorted(p for p in src.iterdir() if p.suffix == ".jsonl")
    assert len(pieces) == 6

    folded = Lake(tmp_path / "folded", jobs=job_folder(tmp_path, "1s"))
    plain = Lake(tmp_path / "plain")
    for lake in (folded, plain):
        (lake.root / "landing" / JOB).mkdir(parents=True)
    for k, piece in enumerate(pieces):
        for lake in (folded, plain):
            shutil.copy(piece, lake.root / "landing" / JOB / piece.name)
            if k == 3:
                lake.run("bronze", "--job", JOB)
                lake.run("silver", "--job", JOB)  # silver ahead of gold: gold must still find them
            else:
                lake.run("all", "--job", JOB)
        if k in (2, 3):
            # A snapshot stays while a file row names it: compaction retires the small files
            # and vacuum deletes them (and their rows), so their snapshots can go.
            folded.cmd("compact")
            before = tables(folded)
            snapshots = folded.query("SELECT count(*) FROM lake_snapshot")[0][0]
            runs = folded.query("SELECT count(*) FROM lake_run")[0][0]
            time.sleep(1.2)
            p = folded.cmd("vacuum", "--retention-seconds", "0")
            out = p.stderr.decode() + p.stdout.decode()
            assert "snapshots folded" in out
            assert folded.query("SELECT count(*) FROM lake_snapshot")[0][0] < snapshots
            assert folded.query("SELECT count(*) FROM lake_run")[0][0] <= runs
            assert tables(folded) == before
            check_catalog(folded)
            # The newest committed snapshot of every stage is kept.
            stages = folded.query("SELECT DISTINCT stage FROM lake_snapshot WHERE status = 'committed'")
            assert {s for (s,) in stages} >= {"bronze", "silver"}
            # Silver snapshots gold has not read yet are kept.
            gold_at = int(folded.query(
                "SELECT value FROM lake_checkpoint WHERE job = ? AND stage = 'gold' AND key = 'silver_snapshot'", JOB)[0][0])
            unread_plain = plain.query(
                "SELECT count(*) FROM lake_snapshot WHERE stage = 'silver' AND status = 'committed' AND snapshot_id > ?",
                gold_at)[0][0]
            unread = folded.query(
                "SELECT count(*) FROM lake_snapshot WHERE stage = 'silver' AND status = 'committed' AND snapshot_id > ?",
                gold_at)[0][0]
            assert unread == unread_plain
            if k == 3:
                assert unread >= 1
    # Same rows, same gold as the lake that never folded.
    assert {k: v[0] for k, v in tables(folded).items()} == {k: v[0] for k, v in tables(plain).items()}
    for table in ("gold_sales_per_minute", "gold_user_alerts", "gold_totals", "gold_top_transactions"):
        q = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
        assert folded.query(q) == plain.query(q), table
    status = folded.cmd("status").stdout.decode()
    assert "SNAPSHOTS" in status and f"{JOB}:" in status
    js = folded.status()
    assert js["snapshots"][JOB]["kept"] == folded.query(
        "SELECT count(*) FROM lake_snapshot WHERE status = 'committed' AND job = ?", JOB)[0][0]
    assert js["catalog"]["bytes"] > 0


def visible(lake, snapshot):
    """Paths a snapshot sees: added at or before it and not retired by then (file rows and
    the retired files kept as lists)."""
    rows = {p for (p,) in lake.query(
        "SELECT path FROM lake_data_file WHERE begin_snapshot <= ? AND (end_snapshot IS NULL OR end_snapshot > ?)",
        snapshot, snapshot)}
    return rows | {e["path"] for _, e in retired_lists(lake) if e["begin"] <= snapshot < e["end"]}


def test_thinning_keeps_one_snapshot_a_minute_and_what_each_saw(tmp_path):
    """`snapshot_detail`: snapshots older than it are merged into the last one of their minute.
    Each kept snapshot sees the same files as before, every file row names a kept snapshot, the live tables and the Delta log are unchanged, and later runs (gold reading the
    silver snapshots it has not read, which are never merged) give what an unthinned lake gives."""
    from test_delta import check_reads

    src = tmp_path / "input"
    Lake(tmp_path / "gen").generate(out=src, job=JOB, events=6000, files=8, seed=9)
    pieces = sorted(p for p in src.iterdir() if p.suffix == ".jsonl")
    thin = Lake(tmp_path / "thin", jobs=jobs_with(tmp_path / "jobs-thin", JOB, '[catalog]\nsnapshot_detail = "0s"'))
    plain = Lake(tmp_path / "plain")
    for lake in (thin, plain):
        (lake.root / "landing" / JOB).mkdir(parents=True)

    def feed(k):
        for lake in (thin, plain):
            shutil.copy(pieces[k], lake.root / "landing" / JOB / pieces[k].name)
            if k in (2, 4, 6):
                lake.run("bronze", "--job", JOB)
                lake.run("silver", "--job", JOB)  # silver ahead of gold: gold must still find them
            else:
                lake.run("all", "--job", JOB)

    for k in range(5):
        feed(k)
    thin.cmd("compact")
    plain.cmd("compact")
    snapshots = thin.query("SELECT snapshot_id, stage, substr(committed_at, 1, 16) FROM lake_snapshot WHERE status = 'committed'")
    before = {s: visible(thin, s) for s, *_ in snapshots}
    tables_before = tables(thin)
    gold_at = int(thin.query(
        "SELECT value FROM lake_checkpoint WHERE job = ? AND stage = 'gold' AND key = 'silver_snapshot'", JOB)[0][0])
    unread = {s for s, stage, _ in snapshots if stage == "silver" and s > gold_at}
    assert unread, "the test wants silver snapshots gold has not read"
    time.sleep(1.1)
    out = thin.cmd("vacuum").stderr.decode()
    assert "merged into the last of their minute" in out, out

    kept = thin.query("SELECT snapshot_id, stage, substr(committed_at, 1, 16) FROM lake_snapshot WHERE status = 'committed'")
    assert len(kept) < len(snapshots) / 2, (len(kept), len(snapshots))
    kept_ids = {s for s, *_ in kept}
    assert unread <= kept_ids
    for s in kept_ids:
        assert visible(thin, s) == before[s], s
    dangling = thin.query("""
        SELECT count(*) FROM lake_data_file f WHERE f.begin_snapshot NOT IN (SELECT snapshot_id FROM lake_snapshot)
           OR (f.end_snapshot IS NOT NULL AND f.end_snapshot NOT IN (SELECT snapshot_id FROM lake_snapshot))""")[0][0]
    assert dangling == 0
    assert tables(thin) == tables_before
    check_catalog(thin)
    check_reads(thin)

    for k in range(5, len(pieces)):
        feed(k)
    for lake in (thin, plain):
        lake.run("all", "--job", JOB)
    assert {k: v[0] for k, v in tables(thin).items()} == {k: v[0] for k, v in tables(plain).items()}
    for table in ("gold_sales_per_minute", "gold_user_alerts", "gold_totals", "gold_top_transactions"):
        q = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
        assert thin.query(q) == plain.query(q), table
    check_catalog(thin)
    check_reads(thin)
