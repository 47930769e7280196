import Foundation
import Parquet

/// A small table held column by column, written with `ParquetWriter` and compared with what
/// `ParquetReader` gives back.
struct Table {
    var schema: Schema
    /// `columns[c][row]`.
    var columns: [[Cell]]

    init(schema: Schema, columns: [[Cell]]) {
        precondition(schema.columns.count == columns.count)
        precondition(Set(columns.map(\.count)).count <= 1, "columns of different lengths")
        self.schema = schema
        self.columns = columns
    }

    var rowCount: Int { columns.first?.count ?? 0 }

    @discardableResult
    func write(to path: String, _ properties: WriterProperties = WriterProperties()) throws
        -> FileSummary
    {
        let w = try ParquetWriter(path: path, schema: schema, properties: properties)
        for row in 0..<rowCount {
            for c in columns.indices { columns[c][row].append(to: w, column: c) }
            try w.endRow()
        }
        return try w.finish()
    }

    /// Every column of the file, all row groups concatenated.
    static func read(_ path: String) throws -> Table {
        let reader = try ParquetReader(path: path)
        let data = try reader.readAll()
        return Table(schema: reader.schema, columns: data.map(\.cells))
    }

    /// Rows `range` of column `c`.
    func slice(_ c: Int, _ range: Range<Int>) -> ArraySlice<Cell> { columns[c][range] }
}

/// Row ranges of the row groups a writer with `rowGroupRowCountMax` makes from `rowCount` rows.
func rowGroupRanges(rowCount: Int, rowGroupRowCountMax: Int) -> [Range<Int>] {
    stride(from: 0, to: rowCount, by: rowGroupRowCountMax).map {
        $0..<min(rowCount, $0 + rowGroupRowCountMax)
    }
}

/// A scratch folder removed when the test ends.
final class TempDir {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/parquet-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

func fileSize(_ path: String) throws -> Int64 {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.size] as? NSNumber)?.int64Value ?? -1
}

/// SplitMix64: a tiny seeded generator, so failing runs can be replayed from their seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
