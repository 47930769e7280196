import Foundation
import Testing

@testable import Lake

/// The clickstream mapping of SPEC §5 (the job file's columns), in silver column order.
enum Clickstream {
    static let fields: [FieldMapping] = [
        FieldMapping(column: "event_id", path: ["eventId"], type: .string, required: true),
        FieldMapping(column: "event_type", path: ["eventType"], type: .string, required: true),
        FieldMapping(column: "user_id", path: ["userId"], type: .string, required: true),
        FieldMapping(column: "session_id", path: ["sessionId"], type: .string),
        FieldMapping(column: "page_url", path: ["pageUrl"], type: .string),
        FieldMapping(column: "event_time", path: ["timestamp"], type: .timestamp, required: true),
        FieldMapping(column: "device_type", path: ["device", "type"], type: .string),
        FieldMapping(column: "device_os", path: ["device", "os"], type: .string),
        FieldMapping(column: "device_ip", path: ["device", "ip"], type: .string),
        FieldMapping(column: "product_id", path: ["data", "productId"], type: .string),
        FieldMapping(column: "product_name", path: ["data", "productName"], type: .string),
        FieldMapping(column: "category", path: ["data", "category"], type: .string),
        FieldMapping(column: "price", path: ["data", "price"], type: .double),
        FieldMapping(column: "currency", path: ["data", "currency"], type: .string),
        FieldMapping(column: "search_query", path: ["data", "searchQuery"], type: .string),
        FieldMapping(column: "total_amount", path: ["data", "totalAmount"], type: .double),
    ]

    enum Field {
        static let eventID = 0, eventType = 1, userID = 2, sessionID = 3, pageURL = 4
        static let eventTime = 5, deviceType = 6, deviceOS = 7, deviceIP = 8, productID = 9
        static let productName = 10, category = 11, price = 12, currency = 13
        static let searchQuery = 14, totalAmount = 15
    }

    static let line = """
        {"eventId":"6f1c2d","eventType":"ADD_TO_CART","userId":"user_3001","sessionId":"9a0e",\
        "pageUrl":"/product/p-17","timestamp":"2026-01-29T19:45:48.011Z",\
        "device":{"type":"mobile","os":"Android 14","ip":"203.0.113.7"},\
        "data":{"productId":"p-17","productName":"Trail Shoe","category":"shoes","price":120.5,\
        "currency":"PLN","searchQuery":null,"totalAmount":null}}
        """

    /// The base line with `original` replaced by `replacement` (which must occur).
    static func line(replacing original: String, with replacement: String) -> String {
        precondition(line.contains(original), "\(original) is not in the base line")
        return line.replacingOccurrences(of: original, with: replacement)
    }

    /// The base line with members appended at the end of the top-level object.
    static func line(appending members: String) -> String {
        String(line.dropLast()) + "," + members + "}"
    }
}

func parse(
    _ bytes: [UInt8], _ parser: inout EventParser, _ record: inout ParsedRecord
) -> ParseOutcome {
    bytes.withUnsafeBytes {
        let outcome = parser.parse($0, into: &record)
        // The record's strings point into `bytes`: keep them readable after this returns.
        record.copyStringsIntoArena()
        return outcome
    }
}

/// Parses one line with a fresh parser; returns the outcome and the record.
func parse(
    _ text: String, fields: [FieldMapping] = Clickstream.fields,
    format: TimestampFormat = .iso8601
) -> (ParseOutcome, ParsedRecord) {
    var parser = EventParser(fields: fields, timestampFormat: format)
    var record = ParsedRecord()
    let outcome = parse(Array(text.utf8), &parser, &record)
    return (outcome, record)
}

func quarantined(_ reason: String, _ detail: String) -> ParseOutcome {
    .quarantined(reason: reason, detail: detail)
}

struct EventCase: Sendable, CustomTestStringConvertible {
    var name: String
    var line: String
    var expected: ParseOutcome
    var testDescription: String { name }
}

@Suite struct EventParserTests {
    typealias F = Clickstream.Field

    @Test func parsesTheSpecExample() throws {
        let (outcome, record) = parse(Clickstream.line)
        try #require(outcome == .accepted)
        #expect(record.fieldCount == Clickstream.fields.count)
        #expect(record.string(F.eventID) == "6f1c2d")
        #expect(record.string(F.eventType) == "ADD_TO_CART")
        #expect(record.string(F.userID) == "user_3001")
        #expect(record.string(F.sessionID) == "9a0e")
        #expect(record.string(F.pageURL) == "/product/p-17")
        #expect(record.timestampMicros(F.eventTime) == 1_769_715_948_011_000)
        #expect(record.string(F.deviceType) == "mobile")
        #expect(record.string(F.deviceOS) == "Android 14")
        #expect(record.string(F.deviceIP) == "203.0.113.7")
        #expect(record.string(F.productID) == "p-17")
        #expect(record.string(F.productName) == "Trail Shoe")
        #expect(record.string(F.category) == "shoes")
        #expect(!record.isNull(F.price) && record.double(F.price) == 120.5)
        #expect(record.string(F.currency) == "PLN")
        #expect(record.isNull(F.searchQuery) && record.string(F.searchQuery) == nil)
        #expect(record.isNull(F.totalAmount))
        let bytes = record.withString(F.deviceOS) { Array($0) }
        #expect(bytes == Array("Android 14".utf8))
    }

    static let quarantineCases: [EventCase] = [
        EventCase(
            name: "eventId as a number",
            line: Clickstream.line(replacing: #""eventId":"6f1c2d""#, with: #""eventId":123"#),
            expected: quarantined("bad_type:eventId", "expected a string, got 123")),
        EventCase(
            name: "userId missing",
            line: Clickstream.line(replacing: #""userId":"user_3001","#, with: ""),
            expected: quarantined("missing_field:userId", "userId is missing")),
        EventCase(
            name: "eventType null",
            line: Clickstream.line(
                replacing: #""eventType":"ADD_TO_CART""#, with: #""eventType":null"#),
            expected: quarantined("missing_field:eventType", "eventType is null")),
        EventCase(
            name: "timestamp missing",
            line: Clickstream.line(
                replacing: #""timestamp":"2026-01-29T19:45:48.011Z","#, with: ""),
            expected: quarantined("missing_field:timestamp", "timestamp is missing")),
        EventCase(
            name: "timestamp as epoch number",
            line: timestamp("1769715948011"),
            expected: quarantined(
                "bad_type:timestamp", "expected a timestamp string, got 1769715948011")),
        EventCase(
            name: "timestamp as boolean", line: timestamp("true"),
            expected: quarantined("bad_type:timestamp", "expected a timestamp string, got true")),
        EventCase(
            name: "timestamp as object", line: timestamp(#"{"t":1}"#),
            expected: quarantined(
                "bad_type:timestamp", "expected a timestamp string, got an object")),
        EventCase(
            name: "timestamp on 2023-02-29", line: timestamp(#""2023-02-29T10:00:00Z""#),
            expected: quarantined(
                "bad_timestamp",
                #"timestamp "2023-02-29T10:00:00Z": day out of range for the month"#)),
        EventCase(
            name: "timestamp on Feb 30", line: timestamp(#""2026-02-30""#),
            expected: quarantined(
                "bad_timestamp", #"timestamp "2026-02-30": day out of range for the month"#)),
        EventCase(
            name: "timestamp as words", line: timestamp(#""yesterday""#),
            expected: quarantined(
                "bad_timestamp", #"timestamp "yesterday": not an ISO-8601 date or date-time"#)),
        EventCase(
            name: "timestamp leap second", line: timestamp(#""2016-12-31T23:59:60Z""#),
            expected: quarantined(
                "bad_timestamp",
                #"timestamp "2016-12-31T23:59:60Z": second out of range (leap seconds are"#
                    + " not accepted)")),
        EventCase(
            name: "long bad timestamp is cut to 64 bytes",
            line: timestamp("\"" + String(repeating: "é", count: 40) + "\""),
            expected: quarantined(
                "bad_timestamp",
                "timestamp \"" + String(repeating: "é", count: 32)
                    + "…\": not an ISO-8601 date or date-time")),
        EventCase(
            name: "price as a word", line: price(#""abc""#),
            expected: quarantined("bad_type:data.price", #"expected a number, got "abc""#)),
        EventCase(
            name: "price with a leading space", line: price(#"" 12""#),
            expected: quarantined("bad_type:data.price", #"expected a number, got " 12""#)),
        EventCase(
            name: "price as an empty string", line: price(#""""#),
            expected: quarantined("bad_type:data.price", #"expected a number, got """#)),
        EventCase(
            name: "price hexadecimal", line: price(#""0x10""#),
            expected: quarantined("bad_type:data.price", #"expected a number, got "0x10""#)),
        EventCase(
            name: "price NaN", line: price(#""NaN""#),
            expected: quarantined("bad_type:data.price", #"expected a number, got "NaN""#)),
        EventCase(
            name: "price beyond Double", line: price("1e400"),
            expected: quarantined("bad_type:data.price", "number out of range: 1e400")),
        EventCase(
            name: "price string beyond Double", line: price(#""-1e400""#),
            expected: quarantined("bad_type:data.price", #"number out of range: "-1e400""#)),
        EventCase(
            name: "price boolean", line: price("true"),
            expected: quarantined("bad_type:data.price", "expected a number, got true")),
        EventCase(
            name: "price array", line: price("[120.5]"),
            expected: quarantined("bad_type:data.price", "expected a number, got an array")),
        EventCase(
            name: "invalid JSON wins over a missing field", line: #"{"userId":"u""#,
            expected: quarantined("bad_json", "unexpected end of line at byte 13")),
        EventCase(
            name: "first problem in mapping order",
            line: Clickstream.line(replacing: #""eventId":"6f1c2d""#, with: #""eventId":1"#)
                .replacingOccurrences(of: "120.5", with: "\"x\""),
            expected: quarantined("bad_type:eventId", "expected a string, got 1")),
        EventCase(
            name: "not an object", line: #" [{"eventId":"x"}]"#,
            expected: quarantined("bad_json", "not a JSON object")),
        EventCase(name: "empty", line: "", expected: quarantined("bad_json", "empty line")),
        EventCase(name: "blank", line: " \r", expected: quarantined("bad_json", "empty line")),
        EventCase(
            name: "raw NUL in a string",
            line: Clickstream.line(replacing: "Trail Shoe", with: "Trail\u{0}Shoe"),
            expected: quarantined(
                "bad_json", "unescaped control character 0x00 in string at byte 262")),
        EventCase(
            name: "invalid JSON in an unmapped member",
            line: Clickstream.line(appending: #""x":[1,]"#),
            expected: quarantined("bad_json", "expected a value, got ']' at byte 365")),
        EventCase(
            name: "bad_json: nesting 100000 deep in an unmapped member",
            line: Clickstream.line(
                appending: #""x":"# + String(repeating: "[", count: 100_000)
                    + String(repeating: "]", count: 100_000)),
            expected: quarantined("bad_json", "nesting deeper than 64 at byte 425")),
    ]

    static func timestamp(_ value: String) -> String {
        Clickstream.line(
            replacing: #""timestamp":"2026-01-29T19:45:48.011Z""#, with: #""timestamp":"# + value)
    }

    static func price(_ value: String) -> String {
        Clickstream.line(replacing: #""price":120.5"#, with: #""price":"# + value)
    }

    /// Each line's outcome is its own, whatever line the parser saw before (found by the
    /// torture corpus: `42` right after `{}` was quarantined as the `{}` was).
    @Test func aLineIsJudgedOnItsOwnAfterAnyOther() {
        let empty = #"{"eventId":"e","eventType":"PAGE_VIEW","userId":"u","timestamp":"2026-01-29T10:00:00Z","data":{}}"#
        let lines = ["{}", "42", "{}", "\"x\"", "{}", "[1]", "{}", "{\"eventId\"}", "{}", "true", Clickstream.line, "42",
                     empty, empty.replacingOccurrences(of: #""data":{}"#, with: #""data":5"#),
                     empty, empty.replacingOccurrences(of: #""data":{}"#, with: #""data":[]"#)]
        var parser = EventParser(fields: Clickstream.fields, timestampFormat: .iso8601)
        for (i, line) in lines.enumerated() {
            var record = ParsedRecord()
            let got = parse(Array(line.utf8), &parser, &record)
            var fresh = ParsedRecord()
            var freshParser = EventParser(fields: Clickstream.fields, timestampFormat: .iso8601)
            let alone = parse(Array(line.utf8), &freshParser, &fresh)
            #expect(got == alone, "line \(i) \(line) after \(i > 0 ? lines[i - 1] : "nothing")")
        }
    }

    @Test(arguments: quarantineCases)
    func quarantinesWithReason(_ event: EventCase) {
        #expect(parse(event.line).0 == event.expected)
    }

    static let acceptedCases: [EventCase] = [
        EventCase(name: "CRLF", line: Clickstream.line + "\r", expected: .accepted),
        EventCase(name: "BOM", line: "\u{FEFF}" + Clickstream.line, expected: .accepted),
        EventCase(
            name: "pretty whitespace",
            line: Clickstream.line.replacingOccurrences(of: ",\"", with: " ,\n\t\"")
                .replacingOccurrences(of: "\":", with: "\" : "),
            expected: .accepted),
        EventCase(
            name: "unmapped nested members",
            line: Clickstream.line(
                appending: #""extra":{"a":[1,{"b":null,"c":[[],{}]}],"d":-0.5e-3}"#),
            expected: .accepted),
        EventCase(
            name: "members in another order",
            line: #"{"data":{"price":1},"timestamp":"2026-01-29","userId":"u","eventType":"X","#
                + #""eventId":"e"}"#,
            expected: .accepted),
    ]

    @Test(arguments: acceptedCases)
    func acceptsEquivalentLines(_ event: EventCase) throws {
        let (outcome, record) = parse(event.line)
        try #require(outcome == event.expected)
        if event.name == "members in another order" {
            #expect(record.double(F.price) == 1)
            #expect(record.timestampMicros(F.eventTime) == 1_769_644_800_000_000)
            #expect(record.isNull(F.deviceType) && record.isNull(F.productID))
        } else {
            #expect(record.string(F.eventID) == "6f1c2d")
            #expect(record.string(F.deviceIP) == "203.0.113.7")
            #expect(record.double(F.price) == 120.5)
            #expect(record.timestampMicros(F.eventTime) == 1_769_715_948_011_000)
        }
    }
}

// MARK: mapping semantics

extension EventParserTests {
    @Test func lastDuplicateKeyWins() throws {
        let (outcome, record) = parse(Clickstream.line(appending: #""eventType":"PAGE_VIEW""#))
        try #require(outcome == .accepted)
        #expect(record.string(F.eventType) == "PAGE_VIEW")
    }

    @Test func repeatedObjectReplacesTheFirstOne() throws {
        let (outcome, record) = parse(Clickstream.line(appending: #""device":{"os":"iOS 18"}"#))
        try #require(outcome == .accepted)
        #expect(record.isNull(F.deviceType))
        #expect(record.string(F.deviceOS) == "iOS 18")
        #expect(record.isNull(F.deviceIP))
    }

    @Test func pathThroughANonObjectIsMissing() throws {
        let (outcome, record) = parse(Clickstream.line(appending: #""data":"gone""#))
        try #require(outcome == .accepted)
        for field in F.productID...F.totalAmount { #expect(record.isNull(field)) }
        let required = [
            FieldMapping(column: "t", path: ["device", "type"], type: .string, required: true)
        ]
        let deviceString = Clickstream.line(
            replacing: #"{"type":"mobile","os":"Android 14","ip":"203.0.113.7"}"#,
            with: #""mobile""#)
        #expect(
            parse(deviceString, fields: required).0
                == quarantined("missing_field:device.type", "device.type is missing"))
        let deviceArray = Clickstream.line(
            replacing: #"{"type":"mobile","os":"Android 14","ip":"203.0.113.7"}"#,
            with: #"[{"type":"mobile"}]"#)
        #expect(
            parse(deviceArray, fields: required).0
                == quarantined("missing_field:device.type", "device.type is missing"))
    }

    @Test func nestedKeysOutsideTheirPathDoNotMatch() throws {
        let line = #"{"type":"top","x":{"device":{"type":"deep"}},"device":{"kind":"y"}}"#
        let fields = [FieldMapping(column: "t", path: ["device", "type"], type: .string)]
        let (outcome, record) = parse(line, fields: fields)
        try #require(outcome == .accepted)
        #expect(record.isNull(0))
    }

    @Test func escapedKeysMatchTheirUnescapedName() throws {
        let line = Clickstream.line(
            replacing: #""eventType":"ADD_TO_CART""#, with: #""event\u0054ype":"PURCHASE""#)
        let (outcome, record) = parse(line)
        try #require(outcome == .accepted)
        #expect(record.string(F.eventType) == "PURCHASE")
    }

    @Test func stringsAreUnescaped() throws {
        let line = Clickstream.line(
            replacing: "Trail Shoe", with: #"Trail \"Shoe\" \u00e9\uD83D\uDE00\n\\\/\t\u0000!"#)
        let (outcome, record) = parse(line)
        try #require(outcome == .accepted)
        #expect(record.string(F.productName) == "Trail \"Shoe\" é😀\n\\/\t\u{0}!")
        #expect(record.string(F.category) == "shoes")
        #expect(record.string(F.currency) == "PLN")
    }

    @Test func sameFieldTwiceAndNestedAndLeafOnOnePath() throws {
        let fields = [
            FieldMapping(column: "a", path: ["d", "x"], type: .string),
            FieldMapping(column: "b", path: ["d", "x"], type: .string),
            FieldMapping(column: "c", path: ["d"], type: .string),
        ]
        let (nested, record) = parse(#"{"d":{"x":"v"}}"#, fields: fields)
        #expect(nested == quarantined("bad_type:d", "expected a string, got an object"))
        #expect(record.string(0) == "v" && record.string(1) == "v")
        let (leaf, leafRecord) = parse(#"{"d":{"x":"v"},"d":"w"}"#, fields: fields)
        try #require(leaf == .accepted)
        #expect(leafRecord.isNull(0) && leafRecord.isNull(1) && leafRecord.string(2) == "w")
    }
}

// MARK: numbers and epoch timestamps

extension EventParserTests {
    static let doubles: [(String, Double)] = [
        ("120.5", 120.5), (#""120.50""#, 120.5), ("0", 0), ("-0", -0.0), ("1.5e2", 150),
        ("1E-2", 0.01), (#""2e+3""#, 2000),
        ("123456789012345678901234567890", 1.2345678901234568e29),
        ("0.1", 0.1), ("0.30000000000000004", 0.30000000000000004), ("1e-400", 0),
        ("9007199254740993", 9_007_199_254_740_992),
        ("1.7976931348623157e308", .greatestFiniteMagnitude),
        ("4.9e-324", .leastNonzeroMagnitude), (#""\u0031\u0032""#, 12),
    ]

    @Test(arguments: doubles)
    func readsDoubles(json: String, expected: Double) throws {
        let (outcome, record) = parse(Self.price(json))
        try #require(outcome == .accepted)
        #expect(record.double(F.price) == expected)
        #expect(record.double(F.price).sign == expected.sign)
    }

    static let int64Fields = [FieldMapping(column: "n", path: ["n"], type: .int64)]

    static let integers: [(String, ParseOutcome, Int64)] = [
        ("42", .accepted, 42), ("-7", .accepted, -7), (#""42""#, .accepted, 42),
        ("-0", .accepted, 0), ("1e3", .accepted, 1000), ("1.0", .accepted, 1),
        (#""1.50e1""#, .accepted, 15), ("100e-2", .accepted, 1), ("0e999999999999", .accepted, 0),
        ("9223372036854775807", .accepted, .max), ("-9223372036854775808", .accepted, .min),
        (
            "9223372036854775808",
            quarantined("bad_type:n", "number out of range: 9223372036854775808"), 0
        ),
        ("1e19", quarantined("bad_type:n", "number out of range: 1e19"), 0),
        ("1.5", quarantined("bad_type:n", "expected an integer, got 1.5"), 0),
        ("1e-1", quarantined("bad_type:n", "expected an integer, got 1e-1"), 0),
        (#""abc""#, quarantined("bad_type:n", #"expected an integer, got "abc""#), 0),
        ("false", quarantined("bad_type:n", "expected an integer, got false"), 0),
        ("null", .accepted, 0),
    ]

    @Test(arguments: integers)
    func readsInt64(json: String, expected: ParseOutcome, value: Int64) {
        let (outcome, record) = parse(#"{"n":"# + json + "}", fields: Self.int64Fields)
        #expect(outcome == expected)
        if outcome == .accepted { #expect(record.int64(0) == value) }
    }

    static let epochs: [(TimestampFormat, String, ParseOutcome, Int64)] = [
        (.epochMillis, "1769715948011", .accepted, 1_769_715_948_011_000),
        (.epochMillis, #""1769715948011""#, .accepted, 1_769_715_948_011_000),
        (.epochMillis, "1769715948011.5", .accepted, 1_769_715_948_011_500),
        (.epochMillis, "-1000", .accepted, -1_000_000),
        (.epochSeconds, "1769715948", .accepted, 1_769_715_948_000_000),
        (.epochSeconds, "1769715948.0111239", .accepted, 1_769_715_948_011_123),
        (.epochSeconds, "1.769715948011e9", .accepted, 1_769_715_948_011_000),
        (
            .epochSeconds, "253402300800",
            quarantined("bad_timestamp", "ts 253402300800: outside the years 0001-9999"), 0
        ),
        (
            .epochMillis, "1e30",
            quarantined("bad_timestamp", "ts 1e30: outside the years 0001-9999"), 0
        ),
        (
            .epochMillis, #""soon""#,
            quarantined("bad_timestamp", #"ts "soon": not an epoch number"#), 0
        ),
        (.epochMillis, "true", quarantined("bad_type:ts", "expected an epoch number, got true"), 0),
        (
            .epochSeconds, "{}",
            quarantined("bad_type:ts", "expected an epoch number, got an object"), 0
        ),
    ]

    @Test(arguments: epochs)
    func readsEpochTimestamps(
        format: TimestampFormat, json: String, expected: ParseOutcome, micros: Int64
    ) {
        let fields = [FieldMapping(column: "ts", path: ["ts"], type: .timestamp)]
        let (outcome, record) = parse(#"{"ts":"# + json + "}", fields: fields, format: format)
        #expect(outcome == expected)
        if outcome == .accepted { #expect(record.timestampMicros(0) == micros) }
    }
}

// MARK: big inputs, reuse, fuzzing

extension EventParserTests {
    @Test func parsesTenMegabyteLine() throws {
        let name = String(repeating: "Trail Shoé ", count: 1_000_000)
        let (outcome, record) = parse(Clickstream.line(replacing: "Trail Shoe", with: name))
        try #require(outcome == .accepted)
        #expect(record.withString(F.productName) { $0.count } == name.utf8.count)
        #expect(record.string(F.category) == "shoes")
    }

    @Test func recordIsReusedWithoutGrowing() throws {
        var parser = EventParser(fields: Clickstream.fields, timestampFormat: .iso8601)
        var record = ParsedRecord()
        let search = Array(
            Clickstream.line(replacing: #""searchQuery":null"#, with: #""searchQuery":"red""#).utf8)
        let plain = Array(Clickstream.line.utf8)
        try #require(parse(search, &parser, &record) == .accepted)
        #expect(record.string(F.searchQuery) == "red")
        try #require(parse(plain, &parser, &record) == .accepted)
        #expect(record.isNull(F.searchQuery))
        let capacity = record.arena.capacity
        for index in 0..<1000 {
            let outcome = parse(index % 2 == 0 ? search : plain, &parser, &record)
            #expect(outcome == .accepted)
        }
        #expect(record.arena.capacity == capacity)
        #expect(record.string(F.eventID) == "6f1c2d" && record.isNull(F.searchQuery))
    }

    @Test func benchmarkReportsRates() {
        let lines = Array(repeating: Array(Clickstream.line.utf8), count: 10)
        let speed = EventParser.benchmark(
            lines: lines, fields: Clickstream.fields, secondsMin: 0, passCountMax: 1)
        #expect(speed.acceptedLineCount == 10)
        #expect(speed.linesPerSecond > 0 && speed.bytesPerSecond > speed.linesPerSecond)
    }
}

// MARK: fuzzing

/// A small seeded generator (SplitMix64) so a failing fuzz run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Mutates valid lines at random and checks, line by line, that the parser does not crash and
/// that it calls a line valid JSON exactly when Foundation's `JSONSerialization` does, except
/// where the two knowingly differ (`JSONSerialization` accepts trailing commas, guesses UTF-16
/// from NUL bytes and rejects numbers beyond `Double`). Set `LAKE_FUZZ_SEED` to replay a run.
@Suite struct EventParserFuzzTests {
    static let seeds: [String] = [
        Clickstream.line,
        #"{"a":[1,-2.5e3,true,false,null,{"b":"\u00e9\uD83D\uDE00\n"}],"c":"é😀€","d":{}}"#,
        #"{"eventId":"x","timestamp":"2026-01-29 19:45:48+02:00","data":{"price":"12.5"}}"#,
    ]
    static let interestingBytes: [UInt8] =
        Array(#"{}[]":,\0-+.eEu "#.utf8) + [
            0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xED, 0xEF, 0xF0, 0xF4, 0xFF,
        ]
    static let iterationCount = 20_000

    @Test func fuzzedLinesAgreeWithJSONSerialization() {
        let environment = ProcessInfo.processInfo.environment
        let seed =
            environment["LAKE_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 1...UInt64.max)
        print("EventParserFuzzTests seed \(seed) (replay: LAKE_FUZZ_SEED=\(seed) swift test)")
        var generator = SplitMix64(seed: seed)
        var parser = EventParser(fields: Clickstream.fields, timestampFormat: .iso8601)
        var record = ParsedRecord()
        var validCount = 0
        var acceptedCount = 0
        var mismatchCount = 0
        for iteration in 0..<Self.iterationCount {
            let line = Self.line(iteration, &generator)
            let outcome = parse(line, &parser, &record)
            let ours = Self.isValidJSON(outcome)
            let theirs = Self.foundationAccepts(line)
            if ours { validCount += 1 }
            if outcome == .accepted { acceptedCount += 1 }
            if ours != theirs && !Self.knownDifference(line, outcome, foundationAccepts: theirs) {
                mismatchCount += 1
                let text = String(decoding: line, as: UTF8.self).debugDescription
                Issue.record(
                    "seed \(seed) iteration \(iteration): \(outcome) vs \(theirs): \(text)")
                if mismatchCount > 5 { return }
            }
        }
        print("EventParserFuzzTests: \(validCount) valid, \(acceptedCount) accepted")
        #expect(validCount > 0 && acceptedCount > 0)
    }

    /// Every fourth line is random bytes from a JSON-ish alphabet; the others mutate a seed line.
    static func line(_ iteration: Int, _ generator: inout SplitMix64) -> [UInt8] {
        if iteration % 4 == 3 {
            let count = Int.random(in: 0...24, using: &generator)
            return (0..<count).map { _ in
                interestingBytes.randomElement(using: &generator) ?? 0
            }
        }
        var bytes = Array((seeds.randomElement(using: &generator) ?? "").utf8)
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            mutate(&bytes, &generator)
        }
        return bytes
    }

    static func mutate(_ bytes: inout [UInt8], _ generator: inout SplitMix64) {
        guard !bytes.isEmpty else { return }
        let position = Int.random(in: 0..<bytes.count, using: &generator)
        let interesting = interestingBytes.randomElement(using: &generator) ?? 0
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
        case 1: bytes[position] = interesting
        case 2: bytes.insert(interesting, at: position)
        case 3: bytes.remove(at: position)
        case 4:
            let end = min(bytes.count, position + Int.random(in: 1...16, using: &generator))
            let target = Int.random(in: 0...bytes.count, using: &generator)
            bytes.insert(contentsOf: bytes[position..<end], at: target)
        default: bytes.removeSubrange(position...)
        }
    }

    /// Our verdict on JSON validity: anything but `bad_json`, or a valid non-object.
    static func isValidJSON(_ outcome: ParseOutcome) -> Bool {
        guard case .quarantined(let reason, let detail) = outcome, reason == "bad_json" else {
            return true
        }
        return detail == "not a JSON object"
    }

    static func foundationAccepts(_ line: [UInt8]) -> Bool {
        let object = try? JSONSerialization.jsonObject(
            with: Data(line), options: [.fragmentsAllowed])
        return object != nil
    }

    static func knownDifference(
        _ line: [UInt8], _ outcome: ParseOutcome, foundationAccepts: Bool
    ) -> Bool {
        if foundationAccepts {
            // A NUL among the first four bytes makes JSONSerialization read UTF-16 or UTF-32;
            // bronze lines are UTF-8 (RFC 8259 §8.1).
            return isTrailingComma(line, outcome) || line.prefix(4).contains(0)
        }
        return hasNumberBeyondDouble(line)
    }

    /// True when our error points at a `]` or `}` right after a comma (whitespace between).
    static func isTrailingComma(_ line: [UInt8], _ outcome: ParseOutcome) -> Bool {
        guard case .quarantined(_, let detail) = outcome,
            detail.hasPrefix("expected a string key") || detail.hasPrefix("expected a value"),
            let offset = detail.split(separator: " ").last.flatMap({ Int($0) }),
            offset < line.count, line[offset] == 0x5D || line[offset] == 0x7D
        else { return false }
        let before = line[..<offset].last { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return before == 0x2C
    }

    /// A rough check for an exponent of three or more digits (`1e400`).
    static func hasNumberBeyondDouble(_ line: [UInt8]) -> Bool {
        let text = String(decoding: line, as: UTF8.self)
        return text.range(of: #"[0-9][eE][+-]?[0-9]{3,}"#, options: .regularExpression) != nil
    }
}
