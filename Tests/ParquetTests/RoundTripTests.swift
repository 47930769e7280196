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
                #expect(chunk.encodings.contains(.plain))
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
