import Parquet

/// Reads the row groups of a list of Parquet files in order, opening each file only when the
/// stream reaches it. Memory: one row group of the chosen columns.
///
/// Reading the next row group on a background thread was tried (bench/NOTES.md): no faster
/// on this kind of machine, where the two cores share memory bandwidth, and +27 MB of RSS.
enum RowGroupStream {
    /// Calls `body(file index, columns)` for each row group of each file, in order.
    /// `columns(reader)` picks the column indices to read from each file.
    static func forEach(
        paths: [String], columns pick: (ParquetReader) throws -> [Int],
        _ body: (Int, [ColumnData]) throws -> Void
    ) throws {
        // Files are opened one at a time as the stream reaches them (a backfill may read
        // thousands of small files; they must not all hold a descriptor at once).
        var fileIndex = -1
        var reader: ParquetReader?
        var columns: [Int] = []
        var group = 0
        func nextUnit() throws -> (file: Int, reader: ParquetReader, group: Int, columns: [Int])? {
            while true {
                if let r = reader, group < r.metadata.rowGroups.count {
                    group += 1
                    return (fileIndex, r, group - 1, columns)
                }
                reader = nil
                fileIndex += 1
                guard fileIndex < paths.count else { return nil }
                let r = try ParquetReader(path: paths[fileIndex])
                columns = try pick(r)
                reader = r
                group = 0
            }
        }
        while let unit = try nextUnit() {
            try body(unit.file, try unit.columns.map { try unit.reader.readColumn(rowGroup: unit.group, column: $0) })
        }
    }
}
