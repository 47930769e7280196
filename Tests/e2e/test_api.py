"""The JSON API over every job's declared views and gold tables (SPEC §15):
`/api/jobs/<job>/<name>?limit=&offset=`, typed columns, paging equal to SQLite's own rows, 404
for names the job does not declare (nothing from the URL reaches SQL)."""

import sqlite3

from conftest import Lake
from test_http_ingest import Server


def test_every_view_and_gold_table_paged(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.generate(events=3000, seed=5)
    tx = lake.root / "landing" / "transactions"
    lake.generate(out=tx, job="transactions", events=2000, seed=5)
    lake.run("all")
    s = Server(lake)
    try:
        status, listing = s.request("GET", "/api/jobs")
        assert status == 200
        jobs = {j["name"]: j for j in listing["jobs"]}
        assert {"clickstream", "transactions", "orders"} <= set(jobs)
        assert "gold_kpis" in jobs["clickstream"]["views"]
        assert "gold_segment_model" in jobs["orders"]["gold_tables"]
        con = sqlite3.connect(lake.root / "catalog.db")
        checked = 0
        for job in ("clickstream", "transactions"):
            for name in jobs[job]["views"] + jobs[job]["gold_tables"]:
                expected = con.execute(f'SELECT * FROM "{name}"').fetchall()
                got, offset = [], 0
                while True:
                    status, page = s.request("GET", f"/api/jobs/{job}/{name}?limit=37&offset={offset}")
                    assert status == 200, page
                    assert page["total"] == len(expected) and page["kind"] in ("view", "gold")
                    got += [tuple(r) for r in page["rows"]]
                    if len(page["rows"]) < 37:
                        break
                    offset += 37
                assert got == expected, name
                checked += 1
        assert checked >= 15
        status, page = s.request("GET", "/api/jobs/transactions/gold_sales_per_minute?limit=1")
        types = {c["name"]: c["type"] for c in page["columns"]}
        assert types["revenue"] == "real" and types["transactions"] == "integer" and types["category"] == "text"
        # Undeclared names, other jobs' tables, catalog tables and SQL are refused.
        for path in ("/api/jobs/transactions/lake_run", "/api/jobs/transactions/gold_session_stats",
                     "/api/jobs/transactions/gold_totals%20UNION%20SELECT%201", "/api/jobs/nojob/gold_kpis",
                     "/api/jobs/clickstream/gold_kpis/extra"):
            status, answer = s.request("GET", path)
            assert status == 404, (path, answer)
        status, answer = s.request("GET", "/api/jobs/transactions/gold_totals?limit=-1")
        assert status == 400
        status, answer = s.request("GET", "/api/jobs/transactions/gold_totals?limit=10001")
        assert status == 400
        # A job without input yet: its tables exist, empty.
        status, page = s.request("GET", "/api/jobs/orders/gold_order_segments")
        assert status == 200 and page["total"] == 0 and page["rows"] == []
        assert [c["name"] for c in page["columns"]][-2:] == ["purchase_behaviour", "model_version"]
    finally:
        s.stop()


def test_a_time_range_keeps_the_rows_near_the_newest(tmp_path):
    """`?range=<seconds>&time=<column>` (a panel's `range`): the rows whose time is less than
    that before the newest one, counted and paged like the rest; a column the relation lacks or
    a range that is not a positive number of seconds is a 400 that names what to send."""
    from datetime import datetime, timedelta
    lake = Lake(tmp_path / "lake")
    lake.generate(events=4000, seed=9)
    lake.run("all")
    s = Server(lake)
    try:
        con = sqlite3.connect(lake.root / "catalog.db")
        hours = [r[0] for r in con.execute("SELECT hour FROM gold_hourly")]
        parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
        newest = max(map(parse, hours))
        counts = {}
        for seconds in (1, 3600, 7200, 6 * 3600 + 1, 48 * 3600):
            expected = [r for r in con.execute("SELECT * FROM gold_hourly").fetchall()
                        if parse(r[0]) > newest - timedelta(seconds=seconds)]
            counts[seconds] = len(expected)
            status, page = s.request("GET", f"/api/jobs/clickstream/gold_hourly?range={seconds}&time=hour&limit=1000")
            assert status == 200, page
            assert [tuple(r) for r in page["rows"]] == expected and page["total"] == len(expected), seconds
            assert page["range"] == str(seconds) and page["time"] == "hour"
        # The range really cuts: the newest hour alone, then more hours as it widens.
        assert counts[1] == counts[3600] == 1 and counts[7200] == 2 and counts[6 * 3600 + 1] == 7
        assert counts[48 * 3600] == len(hours) > 7
        # Paged: the second page of a range is the rest of it.
        status, page = s.request("GET", "/api/jobs/clickstream/gold_hourly?range=172800&time=hour&limit=5&offset=5")
        assert [tuple(r) for r in page["rows"]] == expected[5:10]
        # Sessions by their start, on a gold table of timestamps with milliseconds.
        starts = [parse(r[0]) for r in con.execute("SELECT session_start FROM gold_session_stats")]
        near = sum(1 for t in starts if t.replace(microsecond=0) > max(starts).replace(microsecond=0) - timedelta(hours=1))
        status, page = s.request("GET", "/api/jobs/clickstream/gold_session_stats?range=3600&time=session_start&limit=1")
        assert status == 200 and page["total"] == near > 0
        for query, word in (("range=3600&time=nope", "session_start"), ("range=3600", "time=<column>"),
                            ("range=-5&time=hour", "seconds"), ("range=1h&time=hour", "seconds"),
                            ("range=0&time=hour", "seconds")):
            status, answer = s.request("GET", f"/api/jobs/clickstream/gold_session_stats?{query}"
                                       if "nope" in query else f"/api/jobs/clickstream/gold_hourly?{query}")
            assert status == 400 and word in answer["error"], (query, answer)
    finally:
        s.stop()
