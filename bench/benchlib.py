"""Helpers the bench scripts share (imported as a sibling module: the scripts run as
`python3 bench/NAME.py`, so their folder is on sys.path)."""

import argparse
import os


def medallion_args(description):
    """The command line both reference pipelines (DuckDB, Spark) take: one stage per run."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("stage", choices=["bronze", "silver", "gold"])
    parser.add_argument("--landing", help="landing folder (bronze)")
    parser.add_argument("--out", required=True, help="folder for bronze/, silver/, gold/")
    args = parser.parse_args()
    if args.stage == "bronze" and not args.landing:
        parser.error("bronze needs --landing")
    return args


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def proc_cpu_seconds(pid):
    """utime + stime of a live process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def interrupt(proc, timeout):
    """SIGINT to a lake process (if still running) and its exit code once it stopped, or
    "killed after N s" when it did not stop within `timeout` seconds."""
    import signal
    import subprocess
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return f"killed after {timeout} s"


def proc_peak_rss_kb(pid):
    """Peak RSS (VmHWM) of a live process in KiB; None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def tree_stats(path):
    """Files and bytes of the Parquet files under path."""
    files = size = 0
    for root, _, names in os.walk(path):
        for name in names:
            if name.endswith(".parquet"):
                files += 1
                size += os.path.getsize(os.path.join(root, name))
    return files, size


def put_section(path, section, begin, end):
    """Writes `section` (which starts with `begin` and ends with `end`) into the Markdown file
    at `path`, replacing an earlier section between the same markers, else appending it."""
    text = path.read_text() if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head.rstrip("\n") + "\n\n" + section + ("\n" + tail if tail else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section
    path.write_text(text)
