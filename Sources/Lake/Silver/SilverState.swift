/// The state silver carries between records and runs: the highest accepted event time (which
/// defines the watermark) and the dedup keys still above the watermark.
///
/// SPEC §5: W(i) = max(event_time accepted before i) − delay; a key is remembered exactly while
/// the event time it was accepted with is above the current watermark. Keys are 128-bit hashes
/// of the key columns' bytes (a collision is ~2^-100 at a million live keys).
///
/// A Kafka source has partitions (SPEC §14), whose interleaving Kafka does not define: each
/// partition p has its own W_p, and a record is late against its own partition's watermark, so
/// silver's decisions do not depend on how partitions were interleaved. What gold and the day
/// files use (`watermarkMicros`) is the minimum over the active partitions, never moving back;
/// a partition that delivered nothing for `idleMicros` of ingestion time stops holding it back
/// (Flink's `withIdleness`), and a record at or below it is late too (its windows may be
/// closed). Without idleness that minimum is at or below every W_p, so the rule is exactly
/// per-partition. Keys are one table for all partitions, expiring against the minimum: a copy
/// of an event is never late-checked against another partition (copies share a partition,
/// since producers key by the event id), and the key is live for as long as any non-late copy
/// can come.
struct SilverState {
    struct Key: Hashable {
        var a: UInt64
        var b: UInt64
    }

    /// Highest accepted event time over all partitions; `Int64.min` before the first.
    private(set) var maxEventMicros = Int64.min
    let delayMicros: Int64
    /// Keys with the event time they were accepted with. Keys at or below the watermark are
    /// dead (never a duplicate again); the table frees them by segments as the watermark moves.
    private(set) var keys: KeyTable
    /// Per partition (Kafka), else empty: the highest accepted event time and the ingestion
    /// time of the newest record.
    private(set) var partitionMax: [Int64] = []
    private(set) var partitionLastIngest: [Int64] = []
    /// With partitions: the watermark gold and the day files use (see above).
    private(set) var published = Int64.min
    /// With partitions: the first and newest ingestion times seen (idleness is measured in them).
    private(set) var firstIngest = Int64.min
    private(set) var lastIngest = Int64.min
    let idleMicros: Int64
    var partitioned: Bool { !partitionMax.isEmpty }

    init(delayMicros: Int64, maxEventMicros: Int64 = Int64.min, idleMicros: Int64 = 60_000_000) {
        self.delayMicros = delayMicros
        self.maxEventMicros = maxEventMicros
        self.idleMicros = idleMicros
        keys = KeyTable(delayMicros: delayMicros)
    }

    /// The watermark now; `Int64.min` while nothing was accepted.
    var watermarkMicros: Int64 {
        if partitioned { return published }
        return maxEventMicros == Int64.min ? Int64.min : maxEventMicros - delayMicros
    }

    func isLate(_ eventMicros: Int64) -> Bool { eventMicros <= watermarkMicros }

    /// Late against the record's own partition, or behind what gold already closed.
    func isLate(_ eventMicros: Int64, partition p: Int) -> Bool {
        guard partitioned else { return eventMicros <= watermarkMicros }
        let own = partitionMax[p] == Int64.min ? Int64.min : partitionMax[p] - delayMicros
        return eventMicros <= max(own, published)
    }

    /// True when `key` was accepted with an event time still above the watermark.
    func isDuplicate(_ key: Key) -> Bool {
        guard let t = keys[key] else { return false }
        return t > watermarkMicros
    }

    mutating func accept(_ key: Key, eventMicros: Int64) {
        assert(!isLate(eventMicros), "a late record was accepted")
        if eventMicros > maxEventMicros { maxEventMicros = eventMicros }
        keys.set(key, eventMicros, watermark: watermarkMicros)
    }

    /// With partitions: `accept` for a record of partition `p` (after `arrived`).
    mutating func accept(_ key: Key, eventMicros: Int64, partition p: Int) {
        if eventMicros > maxEventMicros { maxEventMicros = eventMicros }
        if eventMicros > partitionMax[p] {
            partitionMax[p] = eventMicros
            advance()
        }
        keys.set(key, eventMicros, watermark: published)
    }

    /// With partitions: a record of partition `p` ingested at `ingestedAt` (accepted or not).
    mutating func arrived(partition p: Int, ingestedAt: Int64) {
        if firstIngest == Int64.min { firstIngest = ingestedAt }
        if ingestedAt > partitionLastIngest[p] { partitionLastIngest[p] = ingestedAt }
        if ingestedAt > lastIngest {
            lastIngest = ingestedAt
            // Time passing can make another partition idle, which can move the minimum.
            advance()
        }
    }

    /// Makes room for partitions `0..<count` (a Kafka topic's, as bronze knows them).
    mutating func setPartitionCount(_ count: Int) {
        while partitionMax.count < count {
            partitionMax.append(Int64.min)
            partitionLastIngest.append(Int64.min)
        }
    }

    /// Moves `published` up to the minimum over the active partitions' watermarks.
    private mutating func advance() {
        var low = Int64.max
        let idleBefore = lastIngest == Int64.min ? Int64.min : lastIngest - idleMicros
        for p in partitionMax.indices {
            // A partition that never delivered is idle once the stream has run `idleMicros`.
            let seen = partitionLastIngest[p] == Int64.min ? firstIngest : partitionLastIngest[p]
            guard seen >= idleBefore else { continue }
            let w = partitionMax[p] == Int64.min ? Int64.min : partitionMax[p] - delayMicros
            low = min(low, w)
        }
        if low != Int64.max && low > published { published = low }
    }

    /// Restores a key accepted before (rebuilding the state from silver's rows): only keys
    /// above the watermark are kept. Load in silver's order (ingest id) so the table's
    /// segments age as they would have.
    mutating func restore(_ key: Key, eventMicros: Int64) {
        guard eventMicros > watermarkMicros else { return }
        keys.set(key, eventMicros, watermark: watermarkMicros)
    }

    /// With partitions: what `encodePartitions` saved.
    mutating func restorePartitions(_ text: String) {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard let head = parts.first else { return }
        let h = head.split(separator: ",").compactMap { Int64($0) }
        guard h.count == 3 else { return }
        (published, firstIngest, lastIngest) = (h[0], h[1], h[2])
        partitionMax = []
        partitionLastIngest = []
        for part in parts.dropFirst() {
            let v = part.split(separator: ":").compactMap { Int64($0) }
            partitionMax.append(v.count == 2 ? v[0] : Int64.min)
            partitionLastIngest.append(v.count == 2 ? v[1] : Int64.min)
        }
    }

    /// `published,first,last;max:lastIngest;…` per partition, for the silver checkpoint.
    var encodedPartitions: String {
        ([ "\(published),\(firstIngest),\(lastIngest)" ]
            + partitionMax.indices.map { "\(partitionMax[$0]):\(partitionLastIngest[$0])" }).joined(separator: ";")
    }
}

/// A 128-bit hash of bytes from two independently seeded 64-bit word hashes.
enum KeyHash {
    static let seedA: UInt64 = 0x243F_6A88_85A3_08D3
    static let seedB: UInt64 = 0x1319_8A2E_0370_7344

    /// `hash64` with both seeds, computed in one pass over the bytes (the two chains are
    /// independent, so they run side by side); equal to two `hash64` calls by construction.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> SilverState.Key {
        let n = bytes.count
        var a = mix(seedA ^ UInt64(n))
        var b = mix(seedB ^ UInt64(n))
        var i = 0
        while i + 8 <= n {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            a = mix(a ^ word)
            b = mix(b ^ word)
            i += 8
        }
        let tail = tailWord(bytes, from: i)
        return SilverState.Key(a: mix(a ^ tail), b: mix(b ^ tail))
    }

    /// The bytes after the last whole word, little-endian, with the end marker mixed in.
    @inline(__always) private static func tailWord(_ bytes: UnsafeRawBufferPointer, from start: Int) -> UInt64 {
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        for i in start..<bytes.count {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
        }
        return tail ^ 0xFF
    }

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// One half of a key on its own: the definition `hash` computes twice in one pass (tests
    /// hold `hash` to it, and both to values computed outside Swift).
    static func hash64(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = mix(seed ^ UInt64(bytes.count))
        var i = 0
        while i + 8 <= bytes.count {
            h = mix(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        return mix(h ^ tailWord(bytes, from: i))
    }
}
