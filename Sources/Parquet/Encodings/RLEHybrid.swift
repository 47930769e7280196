/// The RLE / bit-packed hybrid encoding (Encodings.md) used for definition levels and
/// dictionary indices: runs of a repeated value as (count, value), the rest bit-packed in
/// groups of 8, least significant bit first.
enum RLEHybrid {
    /// Appends the encoding of `values` (each < 2^bitWidth) to `out`.
    static func encode(_ values: UnsafeBufferPointer<UInt32>, bitWidth: Int, into out: inout [UInt8]) {
        let n = values.count
        var literalStart = 0
        var i = 0
        let base = UnsafeRawPointer(values.baseAddress)
        while i < n {
            // Eight positions at a time while no run of 8 can start there: a run from k needs
            // values[k] equal to values[k+1], k+3, k+5 and k+7. Dictionary indices of unsorted
            // data have short runs all the time (a 3-value column: a third of neighbours are
            // equal), and the scalar loop below mispredicts a branch on each; these four vector
            // compares pass a lane of random 3-value data 1 time in 81. Skipping positions where
            // no run of 8 starts gives the scalar algorithm's bytes (tested).
            if let base {
                while i + 15 <= n {
                    let p = base + 4 * i
                    let a = p.loadUnaligned(as: SIMD8<UInt32>.self)
                    let candidates = (a .== (p + 4).loadUnaligned(as: SIMD8<UInt32>.self))
                        .& (a .== (p + 12).loadUnaligned(as: SIMD8<UInt32>.self))
                        .& (a .== (p + 20).loadUnaligned(as: SIMD8<UInt32>.self))
                        .& (a .== (p + 28).loadUnaligned(as: SIMD8<UInt32>.self))
                    if any(candidates) { break }
                    i += 8
                }
            }
            let v = values[i]
            var j = i + 1
            // Long runs (definition levels, sorted values) eight at a time, then one by one.
            if let base, j + 8 <= n, values[j] == v {
                let splat = SIMD8<UInt32>(repeating: v)
                while j + 8 <= n && all((base + 4 * j).loadUnaligned(as: SIMD8<UInt32>.self) .== splat) { j += 8 }
            }
            while j < n && values[j] == v { j += 1 }
            let run = j - i
            if run >= 8 {
                let pending = i - literalStart
                let fill = pending % 8 == 0 ? 0 : 8 - pending % 8
                if run - fill >= 8 {
                    if pending + fill > 0 {
                        bitPack(values, from: literalStart, to: i + fill, bitWidth: bitWidth, into: &out)
                    }
                    writeRun(value: v, count: run - fill, bitWidth: bitWidth, into: &out)
                    literalStart = j
                }
            }
            i = j
        }
        if literalStart < n {
            bitPack(values, from: literalStart, to: n, bitWidth: bitWidth, into: &out)
        }
    }

    static func writeRun(value: UInt32, count: Int, bitWidth: Int, into out: inout [UInt8]) {
        writeVarint(UInt64(count) << 1, into: &out)
        let byteCount = (bitWidth + 7) / 8
        for k in 0..<byteCount { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(k)))) }
    }

    /// Bit-packs values[from..<to], padding the last group of 8 with zeros.
    static func bitPack(
        _ values: UnsafeBufferPointer<UInt32>, from: Int, to: Int, bitWidth: Int,
        into out: inout [UInt8]
    ) {
        let groups = (to - from + 7) / 8
        writeVarint(UInt64(groups) << 1 | 1, into: &out)
        if bitWidth == 0 { return }
        // Exactly `bitWidth` bytes per group of 8 values: size the output once and fill it
        // through a pointer, four bytes at a time (no append per byte). 8 values of `bitWidth` bits
        // are whole bytes, so the stores end exactly at the end.
        let start = out.count
        let byteCount = groups * bitWidth
        out.append(contentsOf: repeatElement(0, count: byteCount))
        out.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress! + start
            var buffer: UInt64 = 0
            var bits = 0
            var written = 0
            for k in from..<from + groups * 8 {
                let v = k < to ? UInt64(values[k]) : 0
                buffer |= v << UInt64(bits)
                bits += bitWidth
                if bits >= 32 {
                    // bits < 64 here (at most 31 + 32): flush four bytes, keep the rest.
                    (base + written).storeBytes(of: UInt32(truncatingIfNeeded: buffer).littleEndian, as: UInt32.self)
                    written += 4
                    buffer >>= 32
                    bits -= 32
                }
            }
            while bits > 0 {
                (base + written).storeBytes(of: UInt8(truncatingIfNeeded: buffer), as: UInt8.self)
                written += 1
                buffer >>= 8
                bits -= 8
            }
            assert(written == byteCount)
        }
    }

    /// Reads a ULEB128 varint at `position` and moves past it (the RLE run headers, the
    /// DELTA_BINARY_PACKED header and block minimums, the Thrift compact protocol's integers).
    /// `what` names the data in the error (`"<what> data ends early"`).
    @inline(__always)
    static func readVarint(_ bytes: UnsafeRawBufferPointer, at position: inout Int, in what: String) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw DecodeError("\(what) data ends early") }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            guard shift < 64 else { throw DecodeError("\(what) varint too long") }
        }
    }

    static func writeVarint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// Decodes exactly `count` values from `bytes` into `out` (appending). Throws on truncated or
    /// inconsistent input; values wider than `bitWidth` cannot occur.
    static func decode(
        _ bytes: UnsafeRawBufferPointer, bitWidth: Int, count: Int, into out: inout [UInt32]
    ) throws {
        guard bitWidth >= 0 && bitWidth <= 32 else { throw DecodeError("bit width \(bitWidth) > 32") }
        var position = 0
        var remaining = count
        let valueBytes = (bitWidth + 7) / 8
        let mask: UInt64 = bitWidth == 32 ? 0xFFFF_FFFF : (1 << UInt64(bitWidth)) - 1
        while remaining > 0 {
            let header = try readVarint(bytes, at: &position, in: "RLE")
            if header & 1 == 0 {
                let runLength = header >> 1
                guard runLength > 0 else { throw DecodeError("RLE run of length 0") }
                guard bytes.count - position >= valueBytes else { throw DecodeError("RLE data ends early") }
                var value: UInt64 = 0
                for k in 0..<valueBytes { value |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
                position += valueBytes
                guard value <= mask else { throw DecodeError("RLE value wider than \(bitWidth) bits") }
                let take = Int(min(runLength, UInt64(remaining)))
                out.append(contentsOf: repeatElement(UInt32(value), count: take))
                remaining -= take
            } else {
                let groups = header >> 1
                guard groups > 0, groups <= UInt64(Int32.max) else {
                    throw DecodeError("bit-packed run with \(groups) groups")
                }
                let valueCount = Int(groups) * 8
                let byteCount = Int(groups) * bitWidth
                guard bytes.count - position >= byteCount else {
                    // Writers may truncate the final run's padding; decode what is there.
                    let available = bytes.count - position
                    let usable = bitWidth == 0 ? remaining : available * 8 / bitWidth
                    guard usable >= remaining else { throw DecodeError("bit-packed data ends early") }
                    unpack(bytes, at: position, count: remaining, bitWidth: bitWidth, mask: mask, into: &out)
                    return
                }
                let take = min(valueCount, remaining)
                unpack(bytes, at: position, count: take, bitWidth: bitWidth, mask: mask, into: &out)
                position += byteCount
                remaining -= take
            }
        }
    }

    private static func unpack(
        _ bytes: UnsafeRawBufferPointer, at start: Int, count: Int, bitWidth: Int, mask: UInt64,
        into out: inout [UInt32]
    ) {
        if bitWidth == 0 {
            out.append(contentsOf: repeatElement(0, count: count))
            return
        }
        var buffer: UInt64 = 0
        var bits = 0
        var position = start
        for _ in 0..<count {
            while bits < bitWidth {
                buffer |= UInt64(bytes[position]) << UInt64(bits)
                position += 1
                bits += 8
            }
            out.append(UInt32(truncatingIfNeeded: buffer & mask))
            buffer >>= UInt64(bitWidth)
            bits -= bitWidth
        }
    }

    /// Bits needed to store values up to `maxValue`.
    static func bitWidth(forMax maxValue: Int) -> Int {
        maxValue == 0 ? 0 : Int.bitWidth - maxValue.leadingZeroBitCount
    }
}
