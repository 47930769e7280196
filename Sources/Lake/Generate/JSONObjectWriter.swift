/// Writes one JSON object into a byte buffer, keeping the commas right while keys are written
/// (some may be left out), with the value forms the generators share: strings, UUIDs and
/// amounts in cents.
struct JSONObjectWriter {
    /// The separators between members and after keys.
    enum Spacing {
        /// `{"a":1,"b":2}`: what collectors in Java or JavaScript write.
        case compact
        /// `{"a": 1, "b": 2}`: Python's `json.dumps` defaults.
        case python
    }

    var out: [UInt8] = []
    private var needsComma = false
    private let spaced: Bool
    private static let hexDigits = Array("0123456789abcdef".utf8)

    init(spacing: Spacing = .compact) {
        spaced = spacing == .python
    }

    mutating func open() {
        out.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func close() {
        out.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func key(_ name: StaticString) {
        if needsComma {
            out.append(UInt8(ascii: ","))
            if spaced { out.append(UInt8(ascii: " ")) }
        }
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        if spaced { out.append(UInt8(ascii: " ")) }
        needsComma = true
    }

    /// A JSON string, escaping quotes, backslashes and control characters.
    mutating func string(_ bytes: [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(JSONObjectWriter.hexDigits[Int(byte >> 4)])
                out.append(JSONObjectWriter.hexDigits[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    mutating func optionalString(_ bytes: [UInt8]?) {
        if let bytes { string(bytes) } else { out.append(contentsOf: "null".utf8) }
    }

    /// A value already written as JSON text (a literal prepared once, a deliberate defect).
    mutating func raw(_ bytes: [UInt8]) {
        out.append(contentsOf: bytes)
    }

    /// `"8c2f…-…"`: 32 lowercase hex digits in the 8-4-4-4-12 layout of a UUID.
    mutating func uuid(_ id: Identifier128) {
        out.append(UInt8(ascii: "\""))
        for index in 0..<32 {
            if index == 8 || index == 12 || index == 16 || index == 20 {
                out.append(UInt8(ascii: "-"))
            }
            let word = index < 16 ? id.high : id.low
            let shift = UInt64(60 - 4 * (index % 16))
            let nibble = UInt8(truncatingIfNeeded: (word >> shift) & 0xF)
            out.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Cents as a JSON number the way Python's `repr` of a rounded float reads (`120.5`,
    /// `99.99`, `120.0`), or as a numeric string (`"120.50"`), as some collectors send it.
    mutating func amount(cents: Int64, asString: Bool = false) {
        precondition(cents >= 0, "amounts are not negative")
        if asString { out.append(UInt8(ascii: "\"")) }
        out.append(contentsOf: String(cents / 100).utf8)
        out.append(UInt8(ascii: "."))
        let fraction = cents % 100
        if asString || fraction % 10 != 0 {
            EventTime.appendDigits(fraction, count: 2, to: &out)
        } else {
            EventTime.appendDigits(fraction / 10, count: 1, to: &out)
        }
        if asString { out.append(UInt8(ascii: "\"")) }
    }

    /// `text` as a quoted JSON string with every non-ASCII character written as `\uXXXX`
    /// (UTF-16, lowercase hex), as Python's `json.dumps` does by default (`ensure_ascii`):
    /// `Kraków` → `"Krak\u00f3w"`. Prepared once per name, not per line.
    static func asciiLiteral(_ text: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for unit in text.utf16 {
            if unit < 0x20 || unit >= 0x80 {
                out.append(contentsOf: "\\u".utf8)
                for shift: UInt16 in [12, 8, 4, 0] {
                    out.append(hexDigits[Int((unit >> shift) & 0xF)])
                }
            } else {
                let byte = UInt8(truncatingIfNeeded: unit)
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    out.append(UInt8(ascii: "\\"))
                }
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }
}
