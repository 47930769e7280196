/// Calendar arithmetic on epoch milliseconds (proleptic Gregorian, UTC), fast enough to format a
/// timestamp per generated event without Foundation's formatters.
enum EventTime {
    static let millisPerSecond: Int64 = 1000
    static let millisPerMinute: Int64 = 60_000
    static let millisPerHour: Int64 = 3_600_000
    static let millisPerDay: Int64 = 86_400_000

    /// Days since 1970-01-01 of a civil date.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        Timestamps.days(year: year, month: month, day: day)
    }

    /// The civil date of a day number.
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        Timestamps.civil(fromDays: days)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The hour of the day (0–23, UTC) of an instant.
    static func hourOfDay(_ millis: Int64) -> Int64 {
        (millis - floorDivide(millis, millisPerDay) * millisPerDay) / millisPerHour
    }

    /// Parses the `--start` argument: `YYYY-MM-DD`, optionally followed by `T` or a space,
    /// `HH:MM[:SS[.fff…]]` and a zone (`Z`, `±HH:MM`, `±HHMM`; none means UTC).
    static func parse(_ text: String) -> Int64? {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.skip(UInt8(ascii: "-")),
            let month = scanner.number(digits: 2), scanner.skip(UInt8(ascii: "-")),
            let day = scanner.number(digits: 2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var millis = days(year: year, month: month, day: day) * millisPerDay
        if scanner.atEnd { return millis }
        guard scanner.skip(UInt8(ascii: "T")) || scanner.skip(UInt8(ascii: " ")),
            let clock = scanner.clockMillis()
        else { return nil }
        millis += clock
        guard let offset = scanner.zoneOffsetMillis(), scanner.atEnd else { return nil }
        return millis - offset
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// How a generated timestamp is written. All forms are valid per SPEC §3.
enum TimestampForm: UInt8 {
    /// `2026-01-29T19:45:48.011Z`
    case canonical
    /// `2026-01-29 19:45:48.011` (a space, no zone: UTC)
    case spaceNoZone
    /// `2026-01-29T20:45:48.011+01:00` (the same instant in a +01:00 zone)
    case plusOneHour
    /// `2026-01-29T19:45:48Z` (whole seconds; the event time is truncated to match)
    case wholeSeconds
}

extension EventTime {
    /// Appends `millis` written in `form` (without quotes).
    static func append(_ millis: Int64, form: TimestampForm, to bytes: inout [UInt8]) {
        let shifted = form == .plusOneHour ? millis + millisPerHour : millis
        let dayNumber = floorDivide(shifted, millisPerDay)
        let (year, month, day) = civil(days: dayNumber)
        let inDay = shifted - dayNumber * millisPerDay
        appendDigits(year, count: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &bytes)
        bytes.append(form == .spaceNoZone ? UInt8(ascii: " ") : UInt8(ascii: "T"))
        appendDigits(inDay / millisPerHour, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(inDay / millisPerMinute % 60, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(inDay / millisPerSecond % 60, count: 2, to: &bytes)
        if form != .wholeSeconds {
            bytes.append(UInt8(ascii: "."))
            appendDigits(inDay % millisPerSecond, count: 3, to: &bytes)
        }
        switch form {
        case .canonical, .wholeSeconds: bytes.append(UInt8(ascii: "Z"))
        case .spaceNoZone: break
        case .plusOneHour: bytes.append(contentsOf: "+01:00".utf8)
        }
    }

    /// Appends a non-negative `value` as exactly `count` decimal digits.
    static func appendDigits(_ value: Int64, count: Int, to bytes: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}

/// Reads fixed-width numbers and clock parts from ASCII bytes.
private struct DigitScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func number(digits: Int) -> Int64? {
        guard index + digits <= bytes.count else { return nil }
        var value: Int64 = 0
        for byte in bytes[index..<index + digits] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        index += digits
        return value
    }

    /// `HH:MM[:SS[.fff…]]` as milliseconds into the day.
    mutating func clockMillis() -> Int64? {
        guard let hour = number(digits: 2), skip(UInt8(ascii: ":")),
            let minute = number(digits: 2), hour < 24, minute < 60
        else { return nil }
        var millis = hour * EventTime.millisPerHour + minute * EventTime.millisPerMinute
        guard skip(UInt8(ascii: ":")) else { return millis }
        guard let second = number(digits: 2), second < 60 else { return nil }
        millis += second * EventTime.millisPerSecond
        guard skip(UInt8(ascii: ".")) else { return millis }
        var scale: Int64 = 100
        var digitCount = 0
        while let digit = number(digits: 1) {
            millis += digit * scale
            scale /= 10
            digitCount += 1
        }
        return digitCount > 0 ? millis : nil
    }

    /// The zone's offset from UTC in milliseconds; 0 when there is none.
    mutating func zoneOffsetMillis() -> Int64? {
        if atEnd || skip(UInt8(ascii: "Z")) { return 0 }
        let sign: Int64
        if skip(UInt8(ascii: "+")) {
            sign = 1
        } else if skip(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = number(digits: 2) else { return nil }
        _ = skip(UInt8(ascii: ":"))
        guard let minutes = number(digits: 2), hours < 24, minutes < 60 else { return nil }
        return sign * (hours * EventTime.millisPerHour + minutes * EventTime.millisPerMinute)
    }
}
