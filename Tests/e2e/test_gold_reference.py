"""Gold against an independent reference: sessions computed in DuckDB SQL straight from the
landing JSON (not from silver), compared session by session with the SQLite gold table."""

from datetime import datetime, timezone

from conftest import GOLD, duck, scan

GAP_MS = 30 * 60 * 1000
DELAY_MS = 10 * 60 * 1000


def iso(ms):
    """Epoch milliseconds as the catalog writes them: 2026-01-29T19:45:48.011Z."""
    t = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def reference_sessions(con, files):
    """Every session of the landing lines: dedup on eventId, per user ordered by time, a gap of
    more than 30 minutes starts a new session (exactly 30:00.000 continues). Amounts in exact
    decimals; timestamps parsed by DuckDB (all four forms the generator writes)."""
    listing = ", ".join(f"'{f}'" for f in files)
    return con.sql(f"""
        WITH raw AS (
            SELECT json_extract_string(j, '$.eventId') AS event_id,
                   json_extract_string(j, '$.userId') AS user_id,
                   json_extract_string(j, '$.eventType') AS event_type,
                   epoch_ms(CAST(json_extract_string(j, '$.timestamp') AS TIMESTAMPTZ)) AS t,
                   CAST(json_extract_string(j, '$.data.totalAmount') AS DECIMAL(18, 6)) AS amount
            FROM read_ndjson_objects([{listing}]) AS r(j)
        ),
        events AS (SELECT * FROM raw QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY t) = 1),
        flagged AS (
            SELECT *, CASE WHEN t - lag(t) OVER (PARTITION BY user_id ORDER BY t) > {GAP_MS}
                           THEN 1 ELSE 0 END AS starts
            FROM events
        ),
        numbered AS (
            SELECT *, sum(starts) OVER (PARTITION BY user_id ORDER BY t
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session
            FROM flagged
        )
        SELECT user_id, min(t) AS s, max(t) AS e, count(*) AS n,
               max(CASE WHEN event_type = 'PURCHASE' THEN 1 ELSE 0 END) AS purchased,
               max(CASE WHEN event_type = 'ADD_TO_CART' THEN 1 ELSE 0 END) AS cart,
               coalesce(sum(CASE WHEN event_type = 'PURCHASE' THEN amount END), 0) AS revenue,
               (SELECT max(t) FROM events) AS max_t
        FROM numbered GROUP BY user_id, session ORDER BY user_id, s
        """).fetchall()


def expected_rows(ref):
    out = []
    for user, s, e, n, purchased, cart, revenue, max_t in ref:
        watermark = max_t - DELAY_MS
        out.append((user, iso(s), iso(e), iso(e + GAP_MS), n, purchased, cart,
                    1 if cart and not purchased else 0, revenue, 1 if e + GAP_MS <= watermark else 0))
    return out


def compare_gold(lake, expected):
    got = lake.gold_sqlite()
    assert len(got) == len(expected)
    for g, x in zip(got, expected):
        assert g[:8] == x[:8], (g, x)
        assert round(g[8] * 100) == round(x[8] * 100), (g, x)  # revenue to the cent
        assert abs(g[8] - float(x[8])) < 0.005, (g, x)
        assert g[9] == x[9], (g, x)


def test_gold_equals_sessions_computed_from_the_landing_json(lake):
    """40k events of 600 users with 3% duplicates and 60 s jitter, no late or malformed lines,
    so every deduplicated landing event belongs in gold. 600 users over ~1.5 days give ~6k
    sessions, many users with several sessions and out-of-order events inside them: enough to
    exercise gaps, merges and revenue sums; the reference query takes well under a second."""
    m = lake.generate(events=40_000, users=600, seed=21, files=2, jitter=60, duplicates=0.03)
    assert m["duplicates"] > 0 and m["quarantined"] == {}
    lake.run("all")
    con = duck()
    ref = reference_sessions(con, [str(p) for p in lake.landing_files()])
    assert sum(r[3] for r in ref) == m["accepted"]
    expected = expected_rows(ref)
    compare_gold(lake, expected)
    assert any(x[9] == 0 for x in expected) and any(x[9] == 1 for x in expected)
    assert sum(1 for x in expected if x[5]) > 100 and sum(1 for x in expected if x[7]) > 100

    # The gold Parquet table holds exactly the closed sessions, with the same values.
    parquet = con.sql(f"""
        SELECT user_id, strftime(session_start, '%Y-%m-%dT%H:%M:%S.%gZ'),
               strftime(session_end, '%Y-%m-%dT%H:%M:%S.%gZ'), strftime(window_end, '%Y-%m-%dT%H:%M:%S.%gZ'),
               events_count, is_purchased, has_cart_activity, is_abandoned_cart, session_revenue, is_closed
        FROM {scan(lake.live_paths(GOLD))} ORDER BY user_id, session_start""").fetchall()
    assert parquet == lake.gold_sqlite("is_closed = 1")

    # The KPI view agrees with the reference.
    kpis = lake.query("SELECT total_sessions, orders, abandoned_carts, revenue FROM gold_kpis")[0]
    assert kpis[:3] == (len(expected), sum(x[5] for x in expected), sum(x[7] for x in expected))
    assert abs(kpis[3] - float(sum(x[8] for x in expected))) < 0.01


def line(eid, user, ts, kind="PAGE_VIEW", amount=None):
    total = "null" if amount is None else str(amount)
    return (f'{{"eventId":"{eid}","eventType":"{kind}","userId":"{user}","timestamp":"{ts}",'
            f'"data":{{"totalAmount":{total}}}}}').encode()


def test_gap_of_exactly_thirty_minutes_continues_a_session(lake):
    """A handful of hand-written events through --stdin: the 30:00.000 and 30:00.001 gap
    boundary, a bridging event that merges two open sessions, purchase and cart flags; then
    the same reference query must agree."""
    lines = [  # in arrival order; none is late (W = latest event so far - 10 min)
        line("a1", "u1", "2026-01-29T10:00:00.000Z"),
        line("b1", "u2", "2026-01-29T10:00:00.000Z", "PURCHASE", 10.10),
        line("a2", "u1", "2026-01-29T10:30:00.000Z", "ADD_TO_CART"),     # exactly 30 min: same session
        line("b2", "u2", "2026-01-29T10:35:00.000Z", "PURCHASE", 20.20),  # 35 min: a second session...
        line("b3", "u2", "2026-01-29T10:28:00.000Z"),                    # ...until this bridges them
        line("b3", "u2", "2026-01-29T10:28:00.000Z"),                    # a duplicate
        line("c1", "u3", "2026-01-29T10:40:00.000Z", "ADD_TO_CART"),
        line("a3", "u1", "2026-01-29T11:00:00.001Z"),                    # 30 min + 1 ms: new session
        line("z1", "u9", "2026-01-29T12:00:00.000Z"),                    # moves the watermark to 11:50
    ]
    lake.run("bronze", "--stdin", "--job", "clickstream", input=b"\n".join(lines) + b"\n")
    lake.run("silver")
    lake.run("gold")
    got = lake.gold_sqlite()
    assert [g[:8] for g in got] == [
        ("u1", "2026-01-29T10:00:00.000Z", "2026-01-29T10:30:00.000Z", "2026-01-29T11:00:00.000Z", 2, 0, 1, 1),
        ("u1", "2026-01-29T11:00:00.001Z", "2026-01-29T11:00:00.001Z", "2026-01-29T11:30:00.001Z", 1, 0, 0, 0),
        ("u2", "2026-01-29T10:00:00.000Z", "2026-01-29T10:35:00.000Z", "2026-01-29T11:05:00.000Z", 3, 1, 0, 0),
        ("u3", "2026-01-29T10:40:00.000Z", "2026-01-29T10:40:00.000Z", "2026-01-29T11:10:00.000Z", 1, 0, 1, 1),
        ("u9", "2026-01-29T12:00:00.000Z", "2026-01-29T12:00:00.000Z", "2026-01-29T12:30:00.000Z", 1, 0, 0, 0),
    ]
    assert got[2][8] == 30.30
    # Watermark 11:50: every session whose window ends by then is closed, u9's is open.
    assert [g[9] for g in got] == [1, 1, 1, 1, 0]
    assert lake.status()["accounting"][0]["duplicates"] == 1
    stdin_file = lake.root / "stdin.jsonl"
    stdin_file.write_bytes(b"\n".join(lines) + b"\n")
    compare_gold(lake, expected_rows(reference_sessions(duck(), [str(stdin_file)])))
