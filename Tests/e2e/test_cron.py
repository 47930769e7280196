"""`lake cron` prints crontab lines that parse back to the job file's schedules, with absolute
paths, a flock guard and a log redirect; the real `crontab` syntax is checked by field count."""

import re
import shlex
import tomllib
from pathlib import Path

from conftest import JOBS


def test_cron_lines_parse_back_to_the_schedules(lake):
    out = lake.cmd("cron").stdout.decode()
    # Every job's schedules, jobs in file-name order (as lake loads them).
    schedules = [(job.stem, name, schedule)
                 for job in sorted(Path(JOBS).glob("*.toml"))
                 for name, schedule in tomllib.loads(job.read_text()).get("schedules", {}).items()]
    assert {job for job, _, _ in schedules} >= {"clickstream", "transactions"}
    lines = [l for l in out.splitlines() if l and not l.startswith("#")]
    assert lines[0] == "CRON_TZ=UTC"
    entries = lines[1:]
    assert len(entries) == len(schedules)
    for (job, name, schedule), line in zip(schedules, entries):
        fields = line.split(None, 5)
        assert " ".join(fields[:5]) == schedule["cron"]
        words = shlex.split(fields[5])
        assert "flock" in words and words[words.index("flock") + 1] == "-n"
        lake_at = next(i for i, w in enumerate(words) if w.endswith("/lake") and Path(w).is_absolute())
        command = words[lake_at + 1:]
        assert " ".join(command[:len(schedule["command"].split())]) == schedule["command"]
        assert command[command.index("--job") + 1] == job
        assert Path(command[command.index("--lake") + 1]) == lake.root.resolve()
        assert Path(command[command.index("--jobs") + 1]) == Path(JOBS).resolve()
        assert re.search(rf">> \S*/logs/{job}-{name}\.log 2>&1$", line)
        # The scheduled command itself is accepted by lake (its --help parses the arguments):
        # the subcommand and its stage (`run all`, `backfill all`, `train`).
        words = schedule["command"].split()
        subcommand = words[:1] + [w for w in words[1:2] if not w.startswith("-")]
        assert lake.cmd(*subcommand, "--help").returncode == 0


def test_invalid_cron_expression_names_file_and_key(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    text = (Path(JOBS) / "clickstream.toml").read_text().replace('cron = "* * * * *"', 'cron = "61 * * * *"')
    (jobs / "clickstream.toml").write_text(text)
    from conftest import Lake
    p = Lake(tmp_path / "lake", jobs=jobs).cmd("cron", check=False)
    err = p.stderr.decode().strip().splitlines()
    assert p.returncode != 0 and len(err) == 1
    assert "clickstream.toml" in err[0] and "schedules.stream.cron" in err[0], err
