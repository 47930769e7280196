/// Why a line is not valid JSON and where: `offset` is a 0-based byte offset into the raw line
/// (a leading BOM counts), so the detail points at the byte a user would look at in a hex dump.
struct JSONScanError: Error, Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case emptyLine
        case notAnObject
        case unexpectedEnd
        /// A byte where a value was expected (`+`, `.`, `}` after `:`…).
        case unexpectedByte(UInt8)
        case expectedColon
        case expectedKey
        case expectedCommaOrBrace
        case expectedCommaOrBracket
        case invalidUTF8
        case controlCharacter(UInt8)
        case invalidEscape
        case invalidUnicodeEscape
        case loneSurrogate
        case invalidNumber
        case leadingZero
        case invalidLiteral
        case tooDeep
        case trailingData
    }

    var kind: Kind
    var offset: Int

    init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// The quarantine detail, e.g. `expected ':' at byte 40`.
    var detail: String {
        switch kind {
        case .emptyLine: return "empty line"
        case .notAnObject: return "not a JSON object"
        default: return "\(problem) at byte \(offset)"
        }
    }

    private var problem: String {
        switch kind {
        case .emptyLine: "empty line"
        case .notAnObject: "not a JSON object"
        case .unexpectedEnd: "unexpected end of line"
        case .unexpectedByte(let byte): "expected a value, got \(Self.describe(byte))"
        case .expectedColon: "expected ':'"
        case .expectedKey: "expected a string key"
        case .expectedCommaOrBrace: "expected ',' or '}'"
        case .expectedCommaOrBracket: "expected ',' or ']'"
        case .invalidUTF8: "invalid UTF-8"
        case .controlCharacter(let byte): "unescaped control character \(Self.hex(byte)) in string"
        case .invalidEscape: "invalid escape sequence"
        case .invalidUnicodeEscape: "invalid \\u escape"
        case .loneSurrogate: "lone UTF-16 surrogate in \\u escape"
        case .invalidNumber: "invalid number"
        case .leadingZero: "leading zero in number"
        case .invalidLiteral: "invalid literal"
        case .tooDeep: "nesting deeper than \(JSONScanner.depthMax)"
        case .trailingData: "unexpected data after the JSON value"
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        if byte > 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return hex(byte)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0x0\(digits)" : "0x\(digits)"
    }
}
