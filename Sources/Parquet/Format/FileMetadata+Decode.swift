/// Decoding of the footer from untrusted bytes. Every enum value and count is validated.

extension FileMetadata {
    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> FileMetadata {
        var r = CompactReader(bytes)
        var version: Int32 = 0
        var elements: [SchemaElement] = []
        var rowCount: Int64 = -1
        var rowGroups: [RowGroupMetadata] = []
        var keyValues: [KeyValue] = []
        var createdBy: String?
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): version = try r.readI32()
            case (2, .list):
                elements = try r.readList { try SchemaElement.decode(&$0) }
            case (3, .i64): rowCount = try r.readI64()
            case (4, .list):
                rowGroups = try r.readList { try RowGroupMetadata.decode(&$0) }
            case (5, .list): keyValues = try r.readList { try KeyValue.decode(&$0) }
            case (6, .binary): createdBy = try r.readString()
            default: try r.skip(type)
            }
        }
        let schema = try Schema(elements: elements)
        guard rowCount >= 0 else { throw DecodeError("footer has no valid num_rows") }
        for group in rowGroups where group.columns.count != schema.columns.count {
            throw DecodeError(
                "row group has \(group.columns.count) column chunks, schema has \(schema.columns.count)")
        }
        return FileMetadata(
            version: version, schema: schema, rowCount: rowCount, rowGroups: rowGroups,
            keyValues: keyValues, createdBy: createdBy)
    }
}

/// One parquet.thrift `SchemaElement`, as read.
struct SchemaElement {
    var type: PhysicalType?
    var typeLength: Int32?
    var repetition: Int32?
    var name = ""
    var childCount: Int32?
    var convertedType: Int32?
    var logicalType: LogicalType = .none

    static func decode(_ r: inout CompactReader) throws -> SchemaElement {
        var e = SchemaElement()
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32):
                let raw = try r.readI32()
                guard let t = PhysicalType(rawValue: raw) else {
                    throw DecodeError("unknown physical type \(raw)")
                }
                e.type = t
            case (2, .i32): e.typeLength = try r.readI32()
            case (3, .i32): e.repetition = try r.readI32()
            case (4, .binary): e.name = try r.readString()
            case (5, .i32): e.childCount = try r.readI32()
            case (6, .i32): e.convertedType = try r.readI32()
            case (10, .structure): e.logicalType = try decodeLogicalType(&r)
            default: try r.skip(type)
            }
        }
        return e
    }

    /// Reads the LogicalType union; only STRING and TIMESTAMP(UTC, MICROS) map to named cases.
    static func decodeLogicalType(_ r: inout CompactReader) throws -> LogicalType {
        var result: LogicalType = .none
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .structure):
                try r.skip(type)
                result = .string
            case (8, .structure):
                var utc = false
                var unit = 0
                try r.readStruct { r, id, type in
                    switch (id, type) {
                    case (1, .boolTrue), (1, .boolFalse): utc = try r.readBool(type)
                    case (2, .structure):
                        try r.readStruct { r, id, type in
                            unit = Int(id)
                            try r.skip(type)
                        }
                    default: try r.skip(type)
                    }
                }
                let units = [1: "MILLIS", 2: "MICROS", 3: "NANOS"]
                result = utc && unit == 2
                    ? .timestampMicrosUTC
                    : .other("TIMESTAMP(\(utc), \(units[unit] ?? "?"))")
            default:
                try r.skip(type)
                result = .other("logical type \(id)")
            }
        }
        return result
    }
}

extension Schema {
    /// Builds a flat schema from the element list: a root group followed by primitive leaves.
    init(elements: [SchemaElement]) throws {
        guard let root = elements.first else { throw DecodeError("footer has an empty schema") }
        let childCount = Int(root.childCount ?? 0)
        guard childCount == elements.count - 1 else {
            throw DecodeError("nested schemas are not supported (root has \(childCount) children, "
                + "\(elements.count - 1) elements follow)")
        }
        var columns: [Column] = []
        for e in elements.dropFirst() {
            guard let type = e.type, e.childCount == nil || e.childCount == 0 else {
                throw DecodeError("nested schemas are not supported (column \(e.name.quotedName()))")
            }
            guard e.repetition != 2 else {
                throw DecodeError("repeated columns are not supported (column \(e.name.quotedName()))")
            }
            var logical = e.logicalType
            if logical == .none {
                // Older writers set only the ConvertedType.
                if e.convertedType == 0 { logical = .string }
                if e.convertedType == 10 { logical = .timestampMicrosUTC }
            }
            var column = Column(e.name, type, logical: logical, nullable: e.repetition == 1)
            column.typeLength = e.typeLength
            if type == .fixedLenByteArray {
                guard let length = e.typeLength, length > 0 else {
                    throw DecodeError("column \(e.name.quotedName()) is FIXED_LEN_BYTE_ARRAY without a length")
                }
            }
            columns.append(column)
        }
        self.init(columns)
    }
}

extension RowGroupMetadata {
    static func decode(_ r: inout CompactReader) throws -> RowGroupMetadata {
        var columns: [ColumnChunkMetadata] = []
        var rowCount: Int64 = -1
        var bytes: Int64 = 0
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .list): columns = try r.readList { try ColumnChunkMetadata.decodeChunk(&$0) }
            case (2, .i64): bytes = try r.readI64()
            case (3, .i64): rowCount = try r.readI64()
            default: try r.skip(type)
            }
        }
        guard rowCount >= 0 else { throw DecodeError("row group has no valid num_rows") }
        return RowGroupMetadata(columns: columns, rowCount: rowCount, uncompressedBytes: bytes)
    }
}

extension ColumnChunkMetadata {
    static func decodeChunk(_ r: inout CompactReader) throws -> ColumnChunkMetadata {
        var result: ColumnChunkMetadata?
        var filePath: String?
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .binary): filePath = try r.readString()
            case (3, .structure): result = try decodeMetadata(&r)
            default: try r.skip(type)
            }
        }
        if let filePath {
            throw DecodeError("column chunk stored in another file (\(filePath)) is not supported")
        }
        guard let result else { throw DecodeError("column chunk has no meta_data") }
        return result
    }

    static func decodeMetadata(_ r: inout CompactReader) throws -> ColumnChunkMetadata {
        var type: PhysicalType?
        var encodings: [Encoding] = []
        var path: [String] = []
        var codec: Codec?
        var values: Int64 = -1
        var uncompressed: Int64 = -1
        var compressed: Int64 = -1
        var dataOffset: Int64 = -1
        var dictionaryOffset: Int64?
        var rawStats: RawStatistics?
        try r.readStruct { r, id, wire in
            switch (id, wire) {
            case (1, .i32):
                let raw = try r.readI32()
                guard let t = PhysicalType(rawValue: raw) else { throw DecodeError("unknown type \(raw)") }
                type = t
            case (2, .list):
                encodings = try r.readList { Encoding(rawValue: try $0.readI32()) }.compactMap { $0 }
            case (3, .list): path = try r.readList { try $0.readString() }
            case (4, .i32):
                let raw = try r.readI32()
                guard let c = Codec(rawValue: raw) else { throw DecodeError("unknown codec \(raw)") }
                codec = c
            case (5, .i64): values = try r.readI64()
            case (6, .i64): uncompressed = try r.readI64()
            case (7, .i64): compressed = try r.readI64()
            case (9, .i64): dataOffset = try r.readI64()
            case (11, .i64): dictionaryOffset = try r.readI64()
            case (12, .structure): rawStats = try RawStatistics.decode(&r)
            default: try r.skip(wire)
            }
        }
        guard let type, let codec, values >= 0, compressed >= 0, dataOffset >= 0 else {
            throw DecodeError("column metadata misses a required field")
        }
        if let d = dictionaryOffset, d < 0 { throw DecodeError("negative dictionary page offset") }
        return ColumnChunkMetadata(
            type: type, encodings: encodings, path: path, codec: codec, valueCount: values,
            uncompressedBytes: uncompressed, compressedBytes: compressed, dataPageOffset: dataOffset,
            dictionaryPageOffset: dictionaryOffset, statistics: rawStats?.statistics(for: type))
    }
}

/// Statistics bytes as stored, decoded once the column type is known.
struct RawStatistics {
    var nullCount: Int64?
    var min: [UInt8]?
    var max: [UInt8]?

    static func decode(_ r: inout CompactReader) throws -> RawStatistics {
        var s = RawStatistics()
        var legacyMin: [UInt8]?
        var legacyMax: [UInt8]?
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .binary): legacyMax = try r.readBinary()
            case (2, .binary): legacyMin = try r.readBinary()
            case (3, .i64): s.nullCount = try r.readI64()
            case (5, .binary): s.max = try r.readBinary()
            case (6, .binary): s.min = try r.readBinary()
            default: try r.skip(type)
            }
        }
        // Legacy min/max use signed order, which is right for numbers only.
        if s.min == nil && s.max == nil { s.min = legacyMin; s.max = legacyMax; s.legacy = true }
        return s
    }

    var legacy = false

    func statistics(for type: PhysicalType) -> ColumnStatistics {
        var stats = ColumnStatistics(nullCount: nullCount ?? 0)
        let trusted = !(legacy && (type == .byteArray || type == .fixedLenByteArray))
        if trusted {
            stats.min = min.flatMap { StatValue(plain: $0, type: type) }
            stats.max = max.flatMap { StatValue(plain: $0, type: type) }
        }
        return stats
    }
}

extension KeyValue {
    static func decode(_ r: inout CompactReader) throws -> KeyValue {
        var kv = KeyValue("", nil)
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .binary): kv.key = try r.readString()
            case (2, .binary): kv.value = try r.readString()
            default: try r.skip(type)
            }
        }
        return kv
    }
}
