/// A position in one raw line and the RFC 8259 token rules that move it: strings (escapes,
/// surrogate pairs, strict UTF-8), numbers, literals and whitespace. Every method either leaves
/// `index` just past a valid token or throws the offset of the first bad byte.
struct JSONCursor {
    let bytes: UnsafeRawBufferPointer
    var index: Int

    init(_ bytes: UnsafeRawBufferPointer, index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var atEnd: Bool { index >= bytes.count }

    /// The byte at `index`, or `nil` at the end of the line.
    @inline(__always)
    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Skips a leading UTF-8 byte order mark (EF BB BF).
    mutating func skipByteOrderMark() {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            index = 3
        }
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            let byte = bytes[index]
            // Every non-whitespace token starts above 0x20: one comparison in the common case.
            if byte > ASCII.space { return }
            guard
                byte == ASCII.space || byte == ASCII.lineFeed || byte == ASCII.carriageReturn
                    || byte == ASCII.tab
            else { return }
            index += 1
        }
    }

    // MARK: strings

    /// Scans a string whose opening quote is at `index`; returns whether it holds escapes.
    @inline(__always)
    mutating func scanString() throws(JSONScanError) -> Bool {
        index += 1
        var hasEscapes = false
        let count = bytes.count
        guard let base = bytes.baseAddress else { throw JSONScanError(.unexpectedEnd, at: index) }
        while true {
            // Eight plain bytes at a time until a quote, backslash, control or non-ASCII byte.
            while index &+ 8 <= count {
                let word = UInt64(
                    littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let special = Self.specialBytes(word)
                if special != 0 {
                    index &+= special.trailingZeroBitCount &>> 3
                    break
                }
                index &+= 8
            }
            guard index < count else { throw JSONScanError(.unexpectedEnd, at: count) }
            let byte = bytes[index]
            if byte == ASCII.quote {
                index += 1
                return hasEscapes
            } else if byte == ASCII.backslash {
                hasEscapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw JSONScanError(.controlCharacter(byte), at: index)
            } else if byte >= 0x80 {
                try scanUTF8Sequence()
            } else {
                index += 1
            }
        }
    }

    /// A mask with the high bit set in (at least) the lowest byte of `word` that is a quote,
    /// a backslash, below 0x20 or above 0x7F. Bytes above the lowest match may be flagged
    /// falsely (borrows), so only the lowest set bit is meaningful.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(ASCII.quote))
        let backslashes = word ^ (ones &* UInt64(ASCII.backslash))
        let quoteZero = (quotes &- ones) & ~quotes
        let backslashZero = (backslashes &- ones) & ~backslashes
        let control = (word &- ones &* 0x20) & ~word
        return (quoteZero | backslashZero | control | word) & highs
    }

    private mutating func scanEscape() throws(JSONScanError) {
        let start = index
        guard start + 1 < bytes.count else { throw JSONScanError(.unexpectedEnd, at: bytes.count) }
        switch bytes[start + 1] {
        case ASCII.quote, ASCII.backslash, ASCII.slash, ASCII.b, ASCII.f, ASCII.n, ASCII.r,
            ASCII.t:
            index += 2
        case ASCII.u:
            index = try Self.unicodeEscapeEnd(bytes, at: start)
        default:
            throw JSONScanError(.invalidEscape, at: start)
        }
    }

    /// Validates `\uXXXX` (or a surrogate pair of two) at `start`; returns the offset after it.
    private static func unicodeEscapeEnd(
        _ bytes: UnsafeRawBufferPointer, at start: Int
    ) throws(JSONScanError) -> Int {
        let unit = hexQuad(bytes, at: start + 2)
        guard unit >= 0 else { throw JSONScanError(.invalidUnicodeEscape, at: start) }
        if unit >= 0xDC00 && unit <= 0xDFFF { throw JSONScanError(.loneSurrogate, at: start) }
        guard unit >= 0xD800 && unit <= 0xDBFF else { return start + 6 }
        let next = start + 6
        guard
            next + 1 < bytes.count && bytes[next] == ASCII.backslash
                && bytes[next + 1] == ASCII.u
        else { throw JSONScanError(.loneSurrogate, at: start) }
        let low = hexQuad(bytes, at: next + 2)
        guard low >= 0 else { throw JSONScanError(.invalidUnicodeEscape, at: next) }
        guard low >= 0xDC00 && low <= 0xDFFF else { throw JSONScanError(.loneSurrogate, at: start) }
        return next + 6
    }

    /// The value of four hex digits at `offset`, or -1.
    static func hexQuad(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        guard offset >= 0 && offset + 4 <= bytes.count else { return -1 }
        var value = 0
        for position in offset..<offset + 4 {
            let digit = hexDigit(bytes[position])
            if digit < 0 { return -1 }
            value = value << 4 | digit
        }
        return value
    }

    @inline(__always)
    private static func hexDigit(_ byte: UInt8) -> Int {
        switch byte {
        case ASCII.zero...ASCII.nine: Int(byte - ASCII.zero)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: -1
        }
    }

    /// Validates one multi-byte UTF-8 sequence at `index` (RFC 3629 table: no overlongs, no
    /// encoded surrogates, nothing above U+10FFFF, no truncation) and steps over it.
    private mutating func scanUTF8Sequence() throws(JSONScanError) {
        let lead = bytes[index]
        var length = 4
        var secondMin: UInt8 = 0x80
        var secondMax: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondMin = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondMax = 0x9F
        case 0xF0: secondMin = 0x90
        case 0xF1...0xF3: break
        case 0xF4: secondMax = 0x8F
        default: throw JSONScanError(.invalidUTF8, at: index)
        }
        guard index + length <= bytes.count else { throw JSONScanError(.invalidUTF8, at: index) }
        let second = bytes[index + 1]
        guard second >= secondMin && second <= secondMax else {
            throw JSONScanError(.invalidUTF8, at: index)
        }
        var position = index + 2
        while position < index + length {
            guard bytes[position] & 0xC0 == 0x80 else {
                throw JSONScanError(.invalidUTF8, at: index)
            }
            position += 1
        }
        index += length
    }

    // MARK: numbers and literals

    /// Scans a number starting at `index` (RFC 8259 grammar).
    @inline(__always)
    mutating func scanNumber() throws(JSONScanError) {
        index = try Self.numberEnd(bytes, from: index)
    }

    /// The end of the number token at `start`: `-? (0 | [1-9][0-9]*) (. [0-9]+)?
    /// ([eE] [+-]? [0-9]+)?`. Also used to check numeric strings.
    static func numberEnd(
        _ bytes: UnsafeRawBufferPointer, from start: Int
    ) throws(JSONScanError) -> Int {
        var index = start
        let count = bytes.count
        if index < count && bytes[index] == ASCII.minus { index += 1 }
        guard index < count else { throw JSONScanError(.invalidNumber, at: index) }
        let first = bytes[index]
        if first == ASCII.zero {
            index += 1
            if index < count && isDigit(bytes[index]) {
                throw JSONScanError(.leadingZero, at: start)
            }
        } else if isDigit(first) {
            index = digitsEnd(bytes, from: index + 1)
        } else {
            throw JSONScanError(.invalidNumber, at: index)
        }
        if index < count && bytes[index] == ASCII.dot {
            let end = digitsEnd(bytes, from: index + 1)
            guard end > index + 1 else { throw JSONScanError(.invalidNumber, at: index + 1) }
            index = end
        }
        if index < count && bytes[index] | 0x20 == ASCII.e {
            index += 1
            if index < count && (bytes[index] == ASCII.plus || bytes[index] == ASCII.minus) {
                index += 1
            }
            let end = digitsEnd(bytes, from: index)
            guard end > index else { throw JSONScanError(.invalidNumber, at: index) }
            index = end
        }
        return index
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- ASCII.zero < 10 }

    @inline(__always)
    static func digitsEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        return index
    }

    /// Scans `true`, `false` or `null` at `index`.
    mutating func scanLiteral() throws(JSONScanError) -> JSONValueSpan.Kind {
        let (word, kind): (StaticString, JSONValueSpan.Kind) =
            switch bytes[index] {
            case ASCII.t: ("true", .trueValue)
            case ASCII.f: ("false", .falseValue)
            default: ("null", .null)
            }
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count else {
            throw JSONScanError(.invalidLiteral, at: index)
        }
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: length)
        for offset in 0..<length where bytes[index + offset] != expected[offset] {
            throw JSONScanError(.invalidLiteral, at: index)
        }
        index += length
        return kind
    }
}

/// The ASCII bytes the JSON and timestamp grammars name.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let upperT: UInt8 = 0x54
    static let upperZ: UInt8 = 0x5A
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let b: UInt8 = 0x62
    static let e: UInt8 = 0x65
    static let f: UInt8 = 0x66
    static let n: UInt8 = 0x6E
    static let r: UInt8 = 0x72
    static let t: UInt8 = 0x74
    static let u: UInt8 = 0x75
    static let z: UInt8 = 0x7A
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
}
