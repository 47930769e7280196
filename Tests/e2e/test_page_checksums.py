"""Bit flips in a gold file (docs/RELIABILITY.md, issue #27): every page lake writes carries
its CRC-32, so a flipped bit in a page's bytes is refused, never read back as other rows. The
flips land anywhere in the first half of the file (page headers and page bytes); each damaged
copy is dumped by `parquet-tool` and compared with the clean file's rows. `PARQUET_FUZZ_SEED`
replays a run."""

import os
import random
import subprocess
from pathlib import Path

import pyarrow.parquet as pq

from conftest import GOLD, REPO, Lake

PARQUET_TOOL = os.environ.get("PARQUET_TOOL", str(REPO / ".build" / "debug" / "parquet-tool"))


def dump(path):
    return subprocess.run([PARQUET_TOOL, "dump", str(path)], capture_output=True, text=True, timeout=60)


def test_every_flipped_bit_in_a_gold_file_is_refused(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.generate(events=20000, seed=12)
    lake.run("all")
    (path, rows, _), *_ = lake.live_files(GOLD)
    source = lake.root / path
    clean = dump(source)
    assert clean.returncode == 0 and len(clean.stdout.splitlines()) == rows > 1000
    data = source.read_bytes()
    seed = int(os.environ.get("PARQUET_FUZZ_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    damaged = tmp_path / "damaged.parquet"
    outcome = {"refused by checksum": 0, "refused otherwise": 0, "same rows": 0, "altered rows": 0}
    altered = []
    for n in range(200):
        copy = bytearray(data)
        at = rng.randrange(4, len(data) // 2)  # past the magic, in the pages
        copy[at] ^= 1 << rng.randrange(8)
        damaged.write_bytes(bytes(copy))
        result = dump(damaged)
        if result.returncode != 0:
            assert len(result.stderr.strip().splitlines()) == 1 and str(damaged) in result.stderr, result.stderr
            outcome["refused by checksum" if "fails its checksum" in result.stderr else "refused otherwise"] += 1
        elif result.stdout == clean.stdout:
            outcome["same rows"] += 1
        else:
            outcome["altered rows"] += 1
            altered.append(at)
    print(f"seed {seed}: {outcome}")
    assert not altered, f"seed {seed}: flips at bytes {altered} read back as altered rows ({outcome})"
    assert outcome["refused by checksum"] >= 150, outcome
    # pyarrow, checking page checksums, accepts the clean file.
    assert pq.read_table(source, page_checksum_verification=True).num_rows == rows
