/// A strict parser for the TOML subset job files need: comments, `[table]` and `[a.b]` headers,
/// bare, quoted and dotted keys, basic and literal strings (multi-line too), decimal integers,
/// floats, booleans, arrays (over several lines if need be) and inline tables. Keys keep the
/// order of the file. Not supported, with a message saying so: arrays of tables (`[[x]]`),
/// dates and times, hexadecimal/octal/binary integers.
///
/// Errors are `LakeError`s that read `<file>:<line>:<column>: <what was expected>` (just the
/// line for a key or table defined where it may not be).
public enum TOML {
    public static func parse(_ text: String, file: String = "<input>") throws -> TOMLTable {
        var parser = TOMLParser(text: text, file: file)
        try parser.parseDocument()
        return parser.document.root
    }
}

struct TOMLParser {
    let bytes: [UInt8]
    let file: String
    var index = 0
    var line = 1
    var lineStart = 0
    var document = TOMLTableBuilder()
    /// Path of the table the last header opened (empty: the root).
    var section: [String] = []

    init(text: String, file: String) {
        bytes = Array(text.utf8)
        self.file = file
        // Editors on Windows may start the file with a byte order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            index = 3
            lineStart = 3
        }
    }

    // MARK: - Document

    mutating func parseDocument() throws {
        while true {
            skipWhitespace()
            guard let byte = peek() else { return }
            switch byte {
            case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                break
            case UInt8(ascii: "["):
                try parseHeader()
            default:
                try parseKeyValue()
            }
            try finishLine()
        }
    }

    /// After a header or key/value: spaces, an optional comment, then a newline or the end.
    mutating func finishLine() throws {
        skipWhitespace()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        if peek() == nil { return }
        guard consumeNewline() else {
            throw failure("expected a newline or a comment", found: true)
        }
    }

    mutating func parseHeader() throws {
        let headerLine = line
        index += 1
        if peek() == UInt8(ascii: "[") {
            throw failure("arrays of tables ([[...]]) are not supported in job files")
        }
        skipWhitespace()
        let path = try parseKey()
        skipWhitespace()
        guard consume(UInt8(ascii: "]")) else { throw failure("expected ']'", found: true) }
        do {
            try document.defineHeader(path, line: headerLine)
        } catch let violation as TOMLTableBuilder.Violation {
            throw failure(violation.message, line: headerLine)
        }
        section = path
    }

    mutating func parseKeyValue() throws {
        let keyLine = line
        let keys = try parseKey()
        skipWhitespace()
        guard consume(UInt8(ascii: "=")) else {
            throw failure("expected '=' after the key", found: true)
        }
        skipWhitespace()
        let content = stringContentStart()
        let value = try parseValue()
        do {
            try document.insert(value, base: section, keys: keys, line: keyLine, content: content)
        } catch let violation as TOMLTableBuilder.Violation {
            throw failure(violation.message, line: keyLine)
        }
    }

    /// Where the contents of a string value starting here begin: after one quote, or after
    /// three and the newline a multi-line string drops right after them.
    func stringContentStart() -> (line: Int, column: Int) {
        let column = index - lineStart + 1
        guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
            return (0, 0)
        }
        let triple = [quote, quote, quote]
        guard index + 3 <= bytes.count, Array(bytes[index..<index + 3]) == triple else {
            return (line, column + 1)
        }
        var after = index + 3
        if after < bytes.count && bytes[after] == UInt8(ascii: "\r") { after += 1 }
        if after < bytes.count && bytes[after] == UInt8(ascii: "\n") { return (line + 1, 1) }
        return (line, column + 3)
    }

    // MARK: - Keys

    /// A key: simple keys separated by dots, with optional spaces around the dots.
    mutating func parseKey() throws -> [String] {
        var keys = [try parseSimpleKey()]
        while true {
            let saved = index
            skipWhitespace()
            guard consume(UInt8(ascii: ".")) else {
                index = saved
                return keys
            }
            skipWhitespace()
            keys.append(try parseSimpleKey())
        }
    }

    mutating func parseSimpleKey() throws -> String {
        switch peek() {
        case UInt8(ascii: "\""):
            if startsWith("\"\"\"") { throw failure("a key cannot be a multi-line string") }
            return try parseBasicString()
        case UInt8(ascii: "'"):
            if startsWith("'''") { throw failure("a key cannot be a multi-line string") }
            return try parseLiteralString()
        default:
            let start = index
            while let byte = peek(), TOMLParser.isBareKeyByte(byte) { index += 1 }
            guard index > start else {
                throw failure("expected a key (letters, digits, '_', '-' or a quoted string)",
                              found: true)
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

// MARK: - Scanning

extension TOMLParser {
    func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    func startsWith(_ text: StaticString) -> Bool {
        text.withUTF8Buffer { prefix in
            index + prefix.count <= bytes.count
                && bytes[index..<index + prefix.count].elementsEqual(prefix)
        }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    mutating func skipWhitespace() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
            index += 1
        }
    }

    /// Consumes `\n` or `\r\n` and counts the line.
    mutating func consumeNewline() -> Bool {
        if peek() == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") {
            index += 1
        }
        guard peek() == UInt8(ascii: "\n") else { return false }
        index += 1
        line += 1
        lineStart = index
        return true
    }

    /// From `#` to the end of the line (the newline stays).
    mutating func skipComment() throws {
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") { return }
            if TOMLParser.isControl(byte) {
                throw failure("control characters are not allowed in comments")
            }
            index += 1
        }
    }

    /// Whitespace, newlines and comments, as allowed between the values of an array.
    mutating func skipBlankLines() throws {
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "#") { try skipComment() }
            guard consumeNewline() else { return }
        }
    }

    /// A control character TOML forbids in strings and comments (tab is allowed).
    static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
    }

    /// An error at the current position, or at the start of `line` when given.
    /// With `found`, the message ends with what is at the current position instead.
    func failure(_ message: String, found: Bool = false, line: Int? = nil) -> LakeError {
        let location = line.map { "\(file):\($0)" }
            ?? "\(file):\(self.line):\(index - lineStart + 1)"
        return LakeError(location, found ? message + ", found " + describeCurrent() : message)
    }

    func describeCurrent() -> String {
        guard let byte = peek() else { return "the end of the file" }
        switch byte {
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"): return "the end of the line"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        case UInt8(ascii: " "): return "a space"
        case UInt8(ascii: "\t"): return "a tab"
        default:
            var end = index + 1
            while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
            return "'\(String(decoding: bytes[index..<end], as: UTF8.self))'"
        }
    }
}
