/// DELTA_BINARY_PACKED (Parquet `Encodings.md`): a header (block size, miniblocks per block,
/// value count, first value), then blocks of deltas between consecutive values, each block
/// storing its smallest delta and every miniblock bit-packed at its own width after that
/// minimum is subtracted. For nearly sorted integers — ingest ids, byte offsets, event times
/// within a day — the deltas need a few bits each where PLAIN spends 64, and zstd then has a
/// fraction of the bytes to compress.
///
/// The writer uses blocks of 128 values in 4 miniblocks of 32 (what parquet-java, Arrow and
/// DuckDB write). All arithmetic wraps, as the specification asks, so any sequence of values
/// round-trips, `Int64.min` next to `Int64.max` included.
enum DeltaBinaryPacked {
    static let blockSize = 128
    static let miniblockCount = 4
    static let miniblockSize = blockSize / miniblockCount

    /// Appends the encoding of `values` to `out`.
    static func encode(_ values: UnsafeBufferPointer<Int64>, into out: inout [UInt8]) {
        let n = values.count
        RLEHybrid.writeVarint(UInt64(blockSize), into: &out)
        RLEHybrid.writeVarint(UInt64(miniblockCount), into: &out)
        RLEHybrid.writeVarint(UInt64(n), into: &out)
        RLEHybrid.writeVarint(zigzag(n > 0 ? values[0] : 0), into: &out)
        guard n > 1 else { return }
        // At most 64 bits per delta plus a block's minimum and widths.
        out.reserveCapacity(out.count + (n / blockSize + 1) * (10 + miniblockCount) + 8 * n)
        let deltas = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: blockSize)
        defer { deltas.deallocate() }
        var previous = values[0]
        var next = 1
        while next < n {
            let count = min(blockSize, n - next)
            var minDelta = Int64.max
            for k in 0..<count {
                let d = values[next + k] &- previous
                previous = values[next + k]
                deltas[k] = UInt64(bitPattern: d)
                if d < minDelta { minDelta = d }
            }
            RLEHybrid.writeVarint(zigzag(minDelta), into: &out)
            var widths = (UInt8(0), UInt8(0), UInt8(0), UInt8(0))
            withUnsafeMutableBytes(of: &widths) { w in
                for m in 0..<miniblockCount {
                    let start = m * miniblockSize
                    guard start < count else { break }
                    var any: UInt64 = 0
                    for k in start..<min(count, start + miniblockSize) {
                        deltas[k] = deltas[k] &- UInt64(bitPattern: minDelta)
                        any |= deltas[k]
                    }
                    w[m] = UInt8(64 - any.leadingZeroBitCount)
                }
                out.append(contentsOf: w)
                for m in 0..<miniblockCount {
                    let start = m * miniblockSize
                    guard start < count else { break }
                    pack(deltas, from: start, to: min(count, start + miniblockSize), width: Int(w[m]), into: &out)
                }
            }
            next += count
        }
    }

    /// Bit-packs one miniblock (`miniblockSize` values, zeros past `to`), least significant
    /// bit first: `width * miniblockSize / 8` bytes.
    private static func pack(
        _ values: UnsafeMutableBufferPointer<UInt64>, from: Int, to: Int, width: Int, into out: inout [UInt8]
    ) {
        guard width > 0 else { return }
        var acc: UInt64 = 0
        var bits = 0
        for k in from..<(from + miniblockSize) {
            let v = k < to ? values[k] : 0
            acc |= v << UInt64(bits)
            let total = bits + width
            if total >= 64 {
                withUnsafeBytes(of: acc.littleEndian) { out.append(contentsOf: $0) }
                // The bits of `v` that did not fit (none when it ended exactly at 64).
                acc = v >> UInt64(64 - bits)
                bits = total - 64
            } else {
                bits = total
            }
        }
        // 32 values of `width` bits end on a 32-bit boundary.
        if bits > 0 { withUnsafeBytes(of: acc.littleEndian) { out.append(contentsOf: $0.prefix(bits / 8)) } }
    }

    /// Decodes `count` values from `p` (a page's values section) and appends them to `out`;
    /// returns the bytes they took (DELTA_LENGTH_BYTE_ARRAY's data follows its lengths).
    /// Damaged input throws; it never reads past `p`.
    @discardableResult
    static func decode(_ p: UnsafeRawBufferPointer, count: Int, into out: inout [Int64]) throws -> Int {
        var position = 0
        func varint() throws -> UInt64 { try RLEHybrid.readVarint(p, at: &position, in: "DELTA_BINARY_PACKED") }
        let block = try varint(), miniblocks = try varint(), total = try varint()
        let first = unzigzag(try varint())
        guard block > 0, block % 128 == 0, block <= 1 << 20, miniblocks > 0, block % miniblocks == 0,
              (block / miniblocks) % 32 == 0
        else { throw DecodeError("DELTA_BINARY_PACKED header: block of \(block) values in \(miniblocks) miniblocks") }
        guard total == UInt64(count) else {
            throw DecodeError("DELTA_BINARY_PACKED page holds \(total) values, \(count) expected")
        }
        guard count > 0 else { return position }
        if out.isEmpty { out.reserveCapacity(count) }
        out.append(first)
        var previous = first
        var remaining = count - 1
        let perMiniblock = Int(block / miniblocks)
        let miniblockCount = Int(miniblocks)
        // One miniblock's bytes copied with 16 bytes of zeros after them, so every value is
        // read with one or two 8-byte loads that stay inside this buffer.
        let scratchBytes = perMiniblock * 8 + 16
        try withUnsafeTemporaryAllocation(byteCount: scratchBytes, alignment: 8) { scratch in
            var widths = [UInt8](repeating: 0, count: miniblockCount)
            while remaining > 0 {
                let minDelta = unzigzag(try varint())
                guard p.count - position >= miniblockCount else { throw DecodeError("DELTA_BINARY_PACKED widths end early") }
                for m in 0..<miniblockCount { widths[m] = p[position + m] }
                position += miniblockCount
                for m in 0..<miniblockCount where remaining > 0 {
                    let width = Int(widths[m])
                    guard width <= 64 else { throw DecodeError("DELTA_BINARY_PACKED bit width \(width)") }
                    let bytes = perMiniblock * width / 8
                    guard p.count - position >= bytes else { throw DecodeError("DELTA_BINARY_PACKED miniblock ends early") }
                    let n = min(perMiniblock, remaining)
                    if width == 0 {
                        for _ in 0..<n {
                            previous = previous &+ minDelta
                            out.append(previous)
                        }
                    } else {
                        scratch.baseAddress!.copyMemory(from: p.baseAddress! + position, byteCount: bytes)
                        (scratch.baseAddress! + bytes).initializeMemory(as: UInt8.self, repeating: 0, count: 16)
                        let base = UnsafeRawPointer(scratch.baseAddress!)
                        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
                        for k in 0..<n {
                            let bit = k * width
                            let shift = UInt64(bit & 7)
                            var v = base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self).littleEndian >> shift
                            if shift + UInt64(width) > 64 {
                                v |= UInt64(base.load(fromByteOffset: (bit >> 3) + 8, as: UInt8.self)) << (64 - shift)
                            }
                            previous = previous &+ minDelta &+ Int64(bitPattern: v & mask)
                            out.append(previous)
                        }
                    }
                    position += bytes
                    remaining -= n
                }
            }
        }
        return position
    }

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    @inline(__always) static func unzigzag(_ v: UInt64) -> Int64 {
        Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }
}
