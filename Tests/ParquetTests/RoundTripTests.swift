import Testing

@testable import Parquet

/// One cell of the writer's feature matrix.
struct MatrixCase: Sendable, CustomTestStringConvertible {
    var kind: Kind
    var nullable: Bool
    var dictionary: Bool
    var codec: Codec
    var cardinality: Cardinality

    var testDescription: String {
        "\(kind) \(nullable ? "OPTIONAL" : "REQUIRED") dictionary \(dictionary ? "on" : "off") "
            + "\(codec.name) \(cardinality)"
    }

    /// Every kind × REQUIRED/OPTIONAL × dictionary on/off × ZSTD/UNCOMPRESSED × cardinality.
    static let all: [MatrixCase] = Kind.allCases.flatMap { kind in
        [false, true].flatMap { nullable in
            [true, false].flatMap { dictionary in
                [Codec.zstd, .uncompressed].flatMap { codec in
                    Cardinality.allCases.map {
                        MatrixCase(
                            kind: kind, nullable: nullable, dictionary: dictionary, codec: codec,
                            cardinality: $0)
                    }
                }
            }
        }
    }

    /// Whether the writer must have dictionary-encoded the value column.
    var expectsDictionary: Bool { dictionary && kind.dictionaryCapable && cardinality == .low }
}

@Suite("Round trips through the writer and reader")
struct RoundTripTests {
    static let rows = 3000
    static let rowGroupRows = 1200

    @Test(arguments: MatrixCase.all)
    func matrix(_ c: MatrixCase) throws {
        let dir = try TempDir()
        let path = dir.file("matrix.parquet")
        let table = Table(
            schema: Schema([Column("id", .int64), c.kind.column("v", nullable: c.nullable)]),
            columns: [
                (0..<Self.rows).map { .i64(Int64($0)) },
                Values.column(c.kind, rows: Self.rows, nullable: c.nullable, c.cardinality),
            ])
        var properties = WriterProperties()
        properties.codec = c.codec
        properties.dictionaryEnabled = c.dictionary
        properties.rowGroupRowCountMax = Self.rowGroupRows
        properties.dataPageRowCountMax = 250  // several pages per chunk
        let summary = try table.write(to: path, properties)

        let back = try Table.read(path)
        #expect(back.schema == table.schema)
        #expect(back.columns[0] == table.columns[0])
        #expect(back.columns[1] == table.columns[1])

        let reader = try ParquetReader(path: path)
        let groups = rowGroupRanges(rowCount: Self.rows, rowGroupRowCountMax: Self.rowGroupRows)
        #expect(reader.metadata.rowGroups.map(\.rowCount) == groups.map { Int64($0.count) })
        #expect(reader.rowCount == Int64(Self.rows))
        for (g, range) in groups.enumerated() {
            let chunk = reader.metadata.rowGroups[g].columns[1]
            #expect(chunk.codec == c.codec)
            #expect(chunk.path == ["v"])
            #expect(chunk.valueCount == Int64(range.count))
            if c.expectsDictionary {
                #expect(chunk.dictionaryPageOffset != nil)
                #expect(chunk.encodings.contains(.rleDictionary))
            } else {
                #expect(chunk.dictionaryPageOffset == nil)
                #expect(!chunk.encodings.contains(.rleDictionary))
                // Byte arrays without a dictionary: DELTA_LENGTH_BYTE_ARRAY (the default).
                #expect(chunk.encodings.contains(c.kind.column("v", nullable: true).type == .byteArray ? .deltaLengthByteArray : .plain))
            }
            let stored = try #require(chunk.statistics, "row group \(g) has no statistics")
            #expect(
                StatCells(stored) == StatCells.bruteForce(table.slice(1, range)), "row group \(g)")
            // Reading one chunk alone gives that row group's rows.
            let part = try reader.readColumn(rowGroup: g, column: 1)
            #expect(part.cells == Array(table.slice(1, range)))
        }

        #expect(summary.rowCount == Int64(Self.rows))
        #expect(summary.rowGroupCount == groups.count)
        #expect(summary.fileSizeBytes == (try fileSize(path)))
        #expect(summary.path == path)
        for col in 0..<2 {
            #expect(StatCells(summary.columns[col]) == StatCells.bruteForce(table.columns[col]))
        }
    }

    /// One `ColumnScratch` carried through every matrix file's row groups (kinds, nullability,
    /// encodings and codecs changing from file to file) decodes exactly what a fresh read does.
    @Test func scratchReadsEqualFreshReads() throws {
        let dir = try TempDir()
        let scratch = ColumnScratch()
        for (n, c) in MatrixCase.all.enumerated() {
            let path = dir.file("case\(n).parquet")
            let table = Table(
                schema: Schema([c.kind.column("v", nullable: c.nullable)]),
                columns: [Values.column(c.kind, rows: Self.rows, nullable: c.nullable, c.cardinality)])
            var properties = WriterProperties()
            properties.codec = c.codec
            properties.dictionaryEnabled = c.dictionary
            properties.rowGroupRowCountMax = Self.rowGroupRows
            properties.dataPageRowCountMax = 250
            _ = try table.write(to: path, properties)
            let reader = try ParquetReader(path: path)
            for g in reader.metadata.rowGroups.indices {
                let viaScratch = try reader.readColumn(rowGroup: g, column: 0, scratch: scratch)
                // Cells compare floats by bit pattern (the matrix holds NaNs).
                let fresh = try reader.readColumn(rowGroup: g, column: 0)
                #expect(viaScratch.cells == fresh.cells, "\(c) row group \(g)")
                #expect(viaScratch.validity == fresh.validity, "\(c) row group \(g)")
                scratch.recycle(viaScratch)
            }
        }
    }

    /// The point of a scratch: a recycled chunk's storage is decoded into again, not replaced.
    @Test func scratchReusesStorage() throws {
        let dir = try TempDir()
        let path = dir.file("ids.parquet")
        let rows = 4 * Self.rowGroupRows
        let table = Table(schema: Schema([Column("id", .int64)]), columns: [(0..<rows).map { .i64(Int64($0)) }])
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = Self.rowGroupRows
        _ = try table.write(to: path, properties)
        let reader = try ParquetReader(path: path)
        let scratch = ColumnScratch()
        var addresses: [UnsafeRawPointer?] = []
        for g in 0..<4 {
            let data = try reader.readColumn(rowGroup: g, column: 0, scratch: scratch)
            guard case .int64(let values) = data.values else { Issue.record("not int64"); return }
            #expect(values.first == Int64(g * Self.rowGroupRows))
            addresses.append(values.withUnsafeBytes { $0.baseAddress })
            scratch.recycle(data)
        }
        #expect(Set(addresses).count == 1, "each row group decoded into new storage")
    }

    /// ZSTD must actually compress: the same low-cardinality data gets smaller.
    @Test func zstdCompresses() throws {
        let dir = try TempDir()
        let table = Table(
            schema: Schema([Kind.string.column("s", nullable: false)]),
            columns: [
                (0..<20_000).map { .string("value number \($0 % 1000) of a compressible column") }
            ])
        var plain = WriterProperties()
        plain.codec = .uncompressed
        plain.dictionaryEnabled = false
        var zstd = plain
        zstd.codec = .zstd
        let a = try table.write(to: dir.file("none.parquet"), plain)
        let b = try table.write(to: dir.file("zstd.parquet"), zstd)
        #expect(b.fileSizeBytes * 5 < a.fileSizeBytes)
        #expect(try Table.read(dir.file("zstd.parquet")).columns == table.columns)
    }
}
