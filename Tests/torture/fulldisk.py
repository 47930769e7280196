"""Scenario 4, full disk (SPEC §7, §10): the lake on a tmpfs of a few hundred KB to a few MB
(the landing folder stays on the big disk, through a symlink), `lake run all` until the disk is
full: the run fails with one line, the catalog stays consistent (status works, accounting
balanced, no live file missing), a second run on the full disk fails the same way; after the
tmpfs is remounted bigger (same files, same inodes), a rerun completes and gives exactly a clean
run's tables. Needs root (mount); without it the scenario says so and is skipped."""

import os
import shutil
import subprocess

from common import (Failed, Lake, Scenario, after_crash_state, check_catalog, compare_digests, duck, lake_digest,
                    lake_run, link_tree, no_crash, ok, one_line_error, require, status_json)

EVENTS = 40_000


def sizes(full):
    return ["64k", "256k", "1m", "2m", "3m", "3584k", "4m", "5m", "6m"] if full else ["1m", "3m"]


def mount(mnt, size):
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise PermissionError(p.stderr.strip() or f"mount exited {p.returncode}")


def umount(mnt):
    if os.path.ismount(mnt):
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def scenario(work, seed, full):
    sc = Scenario("fulldisk", seed)
    base = work / "fulldisk"
    base.mkdir(parents=True)
    mnt = base / "mnt"
    mnt.mkdir()
    try:
        if os.geteuid() != 0:
            raise PermissionError("not root")
        mount(mnt, "64k")
        umount(mnt)
    except (PermissionError, FileNotFoundError) as e:
        sc.skipped = f"cannot mount a tmpfs here ({e}): the full-disk scenario needs root"
        print(f"  SKIPPED: {sc.skipped}", flush=True)
        shutil.rmtree(base, ignore_errors=True)
        return sc.done()

    con = duck()
    source = base / "landing" / "clickstream"
    gen_seed = sc.rng.randrange(1, 1 << 31)
    m = Lake(base / "gen").generate(out=source, events=EVENTS, users=400, seed=gen_seed, files=2,
                                    duplicates=0.02, late=0.005, malformed=0.005)
    ref = Lake(base / "ref")
    link_tree(source, ref.landing)
    ok(lake_run(ref, "run", "all"))
    expected = lake_digest(con, ref)
    ref_bytes = sum(t["bytes"] for t in status_json(ref)["tables"].values())
    sc.log(f"input: generator seed {gen_seed}, {m['lines']} lines, {m['bytes'] / 1e6:.1f} MB on the big "
           f"disk; a clean lake holds {ref_bytes / 1e6:.1f} MB of Parquet plus its catalog")
    filled = 0
    for size in sizes(full):
        context = f"tmpfs size={size}"
        try:
            mount(mnt, size)
            lake = Lake(mnt / "lake")
            os.symlink(base / "landing", lake.root / "landing")
            r = no_crash(lake_run(lake, "run", "all"))
            if r.returncode == 0:
                sc.log(f"{context}: the run fit ({r.seconds:.1f} s), the disk did not fill")
                sc.notes.append(f"size={size} did not fill")
            else:
                filled += 1
                line = one_line_error(r)
                sc.log(f"{context}: failed as it should: {line[:150]}")
                # Consistent on the full disk: status works, the accounting balances, every live
                # file exists with its row count; orphans are listed. (A disk too small for the
                # catalog's set-up leaves an empty catalog: status says so in one line.)
                sc.log(f"{context}: state on the full disk: {after_crash_state(lake)}")
                # A failed run is not a crash: it removes what it wrote (no orphans to vacuum).
                if (lake.root / "catalog.db").exists() and lake.query(
                        "SELECT 1 FROM sqlite_master WHERE name = 'lake_data_file'"):
                    orphans = status_json(lake)["orphans"]
                    require(orphans == [], f"the failed run left files behind: {orphans}")
                again = no_crash(lake_run(lake, "run", "all"))
                if again.returncode != 0:
                    one_line_error(again)
                after_crash_state(lake)
            subprocess.run(["mount", "-o", "remount,size=256m", str(mnt)], check=True, capture_output=True)
            ok(lake_run(lake, "run", "all"))
            check_catalog(lake, status_json(lake))
            compare_digests(lake_digest(con, lake), expected)
            ok(lake_run(lake, "vacuum", "--retention-seconds", "0"))
            status = check_catalog(lake, status_json(lake))
            require(status["orphans"] == [], f"orphans left after vacuum: {status['orphans'][:3]}")
            compare_digests(lake_digest(con, lake), expected)
        except (Failed, AssertionError, subprocess.CalledProcessError) as e:
            sc.fail(context, str(e))
        finally:
            umount(mnt)
        sc.trials += 1
        sc.cases += 1
    if filled == 0:
        sc.fail("fills", "no size filled the disk: the scenario tested nothing")
    sc.notes.append(f"{filled} of {len(sizes(full))} tmpfs sizes filled during `run all`")
    sc.log(sc.notes[-1])
    shutil.rmtree(base, ignore_errors=True)
    return sc.done()
