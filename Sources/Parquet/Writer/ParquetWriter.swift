import Dispatch

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
/// for one row group, which is encoded and written out when full: in the background (while the
/// next row group fills a second set of buffers) and with its columns spread over
/// `encodeThreads` threads (see `WriterProperties`). Memory: at most two row groups.
///
///     let w = try ParquetWriter(path: p, schema: schema)
///     w.append(0, 42 as Int64); w.append(1, string: "x"); try w.endRow()
///     let summary = try w.finish()
public final class ParquetWriter {
    public let schema: Schema
    public let properties: WriterProperties
    private let sink: FileSink
    /// The buffers of the row group being filled.
    private var buffers: [ColumnBuffer]
    /// The other set, free once the background encoding of the previous row group is joined.
    private var spare: [ColumnBuffer]?
    /// Unretained views of `buffers` (which owns them): appends run per value, and reaching a
    /// buffer through them costs no reference counting.
    @usableFromInline let refs: UnsafeMutableBufferPointer<Unmanaged<ColumnBuffer>>
    private let encoder: RowGroupEncoder
    /// The row group being encoded in the background, if any.
    private var pending: PendingRowGroup?
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
        buffers = BufferPool.shared.take(schema)
        refs = .allocate(capacity: buffers.count)
        _ = refs.initialize(from: buffers.map { Unmanaged.passUnretained($0) })
        encoder = RowGroupEncoder(sink: sink, properties: properties, columnCount: schema.columns.count)
        statistics = schema.columns.map { _ in ColumnStatistics() }
        try sink.write(Self.magic)
    }

    deinit {
        // A writer dropped without finish() (an aborted run): let its background job end
        // before the file is closed and removed.
        pending?.done.wait()
        refs.deallocate()
    }

    static let magic: [UInt8] = Array("PAR1".utf8)

    public var path: String { sink.path }

    // MARK: appending values of the current row

    // Inlinable: silver appends ~17 values per row from the Lake module. A column index out
    // of range traps (checked here, as the buffer's own subscript is only in debug builds).
    @inlinable @inline(__always) func buffer(_ column: Int) -> Unmanaged<ColumnBuffer> {
        precondition(column >= 0 && column < refs.count, "column \(column) out of range")
        return refs[column]
    }

    @inlinable @inline(__always) public func append(_ column: Int, _ value: Bool) { buffer(column)._withUnsafeGuaranteedRef { $0.append(value) } }
    @inlinable @inline(__always) public func append(_ column: Int, _ value: Int32) { buffer(column)._withUnsafeGuaranteedRef { $0.append(value) } }
    @inlinable @inline(__always) public func append(_ column: Int, _ value: Int64) { buffer(column)._withUnsafeGuaranteedRef { $0.append(value) } }
    @inlinable @inline(__always) public func append(_ column: Int, _ value: Float) { buffer(column)._withUnsafeGuaranteedRef { $0.append(value) } }
    @inlinable @inline(__always) public func append(_ column: Int, _ value: Double) { buffer(column)._withUnsafeGuaranteedRef { $0.append(value) } }

    @inlinable @inline(__always) public func append(_ column: Int, bytes: UnsafeRawBufferPointer) {
        buffer(column)._withUnsafeGuaranteedRef { $0.append(bytes) }
    }

    public func append(_ column: Int, string: String) {
        var s = string
        s.withUTF8 { append(column, bytes: UnsafeRawBufferPointer($0)) }
    }

    public func append(_ column: Int, bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(column, bytes: $0) }
    }

    @inlinable @inline(__always) public func appendNull(_ column: Int) { buffer(column)._withUnsafeGuaranteedRef { $0.appendNull() } }

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

    /// Hands the full row group to the encoder: in the background when `last` is false and
    /// the properties allow it, else on this thread. Row groups reach the file in order.
    private func flushRowGroup(last: Bool = false) throws {
        try joinPending()
        guard rowsInGroup > 0 else { return }
        for b in buffers {
            precondition(b.rowCount == rowsInGroup, "column \(b.column.name) has \(b.rowCount) "
                + "values, the row group \(rowsInGroup) rows")
        }
        let rows = rowsInGroup
        rowCount += Int64(rows)
        rowsInGroup = 0
        if last || !properties.encodeInBackground {
            record(try encoder.encode(buffers, rows: rows))
            for b in buffers { b.reset() }
            return
        }
        let job = PendingRowGroup(buffers: buffers)
        buffers = spare ?? BufferPool.shared.take(schema)
        spare = nil
        for (i, b) in buffers.enumerated() { refs[i] = Unmanaged.passUnretained(b) }
        pending = job
        let encoder = self.encoder
        DispatchQueue.global().async {
            job.result = Result { try encoder.encode(job.buffers, rows: rows) }
            job.done.signal()
        }
    }

    /// Waits for the background row group, records it, and keeps its buffers as the spare set.
    private func joinPending() throws {
        guard let job = pending else { return }
        pending = nil
        job.done.wait()
        for b in job.buffers { b.reset() }
        spare = job.buffers
        record(try job.result!.get())
    }

    private func record(_ group: RowGroupMetadata) {
        for (i, chunk) in group.columns.enumerated() {
            if let s = chunk.statistics { statistics[i].merge(s) }
        }
        rowGroups.append(group)
    }

    /// Writes the last row group and the footer, closes the file, returns what it holds. The
    /// writer's buffers go back to the pool for the next writer: nothing may be appended after.
    public func finish() throws -> FileSummary {
        precondition(!finished, "finish() called twice")
        finished = true
        try flushRowGroup(last: true)
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
        // The buffers are not used again: hand them to the next writer of this schema.
        BufferPool.shared.give(buffers, schema: schema)
        if let spare { BufferPool.shared.give(spare, schema: schema) }
        spare = nil
        try sink.close(sync: properties.syncOnFinish)
        return FileSummary(
            path: sink.path, rowCount: rowCount, fileSizeBytes: size,
            rowGroupCount: rowGroups.count, columns: statistics)
    }
}

/// A row group handed to a background thread; the writer waits on `done` before it reads
/// `result` or touches the buffers or the file again.
private final class PendingRowGroup: @unchecked Sendable {
    let buffers: [ColumnBuffer]
    let done = DispatchSemaphore(value: 0)
    var result: Result<RowGroupMetadata, Error>?

    init(buffers: [ColumnBuffer]) { self.buffers = buffers }
}
