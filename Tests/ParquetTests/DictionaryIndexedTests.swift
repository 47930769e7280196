import Testing

@testable import Parquet

/// `readDictionaryIndexed` gives, for every dictionary-encoded chunk, a dictionary and indices
/// that rebuild exactly what `readColumn` reads, nulls included; a chunk that is not
/// dictionary-encoded gives nil.
@Suite("Reading dictionary indices")
struct DictionaryIndexedTests {
    @Test(arguments: Kind.allCases.filter(\.dictionaryCapable), [false, true])
    func indicesRebuildTheValues(kind: Kind, nullable: Bool) throws {
        let dir = try TempDir()
        let path = dir.file("d.parquet")
        // Several row groups and pages, so indices and validity are appended page by page.
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = 3_000
        properties.dataPageRowCountMax = 700
        let rows = 7_500
        let schema = Schema([kind.column("low", nullable: nullable), kind.column("high", nullable: nullable)])
        try Table(schema: schema, columns: [
            Values.column(kind, rows: rows, nullable: nullable, .low),
            Values.column(kind, rows: rows, nullable: nullable, .high),
        ]).write(to: path, properties)

        let reader = try ParquetReader(path: path)
        let scratch = ColumnScratch()
        for rg in reader.metadata.rowGroups.indices {
            let plain = try reader.readColumn(rowGroup: rg, column: 0)
            let indexed = try #require(try reader.readDictionaryIndexed(rowGroup: rg, column: 0, scratch: scratch))
            #expect(indexed.rowCount == plain.rowCount)
            #expect((indexed.validity == nil) == (plain.validity == nil))
            #expect(indexed.rebuiltCells() == plain.cells, "\(kind) nullable \(nullable) row group \(rg)")
            // Nearly all distinct: PLAIN, so no indices.
            #expect(try reader.readDictionaryIndexed(rowGroup: rg, column: 1, scratch: scratch) == nil)
        }
    }
}

extension DictionaryIndexedColumn: Equatable {
    public static func == (a: DictionaryIndexedColumn, b: DictionaryIndexedColumn) -> Bool {
        a.column == b.column && a.rowCount == b.rowCount && a.validity == b.validity
            && a.dictionary == b.dictionary && a.indices == b.indices
    }
}

extension DictionaryIndexedColumn {
    /// The rows' values as cells, looked up in the dictionary; nil when the indices do not
    /// cover the present rows exactly.
    func rebuiltCells() -> [Cell]? {
        var next = 0
        var cells: [Cell] = []
        for row in 0..<rowCount {
            if let v = validity, !v[row] {
                cells.append(.null)
                continue
            }
            guard next < indices.count else { return nil }
            let entry = Int(indices[next])
            next += 1
            cells.append(ColumnData(column: column, rowCount: 1, validity: nil, values: dictionary.slice(entry)).cells[0])
        }
        return next == indices.count ? cells : nil
    }
}

extension ColumnValues {
    /// Entry `i` alone.
    func slice(_ i: Int) -> ColumnValues {
        switch self {
        case .boolean(let v): .boolean([v[i]])
        case .int32(let v): .int32([v[i]])
        case .int64(let v): .int64([v[i]])
        case .float(let v): .float([v[i]])
        case .double(let v): .double([v[i]])
        case .bytes(let v):
            {
                var one = ByteArrays()
                one.data = Array(v[i])
                one.ends = [one.data.count]
                return .bytes(one)
            }()
        }
    }
}
