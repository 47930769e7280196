import Foundation
import Testing

@testable import Lake

@Suite struct TimestampParserTests {
    static func parse(_ text: String) -> Result<Int64, TimestampParser.Problem> {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { TimestampParser.parse(UnsafeRawBufferPointer($0)) }
    }

    static let valid: [(String, Int64)] = [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01", 0),
        ("2026-01-29T19:45:48.011Z", 1_769_715_948_011_000),
        ("2026-01-29 19:45:48.011", 1_769_715_948_011_000),
        ("2026-01-29T19:45:48.011", 1_769_715_948_011_000),
        ("2026-01-29t19:45:48.011z", 1_769_715_948_011_000),
        ("2026-01-29T19:45:48.011000000Z", 1_769_715_948_011_000),
        // Nanoseconds are truncated to micros, never rounded up.
        ("2026-01-29T19:45:48.011123999Z", 1_769_715_948_011_123),
        ("2026-01-29T19:45:48.0111239999999999999999Z", 1_769_715_948_011_123),
        ("2026-01-29T19:45:48.5Z", 1_769_715_948_500_000),
        ("2026-01-29T21:45:48.011+02:00", 1_769_715_948_011_000),
        ("2026-01-29T21:45:48.011+0200", 1_769_715_948_011_000),
        ("2026-01-29T21:45:48.011+02", 1_769_715_948_011_000),
        ("2026-01-29T14:15:48.011-05:30", 1_769_715_948_011_000),
        ("2026-01-30T05:30:48.011+09:45", 1_769_715_948_011_000),
        ("2026-01-29T19:45:48-00:00", 1_769_715_948_000_000),
        ("2026-01-29T19:45Z", 1_769_715_900_000_000),
        ("2026-01-29T19:45", 1_769_715_900_000_000),
        ("2026-01-29T20:45+01:00", 1_769_715_900_000_000),
        ("2024-02-29", 1_709_164_800_000_000),
        ("2000-02-29T12:00:00Z", 951_825_600_000_000),
        ("1969-12-31T23:59:59.5Z", -500_000),
        ("0001-01-01T00:00:00Z", -62_135_596_800_000_000),
        ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
    ]

    @Test(arguments: valid)
    func parsesValidTimestamps(text: String, micros: Int64) {
        #expect(Self.parse(text) == .success(micros))
    }

    static let invalid: [(String, TimestampParser.Problem)] = [
        ("2023-02-29", .day),
        ("1900-02-29T00:00:00Z", .day),
        ("2026-02-30T10:00:00Z", .day),
        ("2026-04-31", .day),
        ("2026-01-00", .day),
        ("2026-01-32", .day),
        ("2026-13-01", .month),
        ("2026-00-10", .month),
        ("0000-01-01", .year),
        ("2026-01-29T24:00:00Z", .hour),
        ("2026-01-29T23:60:00Z", .minute),
        ("2026-01-29T23:59:60Z", .second),
        ("2016-12-31T23:59:60Z", .second),
        ("2026-01-29T19:45:48+24:00", .zoneOffset),
        ("2026-01-29T19:45:48+01:60", .zoneOffset),
        ("", .syntax),
        ("2026", .syntax),
        ("2026-1-29", .syntax),
        ("20260129", .syntax),
        ("26-01-29", .syntax),
        ("+2026-01-29", .syntax),
        ("2026-01-29T", .syntax),
        ("2026-01-29T19", .syntax),
        ("2026-01-29T19:4", .syntax),
        ("2026-01-29T19:45:4", .syntax),
        ("2026-01-29T19:45:48.", .syntax),
        ("2026-01-29T19:45:48.Z", .syntax),
        ("2026-01-29T19:45:48,011Z", .syntax),
        ("2026-01-29T19:45:48.011 Z", .syntax),
        ("2026-01-29Z", .syntax),
        ("2026-01-29_19:45:48Z", .syntax),
        ("2026-01-29T19:45:48ZZ", .syntax),
        ("2026-01-29T19:45:48Zjunk", .syntax),
        ("2026-01-29T19:45:48+05:", .syntax),
        ("2026-01-29T19:45:48+5", .syntax),
        ("2026-01-29T19:45:48+05:30:00", .syntax),
        (" 2026-01-29", .syntax),
        ("2026-01-29 ", .syntax),
        ("2026-01-29T19:45:48\u{0}", .syntax),
        ("١٩٧٠-01-01", .syntax),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidTimestamps(text: String, problem: TimestampParser.Problem) {
        #expect(Self.parse(text) == .failure(problem))
    }

    /// Checks days-from-civil against plain day counting for every year 0001–9999.
    @Test func daysFromCivilMatchesDayCounting() {
        // Days from 1970-01-01 back to 0001-01-01, counted year by year.
        var days: Int64 = 0
        for year in 1..<1970 { days -= TimestampParser.isLeapYear(year) ? 366 : 365 }
        for year in 1...9999 {
            var dayOfYear: Int64 = 0
            for month in 1...12 {
                let first = TimestampParser.daysFromCivil(year: year, month: month, day: 1)
                if first != days + dayOfYear {
                    Issue.record("\(year)-\(month)-01: \(first) != \(days + dayOfYear)")
                    return
                }
                dayOfYear += Int64(TimestampParser.daysIn(month: month, year: year))
            }
            days += dayOfYear
        }
        #expect(days == TimestampParser.daysFromCivil(year: 10_000, month: 1, day: 1))
    }

    @Test func rangeConstants() {
        #expect(TimestampParser.microsMin == -62_135_596_800_000_000)
        #expect(TimestampParser.microsMax == 253_402_300_799_999_999)
    }

    /// The allocation-free writer gold's SQLite rows use gives `Timestamps.iso` byte for byte,
    /// and that text parses back to the same millisecond.
    @Test func isoWriterMatchesIso() {
        let samples: [Int64] = [
            0, -1, 999, 1_769_680_800_123_456, -62_135_596_800_000_000, 253_402_300_799_999_999,
            253_402_300_800_000_000,  // year 10000: the long form
        ]
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        for micros in samples {
            let n = Timestamps.writeISO(micros: micros, into: buffer)
            let written = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
            #expect(written == Timestamps.iso(micros: micros))
        }
        #expect(Timestamps.iso(micros: 1_769_680_800_123_456) == "2026-01-29T10:00:00.123Z")
        #expect(Timestamps.iso(micros: -1) == "1969-12-31T23:59:59.999Z")
        // Every digit position, against text written by hand.
        let known: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00.000Z"), (999, "1970-01-01T00:00:00.000Z"),
            (-62_135_596_800_000_000, "0001-01-01T00:00:00.000Z"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999Z"),
            (951_782_400_001_000, "2000-02-29T00:00:00.001Z"),
            (1_000_000_000_987_654, "2001-09-09T01:46:40.987Z"),
            (1_234_567_890_050_000, "2009-02-13T23:31:30.050Z"),
            (-2_208_988_800_000_000 + 45_296_789_000, "1900-01-01T12:34:56.789Z"),
        ]
        for (micros, text) in known {
            let n = Timestamps.writeISO(micros: micros, into: buffer)
            #expect(String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self) == text)
        }
    }

    @Test func problemsDescribeThemselves() {
        #expect(TimestampParser.Problem.second.description.contains("leap"))
        #expect(TimestampParser.Problem.day.description == "day out of range for the month")
    }

    /// The shortcut for `YYYY-MM-DDTHH:MM:SS[.digits]Z` (with its memo of the last date) gives
    /// what the general parser gives, for valid texts and for texts one byte away from valid
    /// ones: a pool of dates (leap days, bad days and months among them) so the memo is hit and
    /// replaced, times and fractions of every length, bytes replaced, removed or added.
    @Test func shortcutAgreesWithTheGeneralParser() {
        var rng = SplitMix64(seed: 20_261_207)
        let dates = ["2026-01-29", "2026-01-30", "2024-02-29", "2025-02-29", "2026-13-01", "2026-00-10", "0001-01-01",
                     "9999-12-31", "1969-12-31", "2026-04-31", "2o26-01-29", "2026-1-290", "2026/01/29"]
        let noise = Array("0123456789-T:.Zzt +/x".utf8)
        var memo = TimestampParser.DateMemo()
        var rome = LocalTimeZone(identifier: "Europe/Rome")
        var shortcutTaken = 0
        for _ in 0..<20_000 {
            var text = Array(dates[Int(rng.next() % UInt64(dates.count))].utf8) + [UInt8(ascii: "T")]
            let clock = [Int(rng.next() % 26), Int(rng.next() % 62), Int(rng.next() % 62)]
            text += Array(clock.map { String(format: "%02d", $0) }.joined(separator: ":").utf8)
            let digits = Int(rng.next() % 12)
            if digits > 0 || rng.next() % 8 == 0 {
                text.append(UInt8(ascii: "."))
                for _ in 0..<digits { text.append(UInt8(ascii: "0") + UInt8(rng.next() % 10)) }
            }
            text.append(UInt8(ascii: "Z"))
            switch rng.next() % 4 {
            case 0: text[Int(rng.next() % UInt64(text.count))] = noise[Int(rng.next() % UInt64(noise.count))]
            case 1: text.remove(at: Int(rng.next() % UInt64(text.count)))
            case 2: text.insert(noise[Int(rng.next() % UInt64(noise.count))], at: Int(rng.next() % UInt64(text.count + 1)))
            default: break
            }
            let general = text.withUnsafeBytes { TimestampParser.parse($0) }
            var noZone: LocalTimeZone? = nil
            let fast = text.withUnsafeBytes { TimestampParser.parse($0, naiveIn: &noZone, memo: &memo) }
            #expect(fast == general, "\(String(decoding: text, as: UTF8.self))")
            let inRome = text.withUnsafeBytes { TimestampParser.parse($0, naiveIn: &rome, memo: &memo) }
            var rome2 = LocalTimeZone(identifier: "Europe/Rome")
            #expect(inRome == text.withUnsafeBytes { TimestampParser.parse($0, naiveIn: &rome2) })
            if case .success = general, text.last == UInt8(ascii: "Z"), text.count >= 20, text[10] == UInt8(ascii: "T") {
                shortcutTaken += 1
            }
        }
        // Most texts are valid and in the shortcut's form: the comparison covers it.
        #expect(shortcutTaken > 2_000)
    }
}

/// Timestamps without a zone read in the job's `timezone` (an IANA name), across both 2026
/// daylight-saving changes of Europe/Rome.
@Suite struct LocalTimeZoneTests {
    private func parse(_ text: String, _ zone: String) -> Result<Int64, TimestampParser.Problem> {
        var local = LocalTimeZone(identifier: zone)
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { TimestampParser.parse(UnsafeRawBufferPointer($0), naiveIn: &local) }
    }

    private func utc(_ text: String) -> Int64 {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { (try? TimestampParser.parse(UnsafeRawBufferPointer($0)).get()) ?? 0 }
    }

    @Test func wallClockTimeIsReadInTheZone() {
        #expect(parse("2026-01-29 19:55:12", "Europe/Rome") == .success(utc("2026-01-29T18:55:12Z")))
        #expect(parse("2026-07-01T12:00:00.5", "Europe/Rome") == .success(utc("2026-07-01T10:00:00.5Z")))
        #expect(parse("2026-01-29", "Europe/Rome") == .success(utc("2026-01-28T23:00:00Z")))
        // A written zone wins over the job's.
        #expect(parse("2026-01-29T19:55:12Z", "Europe/Rome") == .success(utc("2026-01-29T19:55:12Z")))
        #expect(parse("2026-01-29T19:55:12+05:30", "Europe/Rome") == .success(utc("2026-01-29T14:25:12Z")))
    }

    @Test func theSkippedSpringHourIsRefused() {
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST.
        #expect(parse("2026-03-29 01:59:59", "Europe/Rome") == .success(utc("2026-03-29T00:59:59Z")))
        #expect(parse("2026-03-29 02:30:00", "Europe/Rome") == .failure(.localTimeGap))
        #expect(parse("2026-03-29 03:00:00", "Europe/Rome") == .success(utc("2026-03-29T01:00:00Z")))
    }

    @Test func theRepeatedAutumnHourIsItsFirstOccurrence() {
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice, first at 00:30Z.
        #expect(parse("2026-10-25 02:30:00", "Europe/Rome") == .success(utc("2026-10-25T00:30:00Z")))
        #expect(parse("2026-10-25 03:00:00", "Europe/Rome") == .success(utc("2026-10-25T02:00:00Z")))
        #expect(parse("2026-10-25 01:59:59", "Europe/Rome") == .success(utc("2026-10-24T23:59:59Z")))
    }

    @Test func utcNeedsNoZone() {
        #expect(LocalTimeZone(identifier: "UTC") == nil)
        #expect(LocalTimeZone(identifier: "Mars/Olympus_Mons") == nil)
        #expect(parse("2026-01-29 19:55:12", "UTC") == .success(utc("2026-01-29T19:55:12Z")))
    }
}
