/// One token of an expression, with its UTF-8 byte range in the text.
struct ExprToken {
    enum Kind: Equatable {
        /// A bare identifier or keyword; which one depends on where the parser meets it.
        case word(String)
        /// A double-quoted identifier: always a column, never a keyword.
        case quotedName(String)
        case integer(Int64)
        case number(Double)
        case string(String)
        case symbol(String)
        case end
    }

    var kind: Kind
    var start: Int
    var end: Int

    /// The word lower-cased when this is a bare identifier, for keyword tests.
    var keyword: String? {
        if case .word(let word) = kind { return word.lowercased() }
        return nil
    }

    func isKeyword(_ keyword: String) -> Bool { self.keyword == keyword }

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol(symbol) }
}

/// Splits an expression into tokens, working on UTF-8 bytes so offsets are byte offsets.
struct ExprLexer {
    /// Words that cannot be bare column names (quote them: `"end"`).
    static let keywords: Set<String> = [
        "and", "or", "not", "is", "null", "in", "true", "false", "case", "when", "then", "else",
        "end",
    ]

    /// Bounds the tree's depth, so checking, compiling and evaluating it stay far from the
    /// stack's end (a chain of `+` nests without any parenthesis).
    static let tokenCountMax = 1000

    private let bytes: [UInt8]
    private var position = 0

    private init(_ text: String) { bytes = Array(text.utf8) }

    static func tokens(_ text: String) throws(ExprError) -> [ExprToken] {
        var lexer = ExprLexer(text)
        var tokens: [ExprToken] = []
        while let token = try lexer.next() {
            guard tokens.count < tokenCountMax else {
                throw ExprError(
                    offset: token.start,
                    "expression longer than \(tokenCountMax) tokens; "
                        + "expected a shorter one (split it into columns)")
            }
            tokens.append(token)
        }
        tokens.append(ExprToken(kind: .end, start: lexer.bytes.count, end: lexer.bytes.count))
        return tokens
    }

    /// A column name as it must be written: bare when it lexes back as the same identifier.
    static func quotedIfNeeded(_ name: String) -> String {
        let utf8 = Array(name.utf8)
        let bare =
            !utf8.isEmpty && isIdentifierStart(utf8[0]) && utf8.allSatisfy(isIdentifierByte)
            && !keywords.contains(name.lowercased())
        return bare ? name : quoted(name, by: "\"")
    }

    /// `text` between `quote`s, a quote inside doubled as SQL escapes it.
    static func quoted(_ text: String, by quote: Character) -> String {
        var result = String(quote)
        for character in text {
            result.append(character)
            if character == quote { result.append(quote) }
        }
        result.append(quote)
        return result
    }

    private mutating func next() throws(ExprError) -> ExprToken? {
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
        guard position < bytes.count else { return nil }
        let start = position
        let byte = bytes[position]
        let kind: ExprToken.Kind
        if Self.isIdentifierStart(byte) {
            while position < bytes.count, Self.isIdentifierByte(bytes[position]) { position += 1 }
            kind = .word(text(start, position))
        } else if Self.isDigit(byte) || (byte == UInt8(ascii: ".") && isDigit(at: position + 1)) {
            kind = try number()
        } else if byte == UInt8(ascii: "'") {
            kind = .string(try quotedText(quote: byte, what: "string"))
        } else if byte == UInt8(ascii: "\"") {
            let name = try quotedText(quote: byte, what: "quoted name")
            if name.isEmpty {
                throw ExprError(offset: start, "empty quoted name; expected a column name")
            }
            kind = .quotedName(name)
        } else {
            kind = .symbol(try symbol())
        }
        return ExprToken(kind: kind, start: start, end: position)
    }

    private mutating func number() throws(ExprError) -> ExprToken.Kind {
        let start = position
        var isInteger = true
        skipDigits()
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            skipDigits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < bytes.count,
                bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
            {
                position += 1
            }
            guard isDigit(at: position) else {
                throw ExprError(
                    offset: start,
                    "malformed number \(text(start, position)); expected digits after the exponent")
            }
            skipDigits()
        }
        let spelled = text(start, position)
        if isInteger {
            guard let value = Int64(spelled) else {
                throw ExprError(
                    offset: start,
                    "integer \(spelled) is out of the int64 range; "
                        + "expected at most 9223372036854775807")
            }
            return .integer(value)
        }
        // Swift's parser wants a digit on both sides of the point; SQL allows `.5` and `5.`.
        var normalised = ""
        for (index, character) in spelled.enumerated() {
            if character == ".", index == 0 { normalised.append("0") }
            normalised.append(character)
            if character == ".", !isDigit(at: start + index + 1) { normalised.append("0") }
        }
        guard let value = Double(normalised), value.isFinite else {
            throw ExprError(
                offset: start,
                "number \(spelled) is out of the double range; expected a finite number")
        }
        return .number(value)
    }

    /// The text between two `quote`s, a doubled quote standing for one.
    private mutating func quotedText(quote: UInt8, what: String) throws(ExprError) -> String {
        let start = position
        var content: [UInt8] = []
        position += 1
        while position < bytes.count {
            if bytes[position] == quote {
                if position + 1 < bytes.count, bytes[position + 1] == quote {
                    content.append(quote)
                    position += 2
                    continue
                }
                position += 1
                return String(decoding: content, as: UTF8.self)
            }
            content.append(bytes[position])
            position += 1
        }
        let mark = quote == UInt8(ascii: "'") ? "'" : "\""
        throw ExprError(offset: start, "unterminated \(what); expected a closing \(mark)")
    }

    private mutating func symbol() throws(ExprError) -> String {
        let two = position + 1 < bytes.count ? text(position, position + 2) : ""
        if ["==", "!=", "<>", "<=", ">="].contains(two) {
            position += 2
            return two
        }
        let one = text(position, position + 1)
        if ["(", ")", ",", "*", "/", "%", "+", "-", "=", "<", ">"].contains(one) {
            position += 1
            return one
        }
        throw ExprError(
            offset: position,
            "unexpected character \(characterText(at: position)); "
                + "expected a column, a literal, an operator or a function")
    }

    /// The whole UTF-8 sequence at `offset`, quoted, so an error shows `'é'` rather than a byte.
    private func characterText(at offset: Int) -> String {
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'" + text(offset, end) + "'"
    }

    private mutating func skipDigits() {
        while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
    }

    private func isDigit(at offset: Int) -> Bool {
        offset < bytes.count && Self.isDigit(bytes[offset])
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: "_")
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte)
    }
}
