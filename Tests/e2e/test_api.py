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
