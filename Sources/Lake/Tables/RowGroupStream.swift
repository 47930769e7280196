import Parquet

/// Reads the row groups of a list of Parquet files in order, opening each file only when the
/// stream reaches it. Memory: one row group of the chosen columns, whose buffers are reused
/// from one row group to the next.
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
        // One scratch per selected column: each row group decodes into the previous one's
        // buffers, handed back after `body` returns.
        var scratches: [ColumnScratch] = []
        while let unit = try nextUnit() {
            while scratches.count < unit.columns.count { scratches.append(ColumnScratch()) }
            var data = try unit.columns.indices.map {
                try unit.reader.readColumn(rowGroup: unit.group, column: unit.columns[$0], scratch: scratches[$0])
            }
            try body(unit.file, data)
            for i in data.indices { scratches[i].recycle(data[i]) }
            data = []
        }
    }
}
