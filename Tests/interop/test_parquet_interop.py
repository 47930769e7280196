"""Interop of lake's Parquet files with pyarrow and DuckDB, both directions.

lake → readers: `parquet-tool fixtures` writes a matrix of files with `.expected.json` sidecars;
pyarrow and DuckDB must read every value, the schema and the footer facts the sidecar states.
readers → lake: pyarrow (ZSTD, none, data page v2, no dictionary, …) and DuckDB write files and
`parquet-tool dump` must print exactly the values they wrote; files lake cannot read (other
codecs and encodings, damage) must fail with one line naming the file.
"""

import datetime
import json
import math
import os
import random
import shutil
import struct

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import ALL, LARGE_ROWS, MATRIX, SMALL

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# Sidecar (type, logical) → what each reader must call the column.
ARROW_TYPES = {
    ("boolean", "none"): pa.bool_(),
    ("int32", "none"): pa.int32(),
    ("int64", "none"): pa.int64(),
    ("double", "none"): pa.float64(),
    ("byteArray", "string"): pa.string(),
    ("int64", "timestampMicrosUTC"): pa.timestamp("us", tz="UTC"),
    ("byteArray", "none"): pa.binary(),
}
PHYSICAL_TYPES = {"boolean": "BOOLEAN", "int32": "INT32", "int64": "INT64", "double": "DOUBLE",
                  "byteArray": "BYTE_ARRAY"}
DUCKDB_TYPES = {
    ("boolean", "none"): "BOOLEAN",
    ("int32", "none"): "INTEGER",
    ("int64", "none"): "BIGINT",
    ("double", "none"): "DOUBLE",
    ("byteArray", "string"): "VARCHAR",
    ("int64", "timestampMicrosUTC"): "TIMESTAMP WITH TIME ZONE",
    ("byteArray", "none"): "BLOB",
}


def same(a, b) -> bool:
    """Exact equality; floats bit for bit (NaN equals NaN, -0.0 differs from 0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    return type(a) is type(b) and a == b  # so True differs from 1 and 1 from 1.0


def assert_same_rows(actual, expected, where):
    assert len(actual) == len(expected), f"{where}: {len(actual)} rows, expected {len(expected)}"
    for row, (a, e) in enumerate(zip(actual, expected)):
        assert len(a) == len(e), f"{where} row {row}"
        for column, (x, y) in enumerate(zip(a, e)):
            assert same(x, y), f"{where} row {row} column {column}: {x!r} != {y!r}"


def micros(value):
    """A reader's timestamp (datetime or int) as microseconds since the epoch."""
    if value is None or isinstance(value, int):
        return value
    return (value - EPOCH) // datetime.timedelta(microseconds=1)


def hex_cell(value):
    return None if value is None else {"hex": bytes(value).hex()}


def sidecar_rows(expected):
    """The sidecar's rows; JSON writes integral doubles as integers, so DOUBLE values are
    made floats again (BYTE_ARRAY values without a logical type stay {"hex": ...})."""
    doubles = [c["type"] == "double" for c in expected["columns"]]
    return [[float(v) if is_double and v is not None else v for v, is_double in zip(row, doubles)]
            for row in expected["data"]]


def columns_of(expected):
    return [(c["name"], c["type"], c["logical"], c["nullable"]) for c in expected["columns"]]


# --- lake → pyarrow -------------------------------------------------------------------------

def test_fixture_set_is_complete(fixture_dir):
    files = sorted(p.name for p in fixture_dir.iterdir())
    assert files == sorted([f"{n}.parquet" for n in ALL] + [f"{n}.expected.json" for n in ALL])


@pytest.mark.parametrize("name", ALL)
def test_pyarrow_schema(fixture_dir, sidecar, name):
    expected = sidecar(name)
    f = pq.ParquetFile(fixture_dir / f"{name}.parquet")
    arrow = f.schema_arrow
    assert arrow.names == [c["name"] for c in expected["columns"]]
    for i, (column, type_, logical, nullable) in enumerate(columns_of(expected)):
        field = arrow.field(i)
        assert field.type == ARROW_TYPES[(type_, logical)], column
        assert field.nullable == nullable, column
        parquet_column = f.metadata.schema.column(i)
        assert parquet_column.physical_type == PHYSICAL_TYPES[type_], column
        assert parquet_column.max_definition_level == (1 if nullable else 0), column
        if logical == "string":
            assert str(field.type) == "string"
            assert parquet_column.logical_type.type == "STRING"
            assert parquet_column.converted_type == "UTF8"
        elif logical == "timestampMicrosUTC":
            assert str(field.type) == "timestamp[us, tz=UTC]"
            assert parquet_column.logical_type.type == "TIMESTAMP"
            assert parquet_column.converted_type == "TIMESTAMP_MICROS"
            assert json.loads(parquet_column.logical_type.to_json()) == {
                "Type": "Timestamp", "isAdjustedToUTC": True, "timeUnit": "microseconds",
                "is_from_converted_type": False, "force_set_converted_type": False}
        else:
            assert parquet_column.logical_type.type == "NONE"


def arrow_rows(table, expected):
    """The table's rows in the sidecar's representation."""
    columns = []
    for (name, type_, logical, _), column in zip(columns_of(expected), table.columns):
        if logical == "timestampMicrosUTC":
            columns.append(column.cast(pa.int64()).to_pylist())
        elif type_ == "byteArray" and logical == "none":
            columns.append([hex_cell(v) for v in column.to_pylist()])
        else:
            columns.append(column.to_pylist())
    return [list(row) for row in zip(*columns)] if columns else []


@pytest.mark.parametrize("name", SMALL)
def test_pyarrow_values(fixture_dir, sidecar, name):
    expected = sidecar(name)
    table = pq.read_table(fixture_dir / f"{name}.parquet")
    assert table.num_rows == expected["rows"]
    assert_same_rows(arrow_rows(table, expected), sidecar_rows(expected), f"pyarrow {name}")
    for i, column in enumerate(table.columns):
        assert column.null_count == expected["null_counts"][i]


# --- lake → DuckDB --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


@pytest.mark.parametrize("name", ALL)
def test_duckdb_schema(fixture_dir, sidecar, con, name):
    expected = sidecar(name)
    path = str(fixture_dir / f"{name}.parquet")
    leaves = con.execute(
        "SELECT name, type, repetition_type, duckdb_type FROM parquet_schema(?) "
        "WHERE type IS NOT NULL ORDER BY column_id", [path]).fetchall()
    assert leaves == [
        (name_, PHYSICAL_TYPES[type_], "OPTIONAL" if nullable else "REQUIRED",
         DUCKDB_TYPES[(type_, logical)])
        for name_, type_, logical, nullable in columns_of(expected)]
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()
    assert [(d[0], d[1]) for d in described] == [
        (n, DUCKDB_TYPES[(t, l)]) for n, t, l, _ in columns_of(expected)]
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchall() == [
        (expected["rows"],)]


@pytest.mark.parametrize("name", SMALL)
def test_duckdb_values(fixture_dir, sidecar, con, name):
    expected = sidecar(name)
    path = str(fixture_dir / f"{name}.parquet")
    rows = con.execute(
        "SELECT * EXCLUDE (file_row_number) FROM read_parquet(?, file_row_number = true) "
        "ORDER BY file_row_number", [path]).fetchall()
    kinds = columns_of(expected)
    converted = []
    for row in rows:
        out = []
        for (_, type_, logical, _), value in zip(kinds, row):
            if logical == "timestampMicrosUTC":
                assert value is None or value.tzinfo is not None
                out.append(micros(value))
            elif type_ == "byteArray" and logical == "none":
                out.append(hex_cell(value))
            else:
                out.append(value)
        converted.append(out)
    assert_same_rows(converted, sidecar_rows(expected), f"duckdb {name}")


@pytest.mark.parametrize("name", ["matrix-zstd-low", "matrix-none-high", "row-groups-of-one"])
def test_duckdb_filters_agree_with_the_data(fixture_dir, sidecar, con, name):
    """DuckDB prunes row groups with lake's statistics: filtered counts must still be exact."""
    expected = sidecar(name)
    path = str(fixture_dir / f"{name}.parquet")
    data = sidecar_rows(expected)
    for c, (column, type_, logical, _) in enumerate(columns_of(expected)):
        values = [row[c] for row in data]
        present = [v for v in values if v is not None]
        probes = [present[0], present[len(present) // 2], present[-1]]

        def param(v):
            if logical == "timestampMicrosUTC":
                return EPOCH + datetime.timedelta(microseconds=v)
            return bytes.fromhex(v["hex"]) if type_ == "byteArray" and logical == "none" else v

        for probe in probes:
            want = sum(1 for v in values if v is not None and same(v, probe))
            got = con.execute(f'SELECT count(*) FROM read_parquet(?) WHERE "{column}" = ?',
                              [path, param(probe)]).fetchall()[0][0]
            assert got == want, f"{name} {column} = {probe!r}"
        if type_ in ("int32", "int64", "double"):
            low, high = sorted(probes)[:2]
            want = sum(1 for v in values if v is not None and low <= v <= high)
            got = con.execute(
                f'SELECT count(*) FROM read_parquet(?) WHERE "{column}" BETWEEN ? AND ?',
                [path, param(low), param(high)]).fetchall()[0][0]
            assert got == want, f"{name} {column} between {low!r} and {high!r}"


# --- footer facts ---------------------------------------------------------------------------

def comparable(value, type_, logical):
    """A sidecar value in the order Parquet statistics use (bytes for BYTE_ARRAY)."""
    if value is None:
        return None
    if type_ == "byteArray":
        return bytes.fromhex(value["hex"]) if logical == "none" else value.encode("utf-8")
    return value


def brute_force_statistics(values, type_, logical):
    """(null_count, min, max) of sidecar values: NaN ignored, zero min -0.0, zero max +0.0."""
    present = [comparable(v, type_, logical) for v in values if v is not None]
    nulls = len(values) - len(present)
    if type_ == "double":
        present = [float(v) for v in present if not math.isnan(v)]
    if not present:
        return nulls, None, None
    low, high = min(present), max(present)
    if type_ == "double":
        low = -0.0 if low == 0 else low
        high = 0.0 if high == 0 else high
    return nulls, low, high


def raw(value, type_):
    return float(value) if type_ == "double" else value


@pytest.mark.parametrize("name", SMALL)
def test_footer_facts(fixture_dir, sidecar, name):
    expected = sidecar(name)
    metadata = pq.ParquetFile(fixture_dir / f"{name}.parquet").metadata
    assert metadata.num_rows == expected["rows"]
    assert metadata.num_row_groups == expected["row_groups"]
    assert metadata.created_by.startswith("lake parquet writer")
    assert expected["codec"] == ("UNCOMPRESSED" if "-none-" in name else "ZSTD")
    kv = {k.decode(): v.decode() for k, v in (metadata.metadata or {}).items()}
    assert kv == expected["key_values"]
    if name == "key-values":
        assert kv == {"lake.table": "example_table", "lake.snapshot": "7"}
    kinds = columns_of(expected)
    data = expected["data"]
    start = 0
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        rows = data[start:start + group.num_rows]
        start += group.num_rows
        for c, (column, type_, logical, _) in enumerate(kinds):
            chunk = group.column(c)
            where = f"{name} row group {g} column {column}"
            assert chunk.compression == expected["codec"], where
            assert chunk.num_values == group.num_rows, where
            dictionary = chunk.has_dictionary_page
            if name in MATRIX and name.endswith("-low") and logical == "string":
                assert dictionary, f"{where}: low-cardinality strings need a dictionary page"
                assert "RLE_DICTIONARY" in chunk.encodings, where
            if name == "plain-only" or type_ == "boolean" or (
                    name.endswith("-high") and logical == "string"):
                assert not dictionary, where
                assert "RLE_DICTIONARY" not in chunk.encodings, where
                assert "PLAIN_DICTIONARY" not in chunk.encodings, where
            if name == "delta" and type_ == "int64":
                assert "DELTA_BINARY_PACKED" in chunk.encodings and "PLAIN" not in chunk.encodings, where
                assert not dictionary, where
            if type_ == "byteArray" and not dictionary:
                # Byte arrays without a dictionary: DELTA_LENGTH_BYTE_ARRAY, unless the
                # writer was told PLAIN (plain-only).
                want = "PLAIN" if name == "plain-only" else "DELTA_LENGTH_BYTE_ARRAY"
                assert want in chunk.encodings, f"{where}: {chunk.encodings}"
            if name == "delta-length" and type_ == "byteArray":
                assert "DELTA_LENGTH_BYTE_ARRAY" in chunk.encodings and not dictionary, where
            assert chunk.is_stats_set, where
            stats = chunk.statistics
            nulls, low, high = brute_force_statistics([r[c] for r in rows], type_, logical)
            assert stats.has_null_count and stats.null_count == nulls, where
            assert stats.has_min_max == (low is not None), where
            if low is not None:
                assert same(raw(stats.min_raw, type_), low), f"{where}: min {stats.min_raw!r}"
                assert same(raw(stats.max_raw, type_), high), f"{where}: max {stats.max_raw!r}"
    assert start == expected["rows"]


def test_empty_file_has_no_row_groups(fixture_dir):
    metadata = pq.ParquetFile(fixture_dir / "empty.parquet").metadata
    assert metadata.num_rows == 0 and metadata.num_row_groups == 0


def test_row_groups_of_one(fixture_dir):
    metadata = pq.ParquetFile(fixture_dir / "row-groups-of-one.parquet").metadata
    assert [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == [1] * 7


def test_meta_agrees_with_pyarrow(fixture_dir, run_tool):
    for name in SMALL:
        path = fixture_dir / f"{name}.parquet"
        result = run_tool("meta", path)
        assert result.returncode == 0, result.stderr
        meta = json.loads(result.stdout)
        metadata = pq.ParquetFile(path).metadata
        assert meta["rows"] == metadata.num_rows
        assert len(meta["row_groups"]) == metadata.num_row_groups
        for g, group in enumerate(meta["row_groups"]):
            assert group["rows"] == metadata.row_group(g).num_rows
            for c, chunk in enumerate(group["columns"]):
                theirs = metadata.row_group(g).column(c)
                assert chunk["codec"] == theirs.compression
                assert chunk["has_dictionary_page"] == theirs.has_dictionary_page
                assert chunk["null_count"] == theirs.statistics.null_count


@pytest.mark.parametrize("name", SMALL)
def test_dump_matches_sidecar(fixture_dir, sidecar, run_tool, name):
    """lake's own reader, through the tool, prints what the sidecar says was written."""
    expected = sidecar(name)
    result = run_tool("dump", fixture_dir / f"{name}.parquet")
    assert result.returncode == 0, result.stderr
    names = [c["name"] for c in expected["columns"]]
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(list(row) == names for row in printed)
    assert_same_rows(
        [list(row.values()) for row in printed], sidecar_rows(expected), f"dump {name}")


# --- the large file -------------------------------------------------------------------------

def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def test_large_file_pyarrow(fixture_dir, sidecar):
    expected = sidecar("large")
    path = fixture_dir / "large.parquet"
    assert expected["rows"] == LARGE_ROWS
    f = pq.ParquetFile(path)
    assert f.metadata.num_rows == LARGE_ROWS
    assert f.metadata.num_row_groups == expected["row_groups"] == 1
    table = f.read()
    assert table.num_rows == LARGE_ROWS
    group = f.metadata.row_group(0)
    for c, (name, type_, logical, _) in enumerate(columns_of(expected)):
        column = table.column(c)
        assert column.null_count == expected["null_counts"][c], name
        if type_ == "byteArray":
            values = column
        else:
            values = column.cast(pa.int64()) if logical == "timestampMicrosUTC" else column
            total = pc.sum(values.cast(pa.float64())).as_py()
            assert close(total, expected["sums"][c]), f"{name}: sum {total}"
        if type_ == "boolean":
            assert pc.sum(values.cast(pa.int64())).as_py() == expected["sums"][c], name
        # Footer min/max equal the minimum and maximum pyarrow computes over the values.
        stats = group.column(c).statistics
        assert stats.null_count == expected["null_counts"][c], name
        extremes = pc.min_max(values.cast(pa.binary()) if type_ == "byteArray" else values).as_py()
        assert same(raw(stats.min_raw, type_), raw(extremes["min"], type_)), name
        assert same(raw(stats.max_raw, type_), raw(extremes["max"], type_)), name
        if logical == "string":
            assert group.column(c).has_dictionary_page, name


def test_large_file_duckdb(fixture_dir, sidecar, con):
    expected = sidecar("large")
    path = str(fixture_dir / "large.parquet")
    kinds = columns_of(expected)
    parts = ["count(*)"]
    for name, type_, logical, _ in kinds:
        parts.append(f'count("{name}")')
        if type_ == "boolean":
            parts.append(f'sum("{name}"::INTEGER)')
        elif logical == "timestampMicrosUTC":
            parts.append(f'sum(epoch_us("{name}"))')
        elif type_ != "byteArray":
            parts.append(f'sum("{name}")')
        elif logical == "string":
            parts.append(f'sum(strlen("{name}"))')  # UTF-8 bytes of the values
        else:
            parts.append(f'sum(octet_length("{name}"))')
    row = con.execute(f"SELECT {', '.join(parts)} FROM read_parquet(?)", [path]).fetchall()[0]
    assert row[0] == LARGE_ROWS
    for c, (name, type_, logical, _) in enumerate(kinds):
        count, total = row[1 + 2 * c], row[2 + 2 * c]
        assert LARGE_ROWS - count == expected["null_counts"][c], name
        if type_ == "boolean":
            assert total == expected["sums"][c], name
        elif type_ != "byteArray":
            assert close(float(total), expected["sums"][c]), f"{name}: sum {total}"
        elif logical == "none":
            assert total == 4 * count, name  # every `bin` value of the fixture is 4 bytes
        else:
            column = pq.read_table(path, columns=[name]).column(0)
            assert total == pc.sum(pc.binary_length(column)).as_py(), name


# --- pyarrow → lake -------------------------------------------------------------------------

REVERSE_ROWS = 2500
STRINGS = ["", "a", "é", "zażółć gęślą jaźń", "日本語テキスト", "🦆🦆", "x\"y\\z",
           "tab\tnew\nline", "\u0000nul", "\U0010ffff"]
SPECIAL_DOUBLES = [math.nan, math.inf, -math.inf, 0.0, -0.0, 5e-324, -1.7976931348623157e308, 0.1]


def reverse_columns():
    """Column name → (arrow type, nullable, python values); timestamps as int micros."""
    n = REVERSE_ROWS

    def nulls(values, every=5):
        return [None if i % every == 2 or i % 11 == 0 else v for i, v in enumerate(values)]

    ints32 = [[-2**31, 2**31 - 1, 0, -1][i % 4] if i % 10 == 0 else (i * 2654435761) % 2**32 - 2**31
              for i in range(n)]
    ints64 = [[-2**63, 2**63 - 1, 0][i % 3] if i % 10 == 0 else i * 1_000_003 - 2**40
              for i in range(n)]
    doubles = [SPECIAL_DOUBLES[i % len(SPECIAL_DOUBLES)] if i % 3 == 0 else i / 7 - 100
               for i in range(n)]
    # float32 values exactly representable; doubles too large for float32 become 1.5.
    floats = [struct.unpack("<f", struct.pack("<f", d))[0]
              if abs(d) < 3e38 or math.isinf(d) or math.isnan(d) else 1.5 for d in doubles]
    strings = [STRINGS[i % len(STRINGS)] + (f"#{i}" if i % 2 else "") for i in range(n)]
    low = [STRINGS[i % 4] for i in range(n)]
    binary = [[b"", b"\xff\x00", b"plain ascii", "ü".encode(), bytes([i % 256, 0x80])][i % 5]
              for i in range(n)]
    stamps = [-62135596800000000 if i == 0 else 1769644800000000 + (i - 1000) * 3_600_000_123
              for i in range(n)]
    bools = [i % 3 == 0 for i in range(n)]
    return {
        "b": (pa.bool_(), False, bools),
        "b_opt": (pa.bool_(), True, nulls(bools, 4)),
        "i32": (pa.int32(), False, ints32),
        "i32_opt": (pa.int32(), True, nulls(ints32)),
        "i64": (pa.int64(), False, ints64),
        "i64_opt": (pa.int64(), True, nulls(ints64)),
        "f32": (pa.float32(), True, nulls(floats)),
        "f64": (pa.float64(), False, doubles),
        "f64_opt": (pa.float64(), True, nulls(doubles, 3)),
        "s": (pa.string(), False, strings),
        "s_low_opt": (pa.string(), True, nulls(low)),
        "s_all_null": (pa.string(), True, [None] * n),
        "bin": (pa.binary(), False, binary),
        "bin_opt": (pa.binary(), True, nulls(binary, 7)),
        "ts": (pa.timestamp("us", tz="UTC"), False, stamps),
        "ts_opt": (pa.timestamp("us", tz="UTC"), True, nulls(stamps)),
    }


def reverse_table():
    columns = reverse_columns()
    schema = pa.schema(
        [pa.field(name, t, nullable=nullable) for name, (t, nullable, _) in columns.items()])
    arrays = []
    for name, (t, _, values) in columns.items():
        if pa.types.is_timestamp(t):
            arrays.append(pa.array(values, pa.int64()).cast(t))
        else:
            arrays.append(pa.array(values, t))
    return pa.Table.from_arrays(arrays, schema=schema)


def dump_value(value):
    """What `parquet-tool dump` prints for a value (after json.loads)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"hex": value.hex()}
    return value


REVERSE_VARIANTS = {
    "zstd": dict(compression="zstd"),
    "none": dict(compression="none"),
    "v2-zstd": dict(compression="zstd", data_page_version="2.0"),
    "v2-none": dict(compression="none", data_page_version="2.0"),
    "no-dictionary": dict(compression="zstd", use_dictionary=False),
    "small-pages": dict(compression="zstd", data_page_size=512, row_group_size=700),
    "no-statistics": dict(compression="zstd", write_statistics=False),
    # The dictionary fills up mid-chunk: dictionary-encoded pages, then PLAIN pages.
    "dictionary-fallback": dict(
        compression="zstd", dictionary_pagesize_limit=256, data_page_size=1024),
    "format-1.0": dict(compression="none", version="1.0"),
    # Both integer widths with the extremes next to each other (the deltas wrap), with and
    # without nulls, v1 and v2 pages.
    "delta-binary-packed": dict(
        compression="zstd", use_dictionary=False,
        column_encoding={c: "DELTA_BINARY_PACKED" for c in ("i32", "i32_opt", "i64", "i64_opt", "ts", "ts_opt")}),
    "delta-binary-packed-v2": dict(
        compression="zstd", use_dictionary=False, data_page_version="2.0", data_page_size=700,
        column_encoding={c: "DELTA_BINARY_PACKED" for c in ("i32", "i32_opt", "i64", "i64_opt", "ts", "ts_opt")}),
    # Strings and binaries DELTA_LENGTH_BYTE_ARRAY, with nulls, empty values and a column of
    # nulls only, v1 and v2 pages.
    "delta-length-byte-array": dict(
        compression="zstd", use_dictionary=False,
        column_encoding={c: "DELTA_LENGTH_BYTE_ARRAY" for c in ("s", "s_low_opt", "s_all_null", "bin", "bin_opt")}),
    "delta-length-byte-array-v2": dict(
        compression="zstd", use_dictionary=False, data_page_version="2.0", data_page_size=700,
        column_encoding={c: "DELTA_LENGTH_BYTE_ARRAY" for c in ("s", "s_low_opt", "s_all_null", "bin", "bin_opt")}),
    "page-index-checksums-bloom": dict(
        compression="zstd", write_page_index=True, write_page_checksum=True,
        bloom_filter_options={"s": {"ndv": 100}}),
}


@pytest.mark.parametrize("variant", REVERSE_VARIANTS)
def test_pyarrow_file_dumps_identically(tmp_path, run_tool, variant):
    path = tmp_path / f"pyarrow-{variant}.parquet"
    options = dict(row_group_size=1000)
    options.update(REVERSE_VARIANTS[variant])
    pq.write_table(reverse_table(), path, **options)
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_row_groups >= 3
    expected_codec = "UNCOMPRESSED" if options["compression"] == "none" else "ZSTD"
    low = metadata.schema.names.index("s_low_opt")
    for g in range(metadata.num_row_groups):
        assert metadata.row_group(g).column(0).compression == expected_codec
        assert metadata.row_group(g).column(low).has_dictionary_page == (
            variant != "no-dictionary" and not variant.startswith("delta"))

    result = run_tool("dump", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    columns = reverse_columns()
    assert len(lines) == REVERSE_ROWS
    for row, line in enumerate(lines):
        printed = json.loads(line)
        assert list(printed) == list(columns), f"row {row}: column order"
        for name, (_, _, values) in columns.items():
            want = dump_value(values[row])
            assert same(printed[name], want), f"{variant} row {row} {name}: {printed[name]!r}"


@pytest.mark.parametrize("compression", ["zstd", "uncompressed"])
def test_duckdb_file_dumps_identically(tmp_path, run_tool, con, compression):
    path = str(tmp_path / f"duckdb-{compression}.parquet")
    con.execute(f"""
        COPY (SELECT i::INTEGER AS i, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1000003 END AS j,
                     i / 7 AS d, ['', 'é', '日本', '🦆'][i % 4 + 1] AS s, i % 2 = 0 AS b,
                     TIMESTAMPTZ '2026-01-29 00:00:00+00' + to_microseconds(i * 1000001) AS ts,
                     CASE WHEN i % 5 = 0 THEN NULL ELSE '\\xFF\\x00'::BLOB END AS bin
              FROM range(3000) t(i))
        TO '{path}' (FORMAT parquet, COMPRESSION {compression}, ROW_GROUP_SIZE 1024)""")
    rows = con.execute(
        "SELECT i, j, d, s, b, epoch_us(ts), bin FROM read_parquet(?, file_row_number = true) "
        "ORDER BY file_row_number", [path]).fetchall()
    result = run_tool("dump", path)
    assert result.returncode == 0, result.stderr
    printed = [list(json.loads(line).values()) for line in result.stdout.splitlines()]
    expected = [[*row[:6], dump_value(row[6])] for row in rows]
    assert_same_rows(printed, expected, f"duckdb {compression}")


def test_dump_projection(tmp_path, run_tool):
    path = tmp_path / "projection.parquet"
    pq.write_table(reverse_table(), path, compression="zstd")
    result = run_tool("dump", path, "--columns", "ts_opt,s")
    assert result.returncode == 0, result.stderr
    columns = reverse_columns()
    assert len(result.stdout.splitlines()) == REVERSE_ROWS
    for row, line in enumerate(result.stdout.splitlines()):
        assert json.loads(line) == {"ts_opt": columns["ts_opt"][2][row], "s": columns["s"][2][row]}


def test_pyarrow_empty_table(tmp_path, run_tool):
    """pyarrow writes one row group of 0 rows whose chunks have no pages."""
    path = tmp_path / "empty.parquet"
    pq.write_table(reverse_table().slice(0, 0), path, compression="zstd")
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    result = run_tool("dump", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    meta = run_tool("meta", path)
    assert meta.returncode == 0, meta.stderr
    assert json.loads(meta.stdout)["rows"] == 0


def assert_one_line_error(result, *needles):
    assert result.returncode != 0
    message = result.stderr.strip()
    assert message, "no error message"
    # splitlines: also \r, \x0b, \x0c, \x1c-\x1e, \x85, U+2028/2029 (what a damaged name can hold).
    assert len(message.splitlines()) == 1, f"not one line: {message!r}"
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert result.stdout == ""


def test_names_with_line_breaks_stay_on_one_line(tmp_path, run_tool):
    """A column name is bytes from the file; the error quoting it is still one line (the torture
    fuzz found a damaged footer whose 'name' held \x0c and \x1c)."""
    odd = "s\nt\x0cu\x1cv\u2028w"
    table = pa.table({odd: pa.array([1, 2])})
    path = tmp_path / "odd.parquet"
    pq.write_table(table, path, compression="snappy")
    for command in ("dump",):
        assert_one_line_error(run_tool(command, path), "unsupported codec SNAPPY",
                              "s\\nt\\u{C}u\\u{1C}v\\u{2028}w", str(path))


def test_snappy_is_refused_by_name(tmp_path, run_tool):
    path = tmp_path / "snappy.parquet"
    pq.write_table(reverse_table(), path, compression="snappy")
    assert_one_line_error(run_tool("dump", path), "unsupported codec SNAPPY", str(path))


@pytest.mark.parametrize(
    "compression,name", [("gzip", "GZIP"), ("brotli", "BROTLI"), ("lz4", "LZ4_RAW")])
def test_other_codecs_are_refused_by_name(tmp_path, run_tool, compression, name):
    path = tmp_path / f"{compression}.parquet"
    pq.write_table(reverse_table(), path, compression=compression)
    assert_one_line_error(run_tool("dump", path), f"unsupported codec {name}", str(path))


@pytest.mark.parametrize("column,options,encoding", [
    ("f64", dict(use_byte_stream_split=["f64"]), "byteStreamSplit"),
])
def test_unsupported_encodings_are_refused_by_name(tmp_path, run_tool, column, options, encoding):
    path = tmp_path / f"{encoding}.parquet"
    pq.write_table(reverse_table(), path, compression="zstd", use_dictionary=False, **options)
    assert_one_line_error(
        run_tool("dump", path), "unsupported encoding", encoding, column, str(path))


@pytest.mark.parametrize("keep", [0, 3, 11, 0.5, -9, -1])
def test_truncated_file_is_refused_by_name(fixture_dir, tmp_path, run_tool, keep):
    whole = (fixture_dir / "matrix-zstd-low.parquet").read_bytes()
    length = keep if isinstance(keep, int) and keep >= 0 else (
        int(len(whole) * keep) if isinstance(keep, float) else len(whole) + keep)
    path = tmp_path / "truncated.parquet"
    path.write_bytes(whole[:length])
    for command in ("dump", "meta"):
        assert_one_line_error(run_tool(command, path), str(path))


def test_damaged_pyarrow_files_never_crash(tmp_path, run_tool):
    """Bit flips in pyarrow files (v1 and v2 pages): the tool reads or refuses, never crashes."""
    seed = int(os.environ.get("PARQUET_FUZZ_SEED") or random.randrange(2**32))
    print(f"damaged-file seed {seed}")
    rng = random.Random(seed)
    bases = []
    for options in (dict(compression="zstd"), dict(compression="none", data_page_version="2.0")):
        path = tmp_path / "base.parquet"
        pq.write_table(reverse_table().slice(0, 300), path, row_group_size=100, **options)
        bases.append(path.read_bytes())
    path = tmp_path / "damaged.parquet"
    for iteration in range(150):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        result = run_tool("dump", path, timeout=60)
        where = f"seed {seed} iteration {iteration}"
        assert result.returncode in (0, 1), f"{where}: {result.stderr[-500:]}"
        if result.returncode:
            assert str(path) in result.stderr, where


# --- page checksums ----------------------------------------------------------------------------


def flip_in_last_page(path, column=0, row_group=0, back=10):
    """Flips a bit `back` bytes before the end of a column chunk: inside its last page's stored
    bytes (a page header is at the start of a page, and the chunk ends with a page's body)."""
    meta = pq.ParquetFile(path).metadata.row_group(row_group).column(column)
    end = (meta.dictionary_page_offset or meta.data_page_offset) + meta.total_compressed_size
    data = bytearray(path.read_bytes())
    data[end - back] ^= 0x10
    path.write_bytes(bytes(data))


def test_pyarrow_verifies_our_page_checksums(fixture_dir, tmp_path):
    """Every page lake writes carries its CRC-32, and pyarrow, told to check them, accepts every
    fixture — and refuses one whose page was damaged (so it did check ours)."""
    names = sorted(p.stem for p in fixture_dir.glob("*.parquet"))
    assert len(names) > 10
    for name in names:
        pq.read_table(fixture_dir / f"{name}.parquet", page_checksum_verification=True)
    damaged = tmp_path / "damaged.parquet"
    source = next(fixture_dir / f"{n}.parquet" for n in names
                  if pq.ParquetFile(fixture_dir / f"{n}.parquet").metadata.num_rows > 1000)
    shutil.copy(source, damaged)
    flip_in_last_page(damaged)
    with pytest.raises(OSError, match="(?i)crc|checksum"):
        pq.read_table(damaged, page_checksum_verification=True)


@pytest.mark.parametrize("options", [dict(compression="zstd"), dict(compression="none"),
                                     dict(compression="none", data_page_version="2.0")],
                         ids=["v1-zstd", "v1-plain", "v2-plain"])
def test_damaged_pages_with_checksums_are_refused(tmp_path, run_tool, options):
    """A file whose writer stored page checksums (pyarrow's write_page_checksum) and whose page
    bytes were then damaged is refused with the column, row group and page named; before,
    most such flips read back as altered values with exit 0."""
    path = tmp_path / "checked.parquet"
    pq.write_table(reverse_table(), path, row_group_size=1000, write_page_checksum=True, use_dictionary=False,
                   **options)
    assert run_tool("dump", path).returncode == 0
    column = pq.ParquetFile(path).schema_arrow.names.index("s")
    flip_in_last_page(path, column=column, row_group=1)
    result = run_tool("dump", path)
    assert_one_line_error(result, str(path), "column", "row group 1", "fails its checksum")
    with pytest.raises(OSError):
        pq.read_table(path, page_checksum_verification=True)
