import Foundation
import Parquet
import Testing

@testable import Lake

@Suite("Backfill, compaction, vacuum")
struct MaintenanceTests {
    /// Events of one day, late ones delivered after the watermark passed them, plus a
    /// duplicate of a late event; the reference gets the same events in time order.
    static func lateInput() -> (delivered: [String], inOrder: [String]) {
        var onTime: [String] = []
        var late: [String] = []
        var all: [String] = []
        for i in 0..<60 {
            let time = Timestamps.iso(micros: (1_769_680_800 + Int64(i) * 180) * 1_000_000)
            let line = eventLine(id: "e\(i)", user: "u\(i % 4)", type: i % 9 == 8 ? "PURCHASE" : "PAGE_VIEW",
                                 time: time, total: i % 9 == 8 ? 10.25 : nil)
            all.append(line)
            if i % 10 == 3 { late.append(line) } else { onTime.append(line) }
        }
        let closer = eventLine(id: "closer", user: "z", time: "2026-01-29T20:00:00Z")
        return (onTime + [closer] + late + [late[0]], all + [closer])
    }

    @Test func backfillMakesGoldEqualABatchRunOverAllValidEventsAndIsIdempotent() throws {
        let (delivered, inOrder) = Self.lateInput()
        let lake = try TestLake("backfill")
        let reference = try TestLake("reference")
        defer { lake.remove(); reference.remove() }
        try lake.runAll(delivered)
        try reference.runAll(inOrder)
        let incremental = try lake.goldSQLite()
        #expect(incremental != (try reference.goldSQLite()), "late events must change gold in this test")
        #expect(try lake.runSilver().rowsIn == 0)
        let silver = try lake.backfill("silver", from: "2026-01-29", to: "2026-01-29")
        #expect(silver.recoveredLate == 7)  // 6 late events and the late copy of one
        #expect(silver.duplicates == 1)
        try lake.backfill("gold", from: "2026-01-29", to: "2026-01-29")
        let closedRef = try reference.goldSQLite().filter { $0[9] == "1" }
        #expect(try lake.goldSQLite().filter { $0[9] == "1" } == closedRef)
        #expect(try lake.tableRows("silver_clickstream").count == (try reference.tableRows("silver_clickstream")).count)
        let a = try #require(try lake.accounting())
        #expect(a.balanced && a.quarantined == 0 && a.duplicates == 1)
        // Twice gives the same.
        try lake.backfill("all", from: "2026-01-29", to: "2026-01-29")
        #expect(try lake.goldSQLite().filter { $0[9] == "1" } == closedRef)
        #expect(try lake.accounting()?.balanced == true)
        // Incremental runs after it do not double count.
        try lake.runAll([eventLine(id: "after", user: "z", time: "2026-01-29T23:00:00Z")])
        #expect(try lake.goldSQLite().filter { $0[9] == "1" && $0[0] != "z" } == closedRef.filter { $0[0] != "z" })
    }

    /// A file with the target row count is never merged again, and with `settledRowCount`
    /// (under --follow) a file of that many rows is left alone: each compaction round merges
    /// only the new small files, not the day's earlier outputs again.
    @Test func compactionLeavesFullAndSettledFilesAlone() throws {
        let lake = try TestLake("settled")
        defer { lake.remove() }
        func runs(_ range: Range<Int>) throws {
            for run in range {
                let base = 1_769_680_800 + Int64(run) * 300
                try lake.runAll((0..<5).map { i in
                    eventLine(id: "r\(run)-\(i)", user: "u\(i)", time: Timestamps.iso(micros: (base + Int64(i)) * 1_000_000))
                })
            }
        }
        let catalog = try Catalog(paths: lake.paths)
        func compact(target: Int64, settled: Int64? = nil) throws {
            _ = try StageRunner.run(catalog: catalog, job: "clickstream", stage: "compact", wait: false) { runID in
                let c = Compactor(catalog: catalog)
                c.targetRowCount = target
                c.settledRowCount = settled
                return try c.compact(table: "bronze_clickstream", job: "clickstream", layer: "bronze", runID: runID)
            }
        }
        func files() throws -> [(id: Int64, rows: Int64)] {
            try catalog.liveFiles(table: "bronze_clickstream").map { ($0.fileID, $0.recordCount) }.sorted { $0.id < $1.id }
        }
        try runs(0..<12)
        #expect(try files().map(\.rows) == Array(repeating: 5, count: 12))
        try compact(target: 20)
        let full = try files()
        #expect(full.map(\.rows) == [20, 20, 20])
        try compact(target: 20)
        #expect(try files().map(\.id) == full.map(\.id))  // nothing to do: every file is full
        try runs(12..<15)
        try compact(target: 20)
        #expect(try files().map(\.rows) == [20, 20, 20, 15])
        #expect(Array(try files().prefix(3).map(\.id)) == full.map(\.id))
        // Settled at 10 rows: the 15-row file stays as it is, only the new small ones merge.
        try runs(15..<17)
        let before = try files()
        try compact(target: 100, settled: 10)
        let after = try files()
        #expect(after.map(\.rows) == [20, 20, 20, 15, 10])
        #expect(Array(after.prefix(4).map(\.id)) == before.prefix(4).map(\.id))
        #expect(try lake.tableRows("bronze_clickstream").count == 85)
    }

    @Test func compactionAndVacuumKeepTheDataAndFreeTheFiles() throws {
        let lake = try TestLake("compact")
        defer { lake.remove() }
        for run in 0..<40 {
            let base = 1_769_680_800 + Int64(run) * 300
            try lake.runAll((0..<5).map { i in
                eventLine(id: "r\(run)-\(i)", user: "u\(i)", time: Timestamps.iso(micros: (base + Int64(i)) * 1_000_000))
            })
        }
        let catalog = try Catalog(paths: lake.paths)
        let before = try ["bronze_clickstream", "silver_clickstream", "gold_session_stats"].map {
            try lake.tableRows($0).sorted { $0.lexicographicallyPrecedes($1) }
        }
        let filesBefore = try catalog.liveFiles(table: "bronze_clickstream").count
        #expect(filesBefore == 40)
        for (table, layer) in [("bronze_clickstream", "bronze"), ("silver_clickstream", "silver"), ("gold_session_stats", "gold")] {
            _ = try StageRunner.run(catalog: catalog, job: "clickstream", stage: "compact", wait: false) { runID in
                try Compactor(catalog: catalog).compact(table: table, job: "clickstream", layer: layer, runID: runID)
            }
        }
        #expect(try catalog.liveFiles(table: "bronze_clickstream").count == 1)
        #expect(try catalog.liveFiles(table: "silver_clickstream").count <= 2)
        let after = try ["bronze_clickstream", "silver_clickstream", "gold_session_stats"].map {
            try lake.tableRows($0).sorted { $0.lexicographicallyPrecedes($1) }
        }
        #expect(after == before)
        // Compacted files are encoded as the stages write theirs (a file's schema carries no
        // writer hints): ids, offsets and times DELTA_BINARY_PACKED, bronze bodies and silver
        // event ids (no dictionary) DELTA_LENGTH_BYTE_ARRAY.
        let expected: [(table: String, column: String, encoding: Encoding)] = [
            ("bronze_clickstream", "ingest_id", .deltaBinaryPacked),
            ("bronze_clickstream", "source_offset", .deltaBinaryPacked),
            ("bronze_clickstream", "body", .deltaLengthByteArray),
            ("silver_clickstream", "event_id", .deltaLengthByteArray),
            ("silver_clickstream", "ingest_id", .deltaBinaryPacked),
            ("silver_clickstream", "event_time", .deltaBinaryPacked),
        ]
        for e in expected {
            for file in try catalog.liveFiles(table: e.table) {
                let reader = try ParquetReader(path: lake.paths.root + "/" + file.path)
                let c = try #require(reader.schema.index(of: e.column))
                for group in reader.metadata.rowGroups {
                    #expect(group.columns[c].encodings.contains(e.encoding), "\(e.table).\(e.column)")
                    #expect(!group.columns[c].encodings.contains(.rleDictionary), "\(e.table).\(e.column)")
                }
            }
        }
        // Retired files stay while a Delta version of the last 7 days lists them.
        let kept = try Vacuum.run(catalog, retentionSeconds: 3600, jobs: [])
        #expect(kept.retiredFilesDeleted == 0)
        let v = try Vacuum.run(catalog, retentionSeconds: 0, jobs: [], overrideRetired: 0)
        #expect(v.retiredFilesDeleted >= 40 + 38)
        #expect(try LakeStatus.read(catalog).orphans.isEmpty)
        #expect(try ["bronze_clickstream", "silver_clickstream", "gold_session_stats"].map {
            try lake.tableRows($0).sorted { $0.lexicographicallyPrecedes($1) }
        } == before)
        // New data after compaction flows as before.
        try lake.runAll([eventLine(id: "new", user: "u1", time: "2026-01-29T20:00:00Z")])
        #expect(try lake.accounting()?.balanced == true)
        #expect(try lake.tableRows("silver_clickstream").count == 201)
    }

    /// Compacted bronze files are written like bronze's own: 16k-row row groups (a bronze row is
    /// a whole raw line; the default 128k rows held ~55 MB per buffer set, and compaction in
    /// `--follow` peaked at 210 MB), and the table named in the footer.
    @Test func compactedBronzeKeepsBronzesRowGroups() throws {
        let lake = try TestLake("compactrg")
        defer { lake.remove() }
        let lines = (0..<40_000).map { "{\"n\":\($0)}" }.joined(separator: "\n") + "\n"
        try lake.append("a.jsonl", Array(lines.utf8))
        _ = try lake.runBronze()  // a file per 1000 lines
        _ = try lake.runSilver()  // compaction merges only files the next stage has read
        let catalog = try Catalog(paths: lake.paths)
        #expect(try catalog.liveFiles(table: "bronze_clickstream").count == 40)
        _ = try StageRunner.run(catalog: catalog, job: "clickstream", stage: "compact", wait: false) { runID in
            try Compactor(catalog: catalog).compact(table: "bronze_clickstream", job: "clickstream", layer: "bronze", runID: runID)
        }
        let files = try catalog.liveFiles(table: "bronze_clickstream")
        #expect(files.count == 1)
        let reader = try ParquetReader(path: lake.paths.root + "/" + files[0].path)
        #expect(reader.metadata.rowGroups.map(\.rowCount) == [16_384, 16_384, 7_232])
        #expect(reader.metadata.keyValues.contains { $0.key == "lake.table" && $0.value == "bronze_clickstream" })
        #expect(try lake.bronzeRows().count == 40_000)
    }

    @Test func cronExpressionsParseAndFire() throws {
        let t0: Int64 = 1_769_644_800  // 2026-01-29T00:00:00Z, a Thursday
        #expect(try CronExpression("* * * * *").next(after: t0) == t0 + 60)
        #expect(try CronExpression("30 2 * * *").next(after: t0) == t0 + 2 * 3600 + 1800)
        #expect(try CronExpression("*/15 * * * *").next(after: t0 + 1) == t0 + 900)
        #expect(try CronExpression("0 0 1 * *").next(after: t0) == 1_769_904_000)  // 2026-02-01
        #expect(try CronExpression("0 0 * * mon").next(after: t0) == t0 + 4 * 86400)  // Monday Feb 2
        #expect(try CronExpression("0 0 31 * *").next(after: 1_769_904_000) == 1_774_915_200)  // Mar 31
        #expect(try CronExpression("0 12 29 2 *").next(after: t0) == 1_835_438_400)  // 2028-02-29T12:00Z
        #expect(try CronExpression("0 0 30 2 *").next(after: t0) == nil)
        #expect(try CronExpression("@daily").next(after: t0) == t0 + 86400)
        #expect(try CronExpression("0 9-17/4 * jan-mar 1-5").next(after: t0) == t0 + 9 * 3600)
        for bad in ["* * * *", "60 * * * *", "* 24 * * *", "5-1 * * * *", "*/0 * * * *", "* * * foo *", "a b c d e"] {
            #expect(!CronExpression.isValid(bad), "\(bad) should be invalid")
        }
    }
}
