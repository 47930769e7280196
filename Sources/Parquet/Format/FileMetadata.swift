/// The footer structures of parquet.thrift that `lake` writes and reads, with their field ids.
/// Unknown fields are skipped on read, so files from newer writers still open.

public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String?

    public init(_ key: String, _ value: String?) {
        self.key = key
        self.value = value
    }
}

/// Metadata of one column chunk (parquet.thrift `ColumnMetaData` inside `ColumnChunk`).
public struct ColumnChunkMetadata: Sendable, Equatable {
    public var type: PhysicalType
    public var encodings: [Encoding]
    public var path: [String]
    public var codec: Codec
    public var valueCount: Int64
    public var uncompressedBytes: Int64
    public var compressedBytes: Int64
    public var dataPageOffset: Int64
    public var dictionaryPageOffset: Int64?
    public var statistics: ColumnStatistics?

    /// Where the chunk's first page starts.
    public var startOffset: Int64 { dictionaryPageOffset ?? dataPageOffset }
}

public struct RowGroupMetadata: Sendable, Equatable {
    public var columns: [ColumnChunkMetadata]
    public var rowCount: Int64
    public var uncompressedBytes: Int64
}

public struct FileMetadata: Sendable, Equatable {
    public var version: Int32
    public var schema: Schema
    public var rowCount: Int64
    public var rowGroups: [RowGroupMetadata]
    public var keyValues: [KeyValue]
    public var createdBy: String?
}

// MARK: - encoding

extension FileMetadata {
    func encode(into w: inout CompactWriter) {
        w.beginStruct()
        w.field(1, i32: version)
        w.beginListField(2, element: .structure, count: schema.columns.count + 1)
        // The root group, then one leaf per column.
        w.beginStruct()
        w.field(4, string: "schema")
        w.field(5, i32: Int32(schema.columns.count))
        w.endStruct()
        for column in schema.columns { column.encode(into: &w) }
        w.field(3, i64: rowCount)
        w.beginListField(4, element: .structure, count: rowGroups.count)
        for (ordinal, group) in rowGroups.enumerated() {
            group.encode(into: &w, ordinal: Int16(truncatingIfNeeded: ordinal))
        }
        if !keyValues.isEmpty {
            w.beginListField(5, element: .structure, count: keyValues.count)
            for kv in keyValues {
                w.beginStruct()
                w.field(1, string: kv.key)
                if let value = kv.value { w.field(2, string: value) }
                w.endStruct()
            }
        }
        if let createdBy { w.field(6, string: createdBy) }
        // column_orders: TypeDefinedOrder for every column, so min/max are trusted by readers.
        w.beginListField(7, element: .structure, count: schema.columns.count)
        for _ in schema.columns {
            w.beginStruct()
            w.beginStructField(1)
            w.endStruct()
            w.endStruct()
        }
        w.endStruct()
    }
}

extension Column {
    func encode(into w: inout CompactWriter) {
        w.beginStruct()
        w.field(1, i32: type.rawValue)
        if let typeLength { w.field(2, i32: typeLength) }
        w.field(3, i32: nullable ? 1 : 0)
        w.field(4, string: name)
        switch logicalType {
        case .string:
            w.field(6, i32: 0)  // ConvertedType UTF8, for older readers
            w.beginStructField(10)
            w.beginStructField(1)  // LogicalType.STRING
            w.endStruct()
            w.endStruct()
        case .timestampMicrosUTC:
            w.field(6, i32: 10)  // ConvertedType TIMESTAMP_MICROS
            w.beginStructField(10)
            w.beginStructField(8)  // LogicalType.TIMESTAMP
            w.field(1, bool: true)  // isAdjustedToUTC
            w.beginStructField(2)  // unit
            w.beginStructField(2)  // MICROS
            w.endStruct()
            w.endStruct()
            w.endStruct()
            w.endStruct()
        case .none, .other:
            break
        }
        w.endStruct()
    }
}

extension RowGroupMetadata {
    func encode(into w: inout CompactWriter, ordinal: Int16) {
        w.beginStruct()
        w.beginListField(1, element: .structure, count: columns.count)
        for column in columns { column.encodeChunk(into: &w) }
        w.field(2, i64: uncompressedBytes)
        w.field(3, i64: rowCount)
        if let first = columns.first {
            w.field(5, i64: first.startOffset)
            w.field(6, i64: columns.reduce(0) { $0 + $1.compressedBytes })
        }
        w.field(7, i16: ordinal)
        w.endStruct()
    }
}

extension ColumnChunkMetadata {
    func encodeChunk(into w: inout CompactWriter) {
        w.beginStruct()
        w.field(2, i64: startOffset)
        w.beginStructField(3)
        w.field(1, i32: type.rawValue)
        w.beginListField(2, element: .i32, count: encodings.count)
        for encoding in encodings { w.writeI32(encoding.rawValue) }
        w.beginListField(3, element: .binary, count: path.count)
        for part in path { w.writeBinary(Array(part.utf8)) }
        w.field(4, i32: codec.rawValue)
        w.field(5, i64: valueCount)
        w.field(6, i64: uncompressedBytes)
        w.field(7, i64: compressedBytes)
        w.field(9, i64: dataPageOffset)
        if let dictionaryPageOffset { w.field(11, i64: dictionaryPageOffset) }
        if let statistics {
            w.beginStructField(12)
            statistics.encode(into: &w)
            w.endStruct()
        }
        w.endStruct()
        w.endStruct()
    }
}

extension ColumnStatistics {
    /// Writes the fields of a `Statistics` struct (the caller opens and closes it).
    func encode(into w: inout CompactWriter) {
        w.field(3, i64: nullCount)
        if let max { w.field(5, binary: max.plainBytes) }
        if let min { w.field(6, binary: min.plainBytes) }
    }
}

extension StatValue {
    /// PLAIN encoding of the value, as Statistics.min_value / max_value store it.
    var plainBytes: [UInt8] {
        switch self {
        case .boolean(let v): return [v ? 1 : 0]
        case .int32(let v): return withUnsafeBytes(of: v.littleEndian) { Array($0) }
        case .int64(let v): return withUnsafeBytes(of: v.littleEndian) { Array($0) }
        case .float(let v): return withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) }
        case .double(let v): return withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) }
        case .bytes(let v): return v
        }
    }

    /// Decodes PLAIN statistics bytes for a column of `type`; nil when they do not fit it.
    init?(plain bytes: [UInt8], type: PhysicalType) {
        func le<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard bytes.count == MemoryLayout<T>.size else { return nil }
            var v: T = 0
            for (i, b) in bytes.enumerated() { v |= T(truncatingIfNeeded: b) << (8 * i) }
            return v
        }
        switch type {
        case .boolean:
            guard bytes.count == 1 else { return nil }
            self = .boolean(bytes[0] != 0)
        case .int32: guard let v = le(Int32.self) else { return nil }; self = .int32(v)
        case .int64: guard let v = le(Int64.self) else { return nil }; self = .int64(v)
        case .float:
            guard let v = le(UInt32.self) else { return nil }
            self = .float(Float(bitPattern: v))
        case .double:
            guard let v = le(UInt64.self) else { return nil }
            self = .double(Double(bitPattern: v))
        case .byteArray, .fixedLenByteArray: self = .bytes(bytes)
        case .int96: return nil
        }
    }
}
