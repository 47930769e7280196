/// Microsecond instants: silver's resolution, which the outcome model and the transactions
/// generator (Python's `datetime`, microseconds) work in.
extension EventTime {
    static let microsPerMilli: Int64 = 1000
    static let microsPerSecond: Int64 = 1_000_000
    static let microsPerMinute: Int64 = 60_000_000
    static let microsPerDay: Int64 = 86_400_000_000

    /// `2026-01-29T10:15:02.123456`, as Python's `datetime.isoformat()` writes a naive time:
    /// no zone, and no fraction at all when the microsecond is 0 (`2026-01-29T10:15:02`).
    static func appendNaive(micros: Int64, to bytes: inout [UInt8]) {
        let fraction = appendDateTime(micros: micros, to: &bytes)
        guard fraction != 0 else { return }
        bytes.append(UInt8(ascii: "."))
        appendDigits(fraction, count: 6, to: &bytes)
    }

    /// `2026-01-29T19:45:48.011Z` (`fractionDigits` 3, the fraction truncated) or
    /// `2026-01-29T19:45:48.011250Z` (6): the manifest's form.
    static func iso(micros: Int64, fractionDigits: Int) -> String {
        precondition(fractionDigits == 3 || fractionDigits == 6, "3 or 6 fraction digits")
        var bytes: [UInt8] = []
        let fraction = appendDateTime(micros: micros, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        if fractionDigits == 3 {
            appendDigits(fraction / microsPerMilli, count: 3, to: &bytes)
        } else {
            appendDigits(fraction, count: 6, to: &bytes)
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS` (UTC) and returns the microseconds within the second.
    private static func appendDateTime(micros: Int64, to bytes: inout [UInt8]) -> Int64 {
        let dayNumber = floorDivide(micros, microsPerDay)
        let (year, month, day) = civil(days: dayNumber)
        let inDay = micros - dayNumber * microsPerDay
        let seconds = inDay / microsPerSecond
        appendDigits(year, count: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(seconds / 3600, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(seconds / 60 % 60, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(seconds % 60, count: 2, to: &bytes)
        return inDay % microsPerSecond
    }
}
