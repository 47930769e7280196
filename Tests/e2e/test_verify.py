"""`lake verify [TABLE]` (issue #27): a clean lake passes; each kind of damage — a missing file,
a size the catalog did not record, a flipped bit inside a page, a row count or time range the
catalog got wrong, a Delta version that no longer names a file — is one line on stdout naming
the table and file, and exit 1. `--json` gives the same problems."""

import json
import sqlite3
import subprocess
from pathlib import Path

from conftest import BRONZE, GOLD, SILVER, Lake


def verify(lake, *args):
    p = subprocess.run(lake.args("verify", *args), capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout.splitlines(), p.stderr.strip()


def test_a_clean_lake_passes_and_each_damage_is_one_line(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.generate(events=6000, seed=21)
    lake.run("all")
    code, lines, summary = verify(lake)
    assert code == 0 and lines == [] and "no problem" in summary, summary
    assert " 0 files" not in summary and "Delta versions" in summary

    (bronze, _, _), = lake.live_files(BRONZE)
    silver = lake.live_files(SILVER)[0][0]
    gold = lake.live_files(GOLD)[0][0]
    # A flipped bit in the middle of a silver file: a page fails its checksum.
    data = bytearray((lake.root / silver).read_bytes())
    data[len(data) // 3] ^= 0x08
    (lake.root / silver).write_bytes(bytes(data))
    # The catalog's row count and time range of the gold file, wrong.
    con = sqlite3.connect(lake.root / "catalog.db")
    con.execute("UPDATE lake_data_file SET record_count = record_count + 1 WHERE path = ?", (gold,))
    con.commit()
    # The bronze file gone.
    moved = tmp_path / "bronze.parquet"
    (lake.root / bronze).rename(moved)
    code, lines, summary = verify(lake)
    assert code == 1 and "3 problem(s)" in summary, (lines, summary)
    assert any(l.startswith(f"{BRONZE}: {bronze}: missing") for l in lines), lines
    assert any(l.startswith(f"{SILVER}: {silver}:") and "fails its checksum" in l for l in lines), lines
    assert any(l.startswith(f"{GOLD}: {gold}:") and "rows, the catalog recorded" in l for l in lines), lines
    # One table only, and as JSON.
    code, lines, _ = verify(lake, GOLD, "--json")
    report = json.loads("\n".join(lines))
    assert code == 1 and report["tables"] == 1 and [p["path"] for p in report["problems"]] == [gold]

    # Mended: the file back, the row count right; then a wrong time range and a size change.
    moved.rename(lake.root / bronze)
    con.execute("UPDATE lake_data_file SET record_count = record_count - 1, min_time_us = min_time_us - 1 "
                "WHERE path = ?", (gold,))
    con.commit()
    code, lines, _ = verify(lake, GOLD)
    assert code == 1 and len(lines) == 1 and "spans" in lines[0] and "the catalog recorded" in lines[0], lines
    con.execute("UPDATE lake_data_file SET min_time_us = min_time_us + 1 WHERE path = ?", (gold,))
    con.commit()
    with open(lake.root / gold, "ab") as f:
        f.write(b"trailing bytes")
    code, lines, _ = verify(lake, GOLD)
    assert code == 1 and len(lines) == 1 and "the catalog recorded" in lines[0] and "bytes" in lines[0], lines


def test_a_delta_log_that_lost_a_file_is_found(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.generate(events=3000, seed=22)
    lake.run("all")
    log = lake.root / SILVER / "_delta_log"
    versions = sorted(log.glob("*.json"))
    assert versions
    last = versions[-1]
    kept = [l for l in last.read_text().splitlines() if '"add"' not in l]
    assert len(kept) < len(last.read_text().splitlines())
    last.write_text("\n".join(kept) + "\n")
    code, lines, summary = verify(lake, SILVER)
    assert code == 1, summary
    assert lines and all(l.startswith(f"{SILVER}: {SILVER}/_delta_log: version ") and " lacks " in l for l in lines), lines
    # Unknown tables are refused in one line.
    p = subprocess.run(lake.args("verify", "nope"), capture_output=True, text=True)
    assert p.returncode != 0 and len(p.stderr.strip().splitlines()) == 1 and "no table nope" in p.stderr
