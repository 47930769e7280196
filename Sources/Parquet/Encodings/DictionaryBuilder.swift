/// Builds a dictionary for one column chunk: distinct values in first-seen order and one index
/// per value. Gives up (returns nil) when the dictionary would not pay: too many distinct values
/// or more bytes than the limit, so the chunk falls back to PLAIN.
struct DictionaryBuilder {
    /// Indices into the dictionary, one per non-null value.
    var indices: [UInt32] = []
    /// PLAIN encoding of the dictionary entries (the dictionary page body).
    var plain: [UInt8] = []
    var entryCount = 0

    private var slots: [Int32] = []  // entry index + 1, 0 = empty
    private var keys: [UInt64] = []  // fixed-width entries as bit patterns
    private var keyRanges: [Range<Int>] = []  // byte-array entries: range in `plain`

    /// Builds the dictionary for the non-null values of `buffer`; nil when PLAIN is better.
    static func build(_ buffer: ColumnBuffer, bytesMax: Int) -> DictionaryBuilder? {
        let count = buffer.valueCount
        guard count > 0, buffer.column.type != .boolean, buffer.column.dictionary, !buffer.column.delta else { return nil }
        var d = DictionaryBuilder()
        if buffer.column.type != .byteArray {
            d.indices.reserveCapacity(count)
            d.slots = [Int32](repeating: 0, count: 1024)
        }
        let ok: Bool
        switch buffer.column.type {
        case .int32: ok = d.addFixed(buffer.int32s.lazy.map { UInt64(UInt32(bitPattern: $0)) }, width: 4, bytesMax: bytesMax)
        case .int64: ok = d.addFixed(buffer.int64s.lazy.map { UInt64(bitPattern: $0) }, width: 8, bytesMax: bytesMax)
        case .float: ok = d.addFixed(buffer.floats.lazy.map { UInt64($0.bitPattern) }, width: 4, bytesMax: bytesMax)
        case .double: ok = d.addFixed(buffer.doubles.lazy.map { $0.bitPattern }, width: 8, bytesMax: bytesMax)
        case .byteArray: ok = d.addByteArrays(buffer, bytesMax: bytesMax)
        default: ok = false
        }
        return ok ? d : nil
    }

    /// True while a dictionary still looks worth it after `seen` values.
    private func worthIt(seen: Int, total: Int, bytesMax: Int) -> Bool {
        if plain.count > bytesMax { return false }
        if seen >= 4096 && entryCount * 10 > seen * 9 { return false }
        return seen < total || entryCount * 2 <= total
    }

    private mutating func addFixed<S: Sequence>(_ values: S, width: Int, bytesMax: Int) -> Bool
    where S.Element == UInt64 {
        var seen = 0
        let total = values.underestimatedCount
        for v in values {
            if slots.count < entryCount * 2 + 2 { growFixed() }
            let mask = slots.count - 1
            var h = Int(truncatingIfNeeded: Self.mix(v)) & mask
            while true {
                let slot = Int(slots[h])
                if slot == 0 {
                    keys.append(v)
                    var le = v.littleEndian
                    withUnsafeBytes(of: &le) { plain.append(contentsOf: $0.prefix(width)) }
                    entryCount += 1
                    slots[h] = Int32(entryCount)
                    indices.append(UInt32(entryCount - 1))
                    break
                }
                if keys[slot - 1] == v {
                    indices.append(UInt32(slot - 1))
                    break
                }
                h = (h + 1) & mask
            }
            seen += 1
            if seen & 1023 == 0 && !worthIt(seen: seen, total: total, bytesMax: bytesMax) {
                return false
            }
        }
        return worthIt(seen: seen, total: total, bytesMax: bytesMax)
    }

    private mutating func addByteArrays(_ buffer: ColumnBuffer, bytesMax: Int) -> Bool {
        let total = buffer.valueCount
        var out = [UInt32](repeating: 0, count: total)
        // Slots: the value's low 32 hash bits in the high half, entry index + 1 in the low
        // half (0 = empty), so a probe compares bytes only when the hashes agree. A local
        // table is probed through one pointer (no uniqueness check per value).
        var table = [UInt64](repeating: 0, count: 1024)
        let ends = buffer.ends.buffer
        let ok = buffer.bytes.withUnsafeBytes { all -> Bool in
            out.withUnsafeMutableBufferPointer { out -> Bool in
                var i = 0
                var start = 0
                while i < total {
                    if table.count < entryCount * 2 + 2 { table = rehashed(table) }
                    // Probe until the table needs to grow or a check is due.
                    let stop = min(total, (i | 1023) + 1)
                    table.withUnsafeMutableBufferPointer { slots in
                        let shift = UInt64(64 - slots.count.trailingZeroBitCount)
                        let mask = slots.count - 1
                        while i < stop {
                            if slots.count < entryCount * 2 + 2 { return }
                            let end = ends[i]
                            let value = UnsafeRawBufferPointer(rebasing: all[start..<end])
                            let h = Self.hash(value)
                            let tag = h << 32
                            var probe = Int(truncatingIfNeeded: h >> shift)
                            while true {
                                let slot = slots[probe]
                                if slot == 0 {
                                    out[i] = UInt32(entryCount)
                                    insert(value)
                                    slots[probe] = tag | UInt64(entryCount)
                                    break
                                }
                                if slot & 0xFFFF_FFFF_0000_0000 == tag {
                                    let entry = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                                    if entryEquals(entry, value) {
                                        out[i] = UInt32(entry)
                                        break
                                    }
                                }
                                probe = (probe + 1) & mask
                            }
                            start = end
                            i += 1
                        }
                    }
                    if i & 1023 == 0 && !worthIt(seen: i, total: total, bytesMax: bytesMax) {
                        return false
                    }
                }
                return worthIt(seen: total, total: total, bytesMax: bytesMax)
            }
        }
        if ok { indices = out }
        return ok
    }

    /// Adds a new byte-array entry (its PLAIN form: length, then bytes).
    @inline(__always)
    private mutating func insert(_ value: UnsafeRawBufferPointer) {
        var length = UInt32(value.count).littleEndian
        withUnsafeBytes(of: &length) { plain.append(contentsOf: $0) }
        let start = plain.count
        plain.append(contentsOf: value)
        keyRanges.append(start..<plain.count)
        entryCount += 1
    }

    @inline(__always)
    private func entryEquals(_ entry: Int, _ value: UnsafeRawBufferPointer) -> Bool {
        let range = keyRanges[entry]
        guard range.count == value.count else { return false }
        guard let v = value.baseAddress else { return true }
        return plain.withUnsafeBytes { p in
            RawBytes.equal(p.baseAddress! + range.lowerBound, v, count: value.count)
        }
    }

    /// The byte-array slot table at twice the size, every entry placed again.
    private func rehashed(_ old: [UInt64]) -> [UInt64] {
        var table = [UInt64](repeating: 0, count: old.count * 2)
        let shift = UInt64(64 - table.count.trailingZeroBitCount)
        let mask = table.count - 1
        plain.withUnsafeBytes { p in
            for (i, r) in keyRanges.enumerated() {
                let h = Self.hash(UnsafeRawBufferPointer(rebasing: p[r]))
                var probe = Int(truncatingIfNeeded: h >> shift)
                while table[probe] != 0 { probe = (probe + 1) & mask }
                table[probe] = h << 32 | UInt64(i + 1)
            }
        }
        return table
    }

    private mutating func growFixed() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (i, k) in keys.enumerated() {
            var h = Int(truncatingIfNeeded: Self.mix(k)) & mask
            while slots[h] != 0 { h = (h + 1) & mask }
            slots[h] = Int32(i + 1)
        }
    }

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A fast non-cryptographic hash: one multiply per 8-byte word (the tail read as an
    /// overlapping word), one full mix at the end. Slots are taken from the high bits.
    @inline(__always) static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let n = bytes.count
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(truncatingIfNeeded: n)
        guard let base = bytes.baseAddress else { return mix(h) }
        if n >= 8 {
            var i = 0
            while i + 8 < n {
                h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                i += 8
            }
            h ^= base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 {
            let low = UInt64(base.loadUnaligned(as: UInt32.self))
            let high = UInt64(base.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            h ^= low | high << 32
        } else if n > 0 {
            let first = UInt64(base.load(as: UInt8.self))
            let middle = UInt64(base.load(fromByteOffset: n / 2, as: UInt8.self))
            let last = UInt64(base.load(fromByteOffset: n - 1, as: UInt8.self))
            h ^= first | middle << 8 | last << 16
        }
        return mix(h)
    }
}
