"""Operating errors (SPEC §2): non-zero exit and one actionable line on stderr naming the problem;
nothing is ingested. Inputs are 100 generated events at most: only the refusal is at stake."""

import pytest

from conftest import JOBS, Lake


def one_line(p):
    err = p.stderr.decode()
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    return lines[0]


def test_missing_jobs_folder(tmp_path):
    missing = tmp_path / "no-such-jobs"
    lake = Lake(tmp_path / "lake", jobs=missing)
    lake.generate(events=100, seed=1)
    p = lake.run("all", check=False)
    assert p.returncode != 0
    line = one_line(p)
    assert str(missing) in line
    assert "jobs" in line.lower()
    assert not (lake.root / "bronze_clickstream").exists()


@pytest.mark.parametrize("name,shown", [
    ("empty-jobs", "empty-jobs"),
    # Quoted text holding line breaks is escaped: still one line on stderr.
    ("empty\njobs\x0cfolder", "empty\\njobs\\u{C}folder"),
])
def test_jobs_folder_without_job_files(tmp_path, name, shown):
    empty = tmp_path / name
    empty.mkdir()
    lake = Lake(tmp_path / "lake", jobs=empty)
    p = lake.run("all", check=False)
    assert p.returncode != 0
    line = one_line(p)
    assert "no job files" in line
    assert shown in line


def test_unknown_job(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.generate(events=100, seed=1)
    p = lake.run("all", "--job", "no_such_job", check=False)
    assert p.returncode != 0
    line = one_line(p)
    assert "no_such_job" in line
    assert "clickstream" in line  # names the jobs there are
    assert not (lake.root / "bronze_clickstream").exists()


def test_stdin_with_silver(tmp_path):
    lake = Lake(tmp_path / "lake")
    p = lake.run("silver", "--stdin", input=b'{"eventId":"x"}\n', check=False)
    assert p.returncode != 0
    line = one_line(p)
    assert "--stdin" in line and "bronze" in line
    assert not (lake.root / "bronze_clickstream").exists()


def test_stdin_with_gold(tmp_path):
    lake = Lake(tmp_path / "lake")
    p = lake.run("gold", "--stdin", input=b"", check=False)
    assert p.returncode != 0
    assert "--stdin" in one_line(p)


def test_unreadable_job_file_names_file_and_line(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    text = (JOBS / "clickstream.toml").read_text().replace('watermark_delay = "10m"', 'watermark_delay = "ten minutes"')
    (jobs / "clickstream.toml").write_text(text)
    lake = Lake(tmp_path / "lake", jobs=jobs)
    p = lake.run("all", check=False)
    assert p.returncode != 0
    line = one_line(p)
    assert "clickstream.toml" in line and "watermark_delay" in line
