import Testing

@testable import Lake

/// The dedup key table against a Dictionary, under random inserts, updates and removals with
/// few distinct low bits (long probe runs, wrap-around at the table's end).
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
        for step in 0..<60_000 {
            // Keys from a small pool whose low bits collide a lot.
            let n = next() % 3_000
            let key = SilverState.Key(a: (n % 40) | (n << 32), b: n)
            switch next() % 3 {
            case 0, 1:
                let t = Int64(step)
                table.set(key, t)
                model[key] = t
            default:
                table.remove(key)
                model[key] = nil
            }
            if step % 4_999 == 0 {
                #expect(table.count == model.count)
                for m in 0..<3_000 as Range<UInt64> {
                    let k = SilverState.Key(a: (m % 40) | (m << 32), b: m)
                    #expect(table[k] == model[k], "seed \(seed) step \(step) key \(m)")
                }
            }
        }
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
