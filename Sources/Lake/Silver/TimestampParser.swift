/// Parses ISO-8601 timestamps from UTF-8 bytes into UTC microseconds since 1970, by hand
/// (days-from-civil arithmetic): no Foundation formatter is fast enough for the silver path.
///
/// Accepted: `YYYY-MM-DD`, optionally followed by `T`, `t` or a space and `HH:MM` or
/// `HH:MM:SS`, an optional fraction (`.` and one or more digits; digits beyond microseconds
/// are truncated, not rounded) after the seconds, and an optional zone: `Z`, `z`, `±HH:MM`,
/// `±HHMM` or `±HH`. No zone means UTC; a bare date means midnight UTC.
///
/// Rejected: years outside 0001–9999, month 0 or 13, a day the month does not have (Feb 29 of a
/// non-leap year, Feb 30), hour 24, minute or second 60. A leap second (`23:59:60`) is
/// rejected because Parquet and SQLite timestamps cannot represent it and accepting it as the
/// next second would reorder events; no clickstream source emits one.
public enum TimestampParser {
    /// Why a string is not a timestamp.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case syntax
        case year
        case month
        case day
        case hour
        case minute
        case second
        case zoneOffset
        /// A wall-clock time the job's time zone skips (the hour a DST change jumps over).
        case localTimeGap
        case outOfRange
        /// An `epoch_ms`/`epoch_s` value that is not a number or a numeric string.
        case notEpochNumber
        /// A value that does not match the job's `timestamp_format` pattern.
        case notPattern

        public var description: String {
            switch self {
            case .syntax: "not an ISO-8601 date or date-time"
            case .year: "year out of range 0001-9999"
            case .month: "month out of range"
            case .day: "day out of range for the month"
            case .hour: "hour out of range"
            case .minute: "minute out of range"
            case .second: "second out of range (leap seconds are not accepted)"
            case .zoneOffset: "zone offset out of range"
            case .localTimeGap: "a local time the job's time zone skips (daylight saving)"
            case .outOfRange: "outside the years 0001-9999"
            case .notEpochNumber: "not an epoch number"
            case .notPattern: "does not match the job's timestamp_format"
            }
        }
    }

    static let microsPerSecond: Int64 = 1_000_000
    static let secondsPerDay: Int64 = 86_400
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in micros: the range epoch values
    /// must fall in.
    public static let microsMin: Int64 = daysFromCivil(year: 1, month: 1, day: 1) * 86_400_000_000
    public static let microsMax: Int64 =
        daysFromCivil(year: 10_000, month: 1, day: 1) * 86_400_000_000 - 1

    /// Parses an ISO-8601 timestamp; one without a zone is wall-clock time in `zone` (the
    /// job's `timezone`; UTC when nil).
    public static func parse(_ text: UnsafeRawBufferPointer, naiveIn zone: inout LocalTimeZone?) -> Result<Int64, Problem> {
        guard zone != nil else { return parse(text) }
        var local = false
        let result = parse(text, isLocal: &local)
        guard local, case .success(let wall) = result, var z = zone else { return result }
        defer { zone = z }
        guard let utc = z.utcMicros(fromLocal: wall) else { return .failure(.localTimeGap) }
        return .success(utc)
    }

    /// The date of the last timestamp the shortcut of `parse(_:naiveIn:memo:)` read, and its
    /// day number: the events of a stream mostly share their date, which is then compared
    /// (two loads) instead of read, checked and converted again.
    struct DateMemo {
        fileprivate var head: UInt64 = 0
        fileprivate var tail: UInt16 = 0
        fileprivate var days: Int64?
    }

    /// `parse(_:naiveIn:)`, with a shortcut for the form collectors send on silver's path,
    /// `YYYY-MM-DDTHH:MM:SS[.digits]Z`: the same result for every text (anything the shortcut
    /// does not take, errors included, goes to the general parser).
    static func parse(_ text: UnsafeRawBufferPointer, naiveIn zone: inout LocalTimeZone?, memo: inout DateMemo)
        -> Result<Int64, Problem>
    {
        if let micros = utcShortcut(text, &memo) { return .success(micros) }
        return parse(text, naiveIn: &zone)
    }

    /// The UTC form above, its date compared with the last one, or nil for anything else.
    @inline(__always)
    private static func utcShortcut(_ text: UnsafeRawBufferPointer, _ memo: inout DateMemo) -> Int64? {
        let n = text.count
        guard n >= 12, let p = text.baseAddress,
              p.load(fromByteOffset: 10, as: UInt8.self) == ASCII.upperT,
              p.load(fromByteOffset: n - 1, as: UInt8.self) == ASCII.upperZ
        else { return nil }
        let head = p.loadUnaligned(as: UInt64.self)
        let tail = p.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        let days: Int64
        if let known = memo.days, head == memo.head, tail == memo.tail {
            days = known
        } else {
            var local = false
            guard case .success(let midnight) = parse(UnsafeRawBufferPointer(rebasing: text[0..<10]), isLocal: &local)
            else { return nil }
            days = midnight / (secondsPerDay * microsPerSecond)
            memo = DateMemo(head: head, tail: tail, days: days)
        }
        // The time as the general parser reads it, which must end at the `Z`.
        var reader = DigitReader(bytes: UnsafeRawBufferPointer(rebasing: text[11..<(n - 1)]))
        guard case .success(let (secondOfDay, micros)) = time(&reader), reader.atEnd else { return nil }
        return (days * secondsPerDay + secondOfDay) * microsPerSecond + micros
    }

    /// Parses an ISO-8601 timestamp (see the type's documentation) into UTC micros.
    public static func parse(_ text: UnsafeRawBufferPointer) -> Result<Int64, Problem> {
        var local = false
        return parse(text, isLocal: &local)
    }

    /// `isLocal` is set when the text has no zone (the result is then wall-clock time read as UTC).
    static func parse(_ text: UnsafeRawBufferPointer, isLocal: inout Bool) -> Result<Int64, Problem> {
        var reader = DigitReader(bytes: text)
        guard let year = reader.number(digits: 4), reader.skip(ASCII.minus),
            let month = reader.number(digits: 2), reader.skip(ASCII.minus),
            let day = reader.number(digits: 2)
        else { return .failure(.syntax) }
        guard year >= 1 else { return .failure(.year) }
        guard month >= 1 && month <= 12 else { return .failure(.month) }
        guard day >= 1 && day <= daysIn(month: month, year: year) else { return .failure(.day) }
        let days = Int64(daysFromCivil(year: year, month: month, day: day))
        if reader.atEnd {
            isLocal = true
            return .success(days * secondsPerDay * microsPerSecond)
        }
        let separator = reader.next()
        guard separator == ASCII.upperT || separator == ASCII.t || separator == ASCII.space else {
            return .failure(.syntax)
        }
        switch time(&reader) {
        case .failure(let problem): return .failure(problem)
        case .success(let (secondOfDay, micros)):
            isLocal = reader.atEnd
            switch zoneOffsetSeconds(&reader) {
            case .failure(let problem): return .failure(problem)
            case .success(let offset):
                let seconds = days * secondsPerDay + secondOfDay - offset
                return .success(seconds * microsPerSecond + micros)
            }
        }
    }

    /// Parses `HH:MM[:SS[.fraction]]`; returns the second of the day and the microseconds.
    private static func time(_ reader: inout DigitReader) -> Result<(Int64, Int64), Problem> {
        guard let hour = reader.number(digits: 2), reader.skip(ASCII.colon),
            let minute = reader.number(digits: 2)
        else { return .failure(.syntax) }
        var second = 0
        var micros: Int64 = 0
        if reader.skip(ASCII.colon) {
            guard let value = reader.number(digits: 2) else { return .failure(.syntax) }
            second = value
            if reader.skip(ASCII.dot) {
                guard let fraction = reader.fractionMicros() else { return .failure(.syntax) }
                micros = fraction
            }
        }
        guard hour <= 23 else { return .failure(.hour) }
        guard minute <= 59 else { return .failure(.minute) }
        guard second <= 59 else { return .failure(.second) }
        return .success((Int64(hour * 3600 + minute * 60 + second), micros))
    }

    /// Parses the optional zone, which must end the text; returns its offset east of UTC.
    private static func zoneOffsetSeconds(_ reader: inout DigitReader) -> Result<Int64, Problem> {
        guard !reader.atEnd else { return .success(0) }
        let sign = reader.next()
        if sign == ASCII.upperZ || sign == ASCII.z {
            return reader.atEnd ? .success(0) : .failure(.syntax)
        }
        guard sign == ASCII.plus || sign == ASCII.minus,
            let hours = reader.number(digits: 2)
        else { return .failure(.syntax) }
        var minutes = 0
        if !reader.atEnd {
            _ = reader.skip(ASCII.colon)
            guard let value = reader.number(digits: 2), reader.atEnd else {
                return .failure(.syntax)
            }
            minutes = value
        }
        guard hours <= 23 && minutes <= 59 else { return .failure(.zoneOffset) }
        let offset = Int64(hours * 3600 + minutes * 60)
        return .success(sign == ASCII.minus ? -offset : offset)
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (year ≥ 1).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        Timestamps.days(year: Int64(year), month: Int64(month), day: Int64(day))
    }
}

/// Reads fixed-width digit groups and single bytes; every read checks the bounds.
private struct DigitReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    mutating func next() -> UInt8 {
        guard index < bytes.count else { return 0 }
        index += 1
        return bytes[index - 1]
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard index < bytes.count && bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Exactly `digits` decimal digits, or nil (and nothing consumed).
    mutating func number(digits: Int) -> Int? {
        guard index + digits <= bytes.count else { return nil }
        var value = 0
        for position in index..<index + digits {
            let digit = bytes[position] &- ASCII.zero
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        index += digits
        return value
    }

    /// One or more digits as microseconds: the first six count, the rest are checked only.
    mutating func fractionMicros() -> Int64? {
        let start = index
        var micros: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- ASCII.zero
            guard digit < 10 else { break }
            if index - start < 6 { micros = micros * 10 + Int64(digit) }
            index += 1
        }
        let count = index - start
        guard count > 0 else { return nil }
        for _ in count..<max(count, 6) { micros *= 10 }
        return micros
    }
}
