/// What `finish()` returns: the facts the lake catalog records about a file.
public struct FileSummary: Sendable, Equatable {
    public var path: String
    public var rowCount: Int64
    public var fileSizeBytes: Int64
    public var rowGroupCount: Int
    /// Per column, in schema order, over the whole file.
    public var columns: [ColumnStatistics]
}

/// Writes a Parquet file row by row in bounded memory: values are buffered column by column
/// for one row group, which is encoded and written out when full.
///
///     let w = try ParquetWriter(path: p, schema: schema)
///     w.append(0, 42 as Int64); w.append(1, string: "x"); try w.endRow()
///     let summary = try w.finish()
public final class ParquetWriter {
    public let schema: Schema
    public let properties: WriterProperties
    private let sink: FileSink
    private let buffers: [ColumnBuffer]
    /// Unretained views of `buffers` (which owns them): appends run per value, and reaching a
    /// buffer through them costs no reference counting.
    private let refs: UnsafeMutableBufferPointer<Unmanaged<ColumnBuffer>>
    private var chunkWriter: ColumnChunkWriter
    private var rowGroups: [RowGroupMetadata] = []
    private var statistics: [ColumnStatistics]
    private var rowsInGroup = 0
    private var rowCount: Int64 = 0
    private var finished = false

    public init(path: String, schema: Schema, properties: WriterProperties = WriterProperties())
        throws
    {
        precondition(!schema.columns.isEmpty, "a Parquet schema needs at least one column")
        precondition(properties.rowGroupRowCountMax > 0)
        self.schema = schema
        self.properties = properties
        sink = try FileSink(path: path)
        buffers = schema.columns.map { ColumnBuffer(column: $0) }
        refs = .allocate(capacity: buffers.count)
        _ = refs.initialize(from: buffers.map { Unmanaged.passUnretained($0) })
        chunkWriter = ColumnChunkWriter(properties: properties)
        statistics = schema.columns.map { _ in ColumnStatistics() }
        try sink.write(Self.magic)
    }

    deinit { refs.deallocate() }

    static let magic: [UInt8] = Array("PAR1".utf8)

    public var path: String { sink.path }

    // MARK: appending values of the current row

    public func append(_ column: Int, _ value: Bool) { refs[column]._withUnsafeGuaranteedRef { $0.append(value) } }
    public func append(_ column: Int, _ value: Int32) { refs[column]._withUnsafeGuaranteedRef { $0.append(value) } }
    public func append(_ column: Int, _ value: Int64) { refs[column]._withUnsafeGuaranteedRef { $0.append(value) } }
    public func append(_ column: Int, _ value: Float) { refs[column]._withUnsafeGuaranteedRef { $0.append(value) } }
    public func append(_ column: Int, _ value: Double) { refs[column]._withUnsafeGuaranteedRef { $0.append(value) } }

    public func append(_ column: Int, bytes: UnsafeRawBufferPointer) {
        refs[column]._withUnsafeGuaranteedRef { $0.append(bytes) }
    }

    public func append(_ column: Int, string: String) {
        var s = string
        s.withUTF8 { append(column, bytes: UnsafeRawBufferPointer($0)) }
    }

    public func append(_ column: Int, bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(column, bytes: $0) }
    }

    public func appendNull(_ column: Int) { refs[column]._withUnsafeGuaranteedRef { $0.appendNull() } }

    /// Appends every row of `columns` (read from a file of the same schema), e.g. to merge
    /// files: column by column, one row-group-sized slice at a time, so each column's values are
    /// copied in bulk rather than dispatched value by value.
    public func appendRows(_ columns: [ColumnData]) throws {
        precondition(columns.count == schema.columns.count, "appendRows needs one ColumnData per column")
        let rows = columns.first?.rowCount ?? 0
        precondition(columns.allSatisfy { $0.rowCount == rows }, "appendRows needs columns of equal length")
        var start = 0
        while start < rows {
            let end = min(rows, start + properties.rowGroupRowCountMax - rowsInGroup)
            for (c, data) in columns.enumerated() { buffers[c].append(data, rows: start..<end) }
            rowsInGroup += end - start
            start = end
            if rowsInGroup >= properties.rowGroupRowCountMax { try flushRowGroup() }
        }
    }

    /// Ends the current row; every column must have received exactly one value or null.
    public func endRow() throws {
        rowsInGroup += 1
        assert(buffers.allSatisfy { $0.rowCount == rowsInGroup }, "a column missed a value")
        if rowsInGroup >= properties.rowGroupRowCountMax { try flushRowGroup() }
    }

    /// Rows written so far, the current row group included.
    public var rowsWritten: Int64 { rowCount + Int64(rowsInGroup) }

    private func flushRowGroup() throws {
        guard rowsInGroup > 0 else { return }
        for b in buffers {
            precondition(b.rowCount == rowsInGroup, "column \(b.column.name) has \(b.rowCount) "
                + "values, the row group \(rowsInGroup) rows")
        }
        var chunks: [ColumnChunkMetadata] = []
        for (i, b) in buffers.enumerated() {
            let chunk = try chunkWriter.write(b, to: sink)
            if let s = chunk.statistics { statistics[i].merge(s) }
            chunks.append(chunk)
            b.reset()
        }
        rowGroups.append(RowGroupMetadata(
            columns: chunks, rowCount: Int64(rowsInGroup),
            uncompressedBytes: chunks.reduce(0) { $0 + $1.uncompressedBytes }))
        rowCount += Int64(rowsInGroup)
        rowsInGroup = 0
    }

    /// Writes the last row group and the footer, closes the file, returns what it holds.
    public func finish() throws -> FileSummary {
        precondition(!finished, "finish() called twice")
        finished = true
        try flushRowGroup()
        let metadata = FileMetadata(
            version: 2, schema: schema, rowCount: rowCount, rowGroups: rowGroups,
            keyValues: properties.keyValues, createdBy: properties.createdBy)
        var w = CompactWriter()
        metadata.encode(into: &w)
        try sink.write(w.bytes)
        var length = UInt32(w.bytes.count).littleEndian
        try withUnsafeBytes(of: &length) { try sink.write($0) }
        try sink.write(Self.magic)
        let size = sink.position
        try sink.close(sync: properties.syncOnFinish)
        return FileSummary(
            path: sink.path, rowCount: rowCount, fileSizeBytes: size,
            rowGroupCount: rowGroups.count, columns: statistics)
    }
}
