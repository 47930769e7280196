import Foundation

/// The running state of one aggregate over the rows of one group (a window, a session, a
/// running total). What the fields mean depends on the function (`AggregatePlan`):
/// `n` counts rows (or marks that a value is kept), `a` holds a sum, a kept value's word or a
/// count of false values, `t`/`i` the event time and ingest id of the row first/last kept,
/// `text` a kept string, `distinct` the hashed values of count_distinct.
///
/// Sums are integers: int64 sums exactly, double sums in micro-units (each value rounded to
/// 6 decimals), both saturating instead of trapping. So a sum has the same bits however its
/// rows were split into runs or merged (floating-point addition is not associative), and a
/// sum of money matches its decimal value.
struct AggState: Equatable {
    var n: Int64 = 0
    var a: Int64 = 0
    var t: Int64 = 0
    var i: Int64 = 0
    var isNullValue = false
    var text: [UInt8] = []
    var distinct = DistinctSet()

    /// A value of count_distinct, hashed to 128 bits (a collision is astronomically unlikely).
    struct DistinctHash: Hashable {
        var a: UInt64
        var b: UInt64
    }

    @inline(__always)
    mutating func insertDistinct(_ h: DistinctHash) { distinct.insert(h) }

    /// Keeps `v` as the string value, in the storage already there when it fits (last() of a
    /// product's name replaces it on nearly every row, with the same bytes).
    @inline(__always)
    mutating func setText(_ v: UnsafeRawBufferPointer) {
        if text.count == v.count && AggState.compare(v, text) == 0 { return }
        text.removeAll(keepingCapacity: true)
        text.append(contentsOf: v)
    }

    static func hash(bytes: UnsafeRawBufferPointer) -> DistinctHash {
        let k = KeyHash.hash(bytes)
        return DistinctHash(a: k.a, b: k.b)
    }

    static func hash(word: UInt64) -> DistinctHash {
        withUnsafeBytes(of: word.littleEndian) { hash(bytes: $0) }
    }

    /// A double in micro-units, as sums keep it; 0 for values no sum of money can hold.
    @inline(__always)
    static func micros(_ amount: Double) -> Int64 {
        guard amount.isFinite, abs(amount) < 9e12 else { return 0 }
        return Int64((amount * 1_000_000).rounded())
    }

    @inline(__always)
    static func saturatingAdd(_ x: Int64, _ y: Int64) -> Int64 {
        let (sum, overflow) = x.addingReportingOverflow(y)
        return overflow ? (y > 0 ? Int64.max : Int64.min) : sum
    }

    static func compare(_ x: UnsafeRawBufferPointer, _ y: [UInt8]) -> Int {
        y.withUnsafeBytes { compare(x, $0) }
    }

    static func compare(_ x: [UInt8], _ y: [UInt8]) -> Int {
        x.withUnsafeBytes { a in y.withUnsafeBytes { compare(a, $0) } }
    }

    /// Bytewise order (memcmp, then length), as SQLite orders TEXT by default.
    static func compare(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
        let n = min(x.count, y.count)
        if n > 0 {
            let c = memcmp(x.baseAddress!, y.baseAddress!, n)
            if c != 0 { return c < 0 ? -1 : 1 }
        }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }
}

/// The hashed values of one count_distinct: an open-addressing table of 128-bit hashes in one
/// array (two words a slot, linear probing, at most 3/4 full). The hashes are already
/// uniformly mixed, so a slot is the low bits of the first word: no hasher runs per row, and an
/// empty set allocates nothing. A hash of two zero words marks an empty slot, so that one
/// value is stored as (0, 1): one more collision in 2^128.
struct DistinctSet: Equatable {
    private var slots: [UInt64] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    mutating func insert(_ h: AggState.DistinctHash) {
        let a = h.a, b = (h.a | h.b) == 0 ? 1 : h.b
        if (count + 1) * 4 > slots.count / 2 * 3 { grow() }
        let mask = slots.count / 2 - 1
        slots.withUnsafeMutableBufferPointer { s in
            var i = Int(truncatingIfNeeded: a) & mask
            while true {
                let x = s[2 * i], y = s[2 * i + 1]
                if x == a && y == b { return }
                if (x | y) == 0 {
                    s[2 * i] = a
                    s[2 * i + 1] = b
                    count += 1
                    return
                }
                i = (i + 1) & mask
            }
        }
    }

    mutating func reserveCapacity(_ n: Int) {
        while n * 4 > slots.count / 2 * 3 { grow() }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: max(16, old.count * 2))
        count = 0
        var i = 0
        while i < old.count {
            if (old[i] | old[i + 1]) != 0 { insert(AggState.DistinctHash(a: old[i], b: old[i + 1])) }
            i += 2
        }
    }

    mutating func formUnion(_ other: DistinctSet) {
        other.forEach { insert($0) }
    }

    func forEach(_ body: (AggState.DistinctHash) -> Void) {
        var i = 0
        while i < slots.count {
            if (slots[i] | slots[i + 1]) != 0 { body(AggState.DistinctHash(a: slots[i], b: slots[i + 1])) }
            i += 2
        }
    }

    /// The hashes in ascending order (the state codec writes them so).
    func sorted() -> [AggState.DistinctHash] {
        var out: [AggState.DistinctHash] = []
        out.reserveCapacity(count)
        forEach { out.append($0) }
        return out.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
    }

    func contains(_ h: AggState.DistinctHash) -> Bool {
        guard !slots.isEmpty else { return false }
        let mask = slots.count / 2 - 1
        var i = Int(truncatingIfNeeded: h.a) & mask
        while true {
            let x = slots[2 * i], y = slots[2 * i + 1]
            if x == h.a && y == h.b { return true }
            if (x | y) == 0 { return false }
            i = (i + 1) & mask
        }
    }

    static func == (l: DistinctSet, r: DistinctSet) -> Bool {
        guard l.count == r.count else { return false }
        var same = true
        l.forEach { if same && !r.contains($0) { same = false } }
        return same
    }
}
