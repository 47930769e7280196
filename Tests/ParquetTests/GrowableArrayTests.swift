import Testing

@testable import Parquet

/// Column buffers copy short values inline (overlapping word loads and stores) and longer
/// ones with `memcpy`: every length from 0 to 80, at every alignment of source and target,
/// appended after each other, must give exactly the bytes appended.
@Suite("Growable arrays")
struct GrowableArrayTests {
    @Test func appendedBytesArePreservedAtEveryLengthAndAlignment() {
        var rng = SeededGenerator(seed: 42)
        let pool = (0..<256).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let array = GrowableArray<UInt8>()
        var expected: [UInt8] = []
        pool.withUnsafeBytes { all in
            for length in 0...80 {
                for offset in 0..<9 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<offset + length])
                    array.append(bytes: slice)
                    expected.append(contentsOf: slice)
                }
            }
        }
        #expect(array.count == expected.count)
        #expect(Array(array.buffer) == expected)
    }
}
