"""The bad-input corpus: hostile lines with the outcome each must have (SPEC §3, §5, the job
file and docs/DECISIONS.md), built from a seed. Outcomes are
  ("silver", {column: value})   a silver row with these values (event_time in micros),
  ("duplicate",)                dropped as a duplicate (counted),
  ("quarantine", reason)        a quarantine row with this reason and the line as its body.

Accepted lines are ordered by event time, so none is late by accident; quarantined ones are
shuffled in between (they do not move the watermark); the watermark, dedup and clock-skew
cases come last, relative to the latest accepted event time."""

import datetime
import json
import time

from oracle import MICROS

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 1, 29, 10, 0, 0, tzinfo=UTC)
MB = 1 << 20


def micros(dt):
    return (dt - datetime.datetime(1970, 1, 1, tzinfo=UTC)) // datetime.timedelta(microseconds=1)


def iso_ms(us):
    dt = datetime.datetime(1970, 1, 1, tzinfo=UTC) + datetime.timedelta(microseconds=us)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}Z"


def q(text):
    """A JSON string literal (ASCII-escaped by json.dumps) as bytes."""
    return json.dumps(text).encode()


def event(eid, ts, etype=b'"PAGE_VIEW"', user=b'"u1"', device=None, data=None, extra=b""):
    """An event line from raw JSON value bytes (None leaves the member out)."""
    members = []
    for key, value in ((b"eventId", eid), (b"eventType", etype), (b"userId", user),
                       (b"timestamp", ts), (b"device", device), (b"data", data)):
        if value is not None:
            members.append(b'"' + key + b'":' + value)
    body = b",".join(members)
    if extra:
        body += b"," + extra if body else extra
    return b"{" + body + b"}"


def named(eid, ts, name):
    """An event whose data.productName is `name` (raw bytes inside the quotes)."""
    return event(q(eid), q(iso_ms(ts)), data=b'{"productName":"' + name + b'"}')


class Corpus:
    # Lines are built by these two (TxCorpus gives them the transactions job's shape); _with and
    # _without name members by their clickstream names, translated through KEYS.
    event = staticmethod(event)
    named = staticmethod(named)
    KEYS = {}
    line_max = MB  # the job's source.max_line_bytes

    def __init__(self, rng, now_us=None):
        self.rng = rng
        self.now = now_us if now_us is not None else int(time.time() * MICROS)
        self.n = 0
        self.accepted = []   # (event time, name, line, expected columns)
        self.rejected = []   # (name, line, reason)
        # Events that are not about timestamps share one clock, 1 s apart, so the latest ones
        # all lie within the watermark delay of each other (the tail needs recent events).
        start = micros(T0) + 5 * 3600 * MICROS
        self.tick = iter(range(start, start + 10**12, MICROS))

    def eid(self):
        self.n += 1
        return f"c{self.n}"

    # -- adding cases ----------------------------------------------------------------------

    def ok(self, name, t, line=None, eid=None, **columns):
        """An accepted event at time t (micros); `line` defaults to a plain event."""
        eid = eid if eid is not None else self.eid()
        if line is None:
            line = self.event(q(eid), q(iso_ms(t)))
        self.accepted.append((t, name, line, {"event_id": eid, "event_time": t, **columns}))

    def bad(self, name, line, reason):
        self.rejected.append((name, line, reason))

    def bad_ts(self, name, ts_value, reason="bad_timestamp"):
        self.bad(name, self.event(q(self.eid()), ts_value), reason)

    # -- the cases -------------------------------------------------------------------------

    def build(self, long_lines=True):
        self.timestamps()
        self.text_and_utf8()
        self.numbers()
        self.structure(long_lines)
        self.garbage()
        return self.ordered()

    def timestamps(self):
        base = micros(T0) - 4 * 3600 * MICROS
        step = iter(range(base, base + 10**12, 37 * MICROS))

        def at(dt):
            return micros(dt)
        # Bare dates, the epoch, the edges of the range, leap days.
        for text, dt in [("2026-01-29", datetime.datetime(2026, 1, 29, tzinfo=UTC)),
                         ("0001-01-01", datetime.datetime(1, 1, 1, tzinfo=UTC)),
                         ("2024-02-29", datetime.datetime(2024, 2, 29, tzinfo=UTC)),
                         ("2000-02-29T12:00:00Z", datetime.datetime(2000, 2, 29, 12, tzinfo=UTC)),
                         ("1970-01-01T00:00:00Z", datetime.datetime(1970, 1, 1, tzinfo=UTC)),
                         ("1900-03-01T00:00:00.000001Z", datetime.datetime(1900, 3, 1, 0, 0, 0, 1, tzinfo=UTC))]:
            eid = self.eid()
            self.ok(f"timestamp {text}", at(dt), self.event(q(eid), q(text)), eid=eid)
        eid = self.eid()
        self.ok("timestamp 1969-12-31T23:59:59.999999Z", -1,
                self.event(q(eid), q("1969-12-31T23:59:59.999999Z")), eid=eid)

        # Separators, case, optional seconds, fractions and zones: UTC instants in order.
        def variant(name, sep="T", seconds=True, frac=0, zone="Z", offset=0):
            t = next(step)
            t -= t % ((1 if seconds else 60) * MICROS)
            digits = "".join(str(self.rng.randrange(10)) for _ in range(frac))
            if digits:
                t += int((digits + "000000")[:6])
            local = (datetime.datetime(1970, 1, 1, tzinfo=UTC) + datetime.timedelta(microseconds=t)
                     + datetime.timedelta(minutes=offset))
            hms = local.strftime("%H:%M:%S" if seconds else "%H:%M")
            sign = "-" if offset < 0 else "+"
            h, m = divmod(abs(offset), 60)
            z = {"Z": "Z", "z": "z", "": "", "HH:MM": f"{sign}{h:02d}:{m:02d}",
                 "HHMM": f"{sign}{h:02d}{m:02d}", "HH": f"{sign}{h:02d}", "-00:00": "-00:00"}[zone]
            text = local.strftime("%Y-%m-%d") + sep + hms + (f".{digits}" if digits else "") + z
            eid = self.eid()
            self.ok(f"timestamp {name} {text}", t, self.event(q(eid), q(text)), eid=eid)

        variant("T Z")
        variant("space Z", sep=" ")
        variant("lower t z", sep="t", zone="z")
        variant("no zone", zone="")
        variant("space no zone", sep=" ", zone="")
        variant("no seconds Z", seconds=False)
        variant("no seconds no zone", sep=" ", seconds=False, zone="")
        for n in (1, 2, 3, 4, 5, 6, 7, 9, 12, 30):
            variant(f"{n}-digit fraction", frac=n)
        for offset, zone in [(330, "HH:MM"), (-480, "HH:MM"), (1439, "HH:MM"), (-1439, "HH:MM"),
                             (0, "HH:MM"), (0, "-00:00"), (330, "HHMM"), (-480, "HHMM"), (300, "HH"),
                             (-660, "HH"), (0, "HH")]:
            variant(f"zone {zone} {offset:+d} min", offset=offset, zone=zone)
        variant("fraction and zone", frac=9, offset=330, zone="HH:MM")
        variant("fraction no zone", frac=3, zone="")
        # An escaped timestamp string is unescaped first.
        t = next(step)
        t -= t % MICROS
        text = iso_ms(t)[:19] + "Z"
        eid = self.eid()
        self.ok("timestamp with \\u escapes", t,
                self.event(q(eid), b'"' + text[:4].encode() + b'\\u002d' + text[5:].encode() + b'"'), eid=eid)

        # Not timestamps.
        for text in ["2026-02-29", "2026-02-30T00:00:00Z", "2026-13-01", "2026-00-10", "2026-01-32",
                     "2026-04-31", "2026-01-29T24:00:00Z", "2026-01-29T23:60:00Z",
                     "2026-01-29T23:59:60Z", "2026-01-29T10:00:00+24:00", "2026-01-29T10:00:00+05:60",
                     "2026-01-29T10:00:00+5", "2026-01-29T10:00:00+05:3", "2026-01-29T10:00:00+05:",
                     "2026-01-29T10:00:00+05:30:00", "2026-1-29", "26-01-29", "2026/01/29", "2026-01-29T",
                     "2026-01-29T10", "2026-01-29T10:0", "2026-01-29T10:00:00.", "2026-01-29T10:00:00.Z",
                     "2026-01-29T10:00:00ZZ", "2026-01-29T10:00:00 Z", "2026-01-29T10:00.5Z",
                     " 2026-01-29", "2026-01-29 ", "2026-01-29\n", "", "0000-01-01", "10000-01-01T00:00:00Z",
                     "\uff12\uff10\uff12\uff16-01-29", "2026-01-29T10:00:00\u00a0Z", "yesterday", "now",
                     "NaN", "2026-01-29T10:00:00UTC", "2026-01-29T10:00:00 GMT+1", "1769680000000",
                     "2026-W05-4", "2026-029", "Thu, 29 Jan 2026 10:00:00 GMT", "2026-01-29\u0000"]:
            self.bad_ts(f"timestamp {text!r}", q(text))
        for value in [b"1769680000000", b"1769680000", b"1769680000.5", b"-1", b"0", b"true", b"false",
                      b"{}", b'{"$date":"2026-01-29T10:00:00Z"}', b"[]", b'["2026-01-29"]', b"1e400"]:
            self.bad_ts(f"timestamp {value!r}", value, "bad_type:timestamp")
        self.bad_ts("timestamp null", b"null", "missing_field:timestamp")
        self.bad("timestamp absent", self.event(q(self.eid()), None), "missing_field:timestamp")

    def text_and_utf8(self):
        tick = self.tick

        def ok_data(name, raw_value, expected, column="product_name", key="productName", **kw):
            eid = self.eid()
            ts = next(tick)
            line = self.event(q(eid), q(iso_ms(ts)), data=b'{"' + key.encode() + b'":' + raw_value + b"}", **kw)
            self.ok(name, ts, line, eid=eid, **{column: expected})

        for text in ["Z\u00fcrich", "\u65e5\u672c\u8a9e", "\U0001F600", "", "a" * 100_000,
                     "quote \" backslash \\ slash /", "\u2028\u2029", "\x7f DEL", "<script>alert(1)</script>",
                     "'; DROP TABLE gold_session_stats; --"]:
            ok_data(f"string {text[:20]!r}", json.dumps(text, ensure_ascii=False).encode(), text)
            ok_data(f"escaped string {text[:20]!r}", json.dumps(text).encode(), text)
        ok_data("surrogate pair escape", b'"\\ud83d\\ude00"', "\U0001F600")
        ok_data("escaped NUL", b'"a\\u0000b"', "a\x00b")
        ok_data("escaped slash", b'"\\/p\\/1"', "/p/1")
        ok_data("all short escapes", b'"\\b\\f\\n\\r\\t\\"\\\\"', "\b\f\n\r\t\"\\")
        # The dedup key and other strings may hold anything a JSON string can.
        for eid in ["nul\x00id", "\U0001F600-id", " ", "\n", "id" * 5000]:
            ts = next(tick)
            self.ok(f"event id {eid[:10]!r}", ts, self.event(q(eid), q(iso_ms(ts))), eid=eid)
        ts = next(tick)
        self.ok("key spelled with an escape", ts, self.event(None, q(iso_ms(ts)),
                extra=b'"event\\u0049d":"esc-key"'), eid="esc-key")
        ts = next(tick)
        eid = self.eid()
        self.ok("member given twice: the last wins", ts,
                self.event(q(eid), q(iso_ms(ts)), etype=b'"SEARCH"', extra=b'"eventType":"PURCHASE"'),
                eid=eid, event_type="PURCHASE")
        ts = next(tick)
        eid = self.eid()
        self.ok("object given twice: only the last counts", ts,
                self.event(q(eid), q(iso_ms(ts)), device=b'{"type":"mobile","os":"x"}',
                      extra=b'"device":{"type":"tv"}'),
                eid=eid, device_type="tv", device_os=None)
        for name, device in [("device not an object", b"5"), ("device an array", b'["mobile"]'),
                             ("device null", b"null"), ("device empty", b"{}")]:
            ts = next(tick)
            eid = self.eid()
            self.ok(name, ts, self.event(q(eid), q(iso_ms(ts)), device=device), eid=eid, device_type=None)
        ts = next(tick)
        eid = self.eid()
        self.ok("BOM first", ts, b"\xef\xbb\xbf" + self.event(q(eid), q(iso_ms(ts))), eid=eid)
        ts = next(tick)
        eid = self.eid()
        self.ok("CRLF line end", ts, self.event(q(eid), q(iso_ms(ts))) + b"\r", eid=eid)
        ts = next(tick)
        eid = self.eid()
        self.ok("whitespace between tokens", ts,
                b" \t\r{ \"eventId\" :\t" + q(eid) + b' ,\r"eventType":"A" , "userId" : "u1" ,"timestamp":'
                + q(iso_ms(ts)) + b" }\t \r", eid=eid, event_type="A")
        ts = next(tick)
        eid = self.eid()
        self.ok("extra members and nesting up to depth 64", ts,
                self.event(q(eid), q(iso_ms(ts)), extra=b'"x":' + b"[" * 63 + b"]" * 63), eid=eid)

        # Invalid UTF-8 and control characters.
        for name, raw in [("0xFF", b"\xff"), ("lone continuation", b"\x80"), ("overlong /", b"\xc0\xaf"),
                          ("overlong NUL", b"\xc0\x80"), ("UTF-8 surrogate", b"\xed\xa0\x80"),
                          ("above U+10FFFF", b"\xf4\x90\x80\x80"), ("truncated sequence", b"\xe2\x82"),
                          ("5-byte form", b"\xf8\x88\x80\x80\x80"), ("Latin-1 text", "Z\u00fcrich".encode("latin-1"))]:
            self.bad(f"invalid UTF-8 {name} in a value", self.event(q(self.eid()), q(iso_ms(next(tick))),
                     data=b'{"productName":"' + raw + b'"}'), "bad_json")
            self.bad(f"invalid UTF-8 {name} in a key", self.event(q(self.eid()), q(iso_ms(next(tick))),
                     extra=b'"k' + raw + b'":1'), "bad_json")
        self.bad("invalid UTF-8 between tokens", b"\xff" + self.event(q(self.eid()), q(iso_ms(next(tick)))),
                 "bad_json")
        for name, raw in [("NUL", b"\x00"), ("0x01", b"\x01"), ("0x1F", b"\x1f"), ("TAB", b"\t"),
                          ("CR", b"\r")]:
            self.bad(f"raw {name} in a string", self.event(q("x" + self.eid()) [:-1] + raw + b'"',
                     q(iso_ms(next(tick)))), "bad_json")
        for name, esc in [("\\x41", b"\\x41"), ("\\u12", b"\\u12"), ("\\U0041", b"\\U0041"),
                          ("\\u12G4", b"\\u12G4"), ("lone high surrogate", b"\\ud800"),
                          ("lone low surrogate", b"\\udc00"), ("reversed pair", b"\\udc00\\ud800"),
                          ("high then letter", b"\\ud800a"), ("backslash at end", b"\\")]:
            self.bad(f"escape {name}", self.event(b'"' + esc + b'"', q(iso_ms(next(tick)))), "bad_json")
        self.bad("NUL between tokens", self.event(q(self.eid()), q(iso_ms(next(tick)))).replace(b",", b",\x00", 1),
                 "bad_json")
        self.bad("NUL after the object", self.event(q(self.eid()), q(iso_ms(next(tick)))) + b"\x00", "bad_json")
        self.bad("UTF-16 BOM", b"\xff\xfe" + self.event(q(self.eid()), q(iso_ms(next(tick)))), "bad_json")
        self.bad("two UTF-8 BOMs", b"\xef\xbb\xbf" * 2 + self.event(q(self.eid()), q(iso_ms(next(tick)))),
                 "bad_json")
        self.bad("BOM after a space", b" \xef\xbb\xbf" + self.event(q(self.eid()), q(iso_ms(next(tick)))),
                 "bad_json")
        self.bad("UTF-16LE text", self.event(q(self.eid()), q(iso_ms(next(tick)))).decode().encode("utf-16-le"),
                 "bad_json")

        # Wrong types and missing fields.
        for field in ("eventId", "eventType", "userId"):
            self.bad(f"{field} absent", self._without(field, next(tick)), f"missing_field:{field}")
            self.bad(f"{field} null", self._with(field, b"null", next(tick)), f"missing_field:{field}")
            for value in (b"5", b"1e400", b"true", b"{}", b"[]", b'["x"]'):
                self.bad(f"{field} = {value!r}", self._with(field, value, next(tick)), f"bad_type:{field}")
        for path, value in [("device.type", b"5"), ("device.os", b"true"), ("device.ip", b"[1]"),
                            ("data.productId", b"17"), ("data.category", b"{}")]:
            top, key = path.split(".")
            line = self.event(q(self.eid()), q(iso_ms(next(tick))), **{top: b'{"' + key.encode() + b'":' + value + b"}"})
            self.bad(f"{path} = {value!r}", line, f"bad_type:{path}")
        self.bad("first problem wins (eventType before timestamp)",
                 self.event(q(self.eid()), b'"not a time"', etype=b"7"), "bad_type:eventType")

    def _without(self, field, ts):
        line = self.event(q(self.eid()), q(iso_ms(ts)))
        obj = json.loads(line)
        del obj[self.KEYS.get(field, field)]
        return json.dumps(obj).encode()

    def _with(self, field, raw, ts):
        line = self.event(q(self.eid()), q(iso_ms(ts)))
        obj = json.loads(line)
        obj[self.KEYS.get(field, field)] = "\x00MARK"
        return json.dumps(obj).encode().replace(b'"\\u0000MARK"', raw)

    def numbers(self):
        tick = self.tick
        for raw, expected in [(b"1e308", 1e308), (b"1.7976931348623157e308", 1.7976931348623157e308),
                              (b"-1.7976931348623157e308", -1.7976931348623157e308), (b"5e-324", 5e-324),
                              (b"4.9406564584124654e-324", 5e-324), (b"1e-400", 0.0), (b"-0", -0.0),
                              (b"-0.0e-7", -0.0), (b"0.1", 0.1), (b"120.5", 120.5), (b"1E2", 100.0),
                              (b"1e+2", 100.0), (b'"120.50"', 120.5), (b'"\\u0031\\u0032"', 12.0),
                              (b'"-0"', -0.0), (b'"1e308"', 1e308), (b'"\\u00312"', 12.0),
                              (b"123456789012345678901234567890", 1.2345678901234568e29),
                              (b"9007199254740993", 9007199254740992.0),
                              (b"2.2250738585072011e-308", 2.225073858507201e-308),
                              (b"1" + b"0" * 400 + b"e-400", 1.0), (b"0." + b"0" * 100_000 + b"1", 0.0),
                              (b"1" + b"0" * 300, 1e300), (b"1.00000000000000011102230246251565404236316680908203125", 1.0)]:
            eid = self.eid()
            ts = next(tick)
            self.ok(f"price {raw[:30]!r}", ts, self.event(q(eid), q(iso_ms(ts)), data=b'{"price":' + raw + b"}"),
                    eid=eid, price=expected)
        for raw in [b"1e309", b"-1e309", b"1" * 100_000, b"1e99999999999999999999", b'"0x10"', b'"NaN"',
                    b'"Infinity"', b'" 12"', b'"12 "', b'""', b'"1,5"', b'"1e309"', b"true", b"{}", b"[]"]:
            self.bad(f"price {raw[:30]!r}", self.event(q(self.eid()), q(iso_ms(next(tick))),
                     data=b'{"price":' + raw + b"}"), "bad_type:data.price")
        for raw in [b"NaN", b"Infinity", b"-Infinity", b"01", b"1.", b".5", b"+1", b"1e", b"--1", b"1e+",
                    b"0x10", b"1_000", b"\xef\xbc\x91"]:
            self.bad(f"price {raw!r} (not JSON)", self.event(q(self.eid()), q(iso_ms(next(tick))),
                     data=b'{"price":' + raw + b"}"), "bad_json")

        # Gold: revenue sums in integer micro-units must neither overflow nor crash.
        ts = next(tick)
        for amount in (b"8e12", b"8e12", b"1e308"):
            eid = self.eid()
            ts += MICROS
            self.ok(f"purchase of {amount.decode()} (gold revenue)", ts,
                    self.event(q(eid), q(iso_ms(ts)), etype=b'"PURCHASE"', user=b'"whale"',
                          data=b'{"totalAmount":' + amount + b"}"),
                    eid=eid, total_amount=float(amount))

    def structure(self, long_lines):
        tick = self.tick
        self.bad("empty object", b"{}", "missing_field:eventId")
        for text in [b"", b" ", b"\t", b"\r", b"[]", b'"text"', b"42", b"null", b"true",
                     b'[{"eventId":"x"}]', b"{", b"}", b'{"eventId"}', b'{"eventId":}', b"{'eventId':'x'}",
                     b'{eventId:"x"}', b'{"a":1,}', b'{"a":1 "b":2}', b'{"a":1}{"b":2}', b'{"a":1} x',
                     b'{"a":1} // comment', b'{"a":"unterminated}', b'{"a":[1,2}', b'{"a":tru}',
                     b'{"a":nul}', b'{"a":True}']:
            self.bad(f"not an event object {text[:30]!r}", text, "bad_json")
        self.bad("event then garbage", self.event(q(self.eid()), q(iso_ms(next(tick)))) + b" junk", "bad_json")
        self.bad("depth 65", self.event(q(self.eid()), q(iso_ms(next(tick))), extra=b'"x":' + b"[" * 64 + b"]" * 64),
                 "bad_json")
        self.bad("deep nesting on a mapped path", self.event(q(self.eid()), q(iso_ms(next(tick))),
                 data=b'{"price":' + b"[" * 100 + b"]" * 100 + b"}"), "bad_json")
        self.bad("10^6 open brackets (under the line limit)", b"[" * 10**6, "bad_json")
        self.bad("10^6 open braces", b'{"a":' * 150_000, "bad_json")
        # The line limit (source.max_line_bytes; clickstream's is 1 MiB): at the limit a line is
        # parsed, above it it is quarantined unparsed.
        eid = self.eid()
        ts = next(tick)
        fill = self.line_max - len(self.named(eid, ts, b""))
        self.ok("line of exactly max_line_bytes", ts, self.named(eid, ts, b"p" * fill), eid=eid,
                product_name="p" * fill)
        eid = self.eid()
        ts = next(tick)
        self.bad("line of max_line_bytes + 1", self.named(eid, ts, b"p" * (fill + 1)), "too_long")
        self.bad("10^6-deep nesting, closed (2 MB)", b"[" * 10**6 + b"]" * 10**6, "too_long")
        if long_lines:
            self.bad("50 MB line", self.named(self.eid(), next(tick), b"0123456789" * (5 * MB)), "too_long")

    def garbage(self):
        for k in range(12):
            n = self.rng.choice([1, 7, 100, 4096, 70_000])
            blob = bytes(self.rng.randrange(256) for _ in range(n)).replace(b"\n", b"\xfe")
            self.bad(f"binary garbage {k} ({n} bytes)", b"\xff" + blob, "bad_json")

    # -- order -----------------------------------------------------------------------------

    def ordered(self):
        accepted = sorted(self.accepted, key=lambda a: a[0])
        latest = accepted[-1][0]
        w = latest - 600 * MICROS
        # Tail: watermark, dedup and clock skew, relative to the latest accepted event.
        recent = [a for a in accepted if a[0] > w + 60 * MICROS]
        bare_date = next(a for a in accepted if a[1] == "timestamp 2026-01-29")
        tail = []
        for t, name, line, cols in self.rng.sample(recent, 3):
            tail.append((f"exact copy of {name}", line, ("duplicate",)))
        t, name, line, cols = recent[-1]
        tail.append((f"same event id as {name}, other content",
                     self.event(q(cols["event_id"]), q(iso_ms(w + 30 * MICROS)), etype=b'"PURCHASE"'),
                     ("duplicate",)))
        tail.append(("exact copy of an event the watermark passed", bare_date[2], ("quarantine", "late")))
        tail.append(("event exactly at the watermark", self.event(q(self.eid()), q(iso_ms(w))),
                     ("quarantine", "late")))
        eid = self.eid()
        tail.append(("event 1 µs after the watermark", self.event(q(eid), q(iso_ms(w + 1))),
                     ("silver", {"event_id": eid, "event_time": w + 1})))
        tail.append(("event an hour late", self.event(q(self.eid()), q(iso_ms(latest - 3600 * MICROS))),
                     ("quarantine", "late")))
        tail.append(("event 2 h in the future", self.event(q(self.eid()), q(iso_ms(self.now + 7200 * MICROS))),
                     ("quarantine", "future_timestamp")))
        tail.append(("event in year 9999", self.event(q(self.eid()), q("9999-12-31T23:59:59.999999Z")),
                     ("quarantine", "future_timestamp")))
        eid = self.eid()
        soon = self.now - self.now % 1000 + 1800 * MICROS
        tail.append(("event 30 min in the future (last: it moves the watermark to now)",
                     self.event(q(eid), q(iso_ms(soon))), ("silver", {"event_id": eid, "event_time": soon})))

        body = [(name, line, ("silver", cols)) for _, name, line, cols in accepted]
        for name, line, reason in self.rejected:
            body.insert(self.rng.randrange(len(body) + 1), (name, line, ("quarantine", reason)))
        return body + tail


def big_line_cases():
    """Lines for a job with max_line_bytes = 64 MiB: 50 MB lines and 10^6-deep nesting parsed."""
    ts = micros(T0)
    value = "0123456789" * (5 * MB)
    return [
        ("50 MB event", named("big-1", ts, value.encode()),
         ("silver", {"event_id": "big-1", "event_time": ts, "product_name": value})),
        ("50 MB of whitespace inside an event",
         event(b'"big-2"', q(iso_ms(ts + MICROS))).replace(b",", b"," + b" " * (50 * MB), 1),
         ("silver", {"event_id": "big-2", "event_time": ts + MICROS})),
        ("50 MB of garbage", b"x" * (50 * MB), ("quarantine", "bad_json")),
        ("50 MB string with invalid UTF-8 at its end",
         named("big-3", ts + 2 * MICROS, b"a" * (50 * MB) + b"\xff"),
         ("quarantine", "bad_json")),
        ("10^6-deep nesting, closed", b"[" * 10**6 + b"]" * 10**6, ("quarantine", "bad_json")),
        ("10^6-deep objects", b'{"a":' * 10**6 + b"1" + b"}" * 10**6, ("quarantine", "bad_json")),
        ("10^6-deep nesting inside an event",
         event(b'"big-4"', q(iso_ms(ts + 3 * MICROS)), extra=b'"x":' + b"[" * 10**6 + b"]" * 10**6),
         ("quarantine", "bad_json")),
    ]



# -- the same corpus for the transactions job ------------------------------------------------------

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)


def python_iso(us):
    """A zone-less timestamp as Python's datetime.isoformat() writes it (no fraction when the
    microseconds are 0): what the transactions job's producers send (SPEC §12)."""
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)
    return dt.isoformat()


def short(raw):
    """A raw value for a case name, unique however long it is."""
    return repr(raw) if len(raw) <= 40 else f"{raw[:20]!r}…{raw[-8:]!r} ({len(raw)} bytes)"


class TxCorpus(Corpus):
    """The same hostile corpus in the transactions job's shape (SPEC §12): `eventId` becomes
    `transaction_id`, `userId` `user_id`, `eventType` `payment_method`; a `data` object that
    holds only `price` or `totalAmount` becomes `amount` (required: 12.5 when a line has none),
    one that holds only `productName` becomes `category` (a gold group key); every line gets a
    city and a quantity. The line limit is the job's (64 KiB). Then the cases only this job
    has: int64 quantities, the required double amount, zone-less Python timestamps, and gold's
    extremes (sums that saturate, group keys that are NULL, empty, NUL, 60 KB long or SQL,
    bursts that raise alerts, ties at the top).

    The outcome of each line is the model's (oracle.py, stepped in ingest order), so build()
    gives (name, line, hand) where `hand` is None or an outcome written out here, which the model
    must agree with (a check of the model itself, as the clickstream corpus's expectations are)."""

    KEYS = {"eventId": "transaction_id", "userId": "user_id", "eventType": "payment_method"}

    def __init__(self, rng, job, now_us=None):
        super().__init__(rng, now_us)
        self.job = job
        self.line_max = job.line_bytes_max
        self.hand = {}

    @staticmethod
    def event(eid, ts, etype=b'"Credit Card"', user=b'"USER_101"', device=None, data=None, extra=b""):
        amount, category = b"12.5", None
        if data is not None:
            for prefix, field in ((b'{"price":', "amount"), (b'{"totalAmount":', "amount"),
                                  (b'{"productName":', "category")):
                if data.startswith(prefix) and data.endswith(b"}"):
                    value = data[len(prefix):-1]
                    amount, category = (value, category) if field == "amount" else (amount, value)
                    data = None
                    break
        members = []
        for key, value in ((b"transaction_id", eid), (b"user_id", user), (b"city", b'"Milano"'),
                           (b"category", category), (b"amount", amount), (b"quantity", b"1"),
                           (b"payment_method", etype), (b"timestamp", ts), (b"device", device),
                           (b"data", data)):
            if value is not None:
                members.append(b'"' + key + b'":' + value)
        body = b",".join(members)
        if extra:
            body += b"," + extra if body else extra
        return b"{" + body + b"}"

    @staticmethod
    def named(eid, ts, name):
        return TxCorpus.event(q(eid), q(iso_ms(ts)), data=b'{"productName":"' + name + b'"}')

    def build(self, long_lines=True):
        self.timestamps()
        self.text_and_utf8()
        self.numbers()
        self.structure(long_lines)
        self.garbage()
        self.transactions()
        return self.ordered()

    def tx(self, name, hand=None, **members):
        """A transaction at the next tick; members are raw JSON values (None leaves one out)."""
        eid = self.eid()
        ts = next(self.tick)
        fields = {"transaction_id": q(eid), "user_id": b'"USER_102"', "city": b'"Roma"',
                  "category": b'"Books"', "amount": b"19.99", "quantity": b"2",
                  "payment_method": b'"Cash"', "timestamp": q(python_iso(ts))}
        fields.update(members)
        line = b"{" + b",".join(b'"' + k.encode() + b'":' + v for k, v in fields.items()
                                if v is not None) + b"}"
        self.ok(name, ts, line, eid=eid)  # ordered() sorts every line out again with the model
        if hand is not None:
            self.hand[name] = hand
        return eid, ts

    def transactions(self):
        # int64: any integral value, however written, within Int64.
        for raw, value in [(b"1.0", 1), (b"1e3", 1000), (b'"15.0e0"', 15), (b"-0", 0), (b"0e99999999999999999999", 0),
                           (b"92233720368547758070e-1", INT64_MAX), (b"9223372036854775807", INT64_MAX),
                           (b"-9223372036854775808", INT64_MIN), (b'"-9223372036854775808"', INT64_MIN),
                           (b"1" + b"0" * 18, 10**18), (b"123.4500e2", 12345), (b"0." + b"0" * 1000, 0),
                           (b"5E+0", 5), (b"null", None)]:
            self.tx(f"quantity {short(raw)}", ("silver", {"quantity": value}), quantity=raw)
        for raw in [b"1.5", b"9223372036854775808", b"-9223372036854775809", b"1e19", b"1e-400",
                    b"1e99999999999999999999", b"0." + b"0" * 1000 + b"1", b"1" + b"0" * 60_000,
                    b"1e1000000", b'"1,5"', b'" 1"', b'"two"', b'""', b"true", b"[]", b"{}", b'"0x10"',
                    b"9.223372036854775808e18", b"-1e-1"]:
            self.tx(f"quantity {short(raw)}", ("quarantine", "bad_type:quantity"), quantity=raw)
        for raw in [b"NaN", b"Infinity", b"01", b"1.", b"+1", b"0x10"]:
            self.tx(f"quantity {raw!r} (not JSON)", ("quarantine", "bad_json"), quantity=raw)
        # The required double amount.
        self.tx("amount absent", ("quarantine", "missing_field:amount"), amount=None)
        self.tx("amount null", ("quarantine", "missing_field:amount"), amount=b"null")
        for raw, value in [(b'"120.50"', 120.5), (b"-0", -0.0), (b"5e-324", 5e-324), (b"1e-400", 0.0),
                           (b"1.7976931348623157e308", 1.7976931348623157e308), (b"249.99", 249.99)]:
            self.tx(f"amount {raw[:30]!r}", ("silver", {"amount": value}), amount=raw)
        for raw in [b"1e309", b'"abc"', b'"12,50"', b"true", b"[1]"]:
            self.tx(f"amount {raw[:30]!r}", ("quarantine", "bad_type:amount"), amount=raw)
        # The first problem in mapping order wins: user_id before amount before the timestamp.
        self.tx("user_id and amount bad", ("quarantine", "missing_field:user_id"), user_id=None,
                amount=b'"x"', timestamp=b"7")
        # Zone-less timestamps (Python's isoformat), read in the job's timezone (UTC).
        base = next(self.tick)
        base -= base % MICROS
        self.tx("python isoformat with microseconds", ("silver", {"event_time": base + 123456}),
                timestamp=q(python_iso(base + 123456)))
        base = next(self.tick)
        base -= base % MICROS
        self.tx("python isoformat on a whole second", ("silver", {"event_time": base}),
                timestamp=q(python_iso(base)))
        base = next(self.tick)
        self.tx("python isoformat of an aware datetime (+02:00)", ("silver", {"event_time": base}),
                timestamp=q(python_iso(base + 7200 * MICROS) + "+02:00"))
        self.tx("timestamp 29/01/2026 10:15", ("quarantine", "bad_timestamp"), timestamp=q("29/01/2026 10:15"))
        # Gold's extremes: sums beyond Int64 (micro-units for amounts), in one minute and group.
        for amount, quantity in [(b"1e308", INT64_MAX), (b"1e308", INT64_MAX), (b"-1e308", INT64_MIN),
                                 (b"8e12", 1), (b"8e12", -1), (b"-8e12", INT64_MAX), (b"5e-324", 1)]:
            self.tx(f"whale amount {amount.decode()} quantity {quantity}", None, user_id=b'"whale"',
                    category=b'"Whales"', city=b'"Whale City"', amount=amount, quantity=str(quantity).encode())
        # Hostile group keys (gold_sales_per_minute by category, the city and payment totals),
        # each twice so a group has more than one row; a burst of one NUL-bearing user (alerts).
        for key, raw in [("null", b"null"), ("empty", b'""'), ("NUL", b'"\\u0000"'), ("NULL text", b'"NULL"'),
                         ("emoji", q("\U0001F600")), ("SQL", q("'); DROP TABLE gold_totals; --")),
                         ("60 KB", q("k" * 60_000)), ("quote and backslash", b'"\\"\\\\"'),
                         ("escaped NUL inside", b'"a\\u0000b"'), ("Zurich", q("Z\u00fcrich"))]:
            for n in range(2):
                self.tx(f"group key {key} #{n}", None, category=raw, city=raw if len(raw) < 1000 else b'"x"',
                        payment_method=raw if len(raw) < 1000 else b'"y"', user_id=b'"u\'\\"x\\\\"')

    def ordered(self):
        """Every line sorted out again by the model's stateless checks (a clickstream line may
        fare otherwise here); accepted ones in event time order, the others shuffled in between,
        then the watermark, dedup and clock-skew tail relative to the latest accepted event."""
        import oracle
        accepted, rejected = [], []
        for name, line in [(a[1], a[2]) for a in self.accepted] + [(r[0], r[1]) for r in self.rejected]:
            typed = oracle.typed(self.job, line)
            if typed[0] == "record":
                accepted.append((typed[2], name, line, typed[1]))
            else:
                rejected.append((name, line))
        accepted.sort(key=lambda a: a[0])
        latest = accepted[-1][0]
        w = latest - self.job.delay
        recent = [a for a in accepted if a[0] > w + 60 * MICROS]
        key = self.job.keys[0]
        tail = [(f"exact copy of {name}", line) for _, name, line, _ in self.rng.sample(recent, 3)]
        _, name, _, values = recent[-1]
        tail += [
            (f"same transaction id as {name}, other content",
             self.event(q(values[key]), q(iso_ms(w + 30 * MICROS)), etype=b'"PayPal"')),
            ("exact copy of an event the watermark passed", accepted[0][2]),
            ("event exactly at the watermark", self.event(q(self.eid()), q(iso_ms(w)))),
            ("event 1 µs after the watermark", self.event(q(self.eid()), q(python_iso(w + 1)))),
            ("event an hour late", self.event(q(self.eid()), q(iso_ms(latest - 3600 * MICROS)))),
            ("event 2 h in the future", self.event(q(self.eid()), q(iso_ms(self.now + 7200 * MICROS)))),
            ("event in year 9999", self.event(q(self.eid()), q("9999-12-31T23:59:59.999999"))),
            ("event 30 min in the future (last: it moves the watermark to now)",
             self.event(q(self.eid()), q(python_iso(self.now - self.now % 1000 + 1800 * MICROS)))),
        ]
        body = [(name, line) for _, name, line, _ in accepted]
        for name, line in rejected:
            body.insert(self.rng.randrange(len(body) + 1), (name, line))
        return [(name, line, self.hand.get(name)) for name, line in body + tail]
