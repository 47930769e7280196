"""The dashboard in a real browser: `lake serve` over a generated lake, headless Chromium
renders the page, and the numbers it shows equal the same queries run with the sqlite3 shell.
Also the static `lake report`, XSS-safe rendering of hostile user ids, and safe answers to
hostile requests. 20k events keep the lake small enough to build in a few seconds."""
import html
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAKE = os.environ.get("LAKE_BIN", str(ROOT / ".build/debug/lake"))
JOBS = str(ROOT / "jobs")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def lake(*args, check=True, **kw):
    return subprocess.run([LAKE, *args], capture_output=True, text=True, check=check, **kw)


def sqlite(db, sql):
    out = subprocess.run(["sqlite3", "-json", str(db), sql], capture_output=True, text=True, check=True).stdout
    return json.loads(out) if out.strip() else []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("dash")
    lake_dir = root / "lake"
    lake("generate", "--lake", str(lake_dir), "--events", "20000", "--users", "300",
         "--duplicates", "0.02", "--late", "0.005", "--malformed", "0.005")
    # A hostile user id must render as text.
    hostile = {"eventId": "x1", "eventType": "PURCHASE", "userId": "<script>alert(1)</script>",
               "timestamp": "2026-01-29T00:00:01Z", "data": {"totalAmount": 99999.5}}
    with open(lake_dir / "landing/clickstream/events-00000.jsonl", "r+") as f:
        content = f.read()
        f.seek(0)
        f.write(json.dumps(hostile) + "\n" + content)
    lake("run", "all", "--lake", str(lake_dir), "--jobs", JOBS)
    port = free_port()
    proc = subprocess.Popen([LAKE, "serve", "--lake", str(lake_dir), "--jobs", JOBS, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/kpis", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("lake serve did not start: " + proc.stderr.read())
    yield {"base": base, "db": lake_dir / "catalog.db", "lake": lake_dir, "root": root}
    proc.terminate()
    proc.wait(timeout=10)


def get(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def render(url, out_png):
    """The page's DOM after its scripts ran, and a screenshot, from headless Chromium."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000", "--window-size=1280,1500"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    subprocess.run([CHROMIUM, *flags, f"--screenshot={out_png}", url], capture_output=True, timeout=120)
    return dom


def kpi_values(dom):
    """The KPI cards' values (the clickstream job's [dashboard]: one card per gold_kpis column)."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r'id="panel-([a-z_]+)" data-kind="card"><span class="label">[^<]*</span><span class="value" data-value="([^"]*)"', dom)}


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")
def test_page_shows_the_numbers_sqlite_gives(served):
    shot = ROOT / ".build" / "test-artifacts" / "dashboard-clickstream.png"  # kept as a test artifact
    shot.parent.mkdir(parents=True, exist_ok=True)
    dom = render(served["base"] + "/", shot)
    assert 'data-rendered="1"' in dom, dom[:2000]
    shown = kpi_values(dom)
    expected = sqlite(served["db"], "SELECT * FROM gold_kpis")[0]
    assert set(shown) >= {"total_sessions", "orders", "abandoned_carts", "revenue", "average_order_value",
                          "conversion_rate_pct"}
    for key, value in shown.items():
        assert float(value) == pytest.approx(float(expected[key])), key
    assert int(shown["total_sessions"]) > 1000
    # The funnel bars carry the funnel view's numbers.
    funnel = [r["sessions"] for r in sqlite(served["db"], "SELECT sessions FROM gold_funnel ORDER BY step")]
    section = dom[dom.index('id="panel-funnel"'):dom.index('id="panel-session_status"')]
    assert [int(v) for v in re.findall(r'<rect[^>]*data-value="(\d+)"', section)] == funnel
    # The hourly line: the hours within 48 of the newest one (`range = "48h"`).
    assert hourly_sessions(dom) == last_48_hours(served["db"])
    # Top customers: the first row is the view's first row.
    top = sqlite(served["db"], "SELECT user_id FROM gold_top_customers LIMIT 10")
    body = dom[dom.index('id="panel-top_customers"'):]
    assert re.search(r"<td>([^<]*)</td>", body).group(1).replace("&lt;", "<").replace("&gt;", ">") == top[0]["user_id"]
    assert "data-problem" not in dom
    assert shot.stat().st_size > 20000


def hourly_sessions(dom):
    section = dom[dom.index('id="panel-hourly"'):dom.index('id="panel-top_customers"')]
    first = re.search(r'<polyline[^>]*data-values="([^"]*)"', section)
    return json.loads(html.unescape(first.group(1)))


def last_48_hours(db):
    rows = sqlite(db, "SELECT hour, sessions FROM gold_hourly")
    hour = lambda r: datetime.fromisoformat(r["hour"].replace("Z", "+00:00"))
    newest = max(map(hour, rows))
    kept = [r["sessions"] for r in rows if hour(r) > newest - timedelta(hours=48)]
    assert 0 < len(kept) <= 48 and len(kept) < len(rows) + 1
    return kept


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")
def test_hostile_user_id_renders_as_text(served):
    dom = render(served["base"] + "/", served["root"] / "xss.png")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # the top customer, shown as text
    assert "<script>alert(1)</script>" not in dom


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")
def test_static_report_opens_offline_with_the_same_numbers(served):
    out = served["root"] / "report.html"
    lake("report", "--job", "clickstream", "--lake", str(served["lake"]), "--jobs", JOBS, "--out", str(out))
    html = out.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing loaded from a network
    dom = render(out.as_uri(), served["root"] / "report.png")
    expected = sqlite(served["db"], "SELECT * FROM gold_kpis")[0]
    shown = kpi_values(dom)
    assert int(shown["total_sessions"]) == expected["total_sessions"]
    assert float(shown["revenue"]) == pytest.approx(expected["revenue"])
    assert hourly_sessions(dom) == last_48_hours(served["db"])


def test_api_and_metrics_agree_with_sqlite(served):
    status, headers, body = get(served["base"] + "/api/kpis")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["total_sessions"] == sqlite(served["db"], "SELECT count(*) AS n FROM gold_session_stats")[0]["n"]
    for path in ["funnel", "hourly", "top-customers", "session-status", "status", "dashboard"]:
        status, _, body = get(served["base"] + "/api/" + path)
        assert status == 200, path
        json.loads(body)
    status, _, metrics = get(served["base"] + "/metrics")
    assert status == 200
    rows = sqlite(served["db"], "SELECT sum(record_count) AS n FROM lake_data_file f JOIN lake_table t USING (table_id) "
                                "WHERE t.table_name = 'silver_clickstream' AND f.end_snapshot IS NULL")[0]["n"]
    assert f'lake_table_rows{{table="silver_clickstream",layer="silver"}} {rows}' in metrics
    assert 'lake_accounting_balanced{job="clickstream"} 1' in metrics


def test_hostile_requests_get_safe_answers(served):
    base = served["base"]
    for path in ["/../catalog.db", "/%2e%2e/catalog.db", "/catalog.db", "/api/unknown", "/lake/catalog.db", "/etc/passwd"]:
        status, _, body = get(base + path)
        assert status == 404, path
        assert "SQLite format" not in body
        assert json.loads(body)["status"] == 404
    for size in (5_000, 100_000):  # over our 4 KB target limit, and over the HTTP parser's header limit
        status, _, _ = get(base + "/api/kpis?" + "x" * size)
        assert status in (400, 414, 431), (size, status)
    status, _, body = get(base + "/", data=b"x", method="DELETE")
    assert status == 405 and json.loads(body)["status"] == 405


def test_ingest_errors_and_acknowledged_lines(served):
    base = served["base"]
    nd = {"Content-Type": "application/x-ndjson"}
    assert get(base + "/ingest/clickstream")[0] == 405
    assert get(base + "/ingest/unknown", b"{}\n", nd)[0] == 404
    assert get(base + "/ingest/clickstream", b"{}\n", {"Content-Type": "text/html"})[0] == 415
    assert get(base + "/ingest/clickstream", b"", nd)[0] == 400
    status, _, body = get(base + "/ingest/clickstream", b'{"a":1}\n{"b":2}', nd)
    assert status == 200
    ack = json.loads(body)
    assert ack["lines"] == 2 and ack["last_ingest_id"] == ack["first_ingest_id"] + 1
    rows = sqlite(served["db"], "SELECT value FROM lake_checkpoint WHERE stage = 'bronze' AND key = 'next_ingest_id'")
    assert int(rows[0]["value"]) == ack["last_ingest_id"] + 1
