"""`lake run bronze --stdin` (SPEC §4): piped lines go to bronze byte-exact, the last line
included even without its newline, and flow on through silver and gold."""

import pyarrow as pa
import pyarrow.parquet as pq

from conftest import BRONZE, SILVER, duck, scan


def bronze_rows(lake):
    t = pa.concat_tables(pq.read_table(p) for p in lake.live_paths(BRONZE)).sort_by("ingest_id")
    return list(zip(t.column("ingest_id").to_pylist(), t.column("source").to_pylist(),
                    t.column("source_offset").to_pylist(), t.column("body").to_pylist()))


def test_stdin_lines_reach_bronze_last_line_without_newline(lake, tmp_path):
    """5k generated events piped in (plus a few odd lines), the final line unterminated: small,
    since only framing and byte-exactness are at stake."""
    source = tmp_path / "input"
    m = lake.generate(out=source, events=5_000, seed=4)
    data = (source / "events-00000.jsonl").read_bytes()
    assert data.endswith(b"\n")
    lines = data[:-1].split(b"\n")
    piped = data + b"\r\n" + b"\xff not utf-8" + b"\n" + lines[-1].replace(b'"eventId":"', b'"eventId":"last-')
    lake.run("bronze", "--stdin", "--job", "clickstream", input=piped)
    got = bronze_rows(lake)
    expected_bodies = lines + [b"\r", b"\xff not utf-8", piped.rsplit(b"\n", 1)[1]]
    assert [b for _, _, _, b in got] == expected_bodies
    assert [i for i, _, _, _ in got] == list(range(1, len(expected_bodies) + 1))
    assert {s for _, s, _, _ in got} == {"stdin"}
    for _, _, off, body in got:
        assert piped[off:off + len(body)] == body
    assert got[-1][2] + len(got[-1][3]) == len(piped)  # the last line ends the input

    # A second piped run appends after the first: ingest ids go on, offsets restart at 0.
    lake.run("bronze", "--stdin", "--job", "clickstream", input=b'{"second":1}\n{"second":2}')
    more = bronze_rows(lake)[len(got):]
    assert more == [(len(got) + 1, "stdin", 0, b'{"second":1}'), (len(got) + 2, "stdin", 13, b'{"second":2}')]

    # Empty input: a clean no-op.
    lake.run("bronze", "--stdin", "--job", "clickstream", input=b"")
    assert len(bronze_rows(lake)) == len(got) + 2

    lake.run("silver")
    lake.run("gold")
    con = duck()
    ids = [r[0] for r in con.sql(f"SELECT event_id FROM {scan(lake.live_paths(SILVER))} ORDER BY ingest_id").fetchall()]
    assert len(ids) == m["accepted"] + 1
    assert ids[-1].startswith("last-")  # the unterminated line was parsed as a whole event
    acct = lake.status()["accounting"][0]
    assert acct["balanced"] and acct["pending"] == 0
    assert acct["bronze_rows"] == len(got) + 2
    assert acct["quarantined"] == 4  # "\r", the invalid UTF-8 line, and the two {"second":…}
