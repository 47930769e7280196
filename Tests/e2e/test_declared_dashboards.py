"""Declared dashboards (SPEC §15, issue #26) in a real browser: `lake serve` over a lake holding
the shipped transactions and orders jobs' generated data, headless Chromium renders
`/jobs/<job>`, and every card, chart and table shows what the sqlite3 shell gives for the same
view or gold table (read from the DOM). Also: the job switcher, a refresh without a reload,
hostile category, city and payment names rendered as text, the default page of a job without
`[dashboard]`, 404s, and one-line errors for wrong `[dashboard]` declarations. Screenshots go to
.build/test-artifacts/."""
import html
import json
import re
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from test_dashboard import CHROMIUM, LAKE, ROOT, free_port, get, lake, sqlite

JOBS = ROOT / "jobs"
ARTIFACTS = ROOT / ".build" / "test-artifacts"
HOSTILE = {"category": "<script>alert('category')</script>", "city": "<img src=x onerror=alert('city')>",
           "payment_method": "</svg><b onmouseover=alert(1)>card</b>"}
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")


def serve(lake_dir, jobs):
    port = free_port()
    proc = subprocess.Popen([LAKE, "serve", "--lake", str(lake_dir), "--jobs", str(jobs), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/jobs", timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("lake serve did not start: " + proc.stderr.read())


@contextmanager
def serving(lake_dir, jobs):
    """`lake serve` over another jobs folder for the length of a `with`: its base URL."""
    proc, base = serve(lake_dir, jobs)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("declared")
    lake_dir = root / "lake"
    for job, events in (("transactions", 3000), ("orders", 1500)):
        lake("generate", "--job", job, "--lake", str(lake_dir), "--jobs", str(JOBS), "--events", str(events),
             "--duplicates", "0.02", "--malformed", "0.01")
    # A transaction whose names are markup, the largest (first in the top 10 and in every chart),
    # a minute before the stream's last event (not late).
    last = json.loads((lake_dir / "landing/transactions/.manifest.json").read_text())["event_time_max"]
    at = datetime.fromisoformat(last.replace("Z", "+00:00")) - timedelta(minutes=1)
    hostile = dict(transaction_id="hostile-1", user_id="USER_100", amount=9999.99, quantity=1,
                   timestamp=at.strftime("%Y-%m-%dT%H:%M:%S.%f"), **HOSTILE)
    (lake_dir / "landing/transactions/events-zz.jsonl").write_text(json.dumps(hostile) + "\n")
    lake("run", "all", "--lake", str(lake_dir), "--jobs", str(JOBS))
    proc, base = serve(lake_dir, JOBS)
    yield {"base": base, "db": lake_dir / "catalog.db", "lake": lake_dir, "root": root}
    proc.terminate()
    proc.wait(timeout=10)


def render(url, name, budget=8000):
    """The DOM after the page's scripts ran (`budget` ms of virtual time) and a screenshot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--virtual-time-budget={budget}", "--window-size=1280,1800"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    png = ARTIFACTS / f"dashboard-{name}.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={png}", url], capture_output=True, timeout=120)
    assert png.stat().st_size > 20000, f"{png} looks empty"
    return dom


def panel(dom, name):
    """The markup of one panel (from its element to the next panel's)."""
    start = dom.index(f'id="panel-{name}"')
    end = min([i for i in (dom.find('id="panel-', start + 10), dom.find('id="health-panel"', start)) if i > 0])
    return dom[start:end]


def attrs(section, tag, *names):
    """[(attr values…)] of every `tag` element in document order, unescaped."""
    out = []
    for m in re.finditer(rf"<{tag}\b([^>]*)>", section):
        found = dict(re.findall(r'([a-z-]+)="([^"]*)"', m.group(1)))
        if all(n in found for n in names):
            out.append(tuple(html.unescape(found[n]) for n in names))
    return out


def cells(section):
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", section)]


def card(dom, name):
    return html.unescape(re.search(r'class="value" data-value="([^"]*)"', panel(dom, name)).group(1))


def money(v):
    return f"{v:,.2f}"


@needs_chromium
def test_transactions_page_shows_what_sqlite_gives(served):
    dom = render(served["base"] + "/jobs/transactions", "transactions")
    assert 'data-rendered="1"' in dom, dom[:3000]
    assert "data-problem" not in dom, re.findall(r'data-problem="([^"]*)"', dom)
    kpis = sqlite(served["db"], "SELECT * FROM transactions_kpis")[0]
    for name, column in [("revenue", "revenue"), ("transactions", "transactions"),
                         ("unique_users", "unique_users"), ("avg_ticket", "avg_ticket")]:
        assert float(card(dom, name)) == pytest.approx(kpis[column]), name
    assert int(card(dom, "transactions")) > 3000
    for name, view, label in [("by_category", "revenue_by_category", "category"),
                              ("by_city", "revenue_by_city", "city")]:
        rows = sqlite(served["db"], f"SELECT {label}, revenue FROM {view}")
        shown = attrs(panel(dom, name), "rect", "data-label", "data-value")
        assert [(l, float(v)) for l, v in shown] == [(r[label], r["revenue"]) for r in rows], name
    rows = sqlite(served["db"], "SELECT payment_method, revenue FROM revenue_by_payment")
    shown = attrs(panel(dom, "by_payment"), "path", "data-label", "data-value")
    assert [(l, float(v)) for l, v in shown] == [(r["payment_method"], r["revenue"]) for r in rows if r["revenue"] > 0]
    # The last hour of minutes (`range = "1h"`), counted back from the newest minute.
    minutes = sqlite(served["db"], "SELECT minute, revenue FROM revenue_per_minute")
    newest = max(datetime.fromisoformat(r["minute"].replace("Z", "+00:00")) for r in minutes)
    last_hour = [r["revenue"] for r in minutes
                 if datetime.fromisoformat(r["minute"].replace("Z", "+00:00")) > newest - timedelta(hours=1)]
    ((values,),) = attrs(panel(dom, "revenue_per_minute"), "polyline", "data-values")
    assert json.loads(values) == last_hour and 0 < len(last_hour) <= 60
    top = sqlite(served["db"], "SELECT transaction_id, user_id, city, category, amount, payment_method, event_time "
                               "FROM gold_top_transactions")
    shown = cells(panel(dom, "top_transactions"))
    assert len(top) == 10 and len(shown) == 70
    assert shown[0::7] == [r["transaction_id"] for r in top]
    assert shown[4::7] == [money(r["amount"]) for r in top]
    assert shown[0] == "hostile-1"


@needs_chromium
def test_orders_page_shows_what_sqlite_gives(served):
    dom = render(served["base"] + "/jobs/orders", "orders")
    assert 'data-rendered="1"' in dom and "data-problem" not in dom, dom[:3000]
    kpis = sqlite(served["db"], "SELECT * FROM orders_kpis")[0]
    assert float(card(dom, "revenue")) == pytest.approx(kpis["revenue"])
    assert int(card(dom, "orders")) == kpis["orders"] > 1000
    top = sqlite(served["db"], "SELECT product_name, revenue FROM top_products")
    assert [(l, float(v)) for l, v in attrs(panel(dom, "top_products"), "rect", "data-label", "data-value")] \
        == [(r["product_name"], r["revenue"]) for r in top]
    segments = sqlite(served["db"], "SELECT purchase_behaviour, orders FROM segmentation")
    assert len(segments) >= 2
    assert [(l, int(v)) for l, v in attrs(panel(dom, "segmentation"), "path", "data-label", "data-value")] \
        == [(r["purchase_behaviour"], r["orders"]) for r in segments]
    # A table without `columns` shows every column of its view, with a header.
    section = panel(dom, "segments")
    assert re.findall(r"<th[^>]*>([^<]*)</th>", section) == ["purchase_behaviour", "orders", "avg_duration_s", "revenue"]
    assert cells(section)[0::4] == [r["purchase_behaviour"] for r in segments]


@needs_chromium
def test_job_switcher_and_refresh_without_reload(served):
    dom = render(served["base"] + "/jobs/orders", "orders-refresh", budget=25000)
    nav = dom[dom.index('<nav class="jobs"'):dom.index("</nav>")]
    assert re.findall(r'href="([^"]*)"', nav) == ["/jobs/clickstream", "/jobs/orders", "/jobs/transactions"]
    assert re.findall(r'<a href="([^"]*)" aria-current="page"', nav) == ["/jobs/orders"]
    # 10-s refresh: after 25 s of the page's time it has read its panels three times.
    assert int(re.search(r'data-rounds="(\d+)"', dom).group(1)) >= 3
    # The first job's page is also at / (no clickstream data in this lake: its cards read 0).
    dom = render(served["base"] + "/", "clickstream-empty")
    assert 'data-rendered="1"' in dom and '<a href="/jobs/clickstream" aria-current="page"' in dom
    assert re.search(r'id="panel-total_sessions" data-kind="card"><span class="label">Sessions</span>'
                     r'<span class="value" data-value="0"', dom)


@needs_chromium
def test_hostile_names_render_as_text(served):
    dom = render(served["base"] + "/jobs/transactions", "transactions-hostile")
    assert 'data-rendered="1"' in dom
    for value in HOSTILE.values():
        assert html.escape(value, quote=False) in dom, value  # shown, as text (the top 10's cells)
    # No markup of theirs became an element: outside attribute values, none of it is raw.
    markup = re.sub(r'="[^"]*"', '=""', dom)
    for value in HOSTILE.values():
        assert value not in markup, value
    assert "<img" not in markup and "<b " not in markup and "onmouseover" not in markup.replace("onmouseover=alert(1)&gt;", "")


@needs_chromium
def test_a_job_without_dashboard_gets_a_table_per_gold_table_and_view(served):
    jobs = served["root"] / "jobs-plain"
    jobs.mkdir()
    text = (JOBS / "transactions.toml").read_text()
    (jobs / "transactions.toml").write_text(text[:text.index("\n[dashboard]")] + "\n")
    with serving(served["lake"], jobs) as base:
        dom = render(base + "/", "transactions-default")
    assert 'data-rendered="1"' in dom and "data-problem" not in dom
    names = re.findall(r'id="panel-([a-z_]+)" data-kind="table"', dom)
    assert names == ["gold_sales_per_minute", "gold_city_totals", "gold_payment_totals", "gold_totals",
                     "gold_top_transactions", "gold_user_alerts", "transactions_kpis", "revenue_by_category",
                     "revenue_by_city", "revenue_by_payment", "revenue_per_minute"]
    cities = sqlite(served["db"], "SELECT * FROM gold_city_totals LIMIT 20")
    section = panel(dom, "gold_city_totals")
    assert re.findall(r"<th[^>]*>([^<]*)</th>", section) == list(cities[0])
    assert cells(section)[0::len(cities[0])] == [r["city"] for r in cities]


def test_unknown_job_page_is_a_404(served):
    status, _, body = get(served["base"] + "/jobs/nope")
    assert status == 404 and "transactions" in json.loads(body)["error"]
    status, _, body = get(served["base"] + "/jobs/transactions")
    assert status == 200 and 'id="panel-revenue"' in body


@pytest.mark.parametrize("section, message", [
    ('[dashboard.x]\nkind = "gauge"\nfrom = "transactions_kpis"\n', "key dashboard.x.kind: expected"),
    ('[dashboard.x]\nkind = "card"\nfrom = "nope"\nvalue = "revenue"\n', "key dashboard.x.from: nope is not a view or gold table"),
    ('[dashboard.x]\nkind = "card"\nfrom = "transactions_kpis"\n', "missing key dashboard.x.value"),
    ('[dashboard.x]\nkind = "bar"\nfrom = "revenue_by_city"\nx = "city"\ny = ["revenue", "transactions"]\n',
     "key dashboard.x.y: a bar chart shows one column"),
    ('[dashboard.x]\nkind = "table"\nfrom = "revenue_by_city"\nx = "city"\n', "unknown key dashboard.x.x"),
    ('[dashboard]\nrefresh = "soon"\n[dashboard.x]\nkind = "table"\nfrom = "revenue_by_city"\n', "key dashboard.refresh: expected"),
    ('[dashboard]\ntitle = "empty"\n', "[dashboard] declares no panel"),
    ('[dashboard.x]\nkind = "table"\nfrom = "gold_totals"\nrange = "1h"\n', "key dashboard.x.range: a table's range needs"),
    ('[dashboard.x]\nkind = "line"\nfrom = "revenue_per_minute"\nx = "minute"\ny = "revenue"\nrange = "a while"\n',
     "key dashboard.x.range: expected a positive duration"),
    ('[dashboard.x]\nkind = "card"\nfrom = "transactions_kpis"\nvalue = "revenue"\nrange = "1h"\n',
     "unknown key dashboard.x.range"),
])
def test_wrong_dashboard_declarations_are_one_line_errors(tmp_path, section, message):
    text = (JOBS / "transactions.toml").read_text()
    (tmp_path / "transactions.toml").write_text(text[:text.index("\n[dashboard]")] + "\n" + section)
    p = lake("cron", "--lake", str(tmp_path / "lake"), "--jobs", str(tmp_path), check=False)
    err = p.stderr.strip()
    assert p.returncode != 0 and len(err.splitlines()) == 1, err
    assert "transactions.toml" in err and message in err, err


@needs_chromium
def test_static_report_of_a_declared_page(served):
    out = served["root"] / "transactions.html"
    lake("report", "--job", "transactions", "--lake", str(served["lake"]), "--jobs", str(JOBS), "--out", str(out))
    text = out.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    dom = render(out.as_uri(), "transactions-report")
    assert 'data-rendered="1"' in dom and "data-problem" not in dom, dom[:3000]
    kpis = sqlite(served["db"], "SELECT * FROM transactions_kpis")[0]
    assert float(card(dom, "revenue")) == pytest.approx(kpis["revenue"])
    top = sqlite(served["db"], "SELECT transaction_id FROM gold_top_transactions")
    assert cells(panel(dom, "top_transactions"))[0::7] == [r["transaction_id"] for r in top]
    assert "static report" in dom


@needs_chromium
def test_report_of_every_job_is_one_offline_file(served):
    out = served["root"] / "report.html"
    lake("report", "--lake", str(served["lake"]), "--jobs", str(JOBS), "--out", str(out))
    text = out.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert re.findall(r'<a href="#job-([a-z]+)">', text) == ["clickstream", "orders", "transactions"]
    pages = {m.group(1): html.unescape(m.group(2))
             for m in re.finditer(r'<section id="job-([a-z]+)"><iframe title="[a-z]+" srcdoc="([^"]*)"></iframe>', text)}
    assert sorted(pages) == ["clickstream", "orders", "transactions"]
    # Each embedded page is the job's static page: rendered alone, it shows the catalog's numbers.
    page = served["root"] / "orders-from-report.html"
    page.write_text(pages["orders"])
    dom = render(page.as_uri(), "report-orders")
    assert 'data-rendered="1"' in dom and "static report" in dom and "data-problem" not in dom
    kpis = sqlite(served["db"], "SELECT * FROM orders_kpis")[0]
    assert float(card(dom, "revenue")) == pytest.approx(kpis["revenue"])
    # The file itself shows a job per fragment (the first without one).
    render(out.as_uri() + "#job-transactions", "report-all")


@needs_chromium
def test_hostile_text_in_a_card_and_line_labels(served):
    """The panel kinds the transactions page does not feed with names (a card, a line's labels)
    get markup from a view: shown as text, never an element."""
    jobs = served["root"] / "jobs-hostile"
    jobs.mkdir()
    text = (JOBS / "transactions.toml").read_text().replace("[views]\n", '[views]\nhostile_labels = """\n'
        "SELECT '<img src=x onerror=alert(9)>' AS label, 1 AS v\n"
        "UNION ALL SELECT '</svg><script>alert(8)</script>', 2\"\"\"\n", 1)
    text += ('\n[dashboard.hostile_card]\nkind = "card"\nfrom = "hostile_labels"\nvalue = "label"\nformat = "text"\n'
             '\n[dashboard.hostile_line]\nkind = "line"\nfrom = "hostile_labels"\nx = "label"\ny = "v"\n')
    (jobs / "transactions.toml").write_text(text)
    lake("run", "gold", "--job", "transactions", "--lake", str(served["lake"]), "--jobs", str(jobs))
    with serving(served["lake"], jobs) as base:
        dom = render(base + "/jobs/transactions", "transactions-hostile-card")
    assert 'data-rendered="1"' in dom and "data-problem" not in dom
    assert card(dom, "hostile_card") == "<img src=x onerror=alert(9)>"
    assert html.escape("<img src=x onerror=alert(9)>", quote=False) in dom
    ((values,),) = attrs(panel(dom, "hostile_line"), "polyline", "data-values")
    assert json.loads(values) == [1, 2]
    markup = re.sub(r'="[^"]*"', '=""', dom)
    assert "<img" not in markup and "<script>alert(8)" not in markup
