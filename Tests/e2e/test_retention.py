"""A bounded catalog (SPEC §7, §10; issue #22): snapshots older than the job's
`[catalog] snapshot_retention` are folded by `lake vacuum` (and the follow loop's maintenance),
run rows pruned, and nothing a reader or a later run needs goes with them: every table's live
files and rows are unchanged, the newest snapshot of each stage stays, silver snapshots gold has
not read stay, and the next runs give what a lake that never folded gives.
"""

import shutil
import time

from conftest import Lake, REPO, check_catalog

JOB = "transactions"


def job_folder(tmp_path, retention):
    jobs = tmp_path / f"jobs-{retention}"
    jobs.mkdir()
    text = (REPO / "jobs" / f"{JOB}.toml").read_text()
    (jobs / f"{JOB}.toml").write_text(text + f'\n[catalog]\nsnapshot_retention = "{retention}"\n')
    return jobs


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
