"""A damaged compressed landing file (issue #27): set aside in `_rejected/` with its reason, the
other files ingested, and shown by `lake status --json` and `/metrics`."""

import http.client
import json
import subprocess

from conftest import BRONZE, Lake
from test_http_ingest import Server


def test_a_damaged_zst_is_set_aside_and_shown(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.generate(events=2000, seed=4, files=2)
    good, other = sorted(lake.landing.glob("events-*.jsonl"))
    lines = good.read_bytes().count(b"\n")
    z = bytearray(subprocess.run(["zstd", "-q", "-c", other], capture_output=True, check=True).stdout)
    z[len(z) // 2] ^= 0xFF
    damaged = lake.landing / (other.name + ".zst")
    damaged.write_bytes(bytes(z))
    other.unlink()
    p = subprocess.run(lake.args("run", "all"), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert f"landing file {damaged.name} is damaged" in p.stderr and "set aside" in p.stderr, p.stderr
    assert not damaged.exists() and (lake.landing / "_rejected" / damaged.name).exists()
    assert sum(r for _, r, _ in lake.live_files(BRONZE)) == lines
    status = json.loads(subprocess.run(lake.args("status", "--json"), capture_output=True, check=True).stdout)
    (entry,) = status["rejected_landing_files"]
    assert entry["landing"] == "landing/clickstream" and entry["file"] == damaged.name
    assert "damaged compressed data" in entry["reason"]
    with Server(lake) as s:
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        assert 'lake_landing_rejected_files{job="clickstream"} 1' in text, text[:2000]
        assert 'lake_landing_rejected_files{job="transactions"} 0' in text
        assert s.stop() == 0
