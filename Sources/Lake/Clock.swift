import Foundation

/// Wall-clock time for catalog bookkeeping and bronze `ingested_at`.
public enum Clock {
    public static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    public static func isoNow() -> String { Timestamps.iso(micros: nowMicros()) }
}

/// Timestamp text as the lake writes it: `YYYY-MM-DDTHH:MM:SS.sssZ` (millisecond precision, UTC),
/// the form SQLite's date functions understand.
public enum Timestamps {
    public static func iso(micros: Int64) -> String {
        let (days, dayMicros) = floorDivide(micros, 86_400_000_000)
        let (y, m, d) = civil(fromDays: days)
        let ms = dayMicros / 1000
        guard (0...9999).contains(y) else {
            return "\(y)-\(pad(m, 2))-\(pad(d, 2))T\(pad(ms / 3_600_000, 2)):\(pad(ms / 60_000 % 60, 2)):"
                + "\(pad(ms / 1000 % 60, 2)).\(pad(ms % 1000, 3))Z"
        }
        return String(unsafeUninitializedCapacity: isoByteCount) { out in
            writeISO(ms: ms, y: y, m: m, d: d, into: UnsafeMutableRawBufferPointer(out))
        }
    }

    /// Bytes of `YYYY-MM-DDTHH:MM:SS.sssZ`.
    public static let isoByteCount = 24

    /// Writes `iso(micros:)` into `out` (at least `isoByteCount` bytes) without allocating and
    /// returns the byte count; for per-row paths such as gold's SQLite rows.
    public static func writeISO(micros: Int64, into out: UnsafeMutableRawBufferPointer) -> Int {
        let (days, dayMicros) = floorDivide(micros, 86_400_000_000)
        let (y, m, d) = civil(fromDays: days)
        guard (0...9999).contains(y) else {
            // Years beyond four digits: rare, so the allocating form is fine.
            let text = Array(iso(micros: micros).utf8)
            precondition(text.count <= out.count, "buffer too small for a timestamp")
            for (i, byte) in text.enumerated() { out[i] = byte }
            return text.count
        }
        return writeISO(ms: dayMicros / 1000, y: y, m: m, d: d, into: out)
    }

    /// Built byte by byte through a pointer: this runs three times per gold row (a stride loop
    /// with checked subscripts cost ~500 instructions a timestamp). Years 0...9999.
    private static func writeISO(
        ms: Int64, y: Int64, m: Int64, d: Int64, into out: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(out.count >= isoByteCount)
        let p = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        @inline(__always) func two(_ v: Int, at i: Int) {
            p[i] = UInt8(truncatingIfNeeded: 48 &+ v / 10)
            p[i &+ 1] = UInt8(truncatingIfNeeded: 48 &+ v % 10)
        }
        let year = Int(y), ms = Int(ms)
        two(year / 100, at: 0); two(year % 100, at: 2); p[4] = 45
        two(Int(m), at: 5); p[7] = 45
        two(Int(d), at: 8); p[10] = 84
        two(ms / 3_600_000, at: 11); p[13] = 58
        two(ms / 60_000 % 60, at: 14); p[16] = 58
        let millis = ms % 1000
        two(ms / 1000 % 60, at: 17); p[19] = 46
        p[20] = UInt8(truncatingIfNeeded: 48 &+ millis / 100)
        two(millis % 100, at: 21); p[23] = 90
        return isoByteCount
    }

    /// `YYYY-MM-DD` of the UTC day holding `micros` (partition values).
    public static func date(micros: Int64) -> String {
        let (y, m, d) = civil(fromDays: floorDivide(micros, 86_400_000_000).0)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil):
    /// counting years from March puts the leap day last, so the day of the year follows from
    /// the month by one linear formula; 400-year eras (146097 days) keep the numbers small.
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
