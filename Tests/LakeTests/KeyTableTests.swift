import Testing

@testable import Lake

/// The dedup key table against a Dictionary, under random inserts and updates with a rising
/// watermark and few distinct low bits (long probe runs, wrap-around at the table's end, many
/// rebuilds): every live key has its latest time; a dead key is absent or has its old time.
@Suite("Silver key table")
struct KeyTableTests {
    @Test(arguments: [1, 2, 3])
    func matchesADictionary(seed: UInt64) {
        var rng = seed &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return rng >> 11
        }
        var table = KeyTable(capacity: 4)
        var model: [SilverState.Key: Int64] = [:]
        var watermark = Int64.min
        for step in 0..<60_000 {
            // Keys from a small pool whose low bits collide a lot.
            let n = next() % 3_000
            let key = SilverState.Key(a: (n % 40) | (n << 32), b: n)
            let t = Int64(step)
            if step % 1_000 == 999 { watermark = max(watermark, t - Int64(next() % 4_000)) }  // never falls
            table.set(key, t, watermark: watermark)
            model[key] = t
            if step % 4_999 == 0 {
                for m in 0..<3_000 as Range<UInt64> {
                    let k = SilverState.Key(a: (m % 40) | (m << 32), b: m)
                    if let expected = model[k], expected > watermark {
                        #expect(table[k] == expected, "seed \(seed) step \(step) live key \(m)")
                    } else {
                        #expect(table[k] == nil || table[k] == model[k], "seed \(seed) step \(step) key \(m)")
                    }
                }
                #expect(table.count >= model.values.filter { $0 > watermark }.count)
            }
        }
    }
}

/// Dead keys (at or below the watermark the caller passes) are freed by whole segments, so the
/// table's size follows the live keys, not all keys ever seen: at most 26 bytes (16-byte
/// slots) per live key once the window is full, with steady, decreasing and bursty rates; and
/// every live key survives.
@Suite("Silver key table expiry")
struct KeyTableExpiryTests {
    @Test(arguments: ["steady", "slowing", "bursts"])
    func sizeFollowsTheLiveKeys(rate: String) {
        let window: Int64 = 100_000
        var table = KeyTable(delayMicros: window)
        var time: Int64 = 0
        var live: [Int64] = []  // accepted times, ascending
        var worst = 0.0
        var segmentsMax = 0
        for n in 0..<1_500_000 as Range<Int64> {
            switch rate {
            case "steady": time += 1
            case "slowing": time += n < 500_000 ? 1 : 3
            default: time += (n / 50_000) % 2 == 0 ? 1 : 0  // bursts of keys at one time, then a rise
            }
            let key = SilverState.Key(a: UInt64(n) &* 0x9E37_79B9_7F4A_7C15, b: UInt64(n))
            table.set(key, time, watermark: time - window)
            live.append(time)
            if n % 50_000 == 49_999 && n > 400_000 {
                var (lo, hi) = (0, live.count)  // first live time
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if live[mid] <= time - window { lo = mid + 1 } else { hi = mid }
                }
                let alive = live.count - lo
                worst = max(worst, Double(table.capacity * MemoryLayout<KeyTable.Slot>.stride) / Double(alive))
                segmentsMax = max(segmentsMax, table.segmentCount)
            }
        }
        print("key table \(rate): \(worst) bytes per live key at worst, \(segmentsMax) segments")
        #expect(worst <= 26, "\(rate): \(worst) bytes per live key")
        #expect(segmentsMax <= 16, "\(rate): \(segmentsMax) segments")
        let watermark = time - window
        for n in 0..<1_500_000 as Range<Int64> where live[Int(n)] > watermark {
            let key = SilverState.Key(a: UInt64(n) &* 0x9E37_79B9_7F4A_7C15, b: UInt64(n))
            #expect(table[key] == live[Int(n)], "live key \(n) lost")
        }
    }

    /// A watermark delay longer than 32-bit microsecond offsets reach (3 hours), with times out
    /// of order across the whole window: every live key still has its exact time.
    @Test func longDelaysKeepExactTimes() {
        let hour: Int64 = 3_600_000_000
        let delay = 3 * hour
        var table = KeyTable(delayMicros: delay)
        var model: [SilverState.Key: Int64] = [:]
        var rng: UInt64 = 11
        var now: Int64 = 1_000 * hour
        for n in 0..<200_000 as Range<UInt64> {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            now += Int64(rng >> 50)  // up to ~16 ms a key
            let time = now - Int64((rng >> 20) % UInt64(delay - 1))  // anywhere above the watermark
            let key = SilverState.Key(a: n &* 0x9E37_79B9_7F4A_7C15, b: n)
            table.set(key, time, watermark: now - delay)
            model[key] = time
        }
        for (key, time) in model where time > now - delay {
            #expect(table[key] == time)
        }
        #expect(table.segmentCount <= 16, "\(table.segmentCount) segments")
    }

    /// SilverState answers duplicates exactly as SPEC §5 says, whatever the table dropped:
    /// a key is a duplicate only while its accepted time is above the watermark.
    @Test func duplicatesFollowTheWatermark() {
        var state = SilverState(delayMicros: 100)
        var accepted: [SilverState.Key: Int64] = [:]
        var rng: UInt64 = 7
        for step in 0..<200_000 as Range<Int64> {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let n = (rng >> 33) % 50_000
            let key = SilverState.Key(a: n &* 0xD6E8_FEB8_6659_FD93, b: n)
            let time = step / 4 + Int64(rng >> 60)  // mostly rising, a little jitter
            if state.isLate(time) { continue }
            let expected = accepted[key].map { $0 > state.watermarkMicros } ?? false
            #expect(state.isDuplicate(key) == expected, "step \(step)")
            if !expected {
                state.accept(key, eventMicros: time)
                accepted[key] = time
            }
        }
        #expect(state.keys.capacity <= 8_192)
    }
}

/// The malloc settings are applied for real: a missing `<features.h>` once made both calls
/// silently do nothing (session 3, bench/NOTES.md item 20).
@Suite struct ProcessSetupTests {
    @Test func mallocSettingsTakeEffect() {
        #if canImport(Glibc)
            #expect(ProcessSetup.configureMemory())
        #endif
    }
}

/// Dedup keys are stored in checkpoints: their bytes and hash must never change. The key of a
/// record equals the reference layout (presence byte; string length + bytes, or 8 bytes of a
/// number) hashed by the reference `hash64` with both seeds — strings with and without
/// escapes, a null field, a number field.
@Suite("Dedup key layout")
struct DedupKeyLayoutTests {
    /// Several fields, and each one-field shape (a string, a number, a string that may be
    /// null): one-field keys take a path of their own.
    @Test(arguments: [
        [Clickstream.Field.eventID, Clickstream.Field.searchQuery, Clickstream.Field.price, Clickstream.Field.userID],
        [Clickstream.Field.eventID], [Clickstream.Field.price], [Clickstream.Field.searchQuery],
    ])
    func keysMatchTheReferenceLayout(fields: [Int]) {
        let builder = DedupKeyBuilder(fields: fields, columns: Clickstream.fields)
        let lines = [
            #"{"eventId":"9144266f-3fc5-42c1-8ed6-4d887587225f","eventType":"X","userId":"user_392","timestamp":"2026-01-29T00:00:27.787Z","data":{"price":120.5}}"#,
            #"{"eventId":"e\u00e9","eventType":"X","userId":"u\"q","timestamp":"2026-01-29T00:00:27Z","data":{"searchQuery":"shoes","price":null}}"#,
            #"{"eventId":"","eventType":"X","userId":"a","timestamp":"2026-01-29T00:00:27Z"}"#,
        ]
        for line in lines {
            var parser = EventParser(fields: Clickstream.fields, timestampFormat: .iso8601)
            var record = ParsedRecord()
            let bytes = Array(line.utf8)
            bytes.withUnsafeBytes { raw in
                #expect(parser.parse(raw, into: &record) == .accepted, "\(line)")
                var reference: [UInt8] = []
                for f in builder.fields {
                    if record.isNull(f) {
                        reference.append(0)
                        continue
                    }
                    reference.append(1)
                    if Clickstream.fields[f].type == .string {
                        record.withString(f) { s in
                            withUnsafeBytes(of: UInt32(s.count).littleEndian) { reference.append(contentsOf: $0) }
                            reference.append(contentsOf: s)
                        }
                    } else {
                        withUnsafeBytes(of: record.int64(f).littleEndian) { reference.append(contentsOf: $0) }
                    }
                }
                let expected = reference.withUnsafeBytes {
                    SilverState.Key(a: KeyHash.hash64($0, seed: KeyHash.seedA), b: KeyHash.hash64($0, seed: KeyHash.seedB))
                }
                #expect(builder.key(&record) == expected, "\(line)")
            }
        }
        // Values computed outside Swift (a Python transcription of the definition): the hashes
        // saved in catalogs stay what they were.
        let golden: [([UInt8], UInt64, UInt64)] = [
            ([], 0xFACD_99BD_CB71_3B3D, 0x7A58_9E4E_89C4_2FD5),
            ([1, 36, 0, 0, 0] + Array("9144266f-3fc5-42c1-8ed6-4d887587225f".utf8), 0x3602_DEA3_86DF_4567, 0xD1EA_7DA3_2F8D_3CFE),
            (Array("abc".utf8), 0xF5F7_5E4E_DA6D_6469, 0x6B8B_6A86_D43C_0380),
        ]
        for (bytes, a, b) in golden {
            bytes.withUnsafeBytes { #expect(KeyHash.hash($0) == SilverState.Key(a: a, b: b), "\(bytes)") }
        }
        // The one-pass hash equals the reference at every length around the word size.
        for n in 0...40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            bytes.withUnsafeBytes {
                #expect(KeyHash.hash($0) == SilverState.Key(
                    a: KeyHash.hash64($0, seed: KeyHash.seedA), b: KeyHash.hash64($0, seed: KeyHash.seedB)))
            }
        }
    }
}
