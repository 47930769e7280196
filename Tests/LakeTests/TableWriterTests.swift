import Foundation
import Parquet
import Testing

@testable import Lake

/// `TableWriter` finishes evicted partitions on a background queue; what it returns and what
/// `abort()` removes must not depend on that.
@Suite("Table writer: partitions, background finishing, abort")
struct TableWriterTests {
    static let schema = Schema([Column("ts", .int64), Column("n", .int64)])
    static let day: Int64 = 86_400_000_000

    /// Rows over 12 days, in an order that keeps evicting (4 open files at most): every day's
    /// rows end up in files of that day's partition, all of them, each file readable.
    @Test func evictedPartitionsAreAllFinished() throws {
        let lake = try TestLake("tw")
        defer { lake.remove() }
        let w = TableWriter(paths: lake.paths, table: "t", schema: Self.schema, snapshot: 7,
                            timeColumn: 0, ingestColumn: 1)
        var expected: [String: Int] = [:]
        for i in 0..<6_000 {
            let day = Int64((i * 7) % 12)
            let ts = day * Self.day + Int64(i)
            let f = try w.writer(dayOf: ts)
            f.append(0, ts)
            f.append(1, Int64(i))
            try f.endRow()
            expected[Timestamps.date(micros: ts), default: 0] += 1
        }
        #expect(w.rowCount == 6_000)
        let files = try w.finish()
        var rows: [String: Int] = [:]
        var seen = Set<Int64>()
        for f in files {
            let partition = try #require(f.partition)
            rows[partition, default: 0] += Int(f.recordCount)
            let data = try ParquetReader(path: lake.root + "/" + f.path).readAll()
            guard case .int64(let ts) = data[0].values, case .int64(let n) = data[1].values else {
                Issue.record("unexpected column types")
                return
            }
            #expect(ts.allSatisfy { Timestamps.date(micros: $0) == partition })
            #expect(ts.min() == f.minTimeMicros && ts.max() == f.maxTimeMicros)
            #expect(n.min() == f.minIngestID && n.max() == f.maxIngestID)
            seen.formUnion(n)
        }
        #expect(rows == expected)
        #expect(seen.count == 6_000)
        #expect(files.count > 12, "evictions reopen partitions, so some days have several files")
        #expect(Set(files.map(\.path)).count == files.count)
        #expect(try leftovers(lake).isEmpty)
    }

    /// Days the caller says are done (silver: its watermark passed their last microsecond)
    /// are finished at once, in the background; the others stay open. A finished day that
    /// gets rows again opens a new file; nothing is lost either way.
    @Test func daysPassedAreFinishedEarly() throws {
        let lake = try TestLake("tw-days")
        defer { lake.remove() }
        let w = TableWriter(paths: lake.paths, table: "t", schema: Self.schema, snapshot: 9,
                            timeColumn: 0, ingestColumn: 1)
        func put(_ ts: Int64, _ n: Int64) throws {
            let f = try w.writer(dayOf: ts)
            f.append(0, ts)
            f.append(1, n)
            try f.endRow()
        }
        #expect(w.earliestOpenDayLastMicros == Int64.max)
        for i in 0..<300 { try put(2 * Self.day + Int64(i), Int64(i)) }  // day 2
        for i in 0..<300 { try put(5 * Self.day + Int64(i), Int64(300 + i)) }  // day 5
        #expect(w.earliestOpenDayLastMicros == 3 * Self.day - 1)
        try w.finishDays(through: 3 * Self.day - 2)  // a microsecond short of day 2's end
        #expect(w.earliestOpenDayLastMicros == 3 * Self.day - 1)
        try w.finishDays(through: 3 * Self.day - 1)
        #expect(w.earliestOpenDayLastMicros == 6 * Self.day - 1)
        #expect(w.rowCount == 600)
        try put(2 * Self.day + 7, 600)  // day 2 again: a new file
        #expect(w.earliestOpenDayLastMicros == 3 * Self.day - 1)
        try w.finishDays(through: 10 * Self.day)
        #expect(w.earliestOpenDayLastMicros == Int64.max)
        let files = try w.finish()
        #expect(files.count == 3)
        #expect(files.map(\.recordCount).sorted() == [1, 300, 300])
        #expect(Set(files.compactMap(\.partition)) == ["1970-01-03", "1970-01-06"])
        #expect(try leftovers(lake).isEmpty)
    }

    /// abort() after evictions removes every file, the background ones included.
    @Test func abortRemovesBackgroundFiles() throws {
        let lake = try TestLake("tw-abort")
        defer { lake.remove() }
        let w = TableWriter(paths: lake.paths, table: "t", schema: Self.schema, snapshot: 8,
                            timeColumn: 0, ingestColumn: 1)
        for i in 0..<2_000 {
            let ts = Int64(i % 9) * Self.day + Int64(i)
            let f = try w.writer(dayOf: ts)
            f.append(0, ts)
            f.append(1, Int64(i))
            try f.endRow()
        }
        w.abort()
        #expect(try parquetFiles(lake).isEmpty)
        #expect(try leftovers(lake).isEmpty)
    }

    private func parquetFiles(_ lake: TestLake) throws -> [String] {
        let folder = lake.root + "/t"
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".parquet") }
    }

    /// Temp files (`.part-….tmp`) left anywhere under the table.
    private func leftovers(_ lake: TestLake) throws -> [String] {
        let folder = lake.root + "/t"
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }
    }
}
