"""Shared set-up of the interop tests: the built binaries and the fixture folder.

PARQUET_TOOL names the parquet-tool binary (default: .build/debug/parquet-tool of this
checkout); build it first with `swift build`.
"""

import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

#: Rows of the `large` fixture: one row group of a million rows.
LARGE_ROWS = 1_000_000

MATRIX = [f"matrix-{codec}-{cardinality}"
          for codec in ("zstd", "none") for cardinality in ("low", "high")]
#: Fixtures whose sidecar lists every value.
SMALL = MATRIX + ["plain-only", "delta", "delta-length", "empty", "one-row", "row-groups-of-one", "key-values"]
#: Every fixture `parquet-tool fixtures` writes.
ALL = SMALL + ["large"]


def tool_path() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("PARQUET_TOOL", ".build/debug/parquet-tool"))
    return path if path.is_absolute() else REPO / path


@pytest.fixture(scope="session")
def parquet_tool() -> pathlib.Path:
    path = tool_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: run `swift build` (or set PARQUET_TOOL)")
    return path


@pytest.fixture(scope="session")
def run_tool(parquet_tool):
    """Runs parquet-tool with arguments; returns the CompletedProcess (text mode)."""

    def run(*args, check=False, timeout=120):
        return subprocess.run(
            [str(parquet_tool), *map(str, args)], capture_output=True, text=True, check=check,
            timeout=timeout)

    return run


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory, run_tool) -> pathlib.Path:
    """The folder `parquet-tool fixtures` writes, made once per session."""
    folder = tmp_path_factory.mktemp("fixtures")
    result = run_tool("fixtures", folder, "--large-rows", LARGE_ROWS, timeout=300)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="session")
def sidecar(fixture_dir):
    """Loads `<name>.expected.json` (cached)."""
    cache = {}

    def load(name):
        if name not in cache:
            cache[name] = json.loads((fixture_dir / f"{name}.expected.json").read_text())
        return cache[name]

    return load
