"""The orders job (seed 000, jobs/orders.toml): shop-local timestamps read in Europe/Rome, the
customer's e-mail hashed and first name dropped, and gold_order_segments labelled by a k-means
model that must equal scikit-learn's fit on the same standardised silver rows.

References are independent of lake: scikit-learn (StandardScaler + KMeans, Lloyd, started from
the k-means++ picks lake stored with the model), DuckDB over the silver Parquet files, Python's
hmac for the hashes, zoneinfo for the local times.
"""

import hashlib
import hmac
import json
import os
import subprocess
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from conftest import Lake, duck, scan

JOB = "orders"
SILVER = "silver_orders"
GOLD = "gold_order_segments"
ROME = ZoneInfo("Europe/Rome")
KEY = "test-pii-key-0123456789abcdef"


def orders_lake(tmp_path, name="lake", events=6000, seed=11, **faults):
    lake = Lake(tmp_path / name)
    out = lake.root / "landing" / JOB
    options = {"job": JOB, "events": events, "seed": seed, "files": 2}
    options.update(faults)
    lake.generate(out=out, **options)
    return lake


def run(lake, *args, env_key=KEY):
    env = dict(os.environ, LAKE_PII_KEY=env_key) if env_key else None
    p = subprocess.run(lake.args(*args), capture_output=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p


def silver_rows(lake, columns):
    con = duck()
    paths = lake.live_paths(SILVER)
    return con.sql(f"SELECT {columns} FROM {scan(paths)} ORDER BY order_id").fetchall()


def model(lake, version=None):
    q = "SELECT version, model FROM lake_model WHERE gold_table = ? ORDER BY version DESC"
    rows = lake.query(q, GOLD)
    if version is not None:
        rows = [r for r in rows if r[0] == version]
    return rows[0][0], json.loads(rows[0][1])


def sklearn_fit(values, m):
    """scikit-learn from lake's initial centers: the same Lloyd iterations must give the same
    centers and labels (the k-means++ draw is lake's own seeded one)."""
    x = np.array(values, dtype=float).reshape(-1, 1)
    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    init = np.array(m["initial_centers"], dtype=float)
    km = KMeans(n_clusters=m["k"], init=init, n_init=1, algorithm="lloyd", tol=0, max_iter=300).fit(z)
    return scaler, km


def test_kmeans_labels_equal_sklearn_and_columns_equal_duckdb(tmp_path):
    lake = orders_lake(tmp_path, duplicates=0.02, late=0.01, malformed=0.01)
    run(lake, "run", "all")
    version, m = model(lake)
    assert version == 1 and m["k"] == 2 and m["labels"] == ["Impulsive", "Reasoned"]
    silver = silver_rows(lake, "order_id, duration_session")
    values = [d for _, d in silver if d is not None]
    assert m["rows"] == len(values) > 5000
    scaler, km = sklearn_fit(values, m)
    assert np.allclose(scaler.mean_, m["means"], rtol=1e-9)
    assert np.allclose(scaler.scale_, m["stds"], rtol=1e-9)
    ours = np.array(m["centers"], dtype=float)
    theirs = np.sort(km.cluster_centers_, axis=0)
    assert np.allclose(ours, theirs, rtol=1e-6, atol=1e-9), (ours, theirs)
    # The two behaviours are real: quick buyers around a minute, careful ones around 15.
    centers = scaler.inverse_transform(theirs).ravel()
    assert 20 < centers[0] < 200 and 500 < centers[1] < 1500, centers

    # Every silver row is in gold once, labelled as sklearn's model predicts.
    gold = lake.query(f"SELECT order_id, duration_session, purchase_behaviour, model_version FROM {GOLD} ORDER BY order_id")
    assert [g[0] for g in gold] == [s[0] for s in silver]
    order = np.argsort(km.cluster_centers_.ravel())
    names = {int(order[i]): label for i, label in enumerate(m["labels"])}
    for (oid, d, label, v) in gold:
        assert v == 1
        if d is None:
            assert label == "unknown"
        else:
            predicted = names[int(km.predict(scaler.transform([[d]]))[0])]
            assert label == predicted, (oid, d, label, predicted)

    # The other columns equal DuckDB over silver, in SQLite and in the Parquet files.
    assert_gold_matches_silver(lake)
    con = duck()
    parquet = con.sql(f"SELECT order_id, purchase_behaviour, model_version FROM {scan(lake.live_paths(GOLD))} "
                      "ORDER BY order_id").fetchall()
    assert parquet == [(g[0], g[2], g[3]) for g in gold]
    # The model table: one row per label, shares adding up to 1.
    seg = lake.query("SELECT label, center, orders, share FROM gold_segment_model ORDER BY center")
    assert [s[0] for s in seg] == ["Impulsive", "Reasoned"]
    assert sum(s[2] for s in seg) == len(values)
    assert abs(sum(s[3] for s in seg) - 1) < 1e-9
    assert np.allclose([s[1] for s in seg], centers, rtol=1e-6)


ITEMS = "silver_order_items"
PRODUCT_SALES = f"""
    SELECT strftime(time_bucket(INTERVAL 1 HOUR, event_time), '%Y-%m-%dT%H:%M:%S.%g') || 'Z' AS ws,
           product_name, sum(quantity) AS quantity,
           CAST(sum(CAST(round(total * 1e6) AS BIGINT)) AS DOUBLE) / 1e6 AS revenue,
           count(DISTINCT order_id) AS orders
    FROM {{items}} GROUP BY ALL ORDER BY ws, product_name"""


def assert_gold_matches_silver(lake):
    """Every gold column but the model's (label, version) equals DuckDB over the live silver
    files: gold_order_segments in SQLite and Parquet, gold_product_sales in SQLite. Used by the
    torture harness's kill-orders scenario too."""
    con = duck()
    expected = con.sql(f"""
        SELECT order_id, strftime(event_time, '%Y-%m-%dT%H:%M:%S.%g') || 'Z', total, duration_session,
               CASE WHEN total > 150 THEN 'High Spender' ELSE 'Standard Spender' END,
               CASE WHEN total > 500 THEN 'High Demand' ELSE 'Normal Demand' END
        FROM {scan(lake.live_paths(SILVER))} ORDER BY order_id""").fetchall()
    got = lake.query(f"SELECT order_id, event_time, total, duration_session, spender_type, stock_alert "
                     f"FROM {GOLD} ORDER BY order_id")
    assert got == [tuple(r) for r in expected], "gold_order_segments differs from DuckDB over silver"
    parquet = con.sql(f"SELECT order_id FROM {scan(lake.live_paths(GOLD))} ORDER BY order_id").fetchall()
    assert [r[0] for r in parquet] == [r[0] for r in got], "gold_order_segments Parquet holds other orders"
    sales = con.sql(PRODUCT_SALES.format(items=scan(lake.live_paths(ITEMS)))).fetchall()
    assert lake.query("SELECT window_start, product_name, quantity, revenue, orders FROM gold_product_sales "
                      "ORDER BY window_start, product_name") == [tuple(r) for r in sales], \
        "gold_product_sales differs from DuckDB over silver_order_items"


def test_items_explode_accepted_orders_and_product_sales_equal_duckdb(tmp_path):
    lake = orders_lake(tmp_path, duplicates=0.02, late=0.02, malformed=0.03)
    run(lake, "run", "all")
    con = duck()
    items = scan(lake.live_paths(ITEMS))
    orders = scan(lake.live_paths(SILVER))
    # The items of every raw line per order id (a malformed line may share an accepted one's id).
    raw = {}
    for f in sorted((lake.root / "landing" / JOB).glob("*.jsonl")):
        for line in f.read_bytes().splitlines():
            try:
                o = json.loads(line)
                lines = [(i["product_name"], i["quantity"], i["total"]) for i in o["items"]]
                raw.setdefault(o["order_id"], []).append(sorted(lines))
            except Exception:
                pass
    accepted = [r[0] for r in con.sql(f"SELECT order_id FROM {orders} ORDER BY order_id").fetchall()]
    got = {}
    for oid, name, q, total in con.sql(f"SELECT order_id, product_name, quantity, total FROM {items} "
                                       "ORDER BY order_id, ingest_id").fetchall():
        got.setdefault(oid, []).append((name, q, total))
    assert set(got) <= set(accepted)
    for oid in accepted:
        assert sorted(got.get(oid, [])) in raw[oid], oid
    assert sum(len(v) for v in got.values()) > len(accepted)  # orders of several items
    # The parent's event time is copied; an item of the wrong shape quarantined its order.
    assert con.sql(f"SELECT count(*) FROM {items} i JOIN {orders} o USING (order_id) "
                   "WHERE i.event_time <> o.event_time").fetchall() == [(0,)]
    reasons = dict(con.sql(f"SELECT reason, count(*) FROM {scan(lake.live_paths('quarantine_orders'))} "
                           "GROUP BY reason").fetchall())
    assert any(r.startswith("bad_type:items[") and r.endswith("].quantity") for r in reasons), reasons
    # gold_product_sales (from the child table) equals DuckDB over silver_order_items.
    expected = con.sql(PRODUCT_SALES.format(items=items)).fetchall()
    sqlite = lake.query("SELECT window_start, product_name, quantity, revenue, orders FROM gold_product_sales "
                        "ORDER BY window_start, product_name")
    assert sqlite == [tuple(r) for r in expected]
    assert len(sqlite) > 100


def test_train_then_backfill_relabels_and_many_runs_agree(tmp_path):
    one = orders_lake(tmp_path, "one", duplicates=0.02, late=0.01, malformed=0.01)
    run(one, "run", "all")
    many = Lake(tmp_path / "many")
    source = sorted((one.root / "landing" / JOB).glob("*.jsonl"))
    landing = many.root / "landing" / JOB
    landing.mkdir(parents=True)
    for f in source:  # every file in three pieces, a run after each
        data = f.read_bytes().splitlines(keepends=True)
        third = len(data) // 3
        for k, piece in enumerate((data[:third], data[third:2 * third], data[2 * third:])):
            (landing / f"{f.stem}-{k}.jsonl").write_bytes(b"".join(piece))
            run(many, "run", "all")
    columns = "order_id, event_time, total, duration_session, spender_type, stock_alert"
    assert many.query(f"SELECT {columns} FROM {GOLD} ORDER BY order_id") == \
        one.query(f"SELECT {columns} FROM {GOLD} ORDER BY order_id")
    sales = "SELECT * FROM gold_product_sales ORDER BY window_start, product_name"
    assert many.query(sales) == one.query(sales) and len(one.query(sales)) > 100
    # The first small run trained a model on what existed; a new model and a backfill relabel
    # every row with it, and both lakes then agree on the labels too.
    for lake in (one, many):
        out = run(lake, "train").stderr.decode() + run(lake, "train").stdout.decode()
        assert "model v" in out
        run(lake, "backfill", "all", "--from", "2000-01-01", "--to", "2100-01-01")
    v1, m1 = model(one)
    v2, m2 = model(many)
    assert m1["centers"] == m2["centers"] and m1["rows"] == m2["rows"]
    assert one.query(f"SELECT DISTINCT model_version FROM {GOLD}") == [(v1,)]
    assert many.query(f"SELECT DISTINCT model_version FROM {GOLD}") == [(v2,)]
    label_sql = f"SELECT order_id, purchase_behaviour FROM {GOLD} ORDER BY order_id"
    assert one.query(label_sql) == many.query(label_sql)
    # After the backfill (late orders recovered) the child table and product sales still agree
    # with DuckDB over silver.
    con = duck()
    for lake in (one, many):
        expected = con.sql(PRODUCT_SALES.format(items=scan(lake.live_paths(ITEMS)))).fetchall()
        assert lake.query("SELECT window_start, product_name, quantity, revenue, orders FROM gold_product_sales "
                          "ORDER BY window_start, product_name") == [tuple(r) for r in expected]
        n_items = con.sql(f"SELECT count(DISTINCT order_id) FROM {scan(lake.live_paths(ITEMS))}").fetchall()[0][0]
        n_orders = con.sql(f"SELECT count(*) FROM {scan(lake.live_paths(SILVER))}").fetchall()[0][0]
        assert n_items == n_orders
    # Parquet holds each order once after the backfill (the old files are retired).
    con = duck()
    n = con.sql(f"SELECT count(*), count(DISTINCT order_id) FROM {scan(one.live_paths(GOLD))}").fetchall()[0]
    assert n[0] == n[1] == one.query(f"SELECT count(*) FROM {GOLD}")[0][0]


def write_lines(lake, name, objects):
    landing = lake.root / "landing" / JOB
    landing.mkdir(parents=True, exist_ok=True)
    (landing / name).write_text("".join(json.dumps(o) + "\n" for o in objects))


def order(oid, ts, total, email="anna.bianchi@example.it", name="Anna", duration=60):
    return {"order_id": oid, "timestamp": ts,
            "items": [{"product_name": "Olio extravergine 1l", "quantity": 1, "total": total}],
            "customer": {"first_name": name, "email": email}, "currency": "EUR", "total": total,
            "duration_session": duration}


def test_dst_thresholds_and_pii(tmp_path):
    lake = Lake(tmp_path / "lake")
    lines = [
        order(1, "2026-03-29 01:59:59", 150.0),          # just before spring forward
        order(2, "2026-03-29 02:30:00", 150.01),         # a local time Rome skips
        order(3, "2026-03-29 03:00:00", 500.0),
        order(4, "2026-10-25 02:30:00", 500.01, email="marco.verdi@example.com", name="Marco"),  # repeated hour
        order(5, "2026-10-25 03:00:00", 10.0, email="anna.bianchi@example.it"),
        order(6, "2026-10-25 04:00:00", 20.0, duration=None),
    ]
    write_lines(lake, "a.jsonl", lines)
    run(lake, "run", "all")
    got = lake.query(f"SELECT order_id, event_time, spender_type, stock_alert, purchase_behaviour "
                     f"FROM {GOLD} ORDER BY order_id")
    def utc(local, fold=0):
        t = datetime.strptime(local, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ROME, fold=fold)
        return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert [(g[0], g[1]) for g in got] == [
        (1, utc("2026-03-29 01:59:59")), (3, utc("2026-03-29 03:00:00")),
        (4, utc("2026-10-25 02:30:00", fold=0)), (5, utc("2026-10-25 03:00:00")), (6, utc("2026-10-25 04:00:00"))]
    assert got[0][1] == "2026-03-29T00:59:59.000Z" and got[2][1] == "2026-10-25T00:30:00.000Z"
    # `>`: exactly 150 and 500 are not above.
    assert [(g[2], g[3]) for g in got] == [
        ("Standard Spender", "Normal Demand"), ("High Spender", "Normal Demand"),
        ("High Spender", "High Demand"), ("Standard Spender", "Normal Demand"),
        ("Standard Spender", "Normal Demand")]
    assert got[4][4] == "unknown"  # no duration: no segment
    con = duck()
    reasons = con.sql(f"SELECT reason, detail FROM {scan(lake.live_paths('quarantine_orders'))}").fetchall()
    assert reasons == [("bad_timestamp", 'timestamp "2026-03-29 02:30:00": a local time the job\'s time zone skips (daylight saving)')]

    # PII: the e-mail is HMAC-SHA256 under LAKE_PII_KEY; no raw address or first name is in
    # any silver or gold file or in the catalog.
    hashes = dict(con.sql(f"SELECT order_id, customer_email FROM {scan(lake.live_paths(SILVER))}").fetchall())
    expected = hmac.new(KEY.encode(), b"anna.bianchi@example.it", hashlib.sha256).hexdigest()
    assert hashes[1] == hashes[5] == expected
    assert hashes[4] != expected and len(hashes[4]) == 64
    secrets = [b"anna.bianchi@example.it", b"marco.verdi@example.com", b"Anna", b"Marco", b"example.it"]
    checked = 0
    for path in [lake.root / "catalog.db", *lake.root.glob("silver_orders/**/*.parquet"),
                 *lake.root.glob("gold_*/**/*.parquet")]:
        data = path.read_bytes()
        for s in secrets:
            assert s not in data, (path, s)
        checked += 1
    assert checked >= 3
    # Another key hashes differently.
    other = Lake(tmp_path / "other")
    write_lines(other, "a.jsonl", lines)
    run(other, "run", "all", env_key="another-key-of-sufficient-length")
    theirs = dict(con.sql(f"SELECT order_id, customer_email FROM {scan(other.live_paths(SILVER))}").fetchall())
    assert theirs[1] != hashes[1] and len(theirs[1]) == 64


def test_key_file_is_made_once_with_mode_0600(tmp_path):
    lake = Lake(tmp_path / "lake")
    write_lines(lake, "a.jsonl", [order(1, "2026-01-29 10:00:00", 20.0)])
    run(lake, "run", "all", env_key=None)
    key = lake.root / "pii.key"
    assert key.stat().st_mode & 0o777 == 0o600
    secret = bytes.fromhex(key.read_text().strip())
    assert len(secret) == 32
    write_lines(lake, "b.jsonl", [order(2, "2026-01-29 10:05:00", 20.0)])
    run(lake, "run", "all", env_key=None)
    assert bytes.fromhex(key.read_text().strip()) == secret
    con = duck()
    got = dict(con.sql(f"SELECT order_id, customer_email FROM {scan(lake.live_paths(SILVER))}").fetchall())
    expected = hmac.new(secret, b"anna.bianchi@example.it", hashlib.sha256).hexdigest()
    assert got == {1: expected, 2: expected}


def test_bronze_retention_deletes_raw_lines_and_backfill_says_so(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    text = (Lake(tmp_path).jobs / "orders.toml").read_text()
    assert 'retention = "30d"' in text
    (jobs / "orders.toml").write_text(text.replace('retention = "30d"', 'retention = "1s"'))
    lake = Lake(tmp_path / "lake", jobs=jobs)
    write_lines(lake, "a.jsonl", [order(1, "2026-01-29 10:00:00", 20.0), order(2, "2026-01-30 10:00:00", 30.0)])
    run(lake, "run", "all")
    bronze = lake.live_paths("bronze_orders")
    assert bronze and all(os.path.exists(p) for p in bronze)
    time.sleep(2.1)  # past the retention of a second
    out = run(lake, "vacuum").stderr.decode()
    assert "bronze files past [bronze] retention deleted" in out, out
    assert lake.live_paths("bronze_orders") == []
    assert not any(os.path.exists(p) for p in bronze)
    assert lake.query("SELECT count(*) FROM lake_data_file f JOIN lake_table t USING (table_id) "
                      "WHERE t.table_name = 'bronze_orders'") == [(0,)]
    # Silver and gold stay; a silver backfill of the purged dates refuses with a reason.
    assert lake.query(f"SELECT count(*) FROM {GOLD}") == [(2,)]
    p = subprocess.run(lake.args("backfill", "silver", "--from", "2026-01-29", "--to", "2026-01-30"),
                       capture_output=True, env=dict(os.environ, LAKE_PII_KEY=KEY))
    assert p.returncode != 0
    err = p.stderr.decode()
    assert "deleted by [bronze] retention" in err and "cannot be rebuilt whole" in err, err
    # New lines still flow.
    write_lines(lake, "b.jsonl", [order(3, "2026-01-30 11:00:00", 40.0)])
    run(lake, "run", "all")
    assert lake.query(f"SELECT count(*) FROM {GOLD}") == [(3,)]


def kmeans_lake(tmp_path, name, durations, k):
    """A lake of the orders job with `k` clusters whose orders have these session durations."""
    jobs = tmp_path / f"jobs-{name}"
    jobs.mkdir()
    text = (Lake(tmp_path).jobs / "orders.toml").read_text()
    labels = ", ".join(f'"s{i}"' for i in range(k))
    text = text.replace("k = 2\n", f"k = {k}\n").replace('labels = ["Impulsive", "Reasoned"]', f"labels = [{labels}]")
    (jobs / "orders.toml").write_text(text)
    lake = Lake(tmp_path / name, jobs=jobs)
    lines = [order(i + 1, f"2026-01-29 {10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}", 20.0, duration=d)
             for i, d in enumerate(durations)]
    write_lines(lake, "a.jsonl", lines)
    run(lake, "run", "all")
    return lake


@pytest.mark.parametrize("case", ["all equal", "k above the distinct values", "one huge outlier",
                                  "missing and tied values"])
def test_kmeans_edge_cases_equal_sklearn(tmp_path, case):
    import kmeans_sklearn_check as sk
    rng = np.random.default_rng(7)
    if case == "all equal":
        durations, k = [60] * 40, 2
    elif case == "k above the distinct values":
        durations, k = [60] * 25 + [900] * 15, 3
    elif case == "one huge outlier":
        durations, k = [int(x) for x in rng.normal(60, 10, 200)] + [10_000_000], 2
    else:
        durations, k = [None, 30, 30, 30, None] + [int(x) for x in rng.normal(600, 200, 100)], 2
    lake = kmeans_lake(tmp_path, "lake", durations, k)
    version, m = model(lake)
    gold = lake.query(f"SELECT duration_session, purchase_behaviour FROM {GOLD} ORDER BY order_id")
    assert [g[1] == "unknown" for g in gold] == [d is None for d in durations]
    known = [(d, label) for d, label in gold if d is not None]
    ours = dict(m, labels=[m["labels"].index(label) for _, label in known])
    if case == "all equal":
        # Every row at the one value: every center there, every row in the first segment.
        assert m["centers"] == [[0.0]] * k and {label for _, label in known} == {"s0"}
        return
    if case == "k above the distinct values":
        # Two values, three segments: a center on each value, the third on one of them; a row
        # goes to the first of two equal centers, so one segment stays empty (lake keeps an
        # empty cluster's center where sklearn would move it: no sklearn comparison here).
        centers = [c[0] for c in m["centers"]]
        low, high = min(centers), max(centers)
        assert sorted(set(centers)) == [low, high] and low < 0 < high
        first_high = "s%d" % centers.index(high)
        assert [label for _, label in known] == ["s0"] * 25 + [first_high] * 15
        assert m["cluster_sizes"][0] == 25 and sum(m["cluster_sizes"]) == 40
        return
    result = sk.check([[d] for d, _ in known], ours)
    assert result["labels_differing"] == 0
    if case == "one huge outlier":
        assert sorted(label for _, label in known).count("s1") == 1  # the outlier alone


def test_bronze_retention_also_deletes_retired_files_kept_as_lists(tmp_path):
    """Retired bronze files folded into a retired-file list (past `snapshot_detail`) are raw
    lines too: the bronze retention deletes them and their list, as it does retired rows."""
    from conftest import jobs_with, retired_lists

    jobs = jobs_with(tmp_path / "jobs", "orders", '[catalog]\nsnapshot_detail = "0s"')
    text = (jobs / "orders.toml").read_text()
    assert 'retention = "30d"' in text
    (jobs / "orders.toml").write_text(text.replace('retention = "30d"', 'retention = "3s"'))
    lake = Lake(tmp_path / "lake", jobs=jobs)
    write_lines(lake, "a.jsonl", [order(1, "2026-01-29 10:00:00", 20.0)])
    run(lake, "run", "all")
    write_lines(lake, "b.jsonl", [order(2, "2026-01-29 10:05:00", 30.0)])
    run(lake, "run", "all")
    run(lake, "compact")
    run(lake, "vacuum")  # within the retention: the retired bronze files become a list
    bronze_id = lake.query("SELECT table_id FROM lake_table WHERE table_name = 'bronze_orders'")[0][0]
    listed = [e for t, e in retired_lists(lake) if t == bronze_id]
    assert len(listed) == 2 and all((lake.root / e["path"]).is_file() for e in listed)
    time.sleep(3.2)
    out = run(lake, "vacuum").stderr.decode()
    assert "bronze files past [bronze] retention deleted" in out, out
    assert not any((lake.root / e["path"]).exists() for e in listed)
    assert [e for t, e in retired_lists(lake) if t == bronze_id] == []
    assert lake.live_paths("bronze_orders") == []
