/// parquet.thrift `PageHeader` with the data page (v1 and v2) and dictionary page headers.
struct PageHeader: Equatable {
    enum Kind: Int32 { case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3 }

    var kind: Kind
    var uncompressedSize: Int32
    var compressedSize: Int32
    /// CRC-32 of the page's stored bytes (`PageChecksum`), when the writer set one.
    var crc: Int32?
    /// Values in the page, nulls included (data pages) or dictionary entries.
    var valueCount: Int32 = 0
    var encoding: Encoding = .plain
    // Data page v2 only:
    var nullCount: Int32 = 0
    var definitionLevelsBytes: Int32 = 0
    var repetitionLevelsBytes: Int32 = 0
    var isCompressed = true

    func encode(into w: inout CompactWriter) {
        w.beginStruct()
        w.field(1, i32: kind.rawValue)
        w.field(2, i32: uncompressedSize)
        w.field(3, i32: compressedSize)
        if let crc { w.field(4, i32: crc) }
        switch kind {
        case .dataPage:
            w.beginStructField(5)
            w.field(1, i32: valueCount)
            w.field(2, i32: encoding.rawValue)
            w.field(3, i32: Encoding.rle.rawValue)  // definition levels
            w.field(4, i32: Encoding.rle.rawValue)  // repetition levels (none written)
            w.endStruct()
        case .dictionaryPage:
            w.beginStructField(7)
            w.field(1, i32: valueCount)
            w.field(2, i32: Encoding.plain.rawValue)
            w.endStruct()
        case .dataPageV2, .indexPage:
            preconditionFailure("the writer emits only v1 data pages and dictionary pages")
        }
        w.endStruct()
    }

    static func decode(_ r: inout CompactReader) throws -> PageHeader {
        var kind: Kind?
        var uncompressed: Int32 = -1
        var compressed: Int32 = -1
        var header = PageHeader(kind: .dataPage, uncompressedSize: 0, compressedSize: 0)
        func encoding(_ r: inout CompactReader) throws -> Encoding {
            let raw = try r.readI32()
            guard let e = Encoding(rawValue: raw) else { throw DecodeError("unknown encoding \(raw)") }
            return e
        }
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32):
                let raw = try r.readI32()
                guard let k = Kind(rawValue: raw) else { throw DecodeError("unknown page type \(raw)") }
                kind = k
            case (2, .i32): uncompressed = try r.readI32()
            case (3, .i32): compressed = try r.readI32()
            case (4, .i32): header.crc = try r.readI32()
            case (5, .structure), (7, .structure):
                try r.readStruct { r, id, type in
                    switch (id, type) {
                    case (1, .i32): header.valueCount = try r.readI32()
                    case (2, .i32): header.encoding = try encoding(&r)
                    default: try r.skip(type)
                    }
                }
            case (8, .structure):
                try r.readStruct { r, id, type in
                    switch (id, type) {
                    case (1, .i32): header.valueCount = try r.readI32()
                    case (2, .i32): header.nullCount = try r.readI32()
                    case (4, .i32): header.encoding = try encoding(&r)
                    case (5, .i32): header.definitionLevelsBytes = try r.readI32()
                    case (6, .i32): header.repetitionLevelsBytes = try r.readI32()
                    case (7, .boolTrue), (7, .boolFalse): header.isCompressed = try r.readBool(type)
                    default: try r.skip(type)
                    }
                }
            default: try r.skip(type)
            }
        }
        guard let kind, uncompressed >= 0, compressed >= 0, header.valueCount >= 0 else {
            throw DecodeError("page header misses a required field or has a negative size")
        }
        guard header.definitionLevelsBytes >= 0, header.repetitionLevelsBytes >= 0,
            header.nullCount >= 0
        else { throw DecodeError("page header has negative level sizes") }
        header.kind = kind
        header.uncompressedSize = uncompressed
        header.compressedSize = compressed
        return header
    }
}
