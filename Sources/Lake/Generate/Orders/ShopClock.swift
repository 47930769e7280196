import Foundation

/// The shop's wall clock: instants as the local time of an IANA zone (`Europe/Rome`) with
/// summer time, from the system's time zone database through Foundation's `TimeZone`, and
/// written as MySQL's `current_time('mysql')` does: `2026-01-29 19:55:12`, no zone.
///
/// Such a text is lossy once a year: when summer time ends, an hour of wall-clock times occurs
/// twice. `readBackSeconds` assumes a reader takes the earlier instant, as Python
/// (`fold=0`), Java's `ZonedDateTime` and Foundation's `Calendar` do.
struct ShopClock {
    let timeZone: TimeZone
    /// Farther back than any backward jump of a wall clock (one hour in Europe).
    static let foldLookbackSeconds: Int64 = 3 * 3600

    init?(identifier: String) {
        guard let timeZone = TimeZone(identifier: identifier) else { return nil }
        self.timeZone = timeZone
    }

    /// Seconds the wall clock is ahead of UTC at the instant `seconds` (since 1970).
    func offsetSeconds(at seconds: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
    }

    /// The wall clock at the instant `seconds`, as seconds since 1970-01-01 00:00 wall time.
    func wallSeconds(at seconds: Int64) -> Int64 {
        seconds + offsetSeconds(at: seconds)
    }

    /// The instant a reader gets back from the wall-clock text of the instant `seconds`: the
    /// instant itself, or an earlier one with the same wall time in the repeated hour.
    func readBackSeconds(at seconds: Int64) -> Int64 {
        let offset = offsetSeconds(at: seconds)
        let before = offsetSeconds(at: seconds - ShopClock.foldLookbackSeconds)
        guard before > offset else { return seconds }
        let earlier = seconds + offset - before
        return offsetSeconds(at: earlier) == before ? earlier : seconds
    }

    /// Appends `2026-01-29 19:55:12` for `wallSeconds` (from `wallSeconds(at:)`).
    static func appendText(wallSeconds: Int64, to bytes: inout [UInt8]) {
        let dayNumber = EventTime.floorDivide(wallSeconds, 86_400)
        let (year, month, day) = EventTime.civil(days: dayNumber)
        let inDay = wallSeconds - dayNumber * 86_400
        EventTime.appendDigits(year, count: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        EventTime.appendDigits(month, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        EventTime.appendDigits(day, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        EventTime.appendDigits(inDay / 3600, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        EventTime.appendDigits(inDay / 60 % 60, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        EventTime.appendDigits(inDay % 60, count: 2, to: &bytes)
    }
}
