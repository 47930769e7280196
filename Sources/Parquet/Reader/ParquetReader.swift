#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads Parquet files: footer and schema, column projection, row-group pruning by statistics,
/// PLAIN / dictionary / RLE decoding, ZSTD and uncompressed pages, data pages v1 and v2.
/// Every byte of the file is untrusted: damage raises a `ParquetError` naming the file.
public final class ParquetReader {
    public let path: String
    public let metadata: FileMetadata
    public let fileSizeBytes: Int64
    private let fd: Int32

    /// Largest page accepted; a larger size in a header means the file is damaged.
    static let pageBytesMax = 512 << 20
    /// Largest value count accepted in one page (bounds memory on damaged headers).
    static let pageValueCountMax = 1 << 26
    /// Largest row group the reader decodes: a memory budget, since a few kilobytes of RLE runs
    /// can claim billions of rows (lake writes 128k-row groups; 64M rows is far above any writer's).
    public static let rowGroupRowCountMax: Int64 = 1 << 26

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ParquetError(path: path, "cannot open: \(errnoText())") }
        do {
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw ParquetError(path: path, "stat failed: \(errnoText())") }
            fileSizeBytes = Int64(st.st_size)
            metadata = try Self.readFooter(fd: fd, path: path, size: fileSizeBytes)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
    }

    deinit { _ = Glibc.close(fd) }

    public var schema: Schema { metadata.schema }
    public var rowCount: Int64 { metadata.rowCount }

    private static func readFooter(fd: Int32, path: String, size: Int64) throws -> FileMetadata {
        guard size >= 12 else {
            throw ParquetError(path: path, "too small to be Parquet (\(size) bytes); the file is truncated")
        }
        let head = try pread(fd: fd, path: path, offset: 0, count: 4)
        let tail = try pread(fd: fd, path: path, offset: size - 8, count: 8)
        guard head == ParquetWriter.magic else {
            throw ParquetError(path: path, "does not start with PAR1; not a Parquet file")
        }
        guard Array(tail[4..<8]) == ParquetWriter.magic else {
            throw ParquetError(path: path, "does not end with PAR1; the file is truncated or damaged")
        }
        let length = Int64(tail[0]) | Int64(tail[1]) << 8 | Int64(tail[2]) << 16 | Int64(tail[3]) << 24
        guard length > 0, length <= size - 12 else {
            throw ParquetError(path: path, "footer length \(length) does not fit a \(size)-byte file")
        }
        let footer = try pread(fd: fd, path: path, offset: size - 8 - length, count: Int(length))
        do {
            let metadata = try footer.withUnsafeBytes { try FileMetadata.decode($0) }
            try validate(metadata, size: size)
            return metadata
        } catch let e as DecodeError {
            throw ParquetError(path: path, "damaged footer: \(e.message)")
        }
    }

    private static func validate(_ m: FileMetadata, size: Int64) throws {
        var rows: Int64 = 0
        for group in m.rowGroups {
            let (sum, overflow) = rows.addingReportingOverflow(group.rowCount)
            guard !overflow else { throw DecodeError("row counts overflow") }
            rows = sum
            for (chunk, column) in zip(group.columns, m.schema.columns) {
                guard chunk.type == column.type else {
                    throw DecodeError("column \(column.name.quotedName()) chunk type differs from the schema")
                }
                // A chunk without bytes has nothing to locate: pyarrow writes offset 0 for the
                // chunks of an empty row group.
                let empty = chunk.compressedBytes == 0 && group.rowCount == 0
                guard chunk.compressedBytes >= 0, empty || (chunk.startOffset >= 4
                    && chunk.startOffset <= size && chunk.compressedBytes <= size - chunk.startOffset)
                else { throw DecodeError("column \(column.name.quotedName()) chunk lies outside the file") }
            }
        }
        guard rows == m.rowCount else {
            throw DecodeError("row groups hold \(rows) rows, footer says \(m.rowCount)")
        }
    }

    static func pread(fd: Int32, path: String, offset: Int64, count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        try pread(fd: fd, path: path, offset: offset, count: count, into: &out)
        out.removeLast(out.count - count)
        return out
    }

    /// Reads `count` bytes at `offset` into the start of `out`, reusing its storage when large
    /// enough (`out` may be longer than `count`).
    static func pread(fd: Int32, path: String, offset: Int64, count: Int, into out: inout [UInt8]) throws {
        if out.count < count {
            // Not zero-filled (pread overwrites the bytes used or the read throws); a quarter
            // more than asked, as the next chunk of the column is often a bit larger.
            let size = count + count / 4
            out = [UInt8](unsafeUninitializedCapacity: size) { _, initialized in initialized = size }
        }
        var done = 0
        try out.withUnsafeMutableBytes { buf in
            while done < count {
                let n = Glibc.pread(fd, buf.baseAddress?.advanced(by: done), count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ParquetError(path: path, "read failed: \(errnoText())")
                }
                if n == 0 { throw ParquetError(path: path, "file ends at \(offset + Int64(done)); truncated") }
                done += n
            }
        }
    }

    /// Row groups whose statistics for `column` may hold a value in `lower...upper`
    /// (groups without statistics are always kept).
    public func rowGroups(column: Int, overlapping lower: StatValue, _ upper: StatValue) -> [Int] {
        metadata.rowGroups.indices.filter { g in
            guard let s = metadata.rowGroups[g].columns[column].statistics, let lo = s.min, let hi = s.max
            else { return true }
            return !(hi < lower) && !(upper < lo)
        }
    }

    /// Reads one column chunk of one row group. With a `scratch` (one per column being
    /// streamed), the chunk's buffers are those of the previous call, not new ones.
    public func readColumn(rowGroup: Int, column: Int, scratch: ColumnScratch? = nil) throws -> ColumnData {
        try withChunk(rowGroup: rowGroup, column: column, scratch: scratch) { decoder, chunk in
            try decoder.decode(chunk)
        }
    }

    /// Reads one column chunk as its dictionary and one index per present row, or nil when
    /// the chunk is not dictionary-encoded throughout (read it with `readColumn` then). The
    /// scratch keeps the compressed bytes and the zstd context, as for `readColumn`.
    public func readDictionaryIndexed(rowGroup: Int, column: Int, scratch: ColumnScratch? = nil) throws -> DictionaryIndexedColumn? {
        try withChunk(rowGroup: rowGroup, column: column, scratch: scratch, reuseValues: false) { decoder, chunk in
            try decoder.decodeIndexed(chunk)
        }
    }

    /// Checks the chunk's metadata, reads its bytes and runs `body` with a decoder for it.
    private func withChunk<R>(
        rowGroup: Int, column: Int, scratch: ColumnScratch?, reuseValues: Bool = true,
        _ body: (inout ChunkDecoder, UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        precondition(metadata.rowGroups.indices.contains(rowGroup), "no row group \(rowGroup)")
        precondition(schema.columns.indices.contains(column), "no column \(column)")
        let chunk = metadata.rowGroups[rowGroup].columns[column]
        let rows = metadata.rowGroups[rowGroup].rowCount
        guard chunk.codec == .uncompressed || chunk.codec == .zstd else {
            throw ParquetError(path: path, "unsupported codec \(chunk.codec.name) in column "
                + "\(schema.columns[column].name.quotedName()); lake reads ZSTD and uncompressed files")
        }
        guard rows <= Self.rowGroupRowCountMax else {
            throw ParquetError(path: path, "row group \(rowGroup) claims \(rows) rows, more than the reader's budget "
                + "of \(Self.rowGroupRowCountMax); rewrite the file with smaller row groups")
        }
        guard chunk.valueCount == rows else {
            throw ParquetError(path: path, "column \(schema.columns[column].name.quotedName()) holds "
                + "\(chunk.valueCount) values for \(rows) rows; the file is damaged")
        }
        var bytes = scratch?.compressed ?? []
        scratch?.compressed = []
        defer { scratch?.compressed = bytes }
        try Self.pread(fd: fd, path: path, offset: chunk.startOffset, count: Int(chunk.compressedBytes), into: &bytes)
        do {
            var decoder = ChunkDecoder(
                column: schema.columns[column], codec: chunk.codec, rowCount: Int(rows),
                scratch: scratch, reuseValues: reuseValues)
            let size = Int(chunk.compressedBytes)
            return try bytes.withUnsafeBytes { try body(&decoder, UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
        } catch let e as DecodeError {
            throw ParquetError(path: path, "column \(schema.columns[column].name.quotedName()), row group "
                + "\(rowGroup): \(e.message)")
        }
    }

    /// Reads the named columns (all when nil) of every row group, concatenated.
    public func readAll(columns names: [String]? = nil) throws -> [ColumnData] {
        let indices = try (names ?? schema.columns.map(\.name)).map { name -> Int in
            guard let i = schema.index(of: name) else {
                throw ParquetError(path: path, "no column \(name) in the file")
            }
            return i
        }
        var result: [ColumnData] = []
        for c in indices {
            let parts = try metadata.rowGroups.indices.map { try readColumn(rowGroup: $0, column: c) }
            result.append(ColumnData.concatenate(parts, column: schema.columns[c]))
        }
        return result
    }
}

extension ColumnData {
    static func empty(_ column: Column) -> ColumnData {
        let values: ColumnValues
        switch column.type {
        case .boolean: values = .boolean([])
        case .int32: values = .int32([])
        case .int64: values = .int64([])
        case .float: values = .float([])
        case .double: values = .double([])
        case .byteArray, .fixedLenByteArray, .int96: values = .bytes(ByteArrays())
        }
        return ColumnData(column: column, rowCount: 0, validity: column.nullable ? [] : nil, values: values)
    }

    /// One column from its row groups' parts, each value copied once.
    static func concatenate(_ parts: [ColumnData], column: Column) -> ColumnData {
        guard var first = parts.first else { return empty(column) }
        guard parts.count > 1 else { return first }
        let rows = parts.reduce(0) { $0 + $1.rowCount }
        var validity: [Bool]?
        if parts.contains(where: { $0.validity != nil }) {
            var v: [Bool] = []
            v.reserveCapacity(rows)
            for p in parts { v.append(contentsOf: p.validity ?? Array(repeating: true, count: p.rowCount)) }
            validity = v
        }
        func join<T>(_ pick: (ColumnValues) -> [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(rows)
            for p in parts { out.append(contentsOf: pick(p.values)) }
            return out
        }
        let values: ColumnValues
        switch first.values {
        case .boolean: values = .boolean(join { if case .boolean(let v) = $0 { v } else { [] } })
        case .int32: values = .int32(join { if case .int32(let v) = $0 { v } else { [] } })
        case .int64: values = .int64(join { if case .int64(let v) = $0 { v } else { [] } })
        case .float: values = .float(join { if case .float(let v) = $0 { v } else { [] } })
        case .double: values = .double(join { if case .double(let v) = $0 { v } else { [] } })
        case .bytes:
            var all = ByteArrays()
            var dataCount = 0
            for p in parts { if case .bytes(let b) = p.values { dataCount += b.data.count } }
            all.data.reserveCapacity(dataCount)
            all.ends.reserveCapacity(rows)
            for p in parts {
                guard case .bytes(let b) = p.values else { continue }
                let base = all.data.count
                all.data.append(contentsOf: b.data)
                all.ends.append(contentsOf: b.ends.lazy.map { $0 + base })
            }
            values = .bytes(all)
        }
        first.rowCount = rows
        first.validity = validity
        first.values = values
        return first
    }
}
