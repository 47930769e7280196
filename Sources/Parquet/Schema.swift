/// Parquet physical types (parquet.thrift `Type`).
public enum PhysicalType: Int32, Sendable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5
    case byteArray = 6, fixedLenByteArray = 7
}

/// The logical types `lake` writes; the reader maps others to `.other`.
public enum LogicalType: Sendable, Equatable {
    case none
    /// UTF-8 text on a BYTE_ARRAY column.
    case string
    /// TIMESTAMP(isAdjustedToUTC: true, unit: MICROS) on an INT64 column.
    case timestampMicrosUTC
    /// Any other logical annotation read from a file (kept so readers can report it).
    case other(String)
}

/// Compression codecs (parquet.thrift `CompressionCodec`); `lake` writes ZSTD or none.
public enum Codec: Int32, Sendable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6
    case lz4Raw = 7

    /// The name parquet.thrift gives the codec, as pyarrow and parquet-tools print it.
    public var name: String { self == .lz4Raw ? "LZ4_RAW" : String(describing: self).uppercased() }
}

/// Value encodings (parquet.thrift `Encoding`).
public enum Encoding: Int32, Sendable {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
    case deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9
}

/// One column of a flat schema.
public struct Column: Sendable, Equatable {
    public var name: String
    public var type: PhysicalType
    public var logicalType: LogicalType
    public var nullable: Bool
    /// Byte width for FIXED_LEN_BYTE_ARRAY columns (read side only).
    public var typeLength: Int32?
    /// Writer hint: compute min/max statistics (off for long unique payloads such as raw lines,
    /// where they cost time and prune nothing; null counts are always written).
    public var statistics = true
    /// Writer hint: try dictionary encoding (off for columns known to be unique).
    public var dictionary = true
    /// Writer hint: DELTA_BINARY_PACKED instead of PLAIN for an INT64 column without a
    /// dictionary (nearly sorted values: ids, offsets, times).
    public var delta = false

    public init(
        _ name: String, _ type: PhysicalType, logical: LogicalType = .none, nullable: Bool = false
    ) {
        self.name = name
        self.type = type
        self.logicalType = logical
        self.nullable = nullable
    }

    public static func string(_ name: String, nullable: Bool = false) -> Column {
        Column(name, .byteArray, logical: .string, nullable: nullable)
    }

    public static func timestamp(_ name: String, nullable: Bool = false) -> Column {
        Column(name, .int64, logical: .timestampMicrosUTC, nullable: nullable)
    }
}

/// A flat schema: a list of primitive columns (nested groups are not supported).
public struct Schema: Sendable, Equatable {
    public var columns: [Column]

    public init(_ columns: [Column]) { self.columns = columns }

    public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }
}

/// A statistics value, decoded according to the column's physical type.
public enum StatValue: Sendable, Equatable, Comparable {
    case boolean(Bool)
    case int32(Int32)
    case int64(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])

    public static func < (lhs: StatValue, rhs: StatValue) -> Bool {
        switch (lhs, rhs) {
        case let (.boolean(a), .boolean(b)): return !a && b
        case let (.int32(a), .int32(b)): return a < b
        case let (.int64(a), .int64(b)): return a < b
        case let (.float(a), .float(b)): return a < b
        case let (.double(a), .double(b)): return a < b
        case let (.bytes(a), .bytes(b)): return a.lexicographicallyPrecedes(b)
        default: return false
        }
    }
}

/// Min, max and null count of one column chunk or of a whole file.
public struct ColumnStatistics: Sendable, Equatable {
    public var nullCount: Int64
    public var min: StatValue?
    public var max: StatValue?

    public init(nullCount: Int64 = 0, min: StatValue? = nil, max: StatValue? = nil) {
        self.nullCount = nullCount
        self.min = min
        self.max = max
    }

    /// Widens these statistics to cover `other` too.
    public mutating func merge(_ other: ColumnStatistics) {
        nullCount += other.nullCount
        if let m = other.min { min = min.map { Swift.min($0, m) } ?? m }
        if let m = other.max { max = max.map { Swift.max($0, m) } ?? m }
    }
}
