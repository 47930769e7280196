/// A `timestamp_format` given as a strftime-style pattern (`"%Y-%m-%d %H:%M:%S"`), for
/// sources that write neither ISO-8601 nor epoch numbers (a shop's log in local time, a
/// `dd/mm/yyyy` export). Compiled once at load into fixed steps; parsing a value walks them
/// without allocating.
///
/// Directives: `%Y` year (4 digits), `%m` month, `%d` day, `%H` hour, `%M` minute, `%S`
/// second (2 digits each), `%f` a fraction of 1–9 digits (cut to microseconds), `%z` a zone
/// (`Z`, `+hh`, `+hhmm`, `+hh:mm`), `%F` = `%Y-%m-%d`, `%T` = `%H:%M:%S`, `%%` a percent
/// sign; every other byte must appear as written. A value must match the whole pattern. A
/// pattern without `%z` gives wall-clock time, read in the job's `timezone` as ISO-8601 values
/// without a zone are (`LocalTimeZone`: the repeated autumn hour at its first occurrence, the
/// skipped spring hour `bad_timestamp`). Missing parts default to the start of their range
/// (a pattern without `%H` gives midnight).
public struct TimestampPattern: Sendable, Equatable {
    enum Step: Sendable, Equatable {
        case year, month, day, hour, minute, second, fraction, zone
        case literal(UInt8)
    }

    public let text: String
    let steps: [Step]
    let hasZone: Bool

    /// nil with a reason when the pattern is not one this parser reads.
    public static func compile(_ text: String) -> Result<TimestampPattern, PatternError> {
        var steps: [Step] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "%") else {
                steps.append(.literal(bytes[i]))
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { return .failure(PatternError("the pattern ends with a lone %")) }
            switch bytes[i + 1] {
            case UInt8(ascii: "Y"): steps.append(.year)
            case UInt8(ascii: "m"): steps.append(.month)
            case UInt8(ascii: "d"): steps.append(.day)
            case UInt8(ascii: "H"): steps.append(.hour)
            case UInt8(ascii: "M"): steps.append(.minute)
            case UInt8(ascii: "S"): steps.append(.second)
            case UInt8(ascii: "f"): steps.append(.fraction)
            case UInt8(ascii: "z"): steps.append(.zone)
            case UInt8(ascii: "F"): steps += [.year, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day]
            case UInt8(ascii: "T"):
                steps += [.hour, .literal(UInt8(ascii: ":")), .minute, .literal(UInt8(ascii: ":")), .second]
            case UInt8(ascii: "%"): steps.append(.literal(UInt8(ascii: "%")))
            default:
                let directive = String(decoding: bytes[i...(i + 1)], as: UTF8.self)
                return .failure(PatternError("\(directive) is not a supported directive"))
            }
            i += 2
        }
        for required in [Step.year, .month, .day] where !steps.contains(required) {
            let name = required == .year ? "%Y" : required == .month ? "%m" : "%d"
            return .failure(PatternError("the pattern has no \(name)"))
        }
        for step in [Step.year, .month, .day, .hour, .minute, .second, .fraction, .zone]
        where steps.filter({ $0 == step }).count > 1 {
            return .failure(PatternError("a directive appears twice"))
        }
        return .success(TimestampPattern(text: text, steps: steps, hasZone: steps.contains(.zone)))
    }

    public struct PatternError: Error, Equatable, Sendable {
        public let message: String
        init(_ message: String) { self.message = message }
    }

    /// UTC micros of `value`; a value without a zone is wall-clock time in `zone` (UTC when nil).
    public func parse(_ value: UnsafeRawBufferPointer, naiveIn zone: inout LocalTimeZone?)
        -> Result<Int64, TimestampParser.Problem>
    {
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0
        var micros: Int64 = 0
        var offset: Int64 = 0
        var p = 0
        func digits(_ n: Int) -> Int? {
            guard p + n <= value.count else { return nil }
            var v = 0
            for k in 0..<n {
                let d = value[p + k] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            p += n
            return v
        }
        for step in steps {
            switch step {
            case .literal(let b):
                guard p < value.count, value[p] == b else { return .failure(.notPattern) }
                p += 1
            case .year: guard let v = digits(4) else { return .failure(.notPattern) }; year = v
            case .month: guard let v = digits(2) else { return .failure(.notPattern) }; month = v
            case .day: guard let v = digits(2) else { return .failure(.notPattern) }; day = v
            case .hour: guard let v = digits(2) else { return .failure(.notPattern) }; hour = v
            case .minute: guard let v = digits(2) else { return .failure(.notPattern) }; minute = v
            case .second: guard let v = digits(2) else { return .failure(.notPattern) }; second = v
            case .fraction:
                var n = 0
                micros = 0
                while p < value.count, case let d = value[p] &- UInt8(ascii: "0"), d < 10 {
                    if n < 6 { micros = micros * 10 + Int64(d) }
                    n += 1
                    p += 1
                }
                guard n >= 1 && n <= 9 else { return .failure(.notPattern) }
                for _ in min(n, 6)..<6 { micros *= 10 }
            case .zone:
                guard p < value.count else { return .failure(.notPattern) }
                let sign = value[p]
                p += 1
                if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") { continue }
                guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), let h = digits(2) else {
                    return .failure(.notPattern)
                }
                if p < value.count && value[p] == UInt8(ascii: ":") { p += 1 }
                let m = digits(2) ?? 0
                guard h <= 23 && m <= 59 else { return .failure(.zoneOffset) }
                offset = Int64(h * 3600 + m * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            }
        }
        guard p == value.count else { return .failure(.notPattern) }
        guard year >= 1 else { return .failure(.year) }
        guard month >= 1 && month <= 12 else { return .failure(.month) }
        guard day >= 1 && day <= TimestampParser.daysIn(month: month, year: year) else { return .failure(.day) }
        guard hour <= 23 else { return .failure(.hour) }
        guard minute <= 59 else { return .failure(.minute) }
        guard second <= 59 else { return .failure(.second) }
        let days = TimestampParser.daysFromCivil(year: year, month: month, day: day)
        let wall = (days * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000 + micros
        if hasZone { return .success(wall - offset * 1_000_000) }
        guard var z = zone else { return .success(wall) }
        defer { zone = z }
        guard let utc = z.utcMicros(fromLocal: wall) else { return .failure(.localTimeGap) }
        return .success(utc)
    }
}
