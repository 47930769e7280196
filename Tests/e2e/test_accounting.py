"""Manifest accounting: what `lake run all` makes of a dirty input equals the generator's exact
outcome manifest, and `lake status --json` equals what independent readers count."""

from conftest import BRONZE, GOLD, QUARANTINE, SILVER, TABLES, check_catalog, duck, scan


def test_run_all_matches_the_generator_manifest(lake):
    """60k clean events with every kind of fault (2% duplicates, 1% late, 1% malformed spread
    over all eleven malformed kinds, 45 s jitter) in 4 files: ~62k lines, enough for every
    quarantine reason to occur dozens of times and for silver to span several event dates
    (several files per table), while a debug-build `run all` stays around 3 s."""
    m = lake.generate(events=60_000, users=800, seed=11, files=4, jitter=45,
                      duplicates=0.02, late=0.01, malformed=0.01)
    assert len(m["quarantined"]) >= 10, m["quarantined"]  # every reason occurs
    lake.run("all")
    con = duck()

    silver = lake.live_paths(SILVER)
    assert con.sql(f"SELECT count(*) FROM {scan(silver)}").fetchall()[0][0] == m["accepted"]
    # No event id twice in silver: duplicates were dropped, not kept.
    assert con.sql(f"SELECT count(DISTINCT event_id) FROM {scan(silver)}").fetchall()[0][0] == m["accepted"]
    by_type = dict(con.sql(f"SELECT event_type, count(*) FROM {scan(silver)} GROUP BY 1").fetchall())
    assert by_type == m["event_types"]
    lo, hi = con.sql(f"SELECT strftime(min(event_time), '%Y-%m-%dT%H:%M:%S.%gZ'), "
                     f"strftime(max(event_time), '%Y-%m-%dT%H:%M:%S.%gZ') FROM {scan(silver)}").fetchall()[0]
    assert (lo, hi) == (m["event_time_min"], m["event_time_max"])

    quarantine = lake.live_paths(QUARANTINE)
    reasons = dict(con.sql(f"SELECT reason, count(*) FROM {scan(quarantine)} GROUP BY reason").fetchall())
    assert reasons == m["quarantined"]
    assert reasons["late"] == m["late"]

    status = lake.status()
    (acct,) = [a for a in status["accounting"] if a["job"] == "clickstream"]
    assert acct == {
        "job": "clickstream", "bronze_rows": m["lines"], "silver_rows": m["accepted"],
        "duplicates": m["duplicates"], "quarantined": sum(m["quarantined"].values()),
        "pending": 0, "balanced": True}
    assert m["lines"] == m["accepted"] + m["duplicates"] + sum(m["quarantined"].values())

    # status --json tables = what DuckDB counts over the live files and their sizes on disk.
    for table in TABLES:
        paths = lake.live_paths(table)
        assert paths, table
        counted = con.sql(f"SELECT count(*) FROM {scan(paths)}").fetchall()[0][0]
        size = sum((lake.root / p).stat().st_size for p, _, _ in lake.live_files(table))
        t = status["tables"][table]
        assert (t["rows"], t["files"], t["bytes"]) == (counted, len(paths), size), table
    assert status["tables"][BRONZE]["rows"] == m["lines"]
    # The gold Parquet table holds the closed sessions, SQLite all of them.
    closed = lake.query(f"SELECT count(*) FROM {GOLD} WHERE is_closed = 1")[0][0]
    assert status["tables"][GOLD]["rows"] == closed
    assert status["orphans"] == []
    check_catalog(lake, status)

    # The run's own statistics say the same (silver run row).
    # The clickstream job's runs (the other jobs, run at once with it, had no input).
    runs = {r["stage"]: r for r in status["runs"] if r["job"] == "clickstream"}
    assert all(r["status"] == "ok" for r in status["runs"])
    assert runs["silver"]["rows_in"] == m["lines"]
    assert runs["silver"]["rows_out"] == m["accepted"]
    assert runs["silver"]["duplicates"] == m["duplicates"]
    assert runs["silver"]["quarantined"] == sum(m["quarantined"].values())


def test_status_of_tables_without_files(lake):
    """`run all` on an empty landing folder registers the tables but writes no file: status
    must say 0 files (a LEFT JOIN counting the missing row as a file once reported 1)."""
    lake.landing.mkdir(parents=True)
    lake.run("all")
    status = lake.status()
    for table in TABLES:
        t = status["tables"][table]
        assert (t["rows"], t["files"], t["bytes"], t["retired_files"]) == (0, 0, 0, 0), table
    assert status["accounting"][0]["balanced"]
    check_catalog(lake, status)
