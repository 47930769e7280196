/// Values: strings, numbers, booleans, arrays and inline tables.
extension TOMLParser {
    static let nestingDepthMax = 32

    mutating func parseValue(depth: Int = 0) throws -> TOMLValue {
        guard depth < TOMLParser.nestingDepthMax else {
            throw failure("arrays and inline tables nest deeper than "
                          + "\(TOMLParser.nestingDepthMax) levels")
        }
        switch peek() {
        case UInt8(ascii: "\""):
            return .string(startsWith("\"\"\"")
                ? try parseMultilineBasicString() : try parseBasicString())
        case UInt8(ascii: "'"):
            return .string(startsWith("'''")
                ? try parseMultilineLiteralString() : try parseLiteralString())
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "{"):
            return try parseInlineTable(depth: depth)
        default:
            return try parseScalarToken()
        }
    }

    // MARK: Strings

    mutating func parseBasicString() throws -> String {
        index += 1
        var text: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r")
            else { throw failure("unterminated string: expected a closing '\"'") }
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: text, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                try parseEscape(into: &text)
            } else {
                guard !TOMLParser.isControl(byte) else {
                    throw failure("control characters must be escaped in strings")
                }
                text.append(byte)
                index += 1
            }
        }
    }

    mutating func parseMultilineBasicString() throws -> String {
        index += 3
        _ = consumeNewline()
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw failure("unterminated multi-line string: expected a closing '\"\"\"'")
            }
            if byte == UInt8(ascii: "\"") && startsWith("\"\"\"") {
                if try closeMultiline(quote: byte, into: &text) {
                    return String(decoding: text, as: UTF8.self)
                }
            } else if byte == UInt8(ascii: "\\") {
                if try !skipLineEndingBackslash() { try parseEscape(into: &text) }
            } else if consumeNewline() {
                text.append(UInt8(ascii: "\n"))
            } else {
                guard !TOMLParser.isControl(byte) else {
                    throw failure("control characters must be escaped in strings")
                }
                text.append(byte)
                index += 1
            }
        }
    }

    /// At three or more quotes in a multi-line string: up to two belong to the text.
    /// Returns false when they were only (one or two) quotes inside the text.
    private mutating func closeMultiline(quote: UInt8, into text: inout [UInt8]) throws -> Bool {
        var count = 0
        while peek() == quote { count += 1; index += 1 }
        guard count >= 3 else {
            text.append(contentsOf: repeatElement(quote, count: count))
            return false
        }
        guard count <= 5 else { throw failure("too many quotes at the end of a string") }
        text.append(contentsOf: repeatElement(quote, count: count - 3))
        return true
    }

    /// A backslash at the end of a line joins it to the next non-blank text.
    private mutating func skipLineEndingBackslash() throws -> Bool {
        var probe = index + 1
        while probe < bytes.count && (bytes[probe] == UInt8(ascii: " ")
                                      || bytes[probe] == UInt8(ascii: "\t")) {
            probe += 1
        }
        guard probe < bytes.count,
            bytes[probe] == UInt8(ascii: "\n") || bytes[probe] == UInt8(ascii: "\r")
        else { return false }
        index = probe
        while true {
            skipWhitespace()
            guard consumeNewline() else { return true }
        }
    }

    private mutating func parseEscape(into text: inout [UInt8]) throws {
        index += 1
        guard let code = peek() else { throw failure("unterminated string") }
        index += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "t"): 0x09, UInt8(ascii: "n"): 0x0A,
            UInt8(ascii: "f"): 0x0C, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "\""): 0x22,
            UInt8(ascii: "\\"): 0x5C,
        ]
        if let byte = simple[code] {
            text.append(byte)
            return
        }
        let digitCount = code == UInt8(ascii: "u") ? 4 : code == UInt8(ascii: "U") ? 8 : 0
        guard digitCount > 0 else {
            index -= 1
            throw failure("invalid escape in a string (use \\\\ for a backslash)", found: true)
        }
        guard index + digitCount <= bytes.count,
            let value = UInt32(
                String(decoding: bytes[index..<index + digitCount], as: UTF8.self), radix: 16),
            bytes[index..<index + digitCount].allSatisfy({ $0 != UInt8(ascii: "+") }),
            let scalar = Unicode.Scalar(value)
        else { throw failure("expected \(digitCount) hex digits of a Unicode scalar value") }
        index += digitCount
        text.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    mutating func parseLiteralString() throws -> String {
        index += 1
        let start = index
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r")
            else { throw failure("unterminated string: expected a closing \"'\"") }
            if byte == UInt8(ascii: "'") { break }
            guard !TOMLParser.isControl(byte) else {
                throw failure("control characters are not allowed in literal strings")
            }
            index += 1
        }
        defer { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func parseMultilineLiteralString() throws -> String {
        index += 3
        _ = consumeNewline()
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw failure("unterminated multi-line string: expected a closing \"'''\"")
            }
            if byte == UInt8(ascii: "'") && startsWith("'''") {
                if try closeMultiline(quote: byte, into: &text) {
                    return String(decoding: text, as: UTF8.self)
                }
            } else if consumeNewline() {
                text.append(UInt8(ascii: "\n"))
            } else {
                guard !TOMLParser.isControl(byte) else {
                    throw failure("control characters are not allowed in literal strings")
                }
                text.append(byte)
                index += 1
            }
        }
    }

    // MARK: Arrays and inline tables

    mutating func parseArray(depth: Int) throws -> TOMLValue {
        index += 1
        var values: [TOMLValue] = []
        while true {
            try skipBlankLines()
            if consume(UInt8(ascii: "]")) { return .array(values) }
            values.append(try parseValue(depth: depth + 1))
            try skipBlankLines()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return .array(values) }
            throw failure("expected ',' or ']' in the array", found: true)
        }
    }

    mutating func parseInlineTable(depth: Int) throws -> TOMLValue {
        index += 1
        var builder = TOMLTableBuilder()
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .table(builder.root) }
        while true {
            skipWhitespace()
            let keyLine = line
            let keys = try parseKey()
            skipWhitespace()
            guard consume(UInt8(ascii: "=")) else {
                throw failure("expected '=' after the key", found: true)
            }
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            do {
                try builder.insert(value, base: [], keys: keys, line: keyLine)
            } catch let violation as TOMLTableBuilder.Violation {
                throw failure(violation.message + " in the inline table")
            }
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return .table(builder.root) }
            guard consume(UInt8(ascii: ",")) else {
                let hint = peek() == UInt8(ascii: "\n") || peek() == UInt8(ascii: "\r")
                    ? " (an inline table must fit on one line)" : ""
                throw failure("expected ',' or '}' in the inline table\(hint)", found: true)
            }
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                throw failure("a trailing comma is not allowed in an inline table")
            }
        }
    }

    // MARK: Numbers and booleans

    /// Booleans, integers and floats: one token up to the next delimiter.
    mutating func parseScalarToken() throws -> TOMLValue {
        let start = index
        while let byte = peek(), TOMLParser.isTokenByte(byte) { index += 1 }
        let token = String(decoding: bytes[start..<index], as: UTF8.self)
        if token.isEmpty {
            throw failure("expected a value (a string, number, boolean, array or inline table)",
                          found: true)
        }
        if let value = TOMLParser.scalar(token) { return value }
        index = start
        if token.contains(":") || token.utf8.dropFirst(4).first == UInt8(ascii: "-") {
            throw failure("dates and times are not supported; write them as a quoted string")
        }
        let lower = token.lowercased()
        if lower.hasPrefix("0x") || lower.hasPrefix("0o") || lower.hasPrefix("0b") {
            throw failure("only decimal integers are supported, found \(token)")
        }
        throw failure("expected a value (a string, number, boolean, array or inline table), "
                      + "found \(token) (quote text as \"\(token)\")")
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: ":")
    }

    /// A boolean, decimal integer or float token; nil when it is none of them.
    static func scalar(_ token: String) -> TOMLValue? {
        switch token {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        var body = Substring(token)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        let mantissaEnd = body.firstIndex { $0 == "e" || $0 == "E" } ?? body.endIndex
        let mantissa = body[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, isDecimalInteger(parts[0]) else { return nil }
        let plain = token.replacingUnderscores()
        if parts.count == 1 && mantissaEnd == body.endIndex {
            return Int64(plain).map(TOMLValue.integer)
        }
        if parts.count == 2 && !isDigits(parts[1]) { return nil }
        if mantissaEnd != body.endIndex {
            var exponent = body[body.index(after: mantissaEnd)...]
            if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
            guard isDigits(exponent) else { return nil }
        }
        return Double(plain).map(TOMLValue.float)
    }

    /// Digits with single underscores between them, and no leading zero.
    private static func isDecimalInteger(_ text: Substring) -> Bool {
        isDigits(text) && (text.count == 1 || text.first != "0")
    }

    private static func isDigits(_ text: Substring) -> Bool {
        guard let first = text.first, let last = text.last, first.isASCII, first.isNumber,
            last.isASCII, last.isNumber, !text.contains("__")
        else { return false }
        return text.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == "_" }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(filter { $0 != "_" })
    }
}
