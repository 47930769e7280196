/// Timestamp literals (`event_time >= '2026-01-29 10:00:00'`), read once when the expression
/// compiles: `YYYY-MM-DD[( |T)HH:MM:SS[.f…]][Z|±HH:MM]` or a bare date, UTC without a zone.
enum ExprTimestamp {
    static let microsPerSecond: Int64 = 1_000_000

    /// UTC microseconds since 1970, or nil for a malformed or impossible timestamp.
    static func micros(_ text: String) -> Int64? {
        var reader = Reader(bytes: Array(text.utf8))
        guard let year = reader.digits(4), reader.skip("-"), let month = reader.digits(2),
            reader.skip("-"),
            let day = reader.digits(2), (1...12).contains(month),
            (1...daysIn(month, year)).contains(day)
        else { return nil }
        var seconds = days(year: year, month: month, day: day) * 86_400
        var fraction: Int64 = 0
        if reader.skip(" ") || reader.skip("T") || reader.skip("t") {
            guard let hour = reader.digits(2), reader.skip(":"), let minute = reader.digits(2),
                reader.skip(":"),
                let second = reader.digits(2), hour < 24, minute < 60, second < 60
            else { return nil }
            seconds += hour * 3600 + minute * 60 + second
            if reader.skip(".") {
                guard let micros = reader.fractionMicros() else { return nil }
                fraction = micros
            }
            guard let offset = reader.zoneOffsetSeconds() else { return nil }
            seconds -= offset
        }
        guard reader.atEnd else { return nil }
        return seconds * microsPerSecond + fraction
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysIn(_ month: Int64, _ year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else {
                return false
            }
            position += 1
            return true
        }

        /// Exactly `count` digits.
        mutating func digits(_ count: Int) -> Int64? {
            guard position + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[position..<position + count] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            position += count
            return value
        }

        /// 1 to 6 fraction digits as microseconds; more would be a precision the type cannot keep.
        mutating func fractionMicros() -> Int64? {
            var value: Int64 = 0
            var count = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                guard count < 6 else { return nil }
                value = value * 10 + Int64(bytes[position] - 0x30)
                count += 1
                position += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<6 { value *= 10 }
            return value
        }

        /// `Z`, `±HH:MM` or nothing (UTC), as seconds east of UTC.
        mutating func zoneOffsetSeconds() -> Int64? {
            if atEnd { return 0 }
            if skip("Z") || skip("z") { return 0 }
            let sign: Int64
            if skip("+") { sign = 1 } else if skip("-") { sign = -1 } else { return nil }
            guard let hours = digits(2), skip(":"), let minutes = digits(2), hours < 24,
                minutes < 60
            else { return nil }
            return sign * (hours * 3600 + minutes * 60)
        }
    }
}
