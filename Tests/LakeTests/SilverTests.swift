import Foundation
import Testing

@testable import Lake

@Suite("Silver: typing, watermark, dedup, quarantine")
struct SilverTests {
    @Test func recordsAreTypedDedupedAndQuarantinedWithReasons() throws {
        let lake = try TestLake("silver")
        defer { lake.remove() }
        let lines = [
            eventLine(id: "a", time: "2026-01-29T10:00:00.000Z"),
            eventLine(id: "a", time: "2026-01-29T10:00:00.000Z"),  // exact duplicate
            "{not json",
            #"{"eventId":"b","eventType":"X","timestamp":"2026-01-29T10:00:00Z"}"#,  // no userId
            #"{"eventId":"c","eventType":"X","userId":"u","timestamp":1769680800000}"#,
            eventLine(id: "d", time: "2026-01-29T10:20:00.000Z"),  // watermark → 10:10
            eventLine(id: "e", time: "2026-01-29T10:10:00.000Z"),  // exactly at the watermark: late
            eventLine(id: "f", time: "2026-01-29T10:10:00.001Z"),  // just above: accepted
            eventLine(id: "g", time: "2099-01-01T00:00:00Z"),  // clock skew
        ]
        try lake.append("a.jsonl", Array((lines.joined(separator: "\n") + "\n").utf8))
        _ = try lake.runBronze()
        let r = try lake.runSilver()
        #expect(r.rowsIn == 9)
        #expect(r.accepted == 3)
        #expect(r.duplicates == 1)
        #expect(r.quarantined == [
            "bad_json": 1, "missing_field:userId": 1, "bad_type:timestamp": 1, "late": 1, "future_timestamp": 1,
        ])
        let silver = try lake.tableRows("silver_clickstream").sorted { $0.last! < $1.last! }
        #expect(silver.map { $0[0] } == ["a", "d", "f"])
        #expect(silver[0][5] == "\(1_769_680_800_000_000)")  // event_time micros
        #expect(silver[0][12] == "10.5")  // price
        #expect(silver[0][15] == "null")  // total_amount
        let quarantine = try lake.tableRows("quarantine_clickstream").sorted { Int($0[0])! < Int($1[0])! }
        #expect(quarantine.map { $0[1] } == ["bad_json", "missing_field:userId", "bad_type:timestamp", "late", "future_timestamp"])
        #expect(quarantine[0][3] == "{not json")
        let status = try LakeStatus.read(Catalog(paths: lake.paths))
        let a = try #require(status.accounting.first)
        #expect(a.bronzeRows == 9 && a.silverRows == 3 && a.duplicates == 1 && a.quarantined == 5 && a.balanced)
    }

    /// String values without escapes are taken from the line, those with escapes from the
    /// record's own buffer: rows mixing both come out right, column by column.
    @Test func escapedAndPlainStringsInOneRecord() throws {
        let lake = try TestLake("silver-strings")
        defer { lake.remove() }
        let lines = [
            eventLine(id: "p1", user: #"u\"q"#, time: "2026-01-29T10:00:00.000Z"),
            eventLine(id: #"e\u00e92"#, user: "plain", time: "2026-01-29T10:00:01.000Z"),
            eventLine(id: "p3", user: #"\u65e5\n"#, type: #"PAGE\u005fVIEW"#, time: "2026-01-29T10:00:02.000Z"),
        ]
        try lake.append("a.jsonl", Array((lines.joined(separator: "\n") + "\n").utf8))
        _ = try lake.runBronze()
        #expect(try lake.runSilver().accepted == 3)
        let silver = try lake.tableRows("silver_clickstream").sorted { $0.last! < $1.last! }
        #expect(silver.map { $0[0] } == ["p1", "e\u{e9}2", "p3"])
        #expect(silver.map { $0[1] } == ["PAGE_VIEW", "PAGE_VIEW", "PAGE_VIEW"])
        #expect(silver.map { $0[2] } == ["u\"q", "plain", "\u{65e5}\n"])
        #expect(silver.map { $0[7] } == ["Android 14", "Android 14", "Android 14"])
    }

    /// A record keeps value semantics although the parser writes its slots in place: a copy
    /// taken (and detached from its line) before the next parse still reads its own values.
    @Test func aCopiedRecordKeepsItsValues() throws {
        var parser = EventParser(fields: Clickstream.fields, timestampFormat: .iso8601)
        var record = ParsedRecord()
        func parse(_ line: String) {
            let bytes = Array(line.utf8)
            bytes.withUnsafeBytes { #expect(parser.parse($0, into: &record) == .accepted) }
        }
        parse(eventLine(id: "first", user: "u1", time: "2026-01-29T10:00:00.000Z"))
        record.copyStringsIntoArena()
        let copy = record
        parse(eventLine(id: "second", user: "u2", type: "PURCHASE", time: "2026-01-29T11:00:00.000Z", total: 9.5))
        record.copyStringsIntoArena()
        #expect(copy.string(0) == "first" && copy.string(2) == "u1" && copy.string(1) == "PAGE_VIEW")
        #expect(copy.timestampMicros(5) == 1_769_680_800_000_000 && copy.isNull(15))
        #expect(record.string(0) == "second" && record.string(2) == "u2" && record.double(15) == 9.5)
    }

    @Test func aKeyIsForgottenOnceTheWatermarkPassesIt() throws {
        let lake = try TestLake("forget")
        defer { lake.remove() }
        let lines = [
            eventLine(id: "k", time: "2026-01-29T10:00:00Z"),
            eventLine(id: "z", time: "2026-01-29T10:30:00Z"),  // watermark → 10:20, forgets k
            eventLine(id: "k", time: "2026-01-29T10:25:00Z"),  // same id, new time above W: accepted again
            eventLine(id: "k", time: "2026-01-29T10:25:00Z"),  // now a duplicate
        ]
        try lake.append("a.jsonl", Array((lines.joined(separator: "\n") + "\n").utf8))
        _ = try lake.runBronze()
        let r = try lake.runSilver()
        #expect(r.accepted == 3)
        #expect(r.duplicates == 1)
    }

    /// The per-record watermark makes silver independent of how bronze was split into runs.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func splitIntoRunsGivesTheSameSilver(seed: UInt64) throws {
        print("silver split property seed \(seed)")
        var rng = SeededRandom(seed: seed)
        var lines: [String] = []
        var t = 1_769_680_800  // 2026-01-29T10:00:00Z
        for i in 0..<2000 {
            t += Int.random(in: 0...20, using: &rng)
            let jitter = Int.random(in: -900...60, using: &rng)  // some beyond the 10 min delay
            let time = Timestamps.iso(micros: Int64(t + jitter) * 1_000_000)
            let id = Int.random(in: 0..<10, using: &rng) == 0 ? "dup\(i % 50)" : "e\(i)"
            lines.append(Int.random(in: 0..<40, using: &rng) == 0 ? "{bad" : eventLine(id: id, user: "u\(i % 7)", time: time))
        }
        let whole = try TestLake("whole\(seed)")
        let split = try TestLake("split\(seed)")
        defer { whole.remove(); split.remove() }
        try whole.append("a.jsonl", Array((lines.joined(separator: "\n") + "\n").utf8))
        _ = try whole.runBronze()
        try whole.runSilver()
        var i = 0
        while i < lines.count {
            let n = Int.random(in: 1...300, using: &rng)
            let piece = lines[i..<min(lines.count, i + n)]
            try split.append("a.jsonl", Array((piece.joined(separator: "\n") + "\n").utf8))
            _ = try split.runBronze()
            try split.runSilver(batchRows: Int.random(in: 1...500, using: &rng))
            i += n
        }
        #expect(try whole.tableRows("silver_clickstream").sorted { $0.last! < $1.last! }
                == split.tableRows("silver_clickstream").sorted { $0.last! < $1.last! })
        #expect(try whole.tableRows("quarantine_clickstream").sorted { $0[0] < $1[0] }
                == split.tableRows("quarantine_clickstream").sorted { $0[0] < $1[0] })
    }
}
