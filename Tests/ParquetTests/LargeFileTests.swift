import Testing

@testable import Parquet

/// A million rows written and read back value for value, in one row group and in the default
/// 128 Ki-row groups.
@Suite("Large files")
struct LargeFileTests {
    static let rows = 1_000_000

    static func id(_ row: Int) -> Int64 { Int64(row) * 3 - 17 }
    static func isNull(_ row: Int) -> Bool { row % 11 == 0 }
    static func string(_ row: Int) -> String { Values.lowStrings[row % Values.lowStrings.count] }
    static func double(_ row: Int) -> Double { Double(row) * 0.25 - 1000 }
    static func timestamp(_ row: Int) -> Int64 { Values.timestampBase + Int64(row) * 1_000 }

    @Test(arguments: [1_000_000, WriterProperties().rowGroupRowCountMax])
    func millionRows(rowGroupRowCountMax: Int) throws {
        let dir = try TempDir()
        let path = dir.file("large.parquet")
        let schema = Schema([
            Column("id", .int64), .string("s", nullable: true), Column("d", .double),
            .timestamp("ts"),
        ])
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = rowGroupRowCountMax
        let w = try ParquetWriter(path: path, schema: schema, properties: properties)
        for row in 0..<Self.rows {
            w.append(0, Self.id(row))
            if Self.isNull(row) { w.appendNull(1) } else { w.append(1, string: Self.string(row)) }
            w.append(2, Self.double(row))
            w.append(3, Self.timestamp(row))
            try w.endRow()
        }
        let summary = try w.finish()

        let ranges = rowGroupRanges(rowCount: Self.rows, rowGroupRowCountMax: rowGroupRowCountMax)
        #expect(ranges.count == (rowGroupRowCountMax == 1_000_000 ? 1 : 8))
        #expect(summary.rowCount == Int64(Self.rows))
        #expect(summary.rowGroupCount == ranges.count)
        #expect(
            summary.columns[0]
                == ColumnStatistics(
                    nullCount: 0, min: .int64(Self.id(0)), max: .int64(Self.id(Self.rows - 1))))
        #expect(summary.columns[1].nullCount == Int64((0..<Self.rows).filter(Self.isNull).count))

        let reader = try ParquetReader(path: path)
        #expect(reader.rowCount == Int64(Self.rows))
        #expect(reader.metadata.rowGroups.map(\.rowCount) == ranges.map { Int64($0.count) })
        for (g, range) in ranges.enumerated() {
            let chunks = reader.metadata.rowGroups[g].columns
            #expect(chunks[0].statistics?.min == .int64(Self.id(range.lowerBound)))
            #expect(chunks[0].statistics?.max == .int64(Self.id(range.upperBound - 1)))
            #expect(chunks[1].statistics?.nullCount == Int64(range.filter(Self.isNull).count))
            #expect(
                chunks[1].dictionaryPageOffset != nil, "low-cardinality strings use a dictionary")
            #expect(chunks[3].statistics?.max == .int64(Self.timestamp(range.upperBound - 1)))
        }

        let data = try reader.readAll()
        try #require(data.allSatisfy { $0.rowCount == Self.rows })
        guard case .int64(let ids) = data[0].values, case .bytes(let strings) = data[1].values,
            case .double(let doubles) = data[2].values, case .int64(let stamps) = data[3].values
        else {
            Issue.record("unexpected value types \(data.map(\.values))")
            return
        }
        let expectedStrings = Values.lowStrings.map { Array($0.utf8) }
        var wrong: [String] = []
        for row in 0..<Self.rows where wrong.count < 10 {
            if ids[row] != Self.id(row) { wrong.append("id row \(row): \(ids[row])") }
            if data[1].isNull(row) != Self.isNull(row) { wrong.append("s null row \(row)") }
            if !Self.isNull(row)
                && !strings[row].elementsEqual(expectedStrings[row % expectedStrings.count])
            {
                wrong.append("s row \(row): \(strings.string(row))")
            }
            if doubles[row].bitPattern != Self.double(row).bitPattern {
                wrong.append("d row \(row)")
            }
            if stamps[row] != Self.timestamp(row) { wrong.append("ts row \(row)") }
        }
        #expect(wrong.isEmpty, "\(wrong)")
        #expect(
            data[0].validity == nil && data[2].validity == nil, "REQUIRED columns have no nulls")
    }
}
