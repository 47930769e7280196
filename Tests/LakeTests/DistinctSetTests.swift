import Testing

@testable import Lake

/// count_distinct's open-addressing set against Swift's own Set on the same hashes: counts,
/// membership, union and the sorted order the state codec writes, through many growths.
@Suite("Gold: count_distinct set")
struct DistinctSetTests {
    /// A deterministic stream of hashes with many repeats and a few colliding low bits.
    private func hashes(_ n: Int, seed: UInt64) -> [AggState.DistinctHash] {
        var x = seed
        return (0..<n).map { _ in
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let v = (x >> 33) % 5000  // repeats
            return AggState.hash(word: v)
        }
    }

    @Test func behavesAsASetThroughGrowth() {
        var ours = DistinctSet()
        var reference = Set<AggState.DistinctHash>()
        for (k, h) in hashes(40_000, seed: 7).enumerated() {
            ours.insert(h)
            reference.insert(h)
            if k % 997 == 0 { #expect(ours.count == reference.count) }
        }
        #expect(ours.count == reference.count)
        #expect(ours.count > 4000)  // the stream really has thousands of distinct values
        for h in reference { #expect(ours.contains(h)) }
        #expect(!ours.contains(AggState.hash(word: 1_000_000)))
        let sorted = reference.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
        #expect(ours.sorted() == sorted)
    }

    @Test func unionAndEqualityIgnoreInsertionOrder() {
        let a = hashes(3000, seed: 1), b = hashes(3000, seed: 2)
        var x = DistinctSet(), y = DistinctSet()
        a.forEach { x.insert($0) }
        b.reversed().forEach { y.insert($0) }
        var xy = x
        xy.formUnion(y)
        var yx = DistinctSet()
        (b + a).reversed().forEach { yx.insert($0) }
        #expect(xy == yx)
        #expect(xy.count == Set(a + b).count)
        #expect(x != xy)
        // A copy is a value: growing it leaves the original alone.
        let before = x.count
        var copy = x
        hashes(5000, seed: 9).forEach { copy.insert($0) }
        #expect(x.count == before)
    }

    @Test func theZeroHashIsCounted() {
        var s = DistinctSet()
        s.insert(.init(a: 0, b: 0))
        s.insert(.init(a: 0, b: 0))
        s.insert(.init(a: 0, b: 1))  // the one value it shares a slot with
        #expect(s.count == 1)
        s.insert(.init(a: 1, b: 0))
        #expect(s.count == 2)
    }

    @Test func stateCodecRoundTrip() throws {
        var state = AggState()
        hashes(2000, seed: 3).forEach { state.insertDistinct($0) }
        var w = StateWriter()
        w.aggState(state)
        var r = StateReader(w.bytes)
        let back = try r.aggState()
        #expect(back == state)
        var again = StateWriter()
        again.aggState(back)
        #expect(again.bytes == w.bytes)
    }
}
