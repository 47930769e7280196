"""HTTP ingest (`lake serve`, `POST /ingest/<job>`, SPEC §4): what the server acknowledges is
exactly what bronze holds, byte for byte, under concurrent clients; malformed requests get the
right 4xx status and a JSON error and leave nothing behind; the http rows flow through
`lake run all` like any other input, also while `lake run all --follow` runs beside the server.
"""

import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import (BRONZE, GOLD, LAKE_BIN, QUARANTINE, SILVER, Lake, check_catalog, duck,
                      lake_digest, rows)

CLIENTS = 4
REQUESTS = 20
PER_REQUEST = 200


# -- helpers ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bodies(tmp_path_factory):
    """CLIENTS × REQUESTS distinct request bodies of PER_REQUEST generated lines each (with
    duplicates and malformed lines); the last body has no final newline."""
    base = tmp_path_factory.mktemp("http-input")
    Lake(base / "gen").generate(out=base / "input", events=CLIENTS * REQUESTS * PER_REQUEST, users=200,
                                seed=17, files=1, duplicates=0.02, malformed=0.01)
    lines = (base / "input" / "events-00000.jsonl").read_bytes().splitlines(keepends=True)
    n = CLIENTS * REQUESTS
    out = [b"".join(lines[i * PER_REQUEST:(i + 1) * PER_REQUEST]) for i in range(n)]
    out[-1] = out[-1].rstrip(b"\n")
    return out


class Server:
    """`lake serve --port 0` on a lake; the port comes from its start-up line."""

    def __init__(self, lake, *extra, env=None):
        self.lake = lake
        self.proc = subprocess.Popen(lake.args("serve", "--port", "0", *extra), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        line = self.proc.stderr.readline().decode(errors="replace")
        m = re.search(r"http://[^ ]+:(\d+)/", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"lake serve did not start: {line}{self.proc.stderr.read().decode()}")
        self.port = int(m.group(1))
        # Drain stderr so the server never blocks on a full pipe.
        self.err = []
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True).start()

    def request(self, method, path, body=None, headers=None, con=None):
        """(status, JSON answer)."""
        own = con is None
        con = con or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            con.request(method, path, body=body, headers=headers or {})
            r = con.getresponse()
            data = r.read()
            assert r.getheader("Content-Type", "").startswith("application/json"), (r.status, data[:200])
            return r.status, json.loads(data)
        finally:
            if own:
                con.close()

    def ingest(self, body, con=None, job="clickstream", content_type="application/x-ndjson", headers=None):
        h = {"Content-Type": content_type} if content_type else {}
        h.update(headers or {})
        return self.request("POST", f"/ingest/{job}", body, h, con)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def http_rows(lake):
    """(ingest_id, source_offset, body) of bronze's http rows, in ingest_id order."""
    return [r[1:] for r in rows(duck(), lake.live_paths(BRONZE), "source, ingest_id, source_offset, body")
            if r[0] == "http"]


def load(server, bodies, clients):
    """`clients` threads, each POSTing its share of `bodies` over one keep-alive connection;
    returns {body index: answer}."""
    answers, failures = {}, []

    def client(c):
        con = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for k in range(c, len(bodies), clients):
            status, a = server.ingest(bodies[k], con)
            if status == 200:
                answers[k] = a
            else:
                failures.append((k, status, a))
        con.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    return answers


def assert_bronze_is_acknowledged(lake, bodies, answers):
    """Every acknowledged request's lines are bronze rows [first, last], byte-exact, in order,
    with their offsets in the body; nothing else is in bronze under source 'http'."""
    got = {i: (off, bytes(b)) for i, off, b in http_rows(lake)}
    expected = 0
    ranges = []
    for k, a in answers.items():
        lines = bodies[k].split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        assert a["lines"] == len(lines) and a["job"] == "clickstream"
        assert a["last_ingest_id"] - a["first_ingest_id"] + 1 == len(lines), a
        ranges.append((a["first_ingest_id"], a["last_ingest_id"]))
        offset = 0
        for n, line in enumerate(lines):
            assert got.get(a["first_ingest_id"] + n) == (offset, line), (k, n)
            offset += len(line) + 1
        expected += len(lines)
    ranges.sort()
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:])), "acknowledged ranges overlap"
    assert len(got) == expected, f"bronze holds {len(got)} http rows, {expected} were acknowledged"


# -- tests -----------------------------------------------------------------------------------

def test_concurrent_load_bronze_holds_exactly_the_acknowledged_lines(bodies, tmp_path):
    """4 clients × 20 requests × 200 lines: bronze = the acknowledged lines, byte-exact, ids
    contiguous per request; then `lake run all` turns them into the silver, quarantine and gold
    a batch run over the same lines in the same order gives."""
    lake = Lake(tmp_path / "lake")
    with Server(lake) as s:
        t0 = time.monotonic()
        answers = load(s, bodies, CLIENTS)
        took = time.monotonic() - t0
        assert s.stop() == 0, b"".join(s.err).decode()
    print(f"{len(answers)} requests in {took:.2f} s")
    assert len(answers) == len(bodies)
    assert_bronze_is_acknowledged(lake, bodies, answers)
    sources = duck().sql(f"SELECT DISTINCT source FROM read_parquet({lake.live_paths(BRONZE)!r})").fetchall()
    assert sources == [("http",)]
    runs = lake.query("SELECT count(*), sum(status = 'ok') FROM lake_run WHERE stage = 'bronze'")[0]
    assert runs[0] == len(bodies) and runs[1] == len(bodies), runs

    lake.run("all")
    status = check_catalog(lake)
    assert status["tables"][SILVER]["rows"] > 0
    assert lake.query(f"SELECT count(*) FROM {GOLD}")[0][0] > 0

    # The same lines in bronze order through standard input: the same downstream tables.
    order = sorted(answers, key=lambda k: answers[k]["first_ingest_id"])
    stream = b"".join(bodies[k] if bodies[k].endswith(b"\n") else bodies[k] + b"\n" for k in order)
    ref = Lake(tmp_path / "reference")
    ref.run("bronze", "--stdin", "--job", "clickstream", input=stream)
    ref.run("all")
    got, want = lake_digest(duck(), lake), lake_digest(duck(), ref)
    for key in (SILVER, QUARANTINE, GOLD, "gold_sqlite"):
        assert got[key] == want[key], key


def test_bad_requests_get_4xx_and_leave_nothing(tmp_path):
    lake = Lake(tmp_path / "lake")
    good = b'{"eventId":"e1","eventType":"PAGE_VIEW","userId":"u1","timestamp":"2026-01-29T10:00:00Z"}\n'
    with Server(lake, "--max-body-mb", "1") as s:
        status, a = s.request("GET", "/ingest/clickstream")
        assert status == 405 and "POST" in a["error"], a
        status, a = s.ingest(good, content_type="text/html")
        assert status == 415 and "Content-Type" in a["error"], a
        status, a = s.ingest(good, content_type=None)
        assert status == 415, a
        status, a = s.ingest(good, job="nosuchjob")
        assert status == 404 and "nosuchjob" in a["error"], a
        status, a = s.ingest(b"")
        assert status == 400 and "empty" in a["error"], a
        big = good * (((1 << 20) // len(good)) + 1)
        assert len(big) > 1 << 20
        status, a = s.ingest(big)
        assert status == 413 and "limit" in a["error"], a
        # Chunked (no Content-Length): the limit holds while the body is read.
        con = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        con.request("POST", "/ingest/clickstream", body=iter([big[:600_000], big[600_000:]]),
                    headers={"Content-Type": "application/x-ndjson"}, encode_chunked=True)
        r = con.getresponse()
        assert r.status == 413, (r.status, r.read()[:200])
        assert "error" in json.loads(r.read())
        con.close()
        for a in (s.request("GET", "/ingest/clickstream")[1],):
            assert set(a) >= {"error", "status"}
        # Nothing of the above reached bronze; a good request still works afterwards.
        assert lake.query("SELECT count(*) FROM lake_data_file")[0][0] == 0
        status, a = s.ingest(good)
        assert status == 200 and a["lines"] == 1 and a["first_ingest_id"] == 1, a
        assert s.stop() == 0
    assert [bytes(r[2]) for r in http_rows(lake)] == [good.rstrip(b"\n")]


def test_bearer_token(tmp_path):
    lake = Lake(tmp_path / "lake")
    good = b'{"eventId":"e1","eventType":"PAGE_VIEW","userId":"u1","timestamp":"2026-01-29T10:00:00Z"}\n'
    with Server(lake, env={"LAKE_INGEST_TOKEN": "s3cret"}) as s:
        status, a = s.ingest(good)
        assert status == 401 and "token" in a["error"], a
        status, a = s.ingest(good, headers={"Authorization": "Bearer wrong"})
        assert status == 401, a
        status, a = s.ingest(good, headers={"Authorization": "s3cret"})
        assert status == 401, a
        assert not (lake.root / "bronze_clickstream").exists()
        status, a = s.ingest(good, headers={"Authorization": "Bearer s3cretX"})
        assert status == 401, a
        # The 401 names the scheme (RFC 9110 §11.6.1).
        con = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        con.request("POST", "/ingest/clickstream", body=good, headers={"Content-Type": "application/x-ndjson"})
        r = con.getresponse()
        r.read()
        assert r.status == 401 and r.getheader("WWW-Authenticate") == 'Bearer realm="lake", Basic realm="lake"'
        con.close()
        status, a = s.ingest(good, headers={"Authorization": "Bearer s3cret"})
        assert status == 200 and a["lines"] == 1, a
        # The scheme in any case.
        status, a = s.ingest(good.replace(b"e1", b"e2"), headers={"Authorization": "bearer  s3cret"})
        assert status == 200 and a["lines"] == 1, a
        assert s.stop() == 0
    assert len(http_rows(lake)) == 2


def test_cross_site_pages_can_neither_ingest_nor_read(tmp_path):
    """A page on another origin may POST text/plain without a preflight, and a page on a name
    that resolves to 127.0.0.1 (DNS rebinding) sends its own Host: both are refused."""
    lake = Lake(tmp_path / "lake")
    good = b'{"eventId":"e1","eventType":"PAGE_VIEW","userId":"u1","timestamp":"2026-01-29T10:00:00Z"}\n'
    with Server(lake) as s:
        here = f"127.0.0.1:{s.port}"
        for origin in (f"http://127.0.0.1:{s.port + 1}", "http://evil.example", "null"):
            status, a = s.ingest(good, content_type="text/plain", headers={"Origin": origin})
            assert status == 403 and "cross-origin" in a["error"], (origin, a)
        for host in ("evil.example", f"evil.example:{s.port}", f"127.0.0.2:{s.port}"):
            status, a = s.request("GET", "/api/kpis", headers={"Host": host})
            assert status == 403 and "Host" in a["error"], (host, a)
            status, a = s.ingest(good, headers={"Host": host})
            assert status == 403, (host, a)
        assert not (lake.root / "bronze_clickstream").exists()
        # The dashboard's own origin, and loopback names, are fine.
        status, a = s.ingest(good, headers={"Origin": f"http://{here}"})
        assert status == 200 and a["lines"] == 1, a
        for host in (here, f"localhost:{s.port}", "127.0.0.1"):
            status, a = s.request("GET", "/api/kpis", headers={"Host": host})
            assert status == 200, (host, a)
        assert s.stop() == 0


def test_non_loopback_bind_needs_a_token(tmp_path):
    lake = Lake(tmp_path / "lake")
    env = {k: v for k, v in os.environ.items() if k != "LAKE_INGEST_TOKEN"}
    p = subprocess.run(lake.args("serve", "--host", "0.0.0.0", "--port", "0"), capture_output=True,
                       timeout=60, env=env)
    err = p.stderr.decode().strip().splitlines()
    assert p.returncode != 0
    assert len(err) == 1 and "LAKE_INGEST_TOKEN" in err[0], err


def test_ingest_while_follow_runs(bodies, tmp_path):
    """Serve and `lake run all --follow` on one lake, landing bursts and HTTP requests arriving
    together: bronze ids stay unique and contiguous, every acknowledged line is in bronze once,
    and a request committed while follow's pass runs (follow's bronze has just committed a
    landing burst, its silver is still reading) reaches silver within seconds although
    --interval is 60 s. (Follow used to note bronze's next id *after* each pass, so such a
    request waited for the interval.)"""
    lake = Lake(tmp_path / "lake")
    lake.landing.mkdir(parents=True)
    follow = lake.popen("run", "all", "--follow", "--interval", "60", stdout=subprocess.DEVNULL,
                        stderr=open(tmp_path / "follow.err", "wb"))
    landing_lines = 0
    waits = []
    answers = {}
    try:
        with Server(lake) as s:
            con = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
            for k in range(6):
                burst = b"".join(bodies[20 + 10 * k:30 + 10 * k])
                with open(lake.landing / "side.jsonl", "ab") as f:
                    f.write(burst)
                landing_lines += burst.count(b"\n")
                # Follow's bronze has committed the burst: its silver and gold are running now.
                before = landing_lines + sum(a["lines"] for a in answers.values())
                t0 = time.monotonic()
                while bronze_rows(lake) < before:
                    assert time.monotonic() - t0 < 15, (
                        f"round {k}: follow did not pick up the landing burst (waits for its interval?)")
                    time.sleep(0.002)
                status, a = s.ingest(bodies[k], con)
                assert status == 200, a
                answers[k] = a
                t0 = time.monotonic()
                while silver_position(lake) < a["last_ingest_id"]:
                    assert time.monotonic() - t0 < 15, (
                        f"round {k}: silver at {silver_position(lake)}, bronze row {a['last_ingest_id']} "
                        "acknowledged: follow waits for its interval")
                    time.sleep(0.01)
                waits.append(time.monotonic() - t0)
            con.close()
            assert s.stop() == 0
        follow.send_signal(signal.SIGINT)
        assert follow.wait(timeout=60) == 0
    finally:
        if follow.poll() is None:
            follow.kill()
    print("request → silver: " + ", ".join(f"{w:.2f}" for w in waits) + " s")
    assert_bronze_is_acknowledged(lake, bodies, answers)
    ids = [r[0] for r in rows(duck(), lake.live_paths(BRONZE), "ingest_id")]
    assert ids == list(range(1, len(ids) + 1))
    assert len(ids) == landing_lines + sum(a["lines"] for a in answers.values())
    status = check_catalog(lake)
    assert all(a["pending"] == 0 for a in status["accounting"]), status["accounting"]


def checkpoint(lake, stage, key):
    try:
        con = sqlite3.connect(f"file:{lake.root / 'catalog.db'}?mode=ro", uri=True, timeout=5)
        try:
            r = con.execute("SELECT value FROM lake_checkpoint WHERE job = 'clickstream' AND stage = ? "
                            "AND key = ?", (stage, key)).fetchall()
        finally:
            con.close()
        return int(r[0][0]) if r and r[0][0] else 0
    except sqlite3.Error:
        return 0


def bronze_rows(lake):
    return max(0, checkpoint(lake, "bronze", "next_ingest_id") - 1)


def silver_position(lake):
    return checkpoint(lake, "silver", "position")


def raw(port, data, wait=0.0, read_timeout=10):
    """Sends bytes on a fresh socket (optionally pausing after them) and returns everything the
    server sends before it closes the connection or `read_timeout` passes (then None for
    "still open")."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        if data:
            sock.sendall(data)
        time.sleep(wait)
        out = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return out
            out += chunk
    finally:
        sock.close()


def test_hardened_server(tmp_path):
    """Issue #27's probe, as tests: ingest takes JSON types only; with a token, pages, the API
    and /metrics need it too (Bearer, or Basic with the token as password) unless --public-read;
    the page runs only its own script and style (a CSP of hashes, no 'unsafe-inline'); idle and
    half-sent request heads are closed, a stalled body gets a 408, and bodies received at once
    are capped."""
    import base64
    import hashlib
    lake = Lake(tmp_path / "lake")
    good = b'{"eventId":"e1","eventType":"PAGE_VIEW","userId":"u1","timestamp":"2026-01-29T10:00:00Z"}\n'
    token = {"Authorization": "Bearer s3cret"}
    with Server(lake, "--idle-timeout", "3", "--body-timeout", "1", env={"LAKE_INGEST_TOKEN": "s3cret"}) as s:
        for ctype in ("text/plain", "application/octet-stream", "application/x-www-form-urlencoded",
                      "multipart/form-data"):
            status, a = s.ingest(good, content_type=ctype, headers=token)
            assert status == 415 and "application/x-ndjson" in a["error"], (ctype, a)
        for path in ("/api/kpis", "/api/jobs", "/api/jobs/clickstream/gold_kpis", "/metrics", "/"):
            con = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
            con.request("GET", path)
            r = con.getresponse()
            r.read()
            assert r.status == 401 and "Basic" in r.getheader("WWW-Authenticate"), (path, r.status)
            for auth in ("Bearer s3cret", "basic " + base64.b64encode(b"anyone:s3cret").decode()):
                con.request("GET", path, headers={"Authorization": auth})
                r = con.getresponse()
                body = r.read()
                assert r.status in (200, 503), (path, auth, r.status, body[:200])
            con.request("GET", path, headers={"Authorization": "Basic " + base64.b64encode(b"s3cret:wrong").decode()})
            r = con.getresponse()
            r.read()
            assert r.status == 401, path
            con.close()
        # The page's policy names its script and style by hash; no inline code runs otherwise.
        con = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        con.request("GET", "/jobs/clickstream", headers=token)
        r = con.getresponse()
        page = r.read().decode()
        csp = r.getheader("Content-Security-Policy")
        con.close()
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
        scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
        styles = re.findall(r"<style>(.*?)</style>", page, re.S)
        assert len(scripts) == 1 and len(styles) == 1
        for text in scripts + styles:
            digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp, csp
        # HTTP/1.0 without keep-alive, and Connection: close, end the connection after the answer
        # (before: kept alive until the idle timeout, a client reading to the end hung).
        for request in (b"GET /api/jobs HTTP/1.0\r\nAuthorization: Bearer s3cret\r\n\r\n",
                        b"GET /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\n"
                        b"Connection: close\r\n\r\n"):
            t0 = time.monotonic()
            answer = raw(s.port, request)
            assert answer is not None and b" 200 " in answer.split(b"\r\n")[0], answer[:200]
            assert b"connection: close" in answer.lower() and time.monotonic() - t0 < 2, answer[:300]
        # HTTP/1.1 keeps the connection for the next request.
        assert raw(s.port, b"GET /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\n\r\n",
                   read_timeout=1) is None
        # An idle connection, and one whose request head never ends, are closed.
        t0 = time.monotonic()
        assert raw(s.port, b"") == b""
        assert raw(s.port, b"GET /api/kpis HTTP/1.1\r\nHost: 127.0.0.1\r\n") == b""
        assert time.monotonic() - t0 < 12
        # A body that stops arriving: 408.
        head = (f"POST /ingest/clickstream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\n"
                "Content-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n").encode()
        answer = raw(s.port, head + good)
        assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
        # At most 4 bodies received at once: a fifth, sent while 4 stall, gets a 503.
        stalled = []
        for _ in range(4):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            c.sendall(head + b"{")
            stalled.append(c)
        time.sleep(0.3)
        status, a = s.ingest(good, headers=token)
        assert status == 503 and "retry" in a["error"], a
        for c in stalled:
            c.close()
        time.sleep(1.5)  # the stalled bodies time out (408) and give their slots back
        status, a = s.ingest(good, headers=token)
        assert status == 200 and a["lines"] == 1, a
        assert s.stop() == 0
    # --public-read: reads without the token, ingest still with it.
    with Server(lake, "--public-read", env={"LAKE_INGEST_TOKEN": "s3cret"}) as s:
        status, a = s.request("GET", "/api/jobs")
        assert status == 200, a
        status, a = s.ingest(good)
        assert status == 401, a
        assert s.stop() == 0
