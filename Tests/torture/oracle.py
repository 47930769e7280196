"""An independent model of silver (SPEC §3, §5 and the job file), written from the rules, not
from lake's code: what each bronze line must become — a silver row with these values, a
duplicate, or a quarantine row with this reason. The fuzz loop compares lake with it line by
line; the corpus checks that the model agrees with the corpus's hand-written expectations.

JSON is decided by Python's strict parser (no NaN/Infinity, no control characters in strings,
invalid UTF-8 rejected) plus the rules lake documents on top of RFC 8259: nesting deeper than 64
and lone UTF-16 surrogates in \\u escapes are `bad_json`, a leading UTF-8 BOM is allowed.

Any job whose timestamps are iso8601 read in UTC (clickstream, transactions): column types
string, double, int64 (an integral value however written, `1.0`, `1e3`, `"15.0e0"`, within
Int64; a fraction or anything beyond is `bad_type`) and timestamp."""

import json
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MICROS = 1_000_000
BOM = b"\xef\xbb\xbf"
DEPTH_MAX = 64
NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)
ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?\Z", re.ASCII)


class Num:
    """A JSON number, kept as its text (Python's int() refuses > 4300 digits)."""

    def __init__(self, text):
        self.text = text


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


class BadJSON(Exception):
    pass


def parse_json(line):
    """The parsed value of a line, or BadJSON."""
    if line.startswith(BOM):
        line = line[3:]
    try:
        text = line.decode("utf-8")  # strict: overlong forms, surrogates, > U+10FFFF rejected
        value = json.loads(text, parse_int=Num, parse_float=Num, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise BadJSON(str(e)) from None
    if _depth_or_surrogate(value) > DEPTH_MAX:
        raise BadJSON("too deep")
    return value


def _depth_or_surrogate(value):
    """Nesting depth (iteratively: the input may be deep); raises BadJSON on a lone surrogate."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
                raise BadJSON("lone surrogate")
        elif isinstance(v, dict):
            deepest = max(deepest, d)
            for k, x in v.items():
                stack.append((k, d))
                stack.append((x, d + 1))
        elif isinstance(v, list):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v)
    return deepest


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def days_in(month, year):
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_iso(text):
    """UTC micros of an ISO-8601 timestamp as SPEC §3 and the job file define it, or None."""
    m = ISO.match(text)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, z, sign, zh, zm = m.groups()
    y, mo, d = int(y), int(mo), int(d)
    if y < 1 or not 1 <= mo <= 12 or not 1 <= d <= days_in(mo, y):
        return None
    seconds = days_from_civil(y, mo, d) * 86400
    micros = 0
    if hh is not None:
        hh, mi, ss = int(hh), int(mi), int(ss or 0)
        if hh > 23 or mi > 59 or ss > 59:
            return None
        seconds += hh * 3600 + mi * 60 + ss
        if frac:
            micros = int((frac + "000000")[:6])
        if sign:
            zh, zm = int(zh), int(zm or 0)
            if zh > 23 or zm > 59:
                return None
            seconds -= (1 if sign == "+" else -1) * (zh * 3600 + zm * 60)
    return seconds * MICROS + micros


class Job:
    """The silver mapping and limits of a job file."""

    def __init__(self, path=REPO / "jobs" / "clickstream.toml"):
        spec = tomllib.loads(Path(path).read_text())
        self.line_bytes_max = spec["source"]["max_line_bytes"]
        s = spec["silver"]
        self.timestamp_format = s["timestamp_format"]
        assert self.timestamp_format == "iso8601", "the oracle models iso8601 only"
        # A timestamp without a zone is read in the job's timezone: the model knows UTC only.
        assert s.get("timezone", "UTC") == "UTC", "the oracle models timezone = UTC only"
        self.delay = duration(s["watermark_delay"])
        self.skew = duration(s["clock_skew_max"])
        self.columns = [(name, c["path"], c["type"], c.get("required", False))
                        for name, c in s["columns"].items()]
        self.keys = [self.columns.index(next(c for c in self.columns if c[0] == k))
                     for k in s["dedup_keys"]]
        time = s.get("time")
        self.time_index = next(i for i, c in enumerate(self.columns)
                               if c[2] == "timestamp" and (time is None or c[0] == time))


def duration(text):
    total = 0
    for n, unit in re.findall(r"([0-9]+)([smhd])", text):
        total += int(n) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    return total * MICROS


MISSING = object()


def lookup(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return MISSING
        obj = obj[part]
    return obj


def to_double(v):
    """(value, None) or (None, problem)."""
    if isinstance(v, Num):
        text = v.text
    elif isinstance(v, str) and NUMBER.match(v):
        text = v
    else:
        return None, "type"
    x = float(text)
    if x in (float("inf"), float("-inf")):
        return None, "type"
    return x, None


INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
NUMBER_PARTS = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?)([0-9]+))?\Z", re.ASCII)


def to_int64(v):
    """(value, None) or (None, problem): the exact value of a JSON number (or numeric string)
    when it is an integer within Int64, computed on the decimal digits (no float, no int() of
    huge texts)."""
    if isinstance(v, Num):
        text = v.text
    elif isinstance(v, str) and NUMBER.match(v):
        text = v
    else:
        return None, "type"
    sign, whole, fraction, exp_sign, exp_digits = NUMBER_PARTS.match(text).groups()
    fraction = fraction or ""
    exp_digits = (exp_digits or "0").lstrip("0") or "0"
    exponent = int(exp_digits) if len(exp_digits) <= 8 else 10**8  # far beyond any Int64
    exponent = -exponent if exp_sign == "-" else exponent
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return 0, None  # 0, -0, 0.000, 0e999…
    scale = exponent - len(fraction)  # the value is int(digits) × 10^scale
    stripped = digits.rstrip("0")
    scale += len(digits) - len(stripped)
    if scale < 0:
        return None, "fraction"
    if len(stripped) + scale > 19:
        return None, "range"
    value = int(stripped) * 10**scale
    value = -value if sign == "-" else value
    if not INT64_MIN <= value <= INT64_MAX:
        return None, "range"
    return value, None


def typed(job, line):
    """('quarantine', reason) or ('record', [column values], event time micros), before the
    stateful checks (clock skew, watermark, dedup)."""
    if len(line) > job.line_bytes_max:
        return ("quarantine", "too_long")
    try:
        obj = parse_json(line)
    except BadJSON:
        return ("quarantine", "bad_json")
    if not isinstance(obj, dict):
        return ("quarantine", "bad_json")
    values = []
    for name, path, kind, required in job.columns:
        v = lookup(obj, path)
        if v is MISSING or v is None:
            if required:
                return ("quarantine", f"missing_field:{path}")
            values.append(None)
            continue
        if kind == "string":
            if not isinstance(v, str):
                return ("quarantine", f"bad_type:{path}")
            values.append(v)
        elif kind == "double":
            x, problem = to_double(v)
            if problem:
                return ("quarantine", f"bad_type:{path}")
            values.append(x)
        elif kind == "int64":
            x, problem = to_int64(v)
            if problem:
                return ("quarantine", f"bad_type:{path}")
            values.append(x)
        elif kind == "timestamp":
            if not isinstance(v, str):
                return ("quarantine", f"bad_type:{path}")
            t = parse_iso(v)
            if t is None:
                return ("quarantine", "bad_timestamp")
            values.append(t)
        else:
            raise AssertionError(kind)
    return ("record", values, values[job.time_index])


class Silver:
    """The per-record watermark and dedup state (SPEC §5), fed in ingest order."""

    def __init__(self, job):
        self.job = job
        self.max_event = None
        self.keys = {}

    @property
    def watermark(self):
        return None if self.max_event is None else self.max_event - self.job.delay

    def step(self, line, ingested_at):
        """('silver', values) | ('duplicate',) | ('quarantine', reason)."""
        t = typed(self.job, line)
        if t[0] == "quarantine":
            return t
        _, values, event_time = t
        if event_time - ingested_at > self.job.skew:
            return ("quarantine", "future_timestamp")
        w = self.watermark
        if w is not None and event_time <= w:
            return ("quarantine", "late")
        key = tuple(values[i] for i in self.job.keys)
        seen = self.keys.get(key)
        if seen is not None and (w is None or seen > w):
            return ("duplicate",)
        self.keys[key] = event_time
        self.max_event = event_time if self.max_event is None else max(self.max_event, event_time)
        return ("silver", values)


def parsed_repr(line, limit=160):
    return repr(line[:limit]) + ("…" if len(line) > limit else "")


def equal_values(a, b):
    """Silver values compared exactly (floats bit for bit, -0.0 == 0.0 aside)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    return a == b

