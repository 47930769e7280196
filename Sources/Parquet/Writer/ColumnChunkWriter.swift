/// Encodes one buffered column into a column chunk: an optional dictionary page, then data
/// pages (v1) of bounded size, each compressed; returns the chunk's metadata.
/// Its scratch buffers and compression context are reused from chunk to chunk, and across
/// writers through `EncoderPool`.
struct ColumnChunkWriter {
    var properties: WriterProperties
    private let compressor = ZstdCompressor()

    // Reused scratch buffers.
    private var body: [UInt8] = []
    /// A page of byte-array values alone, written through a pointer (see `appendPlain`);
    /// the page's bytes when `pageInScratch`. Its capacity is kept from page to page: a new
    /// array per page made each bronze page (~1 MB) touch fresh memory, ~11k page faults
    /// per 1M-event `run all`.
    private let plainPage = GrowableArray<UInt8>(capacity: 0)
    private var pageInScratch = false
    private var header = CompactWriter()
    private var levels: [UInt32] = []
    private var lengths: [Int64] = []

    init(properties: WriterProperties) {
        self.properties = properties
    }

    mutating func write<S: PageSink>(_ b: ColumnBuffer, to sink: S) throws -> ColumnChunkMetadata {
        let dictionary = properties.dictionaryEnabled
            ? DictionaryBuilder.build(b, bytesMax: properties.dictionaryBytesMax) : nil
        let statistics = ChunkStatistics.compute(b, dictionary: dictionary)
        var sizes = (compressed: Int64(0), uncompressed: Int64(0))
        var dictionaryOffset: Int64?
        if let dictionary {
            dictionaryOffset = sink.position
            body.removeAll(keepingCapacity: true)
            pageInScratch = false
            body.append(contentsOf: dictionary.plain)
            let page = PageHeader(
                kind: .dictionaryPage, uncompressedSize: 0, compressedSize: 0,
                valueCount: Int32(dictionary.entryCount))
            try writePage(page, to: sink, sizes: &sizes)
        }
        // One encoding for every data page of the chunk (the chunk's metadata lists it).
        let encoding: Encoding =
            dictionary != nil ? .rleDictionary
            : b.column.delta && b.column.type == .int64 ? .deltaBinaryPacked
            : b.column.type == .byteArray && properties.deltaLengthByteArrays ? .deltaLengthByteArray
            : .plain
        let dataOffset = sink.position
        let rowsPerPage = pageRowCount(b, dictionary: dictionary)
        var row = 0
        var valueIndex = 0
        repeat {
            let end = min(b.rowCount, row + rowsPerPage)
            let values = b.column.nullable
                ? b.defined[row..<end].reduce(0) { $0 + Int($1) } : end - row
            body.removeAll(keepingCapacity: true)
            pageInScratch = false
            if b.column.nullable { appendLevels(b, rows: row..<end) }
            let pageValues = valueIndex..<(valueIndex + values)
            switch encoding {
            case .rleDictionary: appendIndices(dictionary!, values: pageValues)
            case .deltaBinaryPacked:
                DeltaBinaryPacked.encode(UnsafeBufferPointer(rebasing: b.int64s.buffer[pageValues]), into: &body)
            case .deltaLengthByteArray: appendDeltaLength(b, values: pageValues)
            default: appendPlain(b, values: pageValues)
            }
            var page = PageHeader(
                kind: .dataPage, uncompressedSize: 0, compressedSize: 0,
                valueCount: Int32(end - row))
            page.encoding = encoding
            try writePage(page, to: sink, sizes: &sizes)
            row = end
            valueIndex += values
        } while row < b.rowCount
        // PLAIN for the dictionary page; RLE for the levels.
        let encodings: [Encoding] = encoding == .rleDictionary ? [.plain, .rle, .rleDictionary] : [encoding, .rle]
        return ColumnChunkMetadata(
            type: b.column.type, encodings: encodings, path: [b.column.name],
            codec: properties.codec, valueCount: Int64(b.rowCount),
            uncompressedBytes: sizes.uncompressed, compressedBytes: sizes.compressed,
            dataPageOffset: dataOffset, dictionaryPageOffset: dictionaryOffset,
            statistics: statistics)
    }

    private func pageRowCount(_ b: ColumnBuffer, dictionary: DictionaryBuilder?) -> Int {
        let rows = max(1, b.rowCount)
        let bytes: Int
        if let dictionary {
            bytes = rows * RLEHybrid.bitWidth(forMax: dictionary.entryCount) / 8 + 1
        } else {
            switch b.column.type {
            case .byteArray: bytes = b.bytes.count + 4 * b.valueCount
            case .int64, .double: bytes = 8 * b.valueCount
            case .int32, .float: bytes = 4 * b.valueCount
            default: bytes = b.valueCount / 8 + 1
            }
        }
        let perRow = max(1, bytes / rows)
        return max(1, min(properties.dataPageRowCountMax, properties.dataPageBytesMax / perRow))
    }

    /// Definition levels for a v1 page: 4-byte length, then the RLE hybrid with bit width 1.
    private mutating func appendLevels(_ b: ColumnBuffer, rows: Range<Int>) {
        let lengthAt = body.count
        body.append(contentsOf: [0, 0, 0, 0])
        if b.nullCount == 0 && rows.count >= 8 {
            // No nulls in the chunk: one run of 1s, what `encode` gives for such a page,
            // without widening and scanning every level.
            RLEHybrid.writeRun(value: 1, count: rows.count, bitWidth: 1, into: &body)
        } else {
            levels.removeAll(keepingCapacity: true)
            for d in b.defined[rows] { levels.append(UInt32(d)) }
            levels.withUnsafeBufferPointer { RLEHybrid.encode($0, bitWidth: 1, into: &body) }
        }
        let length = UInt32(body.count - lengthAt - 4)
        for k in 0..<4 { body[lengthAt + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
    }

    private mutating func appendIndices(_ d: DictionaryBuilder, values: Range<Int>) {
        let width = max(1, RLEHybrid.bitWidth(forMax: d.entryCount - 1))
        body.append(UInt8(width))
        d.indices.withUnsafeBufferPointer { all in
            RLEHybrid.encode(UnsafeBufferPointer(rebasing: all[values]), bitWidth: width, into: &body)
        }
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the values' lengths DELTA_BINARY_PACKED, then their bytes,
    /// which lie back to back in the buffer already (one copy).
    private mutating func appendDeltaLength(_ b: ColumnBuffer, values: Range<Int>) {
        let ends = b.ends.buffer
        let first = values.lowerBound == 0 ? 0 : ends[values.lowerBound - 1]
        lengths.removeAll(keepingCapacity: true)
        var start = first
        for i in values {
            lengths.append(Int64(ends[i] - start))
            start = ends[i]
        }
        lengths.withUnsafeBufferPointer { DeltaBinaryPacked.encode($0, into: &body) }
        guard start > first else { return }
        b.bytes.withUnsafeBytes { all in
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: all[first..<start]))
        }
    }

    private mutating func appendPlain(_ b: ColumnBuffer, values: Range<Int>) {
        switch b.column.type {
        case .boolean:
            var byte: UInt8 = 0
            var bit = 0
            for v in b.booleans[values] {
                if v { byte |= 1 << UInt8(bit) }
                bit += 1
                if bit == 8 {
                    body.append(byte)
                    byte = 0
                    bit = 0
                }
            }
            if bit > 0 { body.append(byte) }
        case .int32: body.append(contentsOf: b.int32s.rawBytes(values))
        case .int64: body.append(contentsOf: b.int64s.rawBytes(values))
        case .float: body.append(contentsOf: b.floats.rawBytes(values))
        case .double: body.append(contentsOf: b.doubles.rawBytes(values))
        case .byteArray:
            guard !values.isEmpty else { return }
            let ends = b.ends.buffer
            let first = values.lowerBound == 0 ? 0 : ends[values.lowerBound - 1]
            let total = ends[values.upperBound - 1] - first + 4 * values.count
            b.bytes.withUnsafeBytes { all in
                guard let source = all.baseAddress else { return }
                // Each value as its 4-byte length and its bytes.
                func write(into base: UnsafeMutableRawPointer) {
                    var target = base
                    var start = first
                    for i in values {
                        let end = ends[i]
                        let count = end - start
                        target.storeBytes(of: UInt32(count).littleEndian, as: UInt32.self)
                        (target + 4).copyMemory(from: source + start, byteCount: count)
                        target += 4 + count
                        start = end
                    }
                    precondition(target == base + total, "byte-array page size mismatch")
                }
                if body.isEmpty {
                    // A page of values only (a required column, bronze's lines): written through
                    // a pointer into `plainPage` (two `Array.append`s per value cost more than
                    // the copying on short strings).
                    plainPage.removeAll()
                    plainPage.appendUninitialized(count: total) { write(into: $0) }
                    pageInScratch = true
                } else {
                    // After definition levels: appended value by value (growing an array by
                    // `total` uninitialized bytes has no non-generic form, and the generic one
                    // runs per byte in debug builds).
                    var length: UInt32 = 0
                    var start = first
                    for i in values {
                        let end = ends[i]
                        length = UInt32(end - start).littleEndian
                        withUnsafeBytes(of: &length) { body.append(contentsOf: $0) }
                        body.append(contentsOf: UnsafeRawBufferPointer(start: source + start, count: end - start))
                        start = end
                    }
                }
            }
        case .int96, .fixedLenByteArray:
            preconditionFailure("the writer does not write \(b.column.type)")
        }
    }

    /// Compresses the page (`body`, or `plainPage` when `pageInScratch`) and writes header +
    /// page; adds to the chunk's sizes.
    private mutating func writePage<S: PageSink>(
        _ page: PageHeader, to sink: S, sizes: inout (compressed: Int64, uncompressed: Int64)
    ) throws {
        if pageInScratch {
            try plainPage.withUnsafeBytes {
                try Self.emit(page, $0, header: &header, compressor: compressor, properties: properties,
                              to: sink, sizes: &sizes)
            }
        } else {
            try body.withUnsafeBytes {
                try Self.emit(page, $0, header: &header, compressor: compressor, properties: properties,
                              to: sink, sizes: &sizes)
            }
        }
    }

    private static func emit<S: PageSink>(
        _ page: PageHeader, _ raw: UnsafeRawBufferPointer, header: inout CompactWriter,
        compressor: ZstdCompressor, properties: WriterProperties, to sink: S,
        sizes: inout (compressed: Int64, uncompressed: Int64)
    ) throws {
        var page = page
        page.uncompressedSize = Int32(raw.count)
        func write(_ data: UnsafeRawBufferPointer) throws {
            page.compressedSize = Int32(data.count)
            page.crc = properties.pageChecksums ? PageChecksum.of(data) : nil
            header.reset()
            page.encode(into: &header)
            try sink.write(header.bytes)
            try sink.write(data)
        }
        if properties.codec == .zstd {
            try compressor.compress(raw, level: properties.zstdLevel) { try write($0) }
        } else {
            try write(raw)
        }
        sizes.compressed += Int64(header.bytes.count) + Int64(page.compressedSize)
        sizes.uncompressed += Int64(header.bytes.count) + Int64(page.uncompressedSize)
    }
}
