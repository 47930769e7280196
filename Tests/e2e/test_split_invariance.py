"""CLI split invariance (SPEC §5, §6): the same input delivered to the landing folder in K
random pieces, with `lake run all` after each, gives the same silver, quarantine and gold as
one run over all of it."""

import random

from conftest import GOLD, QUARANTINE, SILVER, Lake, check_catalog, duck, link_tree, rows

QUARANTINE_COLUMNS = ("ingest_id, reason, body, "
                      "CASE WHEN reason = 'future_timestamp' THEN NULL ELSE detail END")


def contents(lake):
    """Everything the two ways must agree on, row by row. Bronze's ingested_at is wall-clock
    time (and a future_timestamp detail quotes it), so those are left out."""
    con = duck()
    return {
        "silver": rows(con, lake.live_paths(SILVER)),
        "quarantine": rows(con, lake.live_paths(QUARANTINE), QUARANTINE_COLUMNS),
        "gold_parquet": rows(con, lake.live_paths(GOLD), order="user_id, session_start"),
        "gold_sqlite": lake.gold_sqlite(),
    }


def deliver_in_pieces(source_files, landing, cuts):
    """Yields after each piece: the files' concatenation cut at `cuts` (byte offsets of the
    whole stream), each piece appended to the file(s) it belongs to, in order."""
    sizes = [len(b) for _, b in source_files]
    bounds = [0] + sorted(cuts) + [sum(sizes)]
    landing.mkdir(parents=True, exist_ok=True)
    for lo, hi in zip(bounds, bounds[1:]):
        start = 0
        for (name, data), size in zip(source_files, sizes):
            a, b = max(lo, start), min(hi, start + size)
            if a < b:
                with open(landing / name, "ab") as f:
                    f.write(data[a - start:b - start])
            start += size
        yield lo, hi


def test_pieces_give_the_same_tables_as_one_run(tmp_path):
    """Three seeds of 15k events (2% duplicates, 1% late, 1% malformed, 40 s jitter) in 3 files,
    each delivered in 4–7 random pieces. 15k events (~15.6k lines) span several hours, so
    pieces close sessions and move the watermark between runs, and the late/duplicate/
    malformed lines fall in every piece; each seed costs about 8 `run all`s of ~1 s."""
    master = random.randrange(1 << 30)
    print(f"split invariance master seed {master}")
    rng = random.Random(master)
    for trial in range(3):
        seed = rng.randrange(1, 1 << 31)
        k = rng.randint(4, 7)
        print(f"trial {trial}: generator seed {seed}, {k} pieces")
        source = tmp_path / f"input-{trial}"
        gen = Lake(tmp_path / f"gen-{trial}")
        manifest = gen.generate(out=source, events=15_000, users=300, seed=seed, files=3, jitter=40,
                                duplicates=0.02, late=0.01, malformed=0.01)

        whole = Lake(tmp_path / f"whole-{trial}")
        link_tree(source, whole.landing)
        whole.run("all")
        expected = contents(whole)
        assert len(expected["silver"]) == manifest["accepted"]

        files = [(p.name, p.read_bytes()) for p in sorted(source.glob("events-*.jsonl"))]
        stream = b"".join(b for _, b in files)
        cuts = set(rng.sample(range(1, len(stream)), k - 1))
        if trial == 0:
            cuts.add(rng.randrange(1, stream.index(b"\n")))  # a first run that sees no whole line
            cuts.add(stream.index(b"\n", len(stream) // 2) + 1)  # a piece that ends on a line end
        cuts = sorted(cuts)
        # At least one piece ends mid-line (random cuts almost always do).
        assert any(stream[c - 1:c] != b"\n" for c in cuts)
        pieces = Lake(tmp_path / f"pieces-{trial}")
        for lo, hi in deliver_in_pieces(files, pieces.landing, cuts):
            pieces.run("all")
            got_lines = pieces.status()["tables"].get("bronze_clickstream", {}).get("rows", 0)
            assert got_lines == stream[:hi].count(b"\n"), f"bronze after bytes {lo}..{hi}"
        got = contents(pieces)
        for key in expected:
            assert len(got[key]) == len(expected[key]), (seed, key)
            assert got[key] == expected[key], (seed, key)
        check_catalog(pieces)
        acct = pieces.status()["accounting"][0]
        assert acct["silver_rows"] == manifest["accepted"] and acct["duplicates"] == manifest["duplicates"]
