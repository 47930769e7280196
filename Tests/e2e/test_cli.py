"""The command line a newcomer meets (SPEC §2): global options before or after the subcommand,
`lake sql` as a table on a terminal, CSV when piped, JSON on request."""

import csv
import io
import json
import os
import pty
import subprocess

from conftest import LAKE_BIN, JOBS, Lake


def small_lake(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.generate(events=2000, seed=3)
    lake.run("all")
    return lake


def on_terminal(argv):
    """What `argv` writes (stdout and stderr) when both are a terminal."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(LAKE_BIN, argv)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out[-500:]
    return out.decode()


def test_progress_on_a_terminal_only(tmp_path):
    """`generate` and `run` over a large input count on a terminal (a line rewritten with \\r,
    then cleared) and say nothing of it when their output goes to a file or a pipe."""
    lake = Lake(tmp_path / "lake")
    shown = on_terminal(lake.args("generate", "--events", "300000", "--seed", "4"))
    assert "\rgenerated events: " in shown and "/s)" in shown, shown[-300:]
    shown = on_terminal(lake.args("run", "all", "--job", "clickstream"))
    assert "\rbronze lines: " in shown or "\rsilver rows: " in shown, shown[-300:]
    quiet = Lake(tmp_path / "quiet")
    p = subprocess.run(quiet.args("generate", "--events", "300000", "--seed", "4"), capture_output=True, check=True)
    assert b"\r" not in p.stderr + p.stdout and b"generated events:" not in p.stderr


def test_global_options_before_the_subcommand(tmp_path):
    lake = small_lake(tmp_path)
    after = subprocess.run([LAKE_BIN, "status", "--json", "--lake", str(lake.root), "--jobs", str(JOBS)],
                           capture_output=True, check=True).stdout
    for argv in (["--lake", str(lake.root), "--jobs", str(JOBS), "status", "--json"],
                 [f"--lake={lake.root}", "status", "--json", f"--jobs={JOBS}"]):
        p = subprocess.run([LAKE_BIN, *argv], capture_output=True)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["tables"] == json.loads(after)["tables"]
    # Only global options: the usual usage error, one line.
    p = subprocess.run([LAKE_BIN, "--lake", str(lake.root)], capture_output=True)
    assert p.returncode != 0


def test_sql_formats(tmp_path):
    lake = small_lake(tmp_path)
    query = "SELECT 'a,b' AS t, 1 AS n, NULL AS z, 'say \"hi\"' AS q UNION ALL SELECT 'c', 22, 2.5, 'x'"
    piped = subprocess.run(lake.args("sql", query), capture_output=True, check=True).stdout.decode()
    assert list(csv.reader(io.StringIO(piped))) == [["t", "n", "z", "q"], ["a,b", "1", "", 'say "hi"'],
                                                    ["c", "22", "2.5", "x"]]
    lines = subprocess.run(lake.args("sql", query, "--format", "json"), capture_output=True,
                           check=True).stdout.decode().splitlines()
    assert [json.loads(l) for l in lines] == [{"t": "a,b", "n": 1, "z": None, "q": 'say "hi"'},
                                               {"t": "c", "n": 22, "z": 2.5, "q": "x"}]
    # On a terminal: an aligned table with a header, numbers to the right, NULL spelled out.
    rows = on_terminal(lake.args("sql", query)).replace("\r\n", "\n").splitlines()
    assert rows == ["t     n     z  q",
                    "---  --  ----  --------",
                    "a,b   1  NULL  say \"hi\"",
                    "c    22   2.5  x",
                    "(2 rows)"], rows
    # Writes are refused.
    p = subprocess.run(lake.args("sql", "DELETE FROM lake_run"), capture_output=True)
    assert p.returncode != 0 and b"read-only" in p.stderr


def test_train_without_a_kmeans_table_says_so(tmp_path):
    lake = small_lake(tmp_path)
    p = subprocess.run(lake.args("train", "--job", "clickstream"), capture_output=True)
    assert p.returncode != 0
    err = p.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "no job has a kmeans gold table" in err, err
    p = subprocess.run(lake.args("train", "--job", "orders", "--table", "gold_nope"), capture_output=True)
    assert p.returncode != 0 and b"has no kmeans table named gold_nope" in p.stderr, p.stderr
