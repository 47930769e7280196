/// The state silver carries between records and runs: the highest accepted event time (which
/// defines the watermark) and the dedup keys still above the watermark.
///
/// SPEC §5: W(i) = max(event_time accepted before i) − delay; a key is remembered exactly while
/// the event time it was accepted with is above the current watermark. Keys are 128-bit hashes
/// of the key columns' bytes (a collision is ~2^-100 at a million live keys).
struct SilverState {
    struct Key: Hashable {
        var a: UInt64
        var b: UInt64
    }

    /// Highest accepted event time; `Int64.min` before the first accepted record.
    private(set) var maxEventMicros = Int64.min
    let delayMicros: Int64
    /// Keys with the event time they were accepted with. Keys at or below the watermark are
    /// dead (never a duplicate again); the table frees them by segments as the watermark moves.
    private(set) var keys: KeyTable

    init(delayMicros: Int64, maxEventMicros: Int64 = Int64.min) {
        self.delayMicros = delayMicros
        self.maxEventMicros = maxEventMicros
        keys = KeyTable(delayMicros: delayMicros)
    }

    /// The watermark now; `Int64.min` while nothing was accepted.
    var watermarkMicros: Int64 {
        maxEventMicros == Int64.min ? Int64.min : maxEventMicros - delayMicros
    }

    func isLate(_ eventMicros: Int64) -> Bool { eventMicros <= watermarkMicros }

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

    /// Restores a key accepted before (rebuilding the state from silver's rows): only keys
    /// above the watermark are kept. Load in silver's order (ingest id) so the table's
    /// segments age as they would have.
    mutating func restore(_ key: Key, eventMicros: Int64) {
        guard eventMicros > watermarkMicros else { return }
        keys.set(key, eventMicros, watermark: watermarkMicros)
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
