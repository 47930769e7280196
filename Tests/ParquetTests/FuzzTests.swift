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
    /// several row groups and pages, key-value metadata, an empty file, and pyarrow's files.
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
        var bases = try files.enumerated().map { i, file in
            let path = dir.file("base-\(i).parquet")
            try file.0.write(to: path, file.1)
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        // pyarrow's v2 pages, RLE booleans and PLAIN_DICTIONARY too.
        for golden in [PyarrowGolden.v2Zstd, PyarrowGolden.v1Uncompressed] {
            try Data(golden).write(
                to: URL(fileURLWithPath: dir.file("base-\(bases.count).parquet")))
            bases.append(golden)
        }
        return bases
    }

    struct Outcome {
        var readFine = 0
        var rejected = 0
        var wrongErrors: [String] = []
    }

    @Test(.timeLimit(.minutes(3)))
    func damagedFilesNeverCrash() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed =
            environment["PARQUET_FUZZ_SEED"].flatMap { UInt64($0) }
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
            Self.readEverything(
                path, label: "seed \(seed) iteration \(iteration) \(mutation)", &outcome)
        }
        print(
            "damagedFilesNeverCrash seed \(seed): \(iterations) files, \(outcome.readFine) read, "
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
                    let cells = data.cells
                    // The same chunk as dictionary indices, when it is dictionary-encoded, must
                    // give the same values.
                    if let indexed = try reader.readDictionaryIndexed(rowGroup: g, column: c),
                        indexed.rebuiltCells() != cells
                    {
                        outcome.wrongErrors.append("\(label): dictionary indices disagree with the values")
                        return
                    }
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
            if error.description.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                outcome.wrongErrors.append("\(label): message is not one line: \(error.description.debugDescription)")
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
        let footerLength = Int(
            UInt32(b[n - 8]) | UInt32(b[n - 7]) << 8 | UInt32(b[n - 6]) << 16
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
            let end =
                Bool.random(using: &rng)
                ? footer.upperBound : Int.random(in: start..<footer.upperBound, using: &rng) + 1
            for i in start..<end { b[i] = UInt8.random(in: 0...255, using: &rng) }
        case .flipFooterBits:
            flip(footer, count: Int.random(in: 1...3, using: &rng))
        case .footerLength:
            let lengths: [UInt32] = [
                .max, .max - 1, 0x7FFF_FFFF, 0x8000_0000, UInt32(n), UInt32(n - 8), UInt32(n - 11),
                UInt32(n - 12), UInt32(n - 13), 0, 1,
                UInt32.random(in: 0...UInt32.max, using: &rng),
            ]
            let length = lengths.randomElement(using: &rng)!
            for k in 0..<4 { b[n - 8 + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
        case .shiftFooterStart:
            let length = UInt32(max(0, footerLength + Int.random(in: -40...40, using: &rng)))
            for k in 0..<4 { b[n - 8 + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
        case .flipPageHeaderBits:
            // Page headers and page bodies: everything between the magic and the footer.
            if footer.lowerBound > 4 {
                flip(4..<footer.lowerBound, count: Int.random(in: 1...2, using: &rng))
            }
        case .flipThenTruncate:
            flip(0..<n, count: 1)
            b.removeLast(Int.random(in: 1...min(n, 64), using: &rng))
        }
        return b
    }

    // MARK: structured footer damage

    /// Footers that are valid Thrift but lie: offsets into other chunks, wrong sizes, codecs,
    /// types, nullability and row counts. Random bit flips rarely produce these.
    @Test(.timeLimit(.minutes(3)))
    func lyingFootersNeverCrash() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed =
            environment["PARQUET_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("lyingFootersNeverCrash seed \(seed) (replay: PARQUET_FUZZ_SEED=\(seed))")
        fflush(nil)
        var rng = SeededGenerator(seed: seed)
        let dir = try TempDir()
        let bases = try Self.baseFiles(in: dir).enumerated().map { i, bytes in
            (bytes, try ParquetReader(path: dir.file("base-\(i).parquet")).metadata)
        }
        let path = dir.file("lying.parquet")
        var outcome = Outcome()
        for iteration in 0..<1500 {
            let (bytes, metadata) = bases.randomElement(using: &rng)!
            var m = metadata
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                Self.lie(about: &m, fileSize: Int64(bytes.count), using: &rng)
            }
            try Data(Self.replaceFooter(of: bytes, with: m)).write(to: URL(fileURLWithPath: path))
            Self.readEverything(path, label: "seed \(seed) iteration \(iteration)", &outcome)
        }
        print(
            "lyingFootersNeverCrash seed \(seed): \(outcome.readFine) read, "
                + "\(outcome.rejected) rejected")
        #expect(outcome.wrongErrors.isEmpty, "\(outcome.wrongErrors.prefix(10))")
    }

    static func replaceFooter(of bytes: [UInt8], with metadata: FileMetadata) -> [UInt8] {
        let n = bytes.count
        let length = Int(
            UInt32(bytes[n - 8]) | UInt32(bytes[n - 7]) << 8
                | UInt32(bytes[n - 6]) << 16 | UInt32(bytes[n - 5]) << 24)
        var w = CompactWriter()
        metadata.encode(into: &w)
        let newLength = UInt32(w.bytes.count)
        return Array(bytes[0..<(n - 8 - length)]) + w.bytes
            + withUnsafeBytes(of: newLength.littleEndian) { Array($0) } + Array("PAR1".utf8)
    }

    /// One plausible lie in the footer.
    static func lie(about m: inout FileMetadata, fileSize: Int64, using rng: inout SeededGenerator)
    {
        guard !m.schema.columns.isEmpty else { return }
        let c = Int.random(in: 0..<m.schema.columns.count, using: &rng)
        let g = m.rowGroups.isEmpty ? nil : Int.random(in: 0..<m.rowGroups.count, using: &rng)
        func offset() -> Int64 {
            let chunks = m.rowGroups.flatMap(\.columns)
            if let other = chunks.randomElement(using: &rng), Bool.random(using: &rng) {
                return other.startOffset + Int64.random(in: -2...2, using: &rng)
            }
            return Int64.random(in: 0...fileSize, using: &rng)
        }
        switch Int.random(in: 0..<9, using: &rng) {
        case 0:
            guard let g else { return }
            m.rowGroups[g].columns[c].dataPageOffset = offset()
            if Bool.random(using: &rng) { m.rowGroups[g].columns[c].dictionaryPageOffset = nil }
        case 1:
            guard let g else { return }
            m.rowGroups[g].columns[c].dictionaryPageOffset = offset()
        case 2:
            guard let g else { return }
            m.rowGroups[g].columns[c].compressedBytes = Int64.random(in: 0...fileSize, using: &rng)
        case 3:
            guard let g else { return }
            let codec = m.rowGroups[g].columns[c].codec
            m.rowGroups[g].columns[c].codec = codec == .zstd ? .uncompressed : .zstd
        case 4:
            m.schema.columns[c].nullable.toggle()
        case 5:
            // Another type, consistently in the schema and every chunk.
            let types: [PhysicalType] = [
                .boolean, .int32, .int64, .int96, .float, .double, .byteArray,
                .fixedLenByteArray,
            ]
            let type = types.randomElement(using: &rng)!
            m.schema.columns[c].type = type
            m.schema.columns[c].logicalType = .none
            m.schema.columns[c].typeLength =
                type == .fixedLenByteArray
                ? Int32.random(in: 1...16, using: &rng) : nil
            for i in m.rowGroups.indices {
                m.rowGroups[i].columns[c].type = type
                m.rowGroups[i].columns[c].statistics = nil
            }
        case 6:
            // Row counts changed consistently: the group, its chunks and the file total.
            guard let g else { return }
            let old = m.rowGroups[g].rowCount
            let new = [
                0, 1, old - 1, old + 1, old * 2, 1 << 20,
                Int64(ParquetReader.pageValueCountMax) * 64,
            ]
            .randomElement(using: &rng)!
            m.rowGroups[g].rowCount = max(0, new)
            for i in m.rowGroups[g].columns.indices {
                m.rowGroups[g].columns[i].valueCount = max(0, new)
            }
            m.rowCount = m.rowGroups.reduce(0) { $0 + $1.rowCount }
        case 7:
            // Chunks of two columns swapped (types fixed up so the footer validates).
            guard let g, m.schema.columns.count > 1 else { return }
            let d = Int.random(in: 0..<m.schema.columns.count, using: &rng)
            var a = m.rowGroups[g].columns[c]
            var b = m.rowGroups[g].columns[d]
            swap(&a.dataPageOffset, &b.dataPageOffset)
            swap(&a.dictionaryPageOffset, &b.dictionaryPageOffset)
            swap(&a.compressedBytes, &b.compressedBytes)
            m.rowGroups[g].columns[c] = a
            m.rowGroups[g].columns[d] = b
        default:
            m.rowGroups.shuffle(using: &rng)
        }
    }

    // MARK: hand-made damage

    @Test func missingFileNamesThePath() throws {
        let dir = try TempDir()
        let path = dir.file("nope.parquet")
        let error = try #require(throws: ParquetError.self) { try ParquetReader(path: path) }
        #expect(error.description.contains(path))
        #expect(error.path == path)
    }

    @Test(
        arguments: [
            [], Array("PAR1".utf8), Array("PAR1PAR1".utf8), Array("PAR1\0\0\0\0PAR1".utf8),
            Array("hello, this is not a parquet file at all".utf8),
            Array("PAR1".utf8) + [0x15, 0x00] + [0x02, 0x00, 0x00, 0x00] + Array("PAR1".utf8),
            Array("PAR1".utf8) + [UInt8](repeating: 0, count: 100) + [100, 0, 0, 0]
                + Array("PAR1".utf8),
            Array("PAR1".utf8) + [UInt8](repeating: 0xFF, count: 100) + [100, 0, 0, 0]
                + Array("PAR1".utf8),
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
