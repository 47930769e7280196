/// Silver's live dedup keys → the event time each was accepted with. Keys are already 128-bit
/// hashes, so a slot is picked from their low bits directly (a Swift `Dictionary` would hash
/// them again with SipHash on each of the ~4 lookups a record costs). Open addressing with
/// linear probing, at most half full; removal shifts the following run back (no tombstones).
struct KeyTable {
    private var a: [UInt64]
    private var b: [UInt64]
    /// `Int64.min` marks an empty slot (no event time is that small).
    private var times: [Int64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        a = Array(repeating: 0, count: size)
        b = Array(repeating: 0, count: size)
        times = Array(repeating: Int64.min, count: size)
        mask = size - 1
    }

    @inline(__always) private func slot(of key: SilverState.Key) -> (index: Int, found: Bool) {
        var i = Int(truncatingIfNeeded: key.a) & mask
        while times[i] != Int64.min {
            if a[i] == key.a && b[i] == key.b { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    subscript(key: SilverState.Key) -> Int64? {
        let (i, found) = slot(of: key)
        return found ? times[i] : nil
    }

    mutating func set(_ key: SilverState.Key, _ time: Int64) {
        precondition(time != Int64.min)
        var (i, found) = slot(of: key)
        if !found {
            if (count + 1) * 2 > times.count {
                grow()
                i = slot(of: key).index
            }
            a[i] = key.a
            b[i] = key.b
            count += 1
        }
        times[i] = time
    }

    mutating func remove(_ key: SilverState.Key) {
        var (hole, found) = slot(of: key)
        guard found else { return }
        count -= 1
        // Backward shift: move later entries of the run into the hole when their home slot
        // lies at or before it (cyclically), so lookups never stop early.
        var j = hole
        while true {
            j = (j + 1) & mask
            if times[j] == Int64.min { break }
            let home = Int(truncatingIfNeeded: a[j]) & mask
            let distanceToJ = (j - home) & mask
            let distanceToHole = (j - hole) & mask
            if distanceToJ >= distanceToHole {
                a[hole] = a[j]
                b[hole] = b[j]
                times[hole] = times[j]
                hole = j
            }
        }
        times[hole] = Int64.min
    }

    private mutating func grow() {
        let old = (a, b, times)
        let size = times.count * 2
        a = Array(repeating: 0, count: size)
        b = Array(repeating: 0, count: size)
        times = Array(repeating: Int64.min, count: size)
        mask = size - 1
        count = 0
        for i in old.2.indices where old.2[i] != Int64.min {
            set(SilverState.Key(a: old.0[i], b: old.1[i]), old.2[i])
        }
    }
}
