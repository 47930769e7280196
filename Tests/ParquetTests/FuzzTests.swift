import Foundation
import Testing

@testable import Parquet

/// Damaged files must be rejected with a `ParquetError` naming the file, never crash or hang.
/// Seeded: a failing run is replayed with `PARQUET_FUZZ_SEED=<seed printed>`.
@Suite("Damaged files")
struct FuzzTests {
    enum Mutation: CaseIterable {
        case truncate, flipBits, overwriteBytes, randomFooter, flipFooterBits, footerLength
        case shiftFooterStart, flipPageHeaderBits, flipThenTruncate
    }

    /// Valid files the fuzzer starts from: dictionary and PLAIN pages, ZSTD and uncompressed,
    /// several row groups and pages, key-value metadata, an empty file.
    static func baseFiles(in dir: TempDir) throws -> [[UInt8]] {
        var low = WriterProperties()
        low.rowGroupRowCountMax = 100
        low.dataPageRowCountMax = 40
        var high = low
        high.codec = .uncompressed
        high.dictionaryEnabled = false
        var small = WriterProperties()
        small.keyValues = [KeyValue("lake.table", "t"), KeyValue("k", nil)]
        let files: [(Table, WriterProperties)] = [
            (everyKindTable(rows: 250, .low), low), (everyKindTable(rows: 250, .high), high),
            (everyKindTable(rows: 20, .high), small), (everyKindTable(rows: 0), small),
        ]
        return try files.enumerated().map { i, file in
            let path = dir.file("base-\(i).parquet")
            try file.0.write(to: path, file.1)
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
    }

    struct Outcome {
        var readFine = 0
        var rejected = 0
        var wrongErrors: [String] = []
    }

    @Test(.timeLimit(.minutes(3)))
    func damagedFilesNeverCrash() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["PARQUET_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        let iterations = environment["PARQUET_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 3000
        print("damagedFilesNeverCrash seed \(seed) (replay: PARQUET_FUZZ_SEED=\(seed))")
        fflush(nil)  // the seed must be out before any crash
        var rng = SeededGenerator(seed: seed)
        let dir = try TempDir()
        let bases = try Self.baseFiles(in: dir)
        // The damaged file stays on disk after a crash, for a post-mortem.
        let path = dir.file("damaged.parquet")
        var outcome = Outcome()
        for iteration in 0..<iterations {
            let base = bases.randomElement(using: &rng)!
            let mutation = Mutation.allCases.randomElement(using: &rng)!
            let bytes = Self.mutate(base, mutation, using: &rng)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            Self.readEverything(path, label: "seed \(seed) iteration \(iteration) \(mutation)", &outcome)
        }
        print("damagedFilesNeverCrash seed \(seed): \(iterations) files, \(outcome.readFine) read, "
            + "\(outcome.rejected) rejected")
        #expect(outcome.wrongErrors.isEmpty, "\(outcome.wrongErrors.prefix(10))")
        #expect(outcome.rejected > iterations / 2, "most damage must be detected")
    }

    /// Opens the file and reads every column of every row group, then all columns at once.
    static func readEverything(_ path: String, label: String, _ outcome: inout Outcome) {
        do {
            let reader = try ParquetReader(path: path)
            for c in reader.schema.columns.indices {
                for g in reader.metadata.rowGroups.indices {
                    let data = try reader.readColumn(rowGroup: g, column: c)
                    guard data.rowCount == reader.metadata.rowGroups[g].rowCount else {
                        outcome.wrongErrors.append("\(label): chunk of \(data.rowCount) rows")
                        return
                    }
                    _ = data.cells
                    if let s = reader.metadata.rowGroups[g].columns[c].statistics,
                        let lo = s.min, let hi = s.max
                    {
                        _ = reader.rowGroups(column: c, overlapping: lo, hi)
                    }
                }
            }
            let all = try reader.readAll()
            if all.contains(where: { Int64($0.rowCount) != reader.rowCount }) {
                outcome.wrongErrors.append("\(label): readAll row counts differ from the footer")
            }
            outcome.readFine += 1
        } catch let error as ParquetError {
            if !error.description.contains(path) {
                outcome.wrongErrors.append("\(label): message without the path: \(error)")
            }
            outcome.rejected += 1
        } catch {
            outcome.wrongErrors.append("\(label): not a ParquetError: \(error)")
        }
    }

    static func mutate(
        _ base: [UInt8], _ mutation: Mutation, using rng: inout SeededGenerator
    ) -> [UInt8] {
        var b = base
        let n = b.count
        let footerLength = Int(UInt32(b[n - 8]) | UInt32(b[n - 7]) << 8 | UInt32(b[n - 6]) << 16
            | UInt32(b[n - 5]) << 24)
        let footer = (n - 8 - footerLength)..<(n - 8)
        func flip(_ range: Range<Int>, count: Int) {
            for _ in 0..<count {
                b[Int.random(in: range, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            }
        }
        switch mutation {
        case .truncate:
            b.removeLast(Int.random(in: 1...n, using: &rng))
        case .flipBits:
            flip(0..<n, count: Int.random(in: 1...8, using: &rng))
        case .overwriteBytes:
            for _ in 0..<Int.random(in: 1...16, using: &rng) {
                b[Int.random(in: 0..<n, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
        case .randomFooter:
            let start = Int.random(in: footer, using: &rng)
            let end = Bool.random(using: &rng) ? footer.upperBound : Int.random(in: start..<footer.upperBound, using: &rng) + 1
            for i in start..<end { b[i] = UInt8.random(in: 0...255, using: &rng) }
        case .flipFooterBits:
            flip(footer, count: Int.random(in: 1...3, using: &rng))
        case .footerLength:
            let lengths: [UInt32] = [
                .max, .max - 1, 0x7FFF_FFFF, 0x8000_0000, UInt32(n), UInt32(n - 8), UInt32(n - 11),
                UInt32(n - 12), UInt32(n - 13), 0, 1, UInt32.random(in: 0...UInt32.max, using: &rng),
            ]
            let length = lengths.randomElement(using: &rng)!
            for k in 0..<4 { b[n - 8 + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
        case .shiftFooterStart:
            let length = UInt32(max(0, footerLength + Int.random(in: -40...40, using: &rng)))
            for k in 0..<4 { b[n - 8 + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
        case .flipPageHeaderBits:
            // Page headers and page bodies: everything between the magic and the footer.
            if footer.lowerBound > 4 { flip(4..<footer.lowerBound, count: Int.random(in: 1...2, using: &rng)) }
        case .flipThenTruncate:
            flip(0..<n, count: 1)
            b.removeLast(Int.random(in: 1...min(n, 64), using: &rng))
        }
        return b
    }

    // MARK: hand-made damage

    @Test func missingFileNamesThePath() throws {
        let dir = try TempDir()
        let path = dir.file("nope.parquet")
        let error = try #require(throws: ParquetError.self) { try ParquetReader(path: path) }
        #expect(error.description.contains(path))
        #expect(error.path == path)
    }

    @Test(arguments: [
        [], Array("PAR1".utf8), Array("PAR1PAR1".utf8), Array("PAR1\0\0\0\0PAR1".utf8),
        Array("hello, this is not a parquet file at all".utf8),
        Array("PAR1".utf8) + [0x15, 0x00] + [0x02, 0x00, 0x00, 0x00] + Array("PAR1".utf8),
        Array("PAR1".utf8) + [UInt8](repeating: 0, count: 100) + [100, 0, 0, 0] + Array("PAR1".utf8),
        Array("PAR1".utf8) + [UInt8](repeating: 0xFF, count: 100) + [100, 0, 0, 0] + Array("PAR1".utf8),
    ] as [[UInt8]])
    func garbageIsRejected(bytes: [UInt8]) throws {
        let dir = try TempDir()
        let path = dir.file("garbage.parquet")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: ParquetError.self) { try ParquetReader(path: path) }
        #expect(error.description.contains(path))
    }

    @Test func directoryIsRejected() throws {
        let dir = try TempDir()
        let error = try #require(throws: ParquetError.self) { try ParquetReader(path: dir.path) }
        #expect(error.description.contains(dir.path))
    }

    /// Every possible truncation of a small file is rejected (none can be read as valid).
    @Test func everyTruncationIsRejected() throws {
        let dir = try TempDir()
        let whole = try Self.baseFiles(in: dir)[2]
        let path = dir.file("truncated.parquet")
        for length in 0..<whole.count {
            try Data(whole[0..<length]).write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: ParquetError.self, "length \(length)") {
                try ParquetReader(path: path)
            }
            #expect(error.description.contains(path))
        }
    }
}
