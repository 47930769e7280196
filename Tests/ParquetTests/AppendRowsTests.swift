import Foundation
import Parquet
import Testing

@Suite("Bulk appendRows (merging files)")
struct AppendRowsTests {
    /// Two files with nulls in every nullable column, merged with `appendRows` into a writer
    /// whose row groups cut across both inputs, read back equal to the rows written one by one.
    @Test(arguments: [1, 7, 1000])
    func mergedFilesReadBackRowForRow(rowGroupRows: Int) throws {
        let dir = try TempDir()
        let schema = Schema([
            Column("id", .int64), Column("n", .int32, nullable: true), Column("x", .double, nullable: true),
            .string("s", nullable: true), Column("b", .boolean, nullable: true), .timestamp("t"),
        ])
        func part(_ base: Int, _ count: Int, _ path: String) throws {
            let w = try ParquetWriter(path: path, schema: schema)
            for i in base..<(base + count) {
                w.append(0, Int64(i))
                if i % 3 == 0 { w.appendNull(1) } else { w.append(1, Int32(i * 7)) }
                if i % 4 == 1 { w.appendNull(2) } else { w.append(2, Double(i) / 8) }
                if i % 5 == 2 { w.appendNull(3) } else { w.append(3, string: "v\(i % 11)ż") }
                if i % 2 == 0 { w.appendNull(4) } else { w.append(4, i % 3 == 0) }
                w.append(5, Int64(1_769_644_800_000_000 + i))
                try w.endRow()
            }
            _ = try w.finish()
        }
        try part(0, 25, dir.file("a.parquet"))
        try part(25, 40, dir.file("b.parquet"))
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = rowGroupRows
        let merged = try ParquetWriter(path: dir.file("m.parquet"), schema: schema, properties: properties)
        for name in ["a.parquet", "b.parquet"] {
            let r = try ParquetReader(path: dir.file(name))
            for g in r.metadata.rowGroups.indices {
                try merged.appendRows((0..<schema.columns.count).map { try r.readColumn(rowGroup: g, column: $0) })
            }
        }
        let summary = try merged.finish()
        #expect(summary.rowCount == 65)
        #expect(summary.rowGroupCount == (65 + rowGroupRows - 1) / rowGroupRows)
        try part(0, 65, dir.file("expected.parquet"))
        #expect(try Table.read(dir.file("m.parquet")).columns == Table.read(dir.file("expected.parquet")).columns)
        #expect(summary.columns[1].nullCount == 22)
    }
}
