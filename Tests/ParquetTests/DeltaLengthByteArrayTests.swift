import Foundation
import Testing

@testable import Parquet

/// DELTA_LENGTH_BYTE_ARRAY (byte arrays without a dictionary: bronze's lines, silver's event
/// ids): the bytes of the specification's example, round trips through the writer and reader
/// with nulls, empty values and page boundaries, and damaged pages refused. pyarrow and DuckDB
/// reading lake's files, and lake reading pyarrow's, are in Tests/interop.
@Suite("DELTA_LENGTH_BYTE_ARRAY")
struct DeltaLengthByteArrayTests {
    /// `strings` as a required string column, uncompressed and without a dictionary, so the
    /// DELTA_LENGTH_BYTE_ARRAY page lies in the file as written.
    /// Without page checksums: the damage tests below exercise the decoder's own bounds checks,
    /// which a checksum would otherwise refuse first.
    private func writeUncompressed(_ strings: [String], to path: String) throws {
        var p = WriterProperties()
        p.codec = .uncompressed
        p.dictionaryEnabled = false
        p.pageChecksums = false
        let w = try ParquetWriter(path: path, schema: Schema([.string("s")]), properties: p)
        for s in strings {
            w.append(0, string: s)
            try w.endRow()
        }
        _ = try w.finish()
    }

    /// Encodings.md: "Hello", "World", "Foobar", "ABCDEF" are the lengths 5, 5, 6, 6
    /// DELTA_BINARY_PACKED, then "HelloWorldFoobarABCDEF". Lengths worked by hand: block 128
    /// (80 01), 4 miniblocks, 4 values, first value zigzag(5) = 10; min delta 0, widths 1 0 0 0,
    /// the deltas 0 1 0 packed in the first miniblock's four bytes.
    @Test func specificationExampleBytes() throws {
        let dir = try TempDir()
        let path = dir.file("hello.parquet")
        try writeUncompressed(["Hello", "World", "Foobar", "ABCDEF"], to: path)
        let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let values = Array("HelloWorldFoobarABCDEF".utf8)
        let lengths: [UInt8] = [0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]
        let page = lengths + values
        let found = (0...(file.count - page.count)).contains { Array(file[$0..<($0 + page.count)]) == page }
        #expect(found, "the data page holds the lengths DELTA_BINARY_PACKED, then the values")
        let reader = try ParquetReader(path: path)
        #expect(reader.metadata.rowGroups[0].columns[0].encodings.contains(.deltaLengthByteArray))
        guard case .bytes(let back) = try reader.readColumn(rowGroup: 0, column: 0).values else {
            Issue.record("not byte arrays")
            return
        }
        #expect((0..<back.count).map { back.string($0) } == ["Hello", "World", "Foobar", "ABCDEF"])
    }

    /// Values of 0–300 bytes, a third of them null in the optional column, pages of 1, 7 and
    /// 500 rows (pages of nulls only among them), read back equal; DELTA_LENGTH_BYTE_ARRAY and
    /// PLAIN files hold the same values, compressed or not.
    @Test(arguments: [1, 7, 500])
    func roundTrip(pageRows: Int) throws {
        let dir = try TempDir()
        let rows = 1500
        func value(_ i: Int) -> [UInt8] {
            (0..<((i * 37) % 301)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
        }
        func isNull(_ i: Int) -> Bool { i % 3 == 1 || (i / 40) % 5 == 2 }  // runs of 40 nulls
        let schema = Schema([Column("b", .byteArray), Column("b_opt", .byteArray, nullable: true)])
        var read: [[ColumnData]] = []
        for (delta, codec) in [(true, Codec.zstd), (true, .uncompressed), (false, .zstd)] {
            let path = dir.file("f-\(delta)-\(codec).parquet")
            var p = WriterProperties()
            p.dictionaryEnabled = false
            p.deltaLengthByteArrays = delta
            p.codec = codec
            p.dataPageRowCountMax = pageRows
            p.rowGroupRowCountMax = 1000
            let w = try ParquetWriter(path: path, schema: schema, properties: p)
            for i in 0..<rows {
                w.append(0, bytes: value(i))
                if isNull(i) { w.appendNull(1) } else { w.append(1, bytes: value(i + 1)) }
                try w.endRow()
            }
            _ = try w.finish()
            let reader = try ParquetReader(path: path)
            for g in reader.metadata.rowGroups {
                for c in g.columns {
                    #expect(c.encodings.contains(delta ? .deltaLengthByteArray : .plain))
                    #expect(!c.encodings.contains(delta ? .plain : .deltaLengthByteArray))
                }
            }
            var groups: [ColumnData] = []
            for g in 0..<reader.metadata.rowGroups.count {
                for c in 0..<2 { groups.append(try reader.readColumn(rowGroup: g, column: c)) }
            }
            read.append(groups)
            // The values themselves.
            var row = 0
            for g in stride(from: 0, to: groups.count, by: 2) {
                guard case .bytes(let b) = groups[g].values, case .bytes(let o) = groups[g + 1].values else {
                    Issue.record("not byte arrays")
                    return
                }
                for r in 0..<groups[g].rowCount {
                    let i = row + r
                    #expect(Array(b[r]) == value(i))
                    #expect(groups[g + 1].isNull(r) == isNull(i))
                    if !isNull(i) { #expect(Array(o[r]) == value(i + 1)) }
                }
                row += groups[g].rowCount
            }
            #expect(row == rows)
        }
        #expect(read[0] == read[1] && read[0] == read[2])
    }

    /// A page whose lengths run past its bytes, or are negative, throws; damaged bytes never
    /// trap.
    @Test func damagedPagesThrow() throws {
        let dir = try TempDir()
        let path = dir.file("d.parquet")
        try writeUncompressed((0..<200).map { String(repeating: "x", count: $0 % 13) }, to: path)
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let reader = try ParquetReader(path: path)
        let offset = Int(reader.metadata.rowGroups[0].columns[0].dataPageOffset)
        // The page header, then the lengths' header: block 128 (2 bytes), 4 miniblocks, 200
        // values (2 bytes), then the first length (zigzag, one byte). Find it after the header.
        let lengthsHeader: [UInt8] = [0x80, 0x01, 0x04, 0xC8, 0x01]
        let at = try #require((offset..<(good.count - 5)).first { Array(good[$0..<($0 + 5)]) == lengthsHeader })
        /// The reader's error for the file `bytes`, nil when it reads.
        func error(_ bytes: [UInt8]) throws -> String? {
            let damaged = dir.file("damaged.parquet")
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            do {
                _ = try ParquetReader(path: damaged).readColumn(rowGroup: 0, column: 0)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(try error(good) == nil)
        var longFirst = good
        longFirst[at + 5] = 0x7E  // first length zigzag 126 = 63, every later one 63 longer: past the page
        var negative = good
        negative[at + 5] = 0x01  // first length −1
        for bad in [longFirst, negative] {
            let message = try error(bad)
            #expect(message?.contains("DELTA_LENGTH_BYTE_ARRAY value runs past the page") == true, "\(message ?? "read")")
        }
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            var bytes = good
            let i = at + Int(rng.next() % UInt64(min(60, good.count - at)))
            bytes[i] = UInt8(truncatingIfNeeded: rng.next())
            _ = try error(bytes)
        }
    }
}
