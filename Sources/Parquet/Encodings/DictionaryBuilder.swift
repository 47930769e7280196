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
        guard count > 0, buffer.column.type != .boolean, buffer.column.dictionary else { return nil }
        var d = DictionaryBuilder()
        d.indices.reserveCapacity(count)
        d.slots = [Int32](repeating: 0, count: 1024)
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
        return buffer.bytes.withUnsafeBytes { all -> Bool in
            for i in 0..<total {
                let r = buffer.range(i)
                let value = UnsafeRawBufferPointer(rebasing: all[r])
                if slots.count < entryCount * 2 + 2 { growBytes() }
                let mask = slots.count - 1
                var h = Int(truncatingIfNeeded: Self.hash(value)) & mask
                while true {
                    let slot = Int(slots[h])
                    if slot == 0 {
                        var length = UInt32(value.count).littleEndian
                        withUnsafeBytes(of: &length) { plain.append(contentsOf: $0) }
                        let start = plain.count
                        plain.append(contentsOf: value)
                        keyRanges.append(start..<plain.count)
                        entryCount += 1
                        slots[h] = Int32(entryCount)
                        indices.append(UInt32(entryCount - 1))
                        break
                    }
                    let existing = keyRanges[slot - 1]
                    if existing.count == value.count && plain.withUnsafeBytes({ p in
                        compareBytes(UnsafeRawBufferPointer(rebasing: p[existing]), value) == 0
                    }) {
                        indices.append(UInt32(slot - 1))
                        break
                    }
                    h = (h + 1) & mask
                }
                if (i + 1) & 1023 == 0 && !worthIt(seen: i + 1, total: total, bytesMax: bytesMax) {
                    return false
                }
            }
            return worthIt(seen: total, total: total, bytesMax: bytesMax)
        }
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

    private mutating func growBytes() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        plain.withUnsafeBytes { p in
            for (i, r) in keyRanges.enumerated() {
                var h = Int(truncatingIfNeeded: Self.hash(UnsafeRawBufferPointer(rebasing: p[r]))) & mask
                while slots[h] != 0 { h = (h + 1) & mask }
                slots[h] = Int32(i + 1)
            }
        }
    }

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A fast non-cryptographic hash over 8-byte words.
    @inline(__always) static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = mix(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = mix(h ^ tail)
        }
        return h
    }
}

