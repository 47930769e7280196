"""`lake backup DEST` and `lake restore SRC` (issue #27): backups taken while `lake run all
--follow` commits (nothing is paused or killed; the backups race the commits) each restore to a
lake that `lake verify` passes and that, given the same landing files, goes on to exactly the
tables a batch run over all of them gives."""

import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import Lake, check_catalog, duck, lake_digest
from test_follow import Delivery, batch_reference, start_follow, stop, wait_following, wait_idle

SEED = int(os.environ.get("LAKE_TEST_SEED", random.randrange(1 << 32)))


def test_backups_during_follow_restore_and_continue_exactly(tmp_path):
    gen = tmp_path / "input"
    Lake(tmp_path / "gen").generate(out=gen, events=12_000, users=200, seed=8, files=1, duplicates=0.03,
                                    late=0.01, malformed=0.01)
    data = (gen / "events-00000.jsonl").read_bytes()
    rng = random.Random(SEED)
    delivery = Delivery(data, rng, files=6, burst_max=60_000)
    lake = Lake(tmp_path / "lake")
    lake.landing.mkdir(parents=True)
    proc = start_follow(lake, tmp_path / "follow.log", interval=0.2)
    backups = []
    try:
        wait_following(proc)
        done = threading.Event()

        def back_up():
            # Backups at random moments while the delivery and the commits go on.
            while not done.is_set() and len(backups) < 4:
                time.sleep(rng.uniform(0.2, 0.8))
                dest = tmp_path / f"backup-{len(backups)}"
                p = subprocess.run(lake.args("backup", dest), capture_output=True, text=True, timeout=120)
                assert p.returncode == 0, p.stderr
                assert "snapshot" in p.stderr and "linked" in p.stderr, p.stderr
                backups.append(dest)

        t = threading.Thread(target=back_up)
        t.start()
        delivery.all(lake.landing, rng, pause_max=0.05)
        wait_idle(lake, delivery.lines, proc)
        done.set()
        t.join()
    finally:
        stop(proc)
    assert len(backups) >= 2, f"seed {SEED}: only {len(backups)} backups"
    reference = batch_reference(lake, tmp_path / "reference")
    snapshots = set()
    for k, backup in enumerate(backups):
        restored = Lake(tmp_path / f"restored-{k}")
        p = subprocess.run(restored.args("restore", backup), capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        snapshots.add(int(p.stderr.split("snapshot ")[1].split(",")[0]))
        v = subprocess.run(restored.args("verify"), capture_output=True, text=True, timeout=300)
        assert v.returncode == 0 and v.stdout == "", f"seed {SEED}, backup {k}: {v.stdout[-800:]} {v.stderr}"
        # The same landing files (hard links keep their identity): the pipeline goes on exactly.
        restored.landing.mkdir(parents=True)
        for f in lake.landing_files():
            os.link(f, restored.landing / f.name)
        restored.run("all")
        check_catalog(restored)
        got = lake_digest(duck(), restored)
        for key in reference:
            assert got[key] == reference[key], f"seed {SEED}, backup {k}: {key} differs after restore and rerun"
    assert len(snapshots) >= 2, f"seed {SEED}: every backup caught the same snapshot {snapshots}"


def test_backup_and_restore_refuse_to_overwrite(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.generate(events=2000, seed=3)
    lake.run("all")
    taken = tmp_path / "b"
    assert subprocess.run(lake.args("backup", taken), capture_output=True).returncode == 0
    assert {"catalog.db", "backup.json", "pii.key"} <= {p.name for p in taken.iterdir()}
    assert oct((taken / "pii.key").stat().st_mode & 0o777) == "0o600"
    for argv in (lake.args("backup", taken), Lake(lake.root).args("restore", taken),
                 Lake(tmp_path / "x").args("restore", tmp_path / "nothing-here")):
        p = subprocess.run(argv, capture_output=True, text=True)
        assert p.returncode != 0 and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_a_backup_on_another_filesystem_is_copied(tmp_path):
    """Off the lake's filesystem nothing can be a hard link: every file is copied (streamed and
    fsynced), and the copy restores to a lake `lake verify` passes."""
    other = Path("/dev/shm")
    if not other.is_dir() or other.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem here")
    lake = Lake(tmp_path / "lake")
    lake.generate(events=3000, seed=6)
    lake.run("all")
    dest = Path(tempfile.mkdtemp(dir=other)) / "backup"
    try:
        p = subprocess.run(lake.args("backup", dest), capture_output=True, text=True, timeout=120)
        assert p.returncode == 0 and " 0 linked" in p.stderr and "copied" in p.stderr, p.stderr
        restored = Lake(tmp_path / "restored")
        assert subprocess.run(restored.args("restore", dest), capture_output=True).returncode == 0
        v = subprocess.run(restored.args("verify"), capture_output=True, text=True, timeout=300)
        assert v.returncode == 0 and v.stdout == "", v.stdout
        assert lake_digest(duck(), restored) == lake_digest(duck(), lake)
    finally:
        shutil.rmtree(dest.parent, ignore_errors=True)
