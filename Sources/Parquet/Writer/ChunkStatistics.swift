/// Min, max and null count of a column chunk, computed over its buffered values.
/// Floating point: NaN is ignored; a zero minimum is written as -0.0 and a zero maximum as +0.0,
/// as parquet.thrift asks, so readers that prune on statistics never skip a matching row.
enum ChunkStatistics {
    static func compute(_ b: ColumnBuffer, dictionary: DictionaryBuilder?) -> ColumnStatistics {
        var s = ColumnStatistics(nullCount: Int64(b.nullCount))
        guard b.column.statistics else { return s }
        switch b.column.type {
        case .boolean:
            if !b.booleans.isEmpty {
                s.min = .boolean(!b.booleans.contains(false))
                s.max = .boolean(b.booleans.contains(true))
            }
        case .int32:
            if let lo = b.int32s.min(), let hi = b.int32s.max() { s.min = .int32(lo); s.max = .int32(hi) }
        case .int64:
            if let lo = b.int64s.min(), let hi = b.int64s.max() { s.min = .int64(lo); s.max = .int64(hi) }
        case .float:
            let values = b.floats.lazy.filter { !$0.isNaN }
            if let lo = values.min(), let hi = values.max() {
                s.min = .float(lo == 0 ? -0.0 : lo)
                s.max = .float(hi == 0 ? 0.0 : hi)
            }
        case .double:
            var lo = Double.infinity
            var hi = -Double.infinity
            var any = false
            for v in b.doubles where !v.isNaN {
                any = true
                if v < lo { lo = v }
                if v > hi { hi = v }
            }
            if any {
                s.min = .double(lo == 0 ? -0.0 : lo)
                s.max = .double(hi == 0 ? 0.0 : hi)
            }
        case .byteArray:
            (s.min, s.max) = byteArrayMinMax(b, dictionary: dictionary)
        case .int96, .fixedLenByteArray:
            break
        }
        return s
    }

    /// Unsigned lexicographic min/max; over the dictionary entries when there is one.
    private static func byteArrayMinMax(
        _ b: ColumnBuffer, dictionary: DictionaryBuilder?
    ) -> (StatValue?, StatValue?) {
        if let dictionary {
            return dictionary.plain.withUnsafeBytes { p in
                var ranges: [Range<Int>] = []
                ranges.reserveCapacity(dictionary.entryCount)
                var offset = 0
                for _ in 0..<dictionary.entryCount {
                    let length = Int(p.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                    ranges.append((offset + 4)..<(offset + 4 + length))
                    offset += 4 + length
                }
                return minMax(p, ranges: ranges)
            }
        }
        return b.bytes.withUnsafeBytes { p in
            minMax(p, ranges: (0..<b.valueCount).lazy.map { b.range($0) })
        }
    }

    private static func minMax<S: Sequence>(
        _ p: UnsafeRawBufferPointer, ranges: S
    ) -> (StatValue?, StatValue?) where S.Element == Range<Int> {
        var lo: Range<Int>?
        var hi: Range<Int>?
        for r in ranges {
            if let l = lo {
                if less(p, r, l) { lo = r }
            } else { lo = r }
            if let h = hi {
                if less(p, h, r) { hi = r }
            } else { hi = r }
        }
        guard let lo, let hi else { return (nil, nil) }
        return (.bytes(Array(p[lo])), .bytes(Array(p[hi])))
    }

    @inline(__always) private static func less(
        _ p: UnsafeRawBufferPointer, _ a: Range<Int>, _ b: Range<Int>
    ) -> Bool {
        compareBytes(UnsafeRawBufferPointer(rebasing: p[a]), UnsafeRawBufferPointer(rebasing: p[b])) < 0
    }
}

