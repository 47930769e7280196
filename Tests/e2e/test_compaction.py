"""500 small incremental runs leave hundreds of tiny files; `lake compact` then `lake vacuum`
must give the same query results with one file per partition, less disk, and a consistent
catalog. 500 runs of 20 events (~40 s in a debug build) are what a day of a per-minute cron
looks like after a few hours."""

import os

from conftest import check_catalog, duck


def folder_bytes(root):
    return sum(f.stat().st_size for f in root.rglob("*.parquet") if "_delta_log" not in f.parts)


def answers(lake):
    con = duck()
    out = {}
    for table, query in [
        ("bronze_clickstream", "count(*), sum(ingest_id), sum(octet_length(body))"),
        ("silver_clickstream", "count(*), count(DISTINCT event_id), sum(ingest_id), round(sum(price), 4)"),
        ("quarantine_clickstream", "count(*), sum(ingest_id)"),
        ("gold_session_stats", "count(*), sum(events_count), round(sum(session_revenue), 2)"),
    ]:
        paths = lake.live_paths(table)
        out[table] = con.sql(f"SELECT {query} FROM read_parquet([{', '.join(repr(p) for p in paths)}])").fetchall() \
            if paths else []
    out["kpis"] = lake.query("SELECT * FROM gold_kpis")
    out["sessions"] = lake.gold_sqlite()
    return out


def test_many_small_runs_then_compact_and_vacuum(lake, tmp_path):
    source = tmp_path / "input"
    lake.generate(out=source, events=10_000, users=200, seed=5, files=1, duplicates=0.02, late=0.005, malformed=0.005)
    lines = (source / "events-00000.jsonl").read_bytes().splitlines(keepends=True)
    target = lake.landing / "events.jsonl"
    lake.landing.mkdir(parents=True, exist_ok=True)
    per_run = -(-len(lines) // 500)
    for start in range(0, len(lines), per_run):
        with open(target, "ab") as f:
            f.write(b"".join(lines[start:start + per_run]))
        lake.run("all")
    before = answers(lake)
    files_before = {t: len(lake.live_files(t)) for t in before if t != "kpis" and t != "sessions"}
    bytes_before = folder_bytes(lake.root)
    assert files_before["bronze_clickstream"] >= 490 and files_before["silver_clickstream"] >= 490

    lake.cmd("compact")
    assert answers(lake) == before
    partitions = {t: len({p.split("/")[1] for p, _, _ in lake.live_files(t)}) for t in files_before}
    for t, n in files_before.items():
        assert len(lake.live_files(t)) == partitions[t], (t, len(lake.live_files(t)), partitions[t])
    # Retired files stay until vacuum (a reader that listed them keeps working) ...
    assert folder_bytes(lake.root) > bytes_before
    lake.cmd("vacuum", "--retention-seconds", "3600")
    assert folder_bytes(lake.root) > bytes_before
    # ... and vacuum past the retention deletes them.
    lake.cmd("vacuum", "--retention-seconds", "0")
    assert folder_bytes(lake.root) < bytes_before / 2, (folder_bytes(lake.root), bytes_before)
    assert answers(lake) == before
    status = lake.status()
    assert status["orphans"] == [] and status["accounting"][0]["balanced"]
    check_catalog(lake, status)
    # The pipeline carries on after compaction.
    with open(target, "ab") as f:
        f.write(b'{"eventId":"after","eventType":"PAGE_VIEW","userId":"u","timestamp":"2026-02-20T00:00:00Z"}\n')
    lake.run("all")
    assert lake.status()["tables"]["silver_clickstream"]["rows"] == before["silver_clickstream"][0][0] + 1
