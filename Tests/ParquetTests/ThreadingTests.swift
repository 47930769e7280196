import Foundation
import Testing

@testable import Parquet

/// Encoding in the background and spreading columns over threads must not change a byte:
/// the file of every threading configuration equals the one-thread, foreground file.
@Suite("Threaded encoding writes the same bytes")
struct ThreadingTests {
    static let configurations: [(threads: Int, background: Bool)] = [
        (1, false), (1, true), (2, false), (2, true), (4, true), (7, true),
    ]

    @Test(arguments: [1, 5, 1000])
    func everyConfigurationWritesTheSameFile(rowGroupRows: Int) throws {
        let dir = try TempDir()
        let table = everyKindTable(rows: 2_345, .low)
        var files: [[UInt8]] = []
        for (i, c) in Self.configurations.enumerated() {
            var p = WriterProperties()
            p.rowGroupRowCountMax = rowGroupRows
            p.encodeThreads = c.threads
            p.encodeInBackground = c.background
            let path = dir.file("t\(i).parquet")
            let summary = try table.write(to: path, p)
            #expect(summary.rowCount == 2_345)
            #expect(summary.rowGroupCount == (2_345 + rowGroupRows - 1) / rowGroupRows)
            files.append(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            #expect(try Table.read(path).columns == table.columns)
        }
        for (i, f) in files.enumerated().dropFirst() {
            #expect(f == files[0], "configuration \(Self.configurations[i]) wrote different bytes")
        }
    }

    /// One encoder writes column after column: a chunk whose pages were written through the
    /// PLAIN byte-array scratch (a required column without dictionary, like bronze's lines or
    /// silver's `event_id`) must not leak into the next chunk's dictionary page. (A first
    /// version of the scratch wrote the previous column's last page as the next dictionary.)
    @Test func scratchPageDoesNotLeakIntoTheNextColumn() throws {
        let dir = try TempDir()
        var id = Column("id", .byteArray)
        id.dictionary = false
        var body = Column("body", .byteArray)
        body.dictionary = false
        let schema = Schema([id, .string("kind", nullable: true), body, Column("n", .int64)])
        let rows = 6_000
        let table = Table(schema: schema, columns: [
            (0..<rows).map { .string("id-\($0 * 7919)") },
            (0..<rows).map { $0 % 11 == 0 ? .null : .string(["view", "cart", "buy"][$0 % 3]) },
            (0..<rows).map { .string(String(repeating: "x", count: $0 % 50) + "\($0)") },
            (0..<rows).map { .i64(Int64($0 % 5)) },
        ])
        var p = WriterProperties()
        p.encodeThreads = 1
        p.encodeInBackground = false
        p.rowGroupRowCountMax = 2_500
        p.dataPageRowCountMax = 700
        let path = dir.file("scratch.parquet")
        try table.write(to: path, p)
        let back = try Table.read(path)
        for c in schema.columns.indices {
            let wrong = zip(back.columns[c], table.columns[c]).filter { $0 != $1 }.count
            #expect(back.columns[c].count == rows && wrong == 0, "column \(schema.columns[c].name): \(wrong) values differ")
        }
    }

    /// Several writers encoding at once (as silver's partitions do) share the encoder pool.
    @Test func concurrentWritersShareThePool() throws {
        let dir = try TempDir()
        let table = everyKindTable(rows: 3_000)
        var p = WriterProperties()
        p.rowGroupRowCountMax = 256
        let reference = dir.file("reference.parquet")
        var serial = p
        serial.encodeThreads = 1
        serial.encodeInBackground = false
        _ = try table.write(to: reference, serial)
        let expected = try Data(contentsOf: URL(fileURLWithPath: reference))
        let paths = (0..<6).map { dir.file("w\($0).parquet") }
        let failures = Failures()
        let properties = p
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            do { _ = try table.write(to: paths[i], properties) } catch { failures.add("\(error)") }
        }
        #expect(failures.messages.isEmpty)
        for path in paths {
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == expected)
        }
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var messages: [String] = []
    func add(_ m: String) { lock.lock(); messages.append(m); lock.unlock() }
}
