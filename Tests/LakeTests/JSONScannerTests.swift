import Foundation
import Testing

@testable import Lake

/// One line for the scanner: text, or raw bytes for what a Swift string cannot hold.
struct ScanCase: Sendable, CustomTestStringConvertible {
    var bytes: [UInt8]
    var expected: String?
    var testDescription: String {
        String(decoding: bytes.prefix(60), as: UTF8.self).debugDescription
    }

    init(_ text: String, _ expected: String? = nil) {
        bytes = Array(text.utf8)
        self.expected = expected
    }

    init(_ parts: [[UInt8]], _ expected: String? = nil) {
        bytes = parts.flatMap { $0 }
        self.expected = expected
    }
}

func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Scans `bytes` with `scanner`; nil when valid, else the quarantine detail.
func scanDetail(_ bytes: [UInt8], _ scanner: inout JSONScanner) -> String? {
    bytes.withUnsafeBytes { line -> String? in
        do throws(JSONScanError) {
            try scanner.scan(line)
            return nil
        } catch {
            return error.detail
        }
    }
}

func scanDetail(_ bytes: [UInt8]) -> String? {
    var scanner = JSONScanner(paths: [])
    return scanDetail(bytes, &scanner)
}

@Suite struct JSONScannerTests {
    static let nested64 = String(repeating: "[", count: 63) + String(repeating: "]", count: 63)

    static let valid: [ScanCase] = [
        ScanCase("{}"),
        ScanCase(" {  } "),
        ScanCase("\t{\n\"a\"\r:\t1 ,\"b\" :[ ] }\r"),
        ScanCase("{}\r"),
        ScanCase("{\"a\":1}"),
        ScanCase("{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false,\"e\":{}}"),
        ScanCase("{\"n\":[0,-0,1.5,-1.5e10,1E+2,1e-2,0.0e0,2E-0,123456789012345678901234567890]}"),
        ScanCase("{\"n\":1e400,\"m\":-1e-400}"),
        ScanCase(#"{"s":"\"\\\/\b\f\n\r\t\u00e9\u00E9\uD83D\uDE00\u0000"}"#),
        ScanCase("{\"s\":\"é€😀 \u{7F}\u{10FFFF}\"}"),
        ScanCase("{\"é\":\"x\",\"\":\"\"}"),
        ScanCase("{\"a\":\"" + String(repeating: "x", count: 1000) + "\"}"),
        ScanCase("{\"a\":\"1234567\\\"\"}"),
        ScanCase("{\"a\":" + nested64 + "}"),
        ScanCase([[0xEF, 0xBB, 0xBF], utf8("{\"a\":1}")]),
        ScanCase([utf8("{\"a\":\""), [0xF4, 0x8F, 0xBF, 0xBF], utf8("\"}")]),
        ScanCase([utf8("{\"a\":\""), [0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80], utf8("\"}")]),
        ScanCase("{\"a\":1,\"a\":2}"),
    ]

    @Test(arguments: valid)
    func acceptsValidJSON(_ line: ScanCase) {
        #expect(scanDetail(line.bytes) == nil)
    }

    static let invalid: [ScanCase] = [
        ScanCase("", "empty line"),
        ScanCase("  \t\r", "empty line"),
        ScanCase([[0xEF, 0xBB, 0xBF]], "empty line"),
        ScanCase("[1,2]", "not a JSON object"),
        ScanCase("\"x\"", "not a JSON object"),
        ScanCase(" 42 ", "not a JSON object"),
        ScanCase("null", "not a JSON object"),
        ScanCase("[1,2", "unexpected end of line at byte 4"),
        ScanCase("{\"a\":1", "unexpected end of line at byte 6"),
        ScanCase("{\"a\":", "unexpected end of line at byte 5"),
        ScanCase("{\"a\"", "unexpected end of line at byte 4"),
        ScanCase("{\"a\":\"abc", "unexpected end of line at byte 9"),
        ScanCase("{\"a\":\"abc\\", "unexpected end of line at byte 10"),
        ScanCase("{", "unexpected end of line at byte 1"),
        ScanCase("{\"a\" 1}", "expected ':' at byte 5"),
        ScanCase("{\"a\":1,}", "expected a string key at byte 7"),
        ScanCase("{,}", "expected a string key at byte 1"),
        ScanCase("{a:1}", "expected a string key at byte 1"),
        ScanCase("{'a':1}", "expected a string key at byte 1"),
        ScanCase("{\"a\":1 \"b\":2}", "expected ',' or '}' at byte 7"),
        ScanCase("{\"a\":[1 2]}", "expected ',' or ']' at byte 8"),
        ScanCase("{\"a\":[1,]}", "expected a value, got ']' at byte 8"),
        ScanCase("{\"a\":}", "expected a value, got '}' at byte 5"),
        ScanCase("{\"a\":01}", "leading zero in number at byte 5"),
        ScanCase("{\"a\":-01}", "leading zero in number at byte 5"),
        ScanCase("{\"a\":+1}", "expected a value, got '+' at byte 5"),
        ScanCase("{\"a\":.5}", "expected a value, got '.' at byte 5"),
        ScanCase("{\"a\":1.}", "invalid number at byte 7"),
        ScanCase("{\"a\":1.e5}", "invalid number at byte 7"),
        ScanCase("{\"a\":1e}", "invalid number at byte 7"),
        ScanCase("{\"a\":1e+}", "invalid number at byte 8"),
        ScanCase("{\"a\":-}", "invalid number at byte 6"),
        ScanCase("{\"a\":-a}", "invalid number at byte 6"),
        ScanCase("{\"a\":0x10}", "expected ',' or '}' at byte 6"),
        ScanCase("{\"a\":NaN}", "expected a value, got 'N' at byte 5"),
        ScanCase("{\"a\":Infinity}", "expected a value, got 'I' at byte 5"),
        ScanCase("{\"a\":tru}", "invalid literal at byte 5"),
        ScanCase("{\"a\":nul", "invalid literal at byte 5"),
        ScanCase("{\"a\":True}", "expected a value, got 'T' at byte 5"),
        ScanCase("{\"a\":truex}", "expected ',' or '}' at byte 9"),
        ScanCase(#"{"a":"\x"}"#, "invalid escape sequence at byte 6"),
        ScanCase(#"{"a":"\U0041"}"#, "invalid escape sequence at byte 6"),
        ScanCase(#"{"a":"\u12G4"}"#, "invalid \\u escape at byte 6"),
        ScanCase(#"{"a":"\u12"}"#, "invalid \\u escape at byte 6"),
        ScanCase(#"{"a":"\uD800"}"#, "lone UTF-16 surrogate in \\u escape at byte 6"),
        ScanCase(#"{"a":"\uDC00\uD800"}"#, "lone UTF-16 surrogate in \\u escape at byte 6"),
        ScanCase(#"{"a":"\uD800\u0041"}"#, "lone UTF-16 surrogate in \\u escape at byte 6"),
        ScanCase(#"{"a":"\uD800\uD800"}"#, "lone UTF-16 surrogate in \\u escape at byte 6"),
        ScanCase(#"{"a":"\uD800\uZZZZ"}"#, "invalid \\u escape at byte 12"),
        ScanCase(#"{"a":"x\uDBFF"}"#, "lone UTF-16 surrogate in \\u escape at byte 7"),
        ScanCase("{\"a\":\"x\ty\"}", "unescaped control character 0x09 in string at byte 7"),
        ScanCase("{\"a\":\"x\ny\"}", "unescaped control character 0x0A in string at byte 7"),
        ScanCase("{\"a\":\"x\u{0}y\"}", "unescaped control character 0x00 in string at byte 7"),
        ScanCase("{\"a\u{1F}\":1}", "unescaped control character 0x1F in string at byte 3"),
        ScanCase("{\"a\":1}\u{0}", "unexpected data after the JSON value at byte 7"),
        ScanCase("\u{0}{}", "expected a value, got 0x00 at byte 0"),
        ScanCase("{\"a\":\u{0}1}", "expected a value, got 0x00 at byte 5"),
        ScanCase("{} x", "unexpected data after the JSON value at byte 3"),
        ScanCase("{}{}", "unexpected data after the JSON value at byte 2"),
        ScanCase("{\"a\":1}}", "unexpected data after the JSON value at byte 7"),
        ScanCase("{\u{A0}}", "expected a string key at byte 1"),
        ScanCase("\u{FEFF}\u{FEFF}{}", "expected a value, got 0xEF at byte 3"),
        ScanCase("{\"a\":[" + nested64 + "]}", "nesting deeper than 64 at byte 68"),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidJSON(_ line: ScanCase) {
        #expect(scanDetail(line.bytes) == line.expected)
    }

    /// Bad UTF-8 inside a string value, reported at the sequence's first byte (offset 6).
    static let invalidUTF8: [[UInt8]] = [
        [0x80],  // a continuation byte without a lead
        [0xBF],
        [0xC0, 0x80],  // overlong NUL
        [0xC1, 0xBF],  // overlong
        [0xE0, 0x80, 0x80],  // overlong three-byte
        [0xE0, 0x9F, 0xBF],
        [0xF0, 0x80, 0x80, 0x80],  // overlong four-byte
        [0xF0, 0x8F, 0xBF, 0xBF],
        [0xED, 0xA0, 0x80],  // U+D800 encoded
        [0xED, 0xBF, 0xBF],  // U+DFFF encoded
        [0xF4, 0x90, 0x80, 0x80],  // U+110000
        [0xF5, 0x80, 0x80, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80],
        [0xFE],
        [0xFF],
        [0xC3],  // truncated before the closing quote
        [0xE2, 0x82],
        [0xF0, 0x9F, 0x98],
        [0xC3, 0x41],  // a lead byte followed by ASCII
        [0xE2, 0x28, 0xA1],
    ]

    @Test(arguments: invalidUTF8)
    func rejectsInvalidUTF8InStrings(_ sequence: [UInt8]) {
        let line = utf8("{\"a\":\"") + sequence + utf8("x\"}")
        #expect(scanDetail(line) == "invalid UTF-8 at byte 6")
        let key = utf8("{\"") + sequence + utf8("\":1}")
        #expect(scanDetail(key) == "invalid UTF-8 at byte 2")
    }

    @Test func rejectsUTF8TruncatedByTheEndOfLine() {
        #expect(scanDetail(utf8("{\"a\":\"") + [0xE2, 0x82]) == "invalid UTF-8 at byte 6")
        #expect(
            scanDetail(utf8("{\"a\":1}") + [0xC3, 0xA9])
                == "unexpected data after the JSON value at byte 7")
    }

    @Test func invalidUTF8IsFoundAfterLongPlainRuns() {
        // Exercises the eight-bytes-at-a-time loop at every alignment.
        for prefix in 0..<20 {
            let line =
                utf8("{\"a\":\"" + String(repeating: "x", count: prefix)) + [0xC0, 0x80]
                + utf8("\"}")
            #expect(scanDetail(line) == "invalid UTF-8 at byte \(6 + prefix)")
            let quote = utf8("{\"a\":\"" + String(repeating: "y", count: prefix) + "\",\"b\":2}")
            #expect(scanDetail(quote) == nil)
            let control = utf8("{\"a\":\"" + String(repeating: "y", count: prefix) + "\u{1}\"}")
            #expect(
                scanDetail(control)
                    == "unescaped control character 0x01 in string at byte \(6 + prefix)")
        }
    }

    @Test func specialByteMaskFindsTheFirstSpecialByte() {
        for position in 0..<8 {
            for special: UInt8 in [0x00, 0x1F, 0x22, 0x5C, 0x80, 0xFF] {
                var bytes = [UInt8](repeating: 0x41, count: 8)
                bytes[position] = special
                // A later special byte must not hide the first one.
                if position < 7 { bytes[7] = 0x01 }
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                let mask = JSONCursor.specialBytes(UInt64(littleEndian: word))
                #expect(mask.trailingZeroBitCount >> 3 == position)
            }
        }
        let plain = [UInt8]("az AZ09!#~".utf8.prefix(8))
        let word = plain.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(JSONCursor.specialBytes(UInt64(littleEndian: word)) == 0)
    }

    @Test func depthLimitIsExactly64Levels() {
        func nested(_ levels: Int) -> String {
            String(repeating: "{\"a\":", count: levels) + "{}"
                + String(repeating: "}", count: levels)
        }
        #expect(scanDetail(utf8(nested(63))) == nil)
        let deep = nested(64)
        #expect(scanDetail(utf8(deep)) == "nesting deeper than 64 at byte \(64 * 5)")
    }

    @Test func survivesNesting100000Deep() {
        let arrays =
            "{\"a\":" + String(repeating: "[", count: 100_000)
            + String(repeating: "]", count: 100_000) + "}"
        #expect(scanDetail(utf8(arrays)) == "nesting deeper than 64 at byte 68")
        let objects =
            String(repeating: "{\"a\":", count: 100_000) + "1"
            + String(repeating: "}", count: 100_000)
        #expect(scanDetail(utf8(objects)) == "nesting deeper than 64 at byte 320")
    }

    @Test func scansTenMegabyteLine() {
        let big = String(repeating: "abcdefghé", count: 1_000_000)
        let line = utf8("{\"big\":\"" + big + "\",\"n\":[1,2,3],\"a\":\"end\"}")
        #expect(line.count > 10_000_000)
        var scanner = JSONScanner(paths: [["a"], ["big"]])
        #expect(scanDetail(line, &scanner) == nil)
        #expect(scanner.spans[0].kind == .string)
        #expect(scanner.spans[0].end - scanner.spans[0].start == 3)
        #expect(scanner.spans[1].end - scanner.spans[1].start == big.utf8.count)
    }

    /// Keys are compared as whole words when they fit in 16 bytes: every key length from 0 to
    /// 18, keys that are prefixes of others, keys at the very end of a line (no 16 bytes left
    /// to read) and escaped keys must still find exactly their own field.
    @Test func keysOfEveryLengthFindTheirField() {
        let letters = Array("abcdefghijklmnopqr")
        let keys = (0...18).map { String(letters.prefix($0)) }
        var scanner = JSONScanner(paths: keys.map { [$0] } + [["o", "abcdefgh"]])
        for (field, key) in keys.enumerated() {
            // Alone (short lines: the key's 16-byte window runs past the end), then among the others.
            let alone = "{\"\(key)\":\(field)}"
            #expect(scanDetail(utf8(alone), &scanner) == nil)
            for other in keys.indices {
                #expect(scanner.spans[other].kind == (other == field ? .number : .missing), "\(alone) field \(other)")
            }
            let all = "{" + keys.enumerated().map { "\"\($1)\":\($0)" }.joined(separator: ",") + ",\"o\":{\"abcdefgh\":true}}"
            let bytes = utf8(all)
            #expect(scanDetail(bytes, &scanner) == nil)
            let span = scanner.spans[field]
            #expect(String(decoding: bytes[span.start..<span.end], as: UTF8.self) == "\(field)")
            #expect(scanner.spans[keys.count].kind == .trueValue)
        }
        // Longer than a mapped key, sharing its first 16 bytes; an escaped spelling of a key.
        #expect(scanDetail(utf8("{\"abcdefghijklmnopz\":1,\"abcdefghijklmnopqrs\":2,\"x\":3}"), &scanner) == nil)
        #expect(keys.indices.allSatisfy { scanner.spans[$0].kind == .missing })
        #expect(scanDetail(utf8("{\"a\\u0062c\":7,\"pad\":\"................\"}"), &scanner) == nil)
        #expect(scanner.spans[3].kind == .number)
    }

    /// Property: the key prediction (a scanner guesses each key from the order of the lines
    /// before) never changes a result. One scanner reads a stream of lines whose keys come in
    /// a steady order most of the time and then change: reordered, dropped, repeated, spelled
    /// with an escape, a mapped key's prefix or extension, unmapped keys, whitespace, a key
    /// right at the end of the line; every line's spans (or error) equal those of a scanner
    /// that never saw a line before.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func keyPredictionNeverChangesAResult(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let paths = [["eventId"], ["type"], ["typeX"], ["device", "os"], ["device", "ip"], ["data", "price"],
                     ["data", "currency"], ["a"], ["device"]]
        let scanner = JSONScanner(paths: paths)
        // Near misses: a mapped key's prefix or extension, and extensions holding a colon right
        // where the mapped key's colon would be ("typeX:y" after "type").
        let top = ["eventId", "type", "typeX", "typeX:y", "typ", "device", "data", "a", "other"]
        let device = ["os", "ip", "o", "ipv6", "osX:z"]
        let data = ["price", "currency", "priceX"]
        func spell(_ key: String) -> String {
            // Now and then an escaped spelling of the same key, or of a near miss.
            if Int.random(in: 0..<25, using: &rng) == 0, let first = key.unicodeScalars.first {
                return "\\u00" + String(first.value, radix: 16) + String(key.dropFirst())
            }
            return key
        }
        func object(_ keys: [String], _ value: (String) -> String) -> String {
            var chosen = keys
            if Int.random(in: 0..<4, using: &rng) == 0 { chosen.shuffle(using: &rng) }
            if Int.random(in: 0..<5, using: &rng) == 0 { chosen.removeLast(Int.random(in: 0...min(2, chosen.count), using: &rng)) }
            if Int.random(in: 0..<6, using: &rng) == 0, let k = keys.randomElement(using: &rng) { chosen.append(k) }
            let space = Int.random(in: 0..<10, using: &rng) == 0 ? " " : ""
            return "{" + chosen.map { "\(space)\"\(spell($0))\"\(space):\(space)\(value($0))" }.joined(separator: ",") + "}"
        }
        var mismatches = 0
        for i in 0..<3000 {
            let line = object(top) { key in
                switch key {
                case "device": return Int.random(in: 0..<20, using: &rng) == 0 ? "[1]" : object(device) { _ in "\"x\"" }
                case "data": return Int.random(in: 0..<20, using: &rng) == 0 ? "null" : object(data) { _ in "\(i)" }
                default: return Int.random(in: 0..<2, using: &rng) == 0 ? "\"v\(i)\"" : "\(i)"
                }
            }
            // Sometimes cut short: the last key's 16-byte window runs past the end.
            let text = Int.random(in: 0..<30, using: &rng) == 0 ? String(line.prefix(line.count / 2)) : line
            var fresh = JSONScanner(paths: paths)
            var reused = scanner
            let expected = scanDetail(utf8(text), &fresh)
            let got = scanDetail(utf8(text), &reused)
            // A missing field's offsets mean nothing (left from an earlier line).
            func found(_ spans: UnsafeBufferPointer<JSONValueSpan>) -> [JSONValueSpan] {
                spans.map { $0.kind == .missing ? JSONValueSpan() : $0 }
            }
            if got != expected || (got == nil && found(fresh.spans) != found(scanner.spans)) {
                mismatches += 1
                if mismatches <= 3 { Issue.record("line \(i) differs: \(text)") }
            }
        }
        #expect(mismatches == 0)
    }
}

extension JSONScannerTests {
    /// Property: the shape path (a line with the same bytes between its values as the last
    /// line the full scan accepted is checked span by span) gives every line the spans, or the
    /// error, of a scanner that never saw a line before. One scanner reads a stream where most
    /// lines keep the shape of an event and their values change — kinds (string, number,
    /// null, true, false), lengths, escapes — and some carry what the shape path must refuse
    /// or hand on: bad tokens (`nul`, `1.`, `01`, `-`, an unterminated string, a control
    /// byte, bad UTF-8, a bad escape), a container where a scalar was, another key of the
    /// same length, one more space, a repeated key or object, trailing bytes, a truncated line.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func shapePathNeverChangesAResult(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let paths = [["eventId"], ["eventType"], ["userId"], ["timestamp"], ["device", "type"], ["device", "ip"],
                     ["data", "price"], ["data", "productId"], ["data", "totalAmount"]]
        let scanner = JSONScanner(paths: paths)
        let good = ["\"p-1\"", "\"\"", "\"a\\\"b\"", "\"\\u00e9t\\u00e9\"", "\"caf\u{e9}\"", "12", "-0.5", "1e3", "0",
                    "null", "true", "false", "\"2026-01-29T00:00:27.787Z\"", "\"\(String(repeating: "x", count: 40))\""]
        let bad = ["nul", "tru", "1.", "01", "-", "\"open", "\"a\u{01}b\"", "\"\\x\"", "{}", "[1]", "{\"k\":1}", "nullx",
                   "1 2", "\"a\"\"b\""]
        func value() -> [UInt8] {
            if Int.random(in: 0..<100, using: &rng) == 0 {
                if Int.random(in: 0..<6, using: &rng) == 0 { return [0x22, 0xC3, 0x28, 0x22] }  // bad UTF-8
                return utf8(bad.randomElement(using: &rng)!)
            }
            return utf8(good.randomElement(using: &rng)!)
        }
        func line() -> [UInt8] {
            var keys = ["eventId", "eventType", "userId", "timestamp"]
            if Int.random(in: 0..<80, using: &rng) == 0 { keys[Int.random(in: 0..<4, using: &rng)] = "eventIx" }
            if Int.random(in: 0..<80, using: &rng) == 0 { keys.append("userId") }
            var out = utf8("{")
            for (i, key) in keys.enumerated() {
                if i > 0 { out += utf8(",") }
                out += utf8("\"\(key)\":") + value()
            }
            let space = Int.random(in: 0..<80, using: &rng) == 0 ? " " : ""
            out += utf8(",\"device\":{\"type\":\(space)") + value() + utf8(",\"ip\":") + value() + utf8("}")
            out += utf8(",\"data\":{\"productId\":") + value() + utf8(",\"price\":") + value()
                + utf8(",\"totalAmount\":") + value() + utf8("}")
            // Now and then `device` again: its first object's fields are cleared (or replaced).
            if Int.random(in: 0..<60, using: &rng) == 0 {
                out += utf8(",\"device\":") + (Bool.random(using: &rng) ? value() : utf8("{\"ip\":") + value() + utf8("}"))
            }
            out += utf8("}")
            switch Int.random(in: 0..<100, using: &rng) {
            case 0: out += utf8("x")
            case 1: out += utf8(" ")
            case 2: out.removeLast(Int.random(in: 1...min(12, out.count), using: &rng))
            default: break
            }
            return out
        }
        var mismatches = 0
        var valid = 0
        for i in 0..<4000 {
            let text = line()
            var fresh = JSONScanner(paths: paths)
            var reused = scanner
            let expected = scanDetail(text, &fresh)
            let got = scanDetail(text, &reused)
            func found(_ spans: UnsafeBufferPointer<JSONValueSpan>) -> [JSONValueSpan] {
                spans.map { $0.kind == .missing ? JSONValueSpan() : $0 }
            }
            if expected == nil { valid += 1 }
            if got != expected || (got == nil && found(fresh.spans) != found(scanner.spans)) {
                mismatches += 1
                if mismatches <= 3 { Issue.record("line \(i) differs: \(String(decoding: text, as: UTF8.self))") }
            }
        }
        #expect(mismatches == 0)
        // Both paths were exercised: most lines valid, most of them through the shape path.
        #expect(valid > 2400 && valid < 3900)
        #expect(scanner.shapeHits > 2000, "shape path taken \(scanner.shapeHits) times")
    }

    /// Lines of two shapes interleaved would each miss the shape path and be learned in turn:
    /// after a few misses in a row the scanner rests it (full scans only), then tries again.
    /// Results are the full scan's throughout.
    @Test func shapePathRestsWhenShapesAlternate() {
        let scanner = JSONScanner(paths: [["a"], ["b"]])
        var fresh = JSONScanner(paths: [["a"], ["b"]])
        var reused = scanner
        for i in 0..<3000 {
            let text = utf8(i % 2 == 0 ? "{\"a\":\(i),\"b\":\"x\"}" : "{\"b\":\"y\",\"a\":\(i)}")
            #expect(scanDetail(text, &reused) == nil)
            #expect(scanDetail(text, &fresh) == nil)
            #expect(scanner.spans[0] == fresh.spans[0] && scanner.spans[1] == fresh.spans[1])
        }
        // One steady shape afterwards: taken again once the rest is over.
        let before = scanner.shapeHits
        for i in 0..<2000 { _ = scanDetail(utf8("{\"a\":\(i),\"b\":\"x\"}"), &reused) }
        #expect(before < 20)
        #expect(scanner.shapeHits - before > 900)
    }
}

/// The key lookup the scanner uses (a collision-free hash per object, keys of up to 16 bytes
/// compared as two words) finds exactly the children a plain search finds: every mapped key,
/// none of the near misses (first, middle or last byte changed, one byte longer or shorter, another parent's key).
@Suite("JSON path index")
struct JSONPathIndexTests {
    @Test(arguments: [1, 8, 40, 300])
    func hashedLookupEqualsSearch(keyCount: Int) {
        var keys = (0..<keyCount).map { i -> String in
            let stem = ["id", "eventType", "a", "userIdentifier", "x\(i)", "sessionId_long_key_\(i)"][i % 6]
            return i < 6 ? stem : "\(stem)\(i)"
        }
        keys.append("")
        keys.append("sixteen_bytes_ok")
        let paths = keys.map { [$0] } + keys.prefix(3).map { ["outer", $0] }
        let index = JSONPathIndex(paths: paths)
        var probes = keys + ["outer"]
        for key in keys where !key.isEmpty {
            for position in Set([0, key.utf8.count / 2, key.utf8.count - 1]) {
                var bytes = Array(key.utf8)
                bytes[position] ^= 0x01
                probes.append(String(decoding: bytes, as: UTF8.self))
            }
            probes.append(key + "x")
            probes.append(String(key.dropLast()))
        }
        for parent in [0] + (0..<index.nodes.count).filter({ index.nodes[$0].childEnd > index.nodes[$0].childStart }) {
            for probe in probes {
                // The scanner's case: the key is followed by `":` and a value, so 16 bytes can
                // be read from its start.
                let line = Array("\"\(probe)\":\"value padding\"".utf8)
                let expected = Array(probe.utf8).withUnsafeBytes { index.child(of: parent, key: $0) }
                let found = line.withUnsafeBytes {
                    index.child(of: parent, line: $0, start: 1, end: 1 + probe.utf8.count)
                }
                #expect(found == expected, "parent \(parent), key \(probe.debugDescription)")
            }
        }
    }
}
