import Parquet

/// A 5-field cron expression in UTC (minute, hour, day of month, month, day of week), as
/// crontab(5) reads it: `*`, numbers, names (`jan`…`dec`, `sun`…`sat`), ranges `a-b`, steps
/// `*/n` and `a-b/n`, lists of those, and the shortcuts `@hourly`, `@daily`, `@weekly`,
/// `@monthly`, `@yearly`. When both day fields are restricted, a day matches either (cron's rule).
public struct CronExpression: Sendable, Equatable {
    public let text: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday (7 is read as Sunday).
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    static let shortcuts = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
        "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]

    /// Parses `text`; the error says which field is wrong and why.
    public init(_ text: String) throws {
        self.text = text
        let expanded = Self.shortcuts[text.lowercased()] ?? text
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError("expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        minutes = try Self.field(fields[0], "minute", 0...59, names: [])
        hours = try Self.field(fields[1], "hour", 0...23, names: [])
        days = try Self.field(fields[2], "day of month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, nameBase: 1)
        weekdays = Set(try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames).map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    public static func isValid(_ text: String) -> Bool { (try? CronExpression(text)) != nil }

    private static func field(
        _ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int = 0
    ) throws -> Set<Int> {
        func number(_ s: Substring) throws -> Int {
            if s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(s) {
                guard range.contains(n) else {
                    throw CronError("\(name) \(n) is outside \(range.lowerBound)-\(range.upperBound)")
                }
                return n
            }
            if let i = names.firstIndex(of: s.lowercased()) { return i + nameBase }
            throw CronError("\(name) field has \"\(s)\", expected a number\(names.isEmpty ? "" : " or a name like \(names[0])")")
        }
        var result = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty else { throw CronError("\(name) field \"\(item)\" is malformed") }
            var step = 1
            if parts.count == 2 {
                guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let s = Int(parts[1]), s > 0,
                      s <= range.upperBound
                else {
                    throw CronError("\(name) step \"\(parts[1])\" must be a number from 1 to \(range.upperBound)")
                }
                step = s
            }
            var lower = range.lowerBound
            var upper = range.upperBound
            if parts[0] != "*" {
                let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw CronError("\(name) range \"\(parts[0])\" is malformed") }
                lower = try number(bounds[0])
                upper = bounds.count == 2 ? try number(bounds[1]) : (parts.count == 2 ? range.upperBound : lower)
                guard lower <= upper else { throw CronError("\(name) range \(lower)-\(upper) runs backwards") }
            }
            result.formUnion(stride(from: lower, through: upper, by: step))
        }
        return result
    }

    private func matchesDay(year: Int64, month: Int64, day: Int64) -> Bool {
        guard months.contains(Int(month)) else { return false }
        let weekday = Int((Timestamps.days(year: year, month: month, day: day) % 7 + 11) % 7)  // 1970-01-01 was a Thursday
        let dayOK = days.contains(Int(day))
        let weekdayOK = weekdays.contains(weekday)
        if daysRestricted && weekdaysRestricted { return dayOK || weekdayOK }
        return dayOK && weekdayOK
    }

    /// The first minute strictly after `seconds` (Unix time, UTC) that the expression matches,
    /// or nil when none falls within the next 5 years (e.g. `0 0 30 2 *`).
    public func next(after seconds: Int64) -> Int64? {
        var minute = Timestamps.floorDivide(seconds, 60).0 + 1
        let limit = minute + 5 * 366 * 1440
        while minute < limit {
            let (day, minuteOfDay) = Timestamps.floorDivide(minute, 1440)
            let (y, m, d) = Timestamps.civil(fromDays: day)
            if !matchesDay(year: y, month: m, day: d) {
                minute = (day + 1) * 1440
                continue
            }
            let hour = Int(minuteOfDay / 60)
            if !hours.contains(hour) {
                minute = day * 1440 + Int64(hour + 1) * 60
                continue
            }
            if minutes.contains(Int(minuteOfDay % 60)) { return minute * 60 }
            minute += 1
        }
        return nil
    }
}

public struct CronError: Error, CustomStringConvertible {
    public var description: String
    init(_ text: String) { description = text.oneLine }
}
