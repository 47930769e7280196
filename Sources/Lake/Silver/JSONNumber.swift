/// Converts number tokens that already match the RFC 8259 grammar (`JSONCursor.numberEnd`)
/// without building a `String` in the common case.
enum JSONNumber {
    /// The result of reading a token as an integer.
    enum IntegerValue: Equatable {
        case value(Int64)
        /// The token has a non-zero fraction (after scaling), e.g. `1.5` read as an integer.
        case notIntegral
        case outOfRange
    }

    /// Powers of ten that a `Double` represents exactly.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The token's value, correctly rounded, or nil when it is beyond ±Double.greatestFinite.
    static func double(_ token: UnsafeRawBufferPointer) -> Double? {
        let parts = Parts(token)
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = parts.exponent
        var isExact = true
        for position in parts.intStart..<parts.intEnd {
            let digit = UInt64(token[position] &- ASCII.zero)
            if significantDigits < 19 {
                mantissa = mantissa * 10 + digit
                if mantissa != 0 { significantDigits += 1 }
            } else {
                exponent += 1
                if digit != 0 { isExact = false }
            }
        }
        for position in parts.fracStart..<parts.fracEnd {
            let digit = UInt64(token[position] &- ASCII.zero)
            if significantDigits < 19 {
                mantissa = mantissa * 10 + digit
                exponent -= 1
                if mantissa != 0 { significantDigits += 1 }
            } else if digit != 0 {
                isExact = false
            }
        }
        if mantissa == 0 && isExact { return parts.isNegative ? -0.0 : 0.0 }
        // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
        if isExact && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent >= 0 {
                value *= exactPowersOfTen[exponent]
            } else {
                value /= exactPowersOfTen[-exponent]
            }
            return parts.isNegative ? -value : value
        }
        // Rare (long mantissas, large exponents): the standard library's correctly rounded
        // conversion, which the validated grammar is a subset of.
        guard let value = Double(String(decoding: token, as: UTF8.self)), value.isFinite else {
            return nil
        }
        return value
    }

    /// The token's value times 10^`scale` as an `Int64`. With `truncating`, digits below one
    /// unit are dropped (toward zero); without, they must all be zero.
    static func integer(
        _ token: UnsafeRawBufferPointer, scale: Int = 0, truncating: Bool = false
    ) -> IntegerValue {
        let parts = Parts(token)
        let intCount = parts.intEnd - parts.intStart
        let digitCount = intCount + parts.fracEnd - parts.fracStart
        // The value is digits × 10^(exponent − fraction digits + scale), so the digits at
        // positions below `unitDigits` are worth one unit or more.
        let unitDigits = intCount + parts.exponent + scale
        let limit: UInt64 = parts.isNegative ? 1 << 63 : UInt64(Int64.max)
        var magnitude: UInt64 = 0
        var hasFraction = false
        for digitIndex in 0..<digitCount {
            let position =
                digitIndex < intCount
                ? parts.intStart + digitIndex : parts.fracStart + digitIndex - intCount
            let digit = UInt64(token[position] &- ASCII.zero)
            if digitIndex < unitDigits {
                guard magnitude <= (limit - digit) / 10 else { return .outOfRange }
                magnitude = magnitude * 10 + digit
            } else if digit != 0 {
                hasFraction = true
            }
        }
        var padding = unitDigits - digitCount
        while padding > 0 && magnitude != 0 {
            guard magnitude <= limit / 10 else { return .outOfRange }
            magnitude *= 10
            padding -= 1
        }
        if hasFraction && !truncating { return .notIntegral }
        return .value(parts.isNegative ? Int64(bitPattern: 0 &- magnitude) : Int64(magnitude))
    }

    /// Where a valid token's sign, integer digits, fraction digits and exponent are.
    private struct Parts {
        var isNegative = false
        var intStart = 0
        var intEnd = 0
        var fracStart = 0
        var fracEnd = 0
        /// The written exponent, saturated to ±1,000,000 (far beyond any finite value).
        var exponent = 0

        init(_ token: UnsafeRawBufferPointer) {
            var index = 0
            if index < token.count && token[index] == ASCII.minus {
                isNegative = true
                index += 1
            }
            intStart = index
            intEnd = JSONCursor.digitsEnd(token, from: index)
            fracStart = intEnd
            fracEnd = intEnd
            index = intEnd
            if index < token.count && token[index] == ASCII.dot {
                fracStart = index + 1
                fracEnd = JSONCursor.digitsEnd(token, from: fracStart)
                index = fracEnd
            }
            guard index < token.count else { return }
            index += 1  // e or E
            var exponentIsNegative = false
            if index < token.count && (token[index] == ASCII.minus || token[index] == ASCII.plus) {
                exponentIsNegative = token[index] == ASCII.minus
                index += 1
            }
            while index < token.count {
                exponent = min(exponent * 10 + Int(token[index] &- ASCII.zero), 1_000_000)
                index += 1
            }
            if exponentIsNegative { exponent = -exponent }
        }
    }
}
