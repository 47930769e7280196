import Testing

@testable import Lake

/// Silver's watermark with Kafka partitions (SPEC §14): a record is late against its own
/// partition's watermark, so silver's decisions do not depend on how the partitions were
/// interleaved; what gold sees is the minimum over the active partitions; an idle partition
/// stops holding it back, and a record behind what gold already saw is late.
@Suite("Silver partitions")
struct SilverPartitionTests {
    struct Record {
        var partition: Int
        var key: UInt64
        var time: Int64
    }

    /// Random records of 3 partitions: each partition mostly rising with jitter past the delay
    /// (some late), copies of recent keys in the same partition (some duplicates).
    static func records(seed: UInt64) -> [[Record]] {
        var rng = seed
        func next() -> UInt64 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return rng >> 33
        }
        return (0..<3).map { p in
            var out: [Record] = []
            var clock: Int64 = Int64(p) * 500
            for i in 0..<3_000 {
                clock += Int64(next() % 20)
                if i > 10 && next() % 10 == 0 {
                    out.append(out[out.count - 1 - Int(next() % 10)])  // a copy
                } else {
                    let jitter = Int64(next() % 300)  // beyond the delay of 200 now and then
                    out.append(Record(partition: p, key: UInt64(p) << 32 | UInt64(i), time: clock - jitter))
                }
            }
            return out
        }
    }

    /// Feeds the records in the given partition order; returns each record's decision by
    /// (partition, index) and the watermark gold saw after each record.
    static func run(_ parts: [[Record]], order: [Int]) -> (decisions: [String: String], marks: [Int64]) {
        var state = SilverState(delayMicros: 200, idleMicros: 1_000_000)
        state.setPartitionCount(3)
        var next = [0, 0, 0]
        var decisions: [String: String] = [:]
        var marks: [Int64] = []
        for p in order {
            let r = parts[p][next[p]]
            let id = "\(p):\(next[p])"
            next[p] += 1
            state.arrived(partition: p, ingestedAt: 1_000)
            let key = SilverState.Key(a: r.key &* 0x9E37_79B9_7F4A_7C15, b: r.key)
            if state.isLate(r.time, partition: p) {
                decisions[id] = "late"
            } else if state.isDuplicate(key) {
                decisions[id] = "duplicate"
            } else {
                state.accept(key, eventMicros: r.time, partition: p)
                decisions[id] = "accepted"
            }
            marks.append(state.watermarkMicros)
        }
        return (decisions, marks)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func interleavingDoesNotMatter(seed: UInt64) {
        let parts = Self.records(seed: seed)
        let sequential = (0..<3).flatMap { p in Array(repeating: p, count: parts[p].count) }
        var rng = seed
        var left = parts.map(\.count)
        var shuffled: [Int] = []
        while left.contains(where: { $0 > 0 }) {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let p = Int(rng >> 33) % 3
            guard left[p] > 0 else { continue }
            // Runs of up to 500 records of one partition, as a consumer's fetches deliver them.
            let n = min(left[p], 1 + Int(rng >> 50) % 500)
            shuffled += Array(repeating: p, count: n)
            left[p] -= n
        }
        let a = Self.run(parts, order: sequential)
        let b = Self.run(parts, order: shuffled)
        #expect(a.decisions == b.decisions)
        let decisions = a.decisions.values
        #expect(decisions.contains("late") && decisions.contains("duplicate") && decisions.contains("accepted"))
        // Gold's watermark never moves back, and is at most every partition's own.
        #expect(zip(b.marks, b.marks.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func anIdlePartitionStopsHoldingGoldBack() {
        var state = SilverState(delayMicros: 100, idleMicros: 60_000_000)
        state.setPartitionCount(2)
        func accept(_ p: Int, _ key: UInt64, _ time: Int64, at ingested: Int64) {
            state.arrived(partition: p, ingestedAt: ingested)
            #expect(!state.isLate(time, partition: p))
            state.accept(SilverState.Key(a: key, b: key), eventMicros: time, partition: p)
        }
        accept(0, 1, 10_000, at: 0)
        accept(1, 2, 5_000, at: 0)
        #expect(state.watermarkMicros == 4_900)  // the slower partition's
        accept(0, 3, 20_000, at: 30_000_000)
        #expect(state.watermarkMicros == 4_900)  // partition 1 is quiet, not idle yet
        accept(0, 4, 30_000, at: 61_000_000)
        #expect(state.watermarkMicros == 29_900)  // idle now: partition 0 alone
        // Partition 1 speaks again: behind what gold saw is late; ahead of it is not.
        state.arrived(partition: 1, ingestedAt: 62_000_000)
        #expect(state.isLate(6_000, partition: 1))
        #expect(!state.isLate(29_950, partition: 1))
        // The state survives a restart through its checkpoint text.
        var restored = SilverState(delayMicros: 100, idleMicros: 60_000_000)
        restored.restorePartitions(state.encodedPartitions)
        #expect(restored.encodedPartitions == state.encodedPartitions)
        #expect(restored.watermarkMicros == state.watermarkMicros)
    }
}
