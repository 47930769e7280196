import Testing

@testable import Parquet

/// The RLE / bit-packed hybrid carries definition levels and dictionary indices; a round trip
/// over every bit width and a mix of runs and noise.
@Suite("RLE / bit-packed hybrid")
struct RLEHybridTests {
    @Test(arguments: Array(0...32))
    func roundTrip(bitWidth: Int) throws {
        var rng = SeededGenerator(seed: UInt64(bitWidth) &* 7919)
        let mask: UInt64 = bitWidth == 32 ? 0xFFFF_FFFF : (1 << UInt64(bitWidth)) - 1
        for _ in 0..<200 {
            var values: [UInt32] = []
            let target = Int.random(in: 0...300, using: &rng)
            while values.count < target {
                let v = UInt32(truncatingIfNeeded: rng.next() & mask)
                let run = Bool.random(using: &rng) ? Int.random(in: 1...40, using: &rng) : 1
                values.append(contentsOf: repeatElement(v, count: run))
            }
            var encoded: [UInt8] = []
            values.withUnsafeBufferPointer {
                RLEHybrid.encode($0, bitWidth: bitWidth, into: &encoded)
            }
            var decoded: [UInt32] = []
            try encoded.withUnsafeBytes {
                try RLEHybrid.decode($0, bitWidth: bitWidth, count: values.count, into: &decoded)
            }
            #expect(decoded == values, "bit width \(bitWidth)")
        }
    }

    @Test func longRunsAreRunLengthEncoded() throws {
        let values =
            [UInt32](repeating: 1, count: 100_000) + [0, 1, 0]
            + [UInt32](repeating: 0, count: 50_000)
        var encoded: [UInt8] = []
        values.withUnsafeBufferPointer { RLEHybrid.encode($0, bitWidth: 1, into: &encoded) }
        #expect(encoded.count < 32)
        var decoded: [UInt32] = []
        try encoded.withUnsafeBytes {
            try RLEHybrid.decode($0, bitWidth: 1, count: values.count, into: &decoded)
        }
        #expect(decoded == values)
    }

    /// The writer's shortcut for a page of levels without nulls (one run of 1s, written
    /// directly) gives the bytes the general encoder gives, for every length it is used for.
    @Test func aRunOfOnesIsWhatTheEncoderWrites() {
        for count in [8, 9, 15, 16, 63, 64, 127, 128, 129, 1000, 16_383, 16_384, 20_000, 131_072] {
            var general: [UInt8] = []
            [UInt32](repeating: 1, count: count).withUnsafeBufferPointer {
                RLEHybrid.encode($0, bitWidth: 1, into: &general)
            }
            var direct: [UInt8] = []
            RLEHybrid.writeRun(value: 1, count: count, bitWidth: 1, into: &direct)
            #expect(direct == general, "\(count) levels")
        }
    }

    @Test func truncatedInputThrows() throws {
        // 13 full groups of 8: no padding, so every byte is needed.
        let values = (0..<104).map { UInt32($0 % 13) }
        var encoded: [UInt8] = []
        values.withUnsafeBufferPointer { RLEHybrid.encode($0, bitWidth: 4, into: &encoded) }
        for length in 0..<encoded.count {
            var decoded: [UInt32] = []
            #expect(throws: DecodeError.self, "length \(length)") {
                try Array(encoded[0..<length]).withUnsafeBytes {
                    try RLEHybrid.decode($0, bitWidth: 4, count: values.count, into: &decoded)
                }
            }
        }
    }

    /// The encoder skips eight values at a time where no value equals the next: its bytes are
    /// those of the plain scalar algorithm (below) for values with runs of every length at
    /// every position, including runs that start or end inside a skipped stretch.
    @Test func vectorSkipWritesWhatTheScalarAlgorithmWrites() {
        func reference(_ values: [UInt32], bitWidth: Int) -> [UInt8] {
            var out: [UInt8] = []
            values.withUnsafeBufferPointer { p in
                let n = p.count
                var literalStart = 0
                var i = 0
                while i < n {
                    var j = i + 1
                    while j < n && p[j] == p[i] { j += 1 }
                    let run = j - i
                    if run >= 8 {
                        let pending = i - literalStart
                        let fill = pending % 8 == 0 ? 0 : 8 - pending % 8
                        if run - fill >= 8 {
                            if pending + fill > 0 {
                                RLEHybrid.bitPack(p, from: literalStart, to: i + fill, bitWidth: bitWidth, into: &out)
                            }
                            RLEHybrid.writeRun(value: p[i], count: run - fill, bitWidth: bitWidth, into: &out)
                            literalStart = j
                        }
                    }
                    i = j
                }
                if literalStart < n { RLEHybrid.bitPack(p, from: literalStart, to: n, bitWidth: bitWidth, into: &out) }
            }
            return out
        }
        var rng = SeededGenerator(seed: 2026)
        for trial in 0..<400 {
            let n = Int(rng.next() % 300)
            var values: [UInt32] = []
            while values.count < n {
                let v = UInt32(rng.next() % (trial % 3 == 0 ? 3 : 1000))
                let length = rng.next() % 4 == 0 ? Int(rng.next() % 20) + 1 : 1
                values.append(contentsOf: repeatElement(v, count: min(length, n - values.count)))
            }
            let width = max(1, RLEHybrid.bitWidth(forMax: Int(values.max() ?? 0)))
            var out: [UInt8] = []
            values.withUnsafeBufferPointer { RLEHybrid.encode($0, bitWidth: width, into: &out) }
            #expect(out == reference(values, bitWidth: width), "trial \(trial)")
        }
    }
}
