"""Backfill against an independent reference: with late events in the input, incremental gold
misses them; `lake backfill all` over every date must make the closed sessions equal sessions
computed in DuckDB from all deduplicated landing events, and a second backfill changes nothing."""

from datetime import datetime, timedelta

from conftest import check_catalog, duck
from test_gold_reference import compare_gold, expected_rows, reference_sessions


def test_backfill_makes_gold_equal_a_batch_over_all_valid_events(lake):
    """30k events of 400 users with 1% late events (more than 10 minutes behind) and 2%
    duplicates: enough late events (~300) that many closed sessions change, small enough that
    the DuckDB reference and two backfills take a few seconds."""
    m = lake.generate(events=30_000, users=400, seed=33, files=2, jitter=30, duplicates=0.02, late=0.01)
    assert m["late"] > 100 and set(m["quarantined"]) == {"late"}
    lake.run("all")
    ref = expected_rows(reference_sessions(duck(), [str(p) for p in lake.landing_files()]))
    closed_ref = [r for r in ref if r[9] == 1]
    before = lake.gold_sqlite("is_closed = 1")
    assert len(before) != len(closed_ref) or before != closed_ref, "late events must matter here"

    first = datetime.fromisoformat(m["event_time_min"].replace("Z", "+00:00")).date()
    last = datetime.fromisoformat(m["event_time_max"].replace("Z", "+00:00")).date()
    dates = ["--from", str(first - timedelta(days=1)), "--to", str(last)]
    out = lake.cmd("backfill", "all", *dates).stderr.decode()
    assert "late rows recovered" in out

    class Closed:  # compare_gold reads lake.gold_sqlite(); restrict it to closed rows
        def gold_sqlite(self):
            return lake.gold_sqlite("is_closed = 1")
    compare_gold(Closed(), closed_ref)
    status = lake.status()
    accounting = status["accounting"][0]
    assert accounting["balanced"] and accounting["quarantined"] == 0
    # Every distinct event is in silver now; a late line that copied an accepted event is a
    # duplicate, so duplicates may grow by those.
    assert accounting["silver_rows"] == sum(r[4] for r in ref)
    assert accounting["silver_rows"] + accounting["duplicates"] == m["accepted"] + m["late"] + m["duplicates"]
    check_catalog(lake, status)

    # Twice gives the same; gold Parquet holds exactly the closed SQLite rows.
    lake.cmd("backfill", "all", *dates)
    compare_gold(Closed(), closed_ref)
    parquet_closed = duck().sql(
        "SELECT count(*) FROM read_parquet([" + ", ".join(f"'{p}'" for p in lake.live_paths("gold_session_stats"))
        + "])").fetchall()[0][0]
    assert parquet_closed == len(closed_ref)
