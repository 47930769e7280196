#!/usr/bin/env python3
"""The reliability harness: drives the `lake` binary through kills, hostile input, fuzzing,
concurrency and a full disk, and prints one summary table.

    python3 Tests/torture/torture.py            # the bounded slice `make test` runs (~3 min)
    python3 Tests/torture/torture.py --full     # everything (`make torture`, < 30 min on 2 cores)
    python3 Tests/torture/torture.py --seed 123 --only kill,corpus
    python3 Tests/torture/torture.py --seed 123 --only kill-tx,corpus-tx   # the transactions job
    python3 Tests/torture/torture.py --full --only kill-kafka   # bronze from a mock Kafka cluster

Every random choice comes from the scenario's seed, printed at its start and in the table;
rerunning with --seed gives the same plan (kill instants land in the same slices of the clean
run, the same corpus, mutations and damage). The binaries come from $LAKE_BIN and
$PARQUET_TOOL (default .build/debug). Exit status 1 if any check failed.
"""

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import LAKE_BIN, PARQUET_TOOL  # noqa: E402

# Seeds are drawn in this order (a scenario added later goes at the end, so the seeds, and
# therefore the plans, of the others stay what they were for a given master seed).
SCENARIOS = ("kill", "corpus", "concurrency", "fulldisk", "kill-tx", "corpus-tx", "kill-orders",
             "kill-kafka")
# Run order, and where each scenario lives: (module, function). The `-tx` ones run the
# transactions job (jobs/transactions.toml, SPEC §12).
RUN_ORDER = ("kill", "kill-tx", "kill-orders", "kill-kafka", "corpus", "corpus-tx", "concurrency", "fulldisk")
ENTRY = {"kill": ("kill", "scenario"), "kill-tx": ("kill", "scenario_transactions"),
         "kill-orders": ("kill", "scenario_orders"), "kill-kafka": ("kill_kafka", "scenario"),
         "corpus": ("corpus", "scenario"), "corpus-tx": ("corpus", "scenario_transactions"),
         "concurrency": ("concurrency", "scenario"), "fulldisk": ("fulldisk", "scenario")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="full run (default: the bounded slice)")
    ap.add_argument("--seed", type=int, help="master seed (default: random, printed)")
    ap.add_argument("--only", help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    ap.add_argument("--work", help="work folder (default: a new folder under $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()

    for binary in (LAKE_BIN, PARQUET_TOOL):
        if not Path(binary).is_file():
            sys.exit(f"torture: {binary} not found: run `swift build` (or set LAKE_BIN/PARQUET_TOOL)")
    only = args.only.split(",") if args.only else list(SCENARIOS)
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        sys.exit(f"torture: unknown scenario(s) {', '.join(sorted(unknown))}; "
                 f"choose from {', '.join(SCENARIOS)}")
    master = args.seed if args.seed is not None else random.randrange(1, 1 << 31)
    mode = "full" if args.full else "slice"
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="lake-torture-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"lake torture ({mode}): master seed {master}, work folder {work}, binary {LAKE_BIN}",
          flush=True)

    draw = random.Random(master)
    seeds = {name: draw.randrange(1, 1 << 31) for name in SCENARIOS}  # --only keeps the seeds
    results = []
    t0 = time.monotonic()
    for name in RUN_ORDER:
        if name not in only:
            continue
        module, function = ENTRY[name]
        results.append(getattr(__import__(module), function)(work, seeds[name], args.full))
    total = time.monotonic() - t0

    print_summary(results, mode, master, total)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if any(r.failures for r in results) else 0)


def print_summary(results, mode, master, total):
    print(f"\n=== lake torture summary ({mode}, master seed {master}, {total / 60:.1f} min)")
    head = ("scenario", "trials", "failures", "cases", "fuzz iterations", "seed", "seconds")
    table = [head] + [(r.name, str(r.trials), str(len(r.failures)), str(r.cases), str(r.fuzz),
                       str(r.seed), f"{r.seconds:.0f}") for r in results]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for n, row in enumerate(table):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for r in results:
        for note in r.notes:
            print(f"note {r.name}: {note}")
        if r.skipped:
            print(f"SKIPPED {r.name}: {r.skipped}")
        for bug in r.known_bugs:
            print(f"KNOWN BUG {r.name}: {bug}")
        for f in r.failures:
            print(f"FAILURE {r.name}: {f}")
    failures = sum(len(r.failures) for r in results)
    print(f"\n{'FAILED' if failures else 'OK'}: {failures} failures")


if __name__ == "__main__":
    main()
