import Testing

@testable import Parquet

/// DELTA_BINARY_PACKED (bronze's ids and offsets, silver's ids and times): exact bytes for a
/// case worked by hand from the specification, round trips over every miniblock width and
/// over block and page boundaries, wrapping deltas, and damaged input refused (never a crash).
/// pyarrow and DuckDB reading lake's files, and lake reading pyarrow's, are in
/// Tests/interop/test_parquet_interop.py.
@Suite("DELTA_BINARY_PACKED")
struct DeltaBinaryPackedTests {
    private func encode(_ values: [Int64]) -> [UInt8] {
        var out: [UInt8] = []
        values.withUnsafeBufferPointer { DeltaBinaryPacked.encode($0, into: &out) }
        return out
    }

    private func decode(_ bytes: [UInt8], count: Int) throws -> [Int64] {
        var out: [Int64] = []
        try bytes.withUnsafeBytes { try DeltaBinaryPacked.decode($0, count: count, into: &out) }
        return out
    }

    /// 1, 2, 3, 4, 5 (the specification's first example, with a real block size): header
    /// 128 (two varint bytes), 4 miniblocks, 5 values, first value zigzag(1) = 2; one block:
    /// min delta zigzag(1) = 2, four widths of 0, no miniblock bytes.
    @Test func handWorkedBytes() throws {
        #expect(encode([1, 2, 3, 4, 5]) == [0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0])
        // 7, 5, 3, 1, 2: deltas -2, -2, -2, 1; min -2 (zigzag 3); relative 0, 0, 0, 3 in 2 bits:
        // bits 00 00 00 11 → 0xC0, then 7 zero bytes to fill 32 values of 2 bits.
        #expect(encode([7, 5, 3, 1, 2]) == [0x80, 0x01, 0x04, 0x05, 0x0E, 0x03, 2, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try decode([0x80, 0x01, 0x04, 0x05, 0x0E, 0x03, 2, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0], count: 5) == [7, 5, 3, 1, 2])
        #expect(encode([]) == [0x80, 0x01, 0x04, 0x00, 0x00])
        #expect(try decode(encode([]), count: 0) == [])
    }

    /// Deltas of every width 0...64 bits, at lengths around the miniblock (32) and block (128)
    /// sizes.
    @Test(arguments: Array(0...64))
    func roundTrip(width: Int) throws {
        var rng = SeededGenerator(seed: UInt64(width) &* 104_729 &+ 1)
        for length in [1, 2, 31, 32, 33, 127, 128, 129, 130, 255, 256, 257, 1000] {
            var values: [Int64] = []
            var v = Int64(bitPattern: rng.next())
            for _ in 0..<length {
                values.append(v)
                let step = width == 64 ? rng.next() : rng.next() & ((1 << UInt64(width)) &- 1)
                v = v &+ Int64(bitPattern: step)
            }
            #expect(try decode(encode(values), count: length) == values, "width \(width), \(length) values")
        }
    }

    @Test func wrappingAndShapes() throws {
        let cases: [[Int64]] = [
            [Int64.min, Int64.max, Int64.min, 0, -1, Int64.max, Int64.max],
            Array(repeating: 42, count: 300),
            (0..<1000).map { Int64($0) },  // ingest ids: every delta 1, width 0
            (0..<1000).map { 1_769_644_800_000_000 + Int64(($0 * 7919) % 5000) * 1000 - Int64($0) },
            (0..<1000).map { $0 % 2 == 0 ? Int64.min + Int64($0) : Int64.max - Int64($0) },
        ]
        for values in cases {
            #expect(try decode(encode(values), count: values.count) == values)
        }
        // The ids take almost nothing: a 6-byte header (1025 is a 2-byte varint), then 8 blocks
        // of a min delta and 4 widths.
        #expect(encode((0..<1025).map { Int64($0) }).count == 6 + 8 * 5)
    }

    /// Truncated or damaged pages throw a DecodeError; none reads past its buffer or traps.
    @Test func damagedInputThrows() throws {
        let good = encode((0..<500).map { Int64($0 * $0) })
        for cut in [0, 1, 3, 5, 6, 9, good.count / 2, good.count - 1] {
            #expect(throws: DecodeError.self) { _ = try decode(Array(good.prefix(cut)), count: 500) }
        }
        #expect(throws: DecodeError.self) { _ = try decode(good, count: 501) }  // more than it holds
        #expect(throws: DecodeError.self) { _ = try decode(good, count: 499) }  // fewer: the page disagrees
        var badWidth = good
        badWidth[6 + 1] = 65  // the first block's first width, after the header and its min delta
        #expect(throws: DecodeError.self) { _ = try decode(badWidth, count: 500) }
        for header: [UInt8] in [[0x00, 0x04, 0x05, 0x02], [0x80, 0x01, 0x00, 0x05, 0x02], [0x80, 0x01, 0x03, 0x05, 0x02],
                                [0x64, 0x01, 0x05, 0x02], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]] {
            #expect(throws: DecodeError.self) { _ = try decode(header, count: 5) }
        }
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<2000 {
            var bytes = good
            for _ in 0..<3 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? decode(bytes, count: 500)
        }
    }
}
