import Testing

@testable import Lake

/// `timestamp_format` patterns and shop-local time (the orders job, seed 000), and the PII modes.
@Suite("Silver: timestamp patterns and PII")
struct TimestampPatternTests {
    private func parse(_ pattern: String, _ value: String, zone: String = "UTC") -> Result<Int64, TimestampParser.Problem> {
        guard case .success(let p) = TimestampPattern.compile(pattern) else { fatalError("pattern \(pattern)") }
        var z = LocalTimeZone(identifier: zone)
        return Array(value.utf8).withUnsafeBytes { p.parse($0, naiveIn: &z) }
    }

    private func iso(_ r: Result<Int64, TimestampParser.Problem>) -> String {
        switch r {
        case .success(let micros): Timestamps.iso(micros: micros)
        case .failure(let problem): "\(problem)"
        }
    }

    @Test func patternsParseWholeValues() {
        #expect(iso(parse("%Y-%m-%d %H:%M:%S", "2026-01-29 19:55:12")) == "2026-01-29T19:55:12.000Z")
        #expect(iso(parse("%d/%m/%Y %H.%M", "29/01/2026 19.55")) == "2026-01-29T19:55:00.000Z")
        #expect(iso(parse("%F %T.%f", "2026-01-29 19:55:12.1234567")) == "2026-01-29T19:55:12.123Z")
        #expect(parse("%F %T.%f", "2026-01-29 19:55:12.1234567") == .success(1_769_716_512_123_456))
        #expect(iso(parse("%Y%m%d", "20260129")) == "2026-01-29T00:00:00.000Z")
        #expect(iso(parse("%F %T%z", "2026-01-29 19:55:12+01:00")) == "2026-01-29T18:55:12.000Z")
        #expect(iso(parse("%F %T%z", "2026-01-29 19:55:12-0230")) == "2026-01-29T22:25:12.000Z")
        #expect(iso(parse("%F %T%z", "2026-01-29 19:55:12Z")) == "2026-01-29T19:55:12.000Z")
        // A zone in the value wins over the job's time zone.
        #expect(iso(parse("%F %T%z", "2026-07-01 12:00:00+00:00", zone: "Europe/Rome")) == "2026-07-01T12:00:00.000Z")
    }

    @Test func mismatchesAndRangesAreRefused() {
        #expect(parse("%Y-%m-%d %H:%M:%S", "2026-01-29T19:55:12") == .failure(.notPattern))
        #expect(parse("%Y-%m-%d %H:%M:%S", "2026-01-29 19:55:12 ") == .failure(.notPattern))
        #expect(parse("%Y-%m-%d %H:%M:%S", "2026-1-29 19:55:12") == .failure(.notPattern))
        #expect(parse("%Y-%m-%d", "2026-02-29") == .failure(.day))
        #expect(parse("%Y-%m-%d", "2028-02-29") == .success(1_835_395_200_000_000))
        #expect(parse("%Y-%m-%d", "2026-13-01") == .failure(.month))
        #expect(parse("%F %T", "2026-01-29 24:00:00") == .failure(.hour))
        #expect(parse("%F %T", "2026-01-29 23:60:00") == .failure(.minute))
        #expect(parse("%F %T", "2026-01-29 23:59:60") == .failure(.second))
        #expect(parse("%F %T%z", "2026-01-29 23:59:59+24:00") == .failure(.zoneOffset))
    }

    @Test func badPatternsAreNamed() {
        func message(_ p: String) -> String? {
            if case .failure(let e) = TimestampPattern.compile(p) { return e.message }
            return nil
        }
        #expect(message("%Y-%m-%d %H:%M:%S") == nil)
        #expect(message("%Y-%m-%d %I:%M") == "%I is not a supported directive")
        #expect(message("%Y-%m") == "the pattern has no %d")
        #expect(message("%Y-%m-%d %") == "the pattern ends with a lone %")
        #expect(message("%Y-%m-%d %Y") == "a directive appears twice")
    }

    /// Europe/Rome in 2026: summer time from 29 March 02:00 (to 03:00), back on 25 October
    /// 03:00 (to 02:00).
    @Test func romeAcrossBothChanges() {
        let p = "%Y-%m-%d %H:%M:%S"
        let rome = "Europe/Rome"
        #expect(iso(parse(p, "2026-03-29 01:59:59", zone: rome)) == "2026-03-29T00:59:59.000Z")
        #expect(parse(p, "2026-03-29 02:00:00", zone: rome) == .failure(.localTimeGap))
        #expect(parse(p, "2026-03-29 02:30:00", zone: rome) == .failure(.localTimeGap))
        #expect(iso(parse(p, "2026-03-29 03:00:00", zone: rome)) == "2026-03-29T01:00:00.000Z")
        #expect(iso(parse(p, "2026-10-25 01:59:59", zone: rome)) == "2026-10-24T23:59:59.000Z")
        // The repeated hour: its first occurrence (still summer time, +02:00).
        #expect(iso(parse(p, "2026-10-25 02:00:00", zone: rome)) == "2026-10-25T00:00:00.000Z")
        #expect(iso(parse(p, "2026-10-25 02:59:59", zone: rome)) == "2026-10-25T00:59:59.000Z")
        #expect(iso(parse(p, "2026-10-25 03:00:00", zone: rome)) == "2026-10-25T02:00:00.000Z")
        #expect(iso(parse(p, "2026-01-29 19:55:12", zone: rome)) == "2026-01-29T18:55:12.000Z")
        #expect(iso(parse(p, "2026-07-01 12:00:00", zone: rome)) == "2026-07-01T10:00:00.000Z")
    }

    @Test func theParserQuarantinesWithThePatternReason() {
        guard case .success(let p) = TimestampPattern.compile("%Y-%m-%d %H:%M:%S") else { return }
        let fields = [FieldMapping(column: "order_id", path: ["order_id"], type: .int64, required: true),
                      FieldMapping(column: "event_time", path: ["timestamp"], type: .timestamp, required: true)]
        var parser = EventParser(fields: fields, timestampFormat: .pattern(p), timeZone: "Europe/Rome")
        var record = ParsedRecord()
        func run(_ line: String) -> ParseOutcome {
            Array(line.utf8).withUnsafeBytes { parser.parse($0, into: &record) }
        }
        #expect(run(#"{"order_id": 1, "timestamp": "2026-01-29 19:55:12"}"#) == .accepted)
        #expect(record.timestampMicros(1) == 1_769_712_912_000_000)
        #expect(run(#"{"order_id": 2, "timestamp": "2026-03-29 02:15:00"}"#)
            == .quarantined(reason: "bad_timestamp", detail: "timestamp \"2026-03-29 02:15:00\": a local time the job's time zone skips (daylight saving)"))
        #expect(run(#"{"order_id": 3, "timestamp": "2026-01-29T19:55:12"}"#)
            == .quarantined(reason: "bad_timestamp", detail: "timestamp \"2026-01-29T19:55:12\": does not match the job's timestamp_format"))
    }

    @Test func piiColumnsAreHashedOrMasked() throws {
        let key = Array("0123456789abcdef0123456789abcdef".utf8)
        let fields = [FieldMapping(column: "event_time", path: ["t"], type: .timestamp, required: true),
                      FieldMapping(column: "email", path: ["c", "email"], type: .string, pii: .hash),
                      FieldMapping(column: "masked", path: ["c", "email"], type: .string, pii: .mask),
                      FieldMapping(column: "name", path: ["c", "first_name"], type: .string, pii: .mask)]
        var parser = EventParser(fields: fields, timestampFormat: .iso8601, piiKey: key)
        var record = ParsedRecord()
        let line = #"{"t": "2026-01-29T10:00:00Z", "c": {"email": "giulia.rossi@example.it", "first_name": "Èlena"}}"#
        #expect(Array(line.utf8).withUnsafeBytes { parser.parse($0, into: &record) } == .accepted)
        // HMAC-SHA256 of the address under the key (Python: hmac.new(key, msg, sha256).hexdigest()).
        #expect(record.string(1) == "50d7f1bfb370a30218900e0cfa54d212179c7a3ae22960ca4e86e59c3419d871")
        #expect(record.string(2) == "g***@example.it")
        #expect(record.string(3) == "È***")
        // The same value hashes the same; another key hashes differently.
        let first = record.string(1)
        #expect(Array(line.utf8).withUnsafeBytes { parser.parse($0, into: &record) } == .accepted)
        #expect(record.string(1) == first)
        var other = EventParser(fields: fields, timestampFormat: .iso8601, piiKey: Array("another key of 16+ bytes".utf8))
        #expect(Array(line.utf8).withUnsafeBytes { other.parse($0, into: &record) } == .accepted)
        #expect(record.string(1) != first)
    }
}
