/// Decodes the pages of one column chunk into full-length values and validity.
struct ChunkDecoder {
    let column: Column
    let codec: Codec
    let rowCount: Int

    private var validity: [Bool] = []
    private var anyNull = false
    private var booleans: [Bool] = []
    private var int32s: [Int32] = []
    private var int64s: [Int64] = []
    private var floats: [Float] = []
    private var doubles: [Double] = []
    private var bytes = ByteArrays()
    private var dictionary: ColumnValues?
    private var levels: [UInt32] = []
    private var indices: [UInt32] = []
    /// DELTA_LENGTH_BYTE_ARRAY lengths of the page being decoded (kept between pages).
    private var byteLengths: [Int64] = []
    private let decompressor: ZstdDecompressor?
    /// `decodeIndexed`: data pages give their dictionary indices, not values.
    private var keepIndices = false
    private var keptIndices: [UInt32] = []

    init(column: Column, codec: Codec, rowCount: Int, scratch: ColumnScratch? = nil, reuseValues: Bool = true) {
        self.column = column
        self.codec = codec
        self.rowCount = rowCount
        decompressor = codec == .zstd ? (scratch?.decompressor ?? ZstdDecompressor()) : nil
        // Decode into the previous row group's arrays (emptied, capacity kept).
        guard reuseValues, let (spareValidity, spareValues) = scratch?.takeSpare() else { return }
        validity = spareValidity
        switch spareValues {
        case .boolean(let v): booleans = v
        case .int32(let v): int32s = v
        case .int64(let v): int64s = v
        case .float(let v): floats = v
        case .double(let v): doubles = v
        case .bytes(let v): bytes = v
        }
    }

    var width: Int? {
        switch column.type {
        case .int32, .float: return 4
        case .int64, .double: return 8
        case .fixedLenByteArray: return column.typeLength.map(Int.init)
        case .int96: return 12
        default: return nil
        }
    }

    mutating func decode(_ chunk: UnsafeRawBufferPointer) throws -> ColumnData {
        try decodePages(chunk)
        return finish()
    }

    /// Thrown by a data page that is not dictionary-encoded while decoding indices.
    struct NotDictionaryEncoded: Error {}

    /// The chunk as its dictionary and one index per present row; nil when a data page is not
    /// dictionary-encoded (a writer may fall back to PLAIN within a chunk).
    mutating func decodeIndexed(_ chunk: UnsafeRawBufferPointer) throws -> DictionaryIndexedColumn? {
        keepIndices = true
        do {
            try decodePages(chunk)
        } catch is NotDictionaryEncoded {
            return nil
        }
        return DictionaryIndexedColumn(
            column: column, rowCount: validity.count, validity: column.nullable || anyNull ? validity : nil,
            dictionary: dictionary ?? ColumnValues.empty(column.type), indices: keptIndices)
    }

    private mutating func decodePages(_ chunk: UnsafeRawBufferPointer) throws {
        var position = 0
        var rowsRead = 0
        var pageIndex = 0
        while rowsRead < rowCount {
            guard position < chunk.count else {
                throw DecodeError("chunk ends after \(rowsRead) of \(rowCount) rows")
            }
            var reader = CompactReader(chunk, position: position)
            let header = try PageHeader.decode(&reader)
            position = reader.position
            let size = Int(header.compressedSize)
            guard size <= chunk.count - position else {
                throw DecodeError("page of \(size) bytes runs past the chunk")
            }
            guard Int(header.uncompressedSize) <= ParquetReader.pageBytesMax,
                Int(header.valueCount) <= ParquetReader.pageValueCountMax
            else { throw DecodeError("page header sizes are implausible") }
            let body = UnsafeRawBufferPointer(rebasing: chunk[position..<(position + size)])
            if let stored = header.crc {
                let computed = PageChecksum.of(body)
                guard computed == stored else {
                    throw DecodeError("page \(pageIndex) (at byte \(position) of the chunk) fails its checksum: "
                                      + "stored \(Self.hex(stored)), computed \(Self.hex(computed)); the file is damaged")
                }
            }
            position += size
            pageIndex += 1
            switch header.kind {
            case .dictionaryPage:
                guard dictionary == nil else { throw DecodeError("second dictionary page") }
                let page = try inflate(body, size: Int(header.uncompressedSize))
                dictionary = try plainValues(page, count: Int(header.valueCount))
            case .dataPage, .dataPageV2:
                let values = Int(header.valueCount)
                guard values <= rowCount - rowsRead else {
                    throw DecodeError("pages hold more values than the chunk's \(rowCount) rows")
                }
                try decodeDataPage(header, body)
                rowsRead += values
            case .indexPage:
                continue
            }
        }
    }

    private static func hex(_ v: Int32) -> String {
        let digits = String(UInt32(bitPattern: v), radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The page's bytes: the body itself when uncompressed, else the decompressor's buffer
    /// (valid until the next call).
    private func inflate(_ body: UnsafeRawBufferPointer, size: Int) throws -> UnsafeRawBufferPointer {
        guard let decompressor else {
            guard body.count == size else { throw DecodeError("uncompressed page size mismatch") }
            return body
        }
        return try decompressor.decompress(body, expectedSize: size)
    }

    private mutating func decodeDataPage(_ h: PageHeader, _ body: UnsafeRawBufferPointer) throws {
        let count = Int(h.valueCount)
        let page: UnsafeRawBufferPointer
        var levelBytes: [UInt8] = []
        if h.kind == .dataPageV2 {
            let levelsLength = Int(h.definitionLevelsBytes) + Int(h.repetitionLevelsBytes)
            guard h.repetitionLevelsBytes == 0 else { throw DecodeError("repetition levels in a flat column") }
            guard levelsLength <= body.count, levelsLength <= Int(h.uncompressedSize) else {
                throw DecodeError("v2 level sizes exceed the page")
            }
            levelBytes = Array(body[0..<levelsLength])
            let rest = UnsafeRawBufferPointer(rebasing: body[levelsLength...])
            let restSize = Int(h.uncompressedSize) - levelsLength
            guard h.isCompressed || rest.count == restSize else { throw DecodeError("v2 page size mismatch") }
            page = h.isCompressed ? try inflate(rest, size: restSize) : rest
        } else {
            page = try inflate(body, size: Int(h.uncompressedSize))
        }
        do {
            let p = page
            var offset = 0
            levels.removeAll(keepingCapacity: true)
            if column.nullable {
                if h.kind == .dataPageV2 {
                    try levelBytes.withUnsafeBytes {
                        try RLEHybrid.decode($0, bitWidth: 1, count: count, into: &levels)
                    }
                } else {
                    guard p.count >= 4 else { throw DecodeError("page too short for levels") }
                    let length = Int(p.loadUnaligned(as: UInt32.self).littleEndian)
                    guard length <= p.count - 4 else { throw DecodeError("levels run past the page") }
                    try RLEHybrid.decode(
                        UnsafeRawBufferPointer(rebasing: p[4..<(4 + length)]), bitWidth: 1, count: count,
                        into: &levels)
                    offset = 4 + length
                }
            }
            let present = column.nullable ? levels.reduce(0) { $0 + Int($1) } : count
            let values = UnsafeRawBufferPointer(rebasing: p[offset...])
            if keepIndices {
                try appendIndices(h.encoding, values, present: present, rows: count)
                return
            }
            if !column.nullable && column.type == .byteArray
                && (h.encoding == .plain || h.encoding == .deltaLengthByteArray)
            {
                // Straight into the chunk's values: no page-sized array in between.
                if h.encoding == .plain {
                    try Self.appendPlainByteArrays(values, count: count, into: &bytes)
                } else {
                    try Self.appendDeltaLengthByteArrays(values, count: count, lengths: &byteLengths, into: &bytes)
                }
                validity.append(contentsOf: repeatElement(true, count: count))
                return
            }
            let decoded = try decodeValues(h.encoding, values, count: present)
            scatter(decoded, levels: column.nullable ? levels : nil, count: count)
        }
    }

    /// Appends the `count` indices of a dictionary-encoded page body (bit width byte, then
    /// RLE/bit-packed runs) to `out`; returns the dictionary they index.
    private static func dictionaryIndices(
        _ p: UnsafeRawBufferPointer, count: Int, dictionary: ColumnValues?, into out: inout [UInt32]
    ) throws -> ColumnValues {
        guard let dictionary else { throw DecodeError("dictionary-encoded page without a dictionary") }
        guard count == 0 || p.count >= 1 else { throw DecodeError("dictionary page data is empty") }
        if count > 0 {
            try RLEHybrid.decode(
                UnsafeRawBufferPointer(rebasing: p[1...]), bitWidth: Int(p[0]), count: count, into: &out)
        }
        return dictionary
    }

    /// `decodeIndexed`'s data page: its indices (checked against the dictionary) and validity.
    private mutating func appendIndices(
        _ encoding: Encoding, _ p: UnsafeRawBufferPointer, present: Int, rows: Int
    ) throws {
        guard encoding == .rleDictionary || encoding == .plainDictionary else { throw NotDictionaryEncoded() }
        let start = keptIndices.count
        let dictionary = try Self.dictionaryIndices(p, count: present, dictionary: dictionary, into: &keptIndices)
        let entries = dictionary.count
        for i in keptIndices[start...] where Int(i) >= entries {
            throw DecodeError("dictionary index \(i) ≥ \(entries)")
        }
        if column.nullable {
            for level in levels[0..<rows] {
                validity.append(level != 0)
                if level == 0 { anyNull = true }
            }
        } else {
            validity.append(contentsOf: repeatElement(true, count: rows))
        }
    }

    private mutating func decodeValues(
        _ encoding: Encoding, _ p: UnsafeRawBufferPointer, count: Int
    ) throws -> ColumnValues {
        switch encoding {
        case .plain:
            return try plainValues(p, count: count)
        case .rleDictionary, .plainDictionary:
            indices.removeAll(keepingCapacity: true)
            let dictionary = try Self.dictionaryIndices(p, count: count, dictionary: dictionary, into: &indices)
            return try lookup(dictionary, indices)
        case .deltaBinaryPacked where column.type == .int64 || column.type == .int32:
            var values: [Int64] = []
            try DeltaBinaryPacked.decode(p, count: count, into: &values)
            // INT32 writers wrap in 32 bits: the low 32 bits of the 64-bit sums are theirs.
            return column.type == .int64 ? .int64(values) : .int32(values.map { Int32(truncatingIfNeeded: $0) })
        case .deltaLengthByteArray where column.type == .byteArray:
            var out = ByteArrays()
            try Self.appendDeltaLengthByteArrays(p, count: count, lengths: &byteLengths, into: &out)
            return .bytes(out)
        case .rle where column.type == .boolean:
            guard p.count >= 4 else { throw DecodeError("boolean RLE page too short") }
            let length = Int(p.loadUnaligned(as: UInt32.self).littleEndian)
            guard length <= p.count - 4 else { throw DecodeError("boolean RLE runs past the page") }
            indices.removeAll(keepingCapacity: true)
            try RLEHybrid.decode(
                UnsafeRawBufferPointer(rebasing: p[4..<(4 + length)]), bitWidth: 1, count: count,
                into: &indices)
            return .boolean(indices.map { $0 != 0 })
        default:
            throw DecodeError("unsupported encoding \(encoding) for \(column.type)")
        }
    }

    private func lookup(_ dictionary: ColumnValues, _ indices: [UInt32]) throws -> ColumnValues {
        func pick<T>(_ d: [T]) throws -> [T] {
            try indices.map { i in
                guard Int(i) < d.count else { throw DecodeError("dictionary index \(i) ≥ \(d.count)") }
                return d[Int(i)]
            }
        }
        switch dictionary {
        case .boolean(let d): return .boolean(try pick(d))
        case .int32(let d): return .int32(try pick(d))
        case .int64(let d): return .int64(try pick(d))
        case .float(let d): return .float(try pick(d))
        case .double(let d): return .double(try pick(d))
        case .bytes(let d):
            var out = ByteArrays()
            out.ends.reserveCapacity(indices.count)
            try d.data.withUnsafeBytes { all in
                for i in indices {
                    guard Int(i) < d.count else { throw DecodeError("dictionary index \(i) ≥ \(d.count)") }
                    out.append(UnsafeRawBufferPointer(rebasing: all[d.range(Int(i))]))
                }
            }
            return .bytes(out)
        }
    }

    /// Appends `count` PLAIN byte arrays (4-byte length, then the bytes) from `p` to `out`.
    private static func appendPlainByteArrays(
        _ p: UnsafeRawBufferPointer, count: Int, into out: inout ByteArrays
    ) throws {
        reserve(&out, bytes: p.count, values: min(count, p.count / 4))
        var offset = 0
        for _ in 0..<count {
            guard p.count - offset >= 4 else { throw DecodeError("PLAIN byte array ends early") }
            let length = Int(p.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
            offset += 4
            guard length <= p.count - offset else { throw DecodeError("PLAIN byte array runs past the page") }
            out.append(UnsafeRawBufferPointer(rebasing: p[offset..<(offset + length)]))
            offset += length
        }
    }

    /// Room for `bytes` more bytes and `values` more values in `out`, growing geometrically:
    /// reserving the exact size page after page (values decoded straight into the chunk)
    /// would copy the chunk's bytes again for every page.
    private static func reserve(_ out: inout ByteArrays, bytes: Int, values: Int) {
        if out.data.capacity < out.data.count + bytes {
            out.data.reserveCapacity(max(out.data.count + bytes, 2 * out.data.capacity))
        }
        if out.ends.capacity < out.ends.count + values {
            out.ends.reserveCapacity(max(out.ends.count + values, 2 * out.ends.capacity))
        }
    }

    /// Appends `count` DELTA_LENGTH_BYTE_ARRAY values (their lengths DELTA_BINARY_PACKED, then
    /// their bytes back to back) from `p` to `out`.
    private static func appendDeltaLengthByteArrays(
        _ p: UnsafeRawBufferPointer, count: Int, lengths: inout [Int64], into out: inout ByteArrays
    ) throws {
        lengths.removeAll(keepingCapacity: true)
        var offset = try DeltaBinaryPacked.decode(p, count: count, into: &lengths)
        var total = 0
        for length in lengths {
            guard length >= 0, length <= p.count - offset - total else {
                throw DecodeError("DELTA_LENGTH_BYTE_ARRAY value runs past the page")
            }
            total += Int(length)
        }
        reserve(&out, bytes: total, values: count)
        for length in lengths {
            let n = Int(length)
            out.append(UnsafeRawBufferPointer(rebasing: p[offset..<(offset + n)]))
            offset += n
        }
    }

    private func plainValues(_ p: UnsafeRawBufferPointer, count: Int) throws -> ColumnValues {
        func fixed<T>(_: T.Type, _ make: (UnsafeRawBufferPointer, Int) -> T) throws -> [T] {
            let w = MemoryLayout<T>.size
            guard count <= p.count / w else { throw DecodeError("PLAIN data ends early") }
            return (0..<count).map { make(p, $0 * w) }
        }
        switch column.type {
        case .boolean:
            guard count <= p.count * 8 else { throw DecodeError("PLAIN booleans end early") }
            return .boolean((0..<count).map { p[$0 / 8] >> UInt8($0 % 8) & 1 == 1 })
        case .int32:
            return .int32(try fixed(Int32.self) { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int32.self)) })
        case .int64:
            return .int64(try fixed(Int64.self) { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int64.self)) })
        case .float:
            return .float(try fixed(Float.self) {
                Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self)))
            })
        case .double:
            return .double(try fixed(Double.self) {
                Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self)))
            })
        case .byteArray:
            var out = ByteArrays()
            try Self.appendPlainByteArrays(p, count: count, into: &out)
            return .bytes(out)
        case .fixedLenByteArray, .int96:
            guard let w = width, w > 0 else { throw DecodeError("fixed-length column without a width") }
            guard count <= p.count / w else { throw DecodeError("PLAIN fixed-length data ends early") }
            var out = ByteArrays()
            for i in 0..<count { out.append(UnsafeRawBufferPointer(rebasing: p[(i * w)..<((i + 1) * w)])) }
            return .bytes(out)
        }
    }

    /// Appends a page's values to the chunk, placing placeholders at null rows.
    private mutating func scatter(_ decoded: ColumnValues, levels: [UInt32]?, count: Int) {
        if levels == nil {
            validity.append(contentsOf: repeatElement(true, count: count))
            switch decoded {
            case .boolean(let v): booleans.append(contentsOf: v)
            case .int32(let v): int32s.append(contentsOf: v)
            case .int64(let v): int64s.append(contentsOf: v)
            case .float(let v): floats.append(contentsOf: v)
            case .double(let v): doubles.append(contentsOf: v)
            case .bytes(let v):
                let base = bytes.data.count
                bytes.data.append(contentsOf: v.data)
                bytes.ends.append(contentsOf: v.ends.lazy.map { $0 + base })
            }
            return
        }
        var next = 0
        for row in 0..<count {
            let present = levels.map { $0[row] != 0 } ?? true
            validity.append(present)
            if !present { anyNull = true }
            switch decoded {
            case .boolean(let v): booleans.append(present ? v[next] : false)
            case .int32(let v): int32s.append(present ? v[next] : 0)
            case .int64(let v): int64s.append(present ? v[next] : 0)
            case .float(let v): floats.append(present ? v[next] : 0)
            case .double(let v): doubles.append(present ? v[next] : 0)
            case .bytes(let v):
                if present {
                    v.data.withUnsafeBytes { bytes.append(UnsafeRawBufferPointer(rebasing: $0[v.range(next)])) }
                } else {
                    bytes.appendEmpty()
                }
            }
            if present { next += 1 }
        }
    }

    private func finish() -> ColumnData {
        let values: ColumnValues
        switch column.type {
        case .boolean: values = .boolean(booleans)
        case .int32: values = .int32(int32s)
        case .int64: values = .int64(int64s)
        case .float: values = .float(floats)
        case .double: values = .double(doubles)
        case .byteArray, .fixedLenByteArray, .int96: values = .bytes(bytes)
        }
        return ColumnData(
            column: column, rowCount: validity.count,
            validity: column.nullable || anyNull ? validity : nil, values: values)
    }
}
