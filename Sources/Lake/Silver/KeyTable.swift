/// Silver's live dedup keys → the event time each was accepted with. Keys are already 128-bit
/// hashes, so a slot is picked from their low bits directly (a Swift `Dictionary` would hash
/// them again with SipHash on each of the ~4 lookups a record costs). Open addressing with
/// linear probing; a slot's key halves and time sit side by side (one cache line per probe).
/// Keys are never removed one by one (no tombstones): see below.
///
/// Expired keys are dropped lazily: when an insert finds the table 70% full, the table is
/// rebuilt with only the keys whose time is above the watermark the caller passes, at a size
/// that leaves it at most 35% full. So no per-key expiry queue is needed (before: a heap of
/// (time, key) entries, 24–48 bytes per live key and a push and a pop per accepted record),
/// and the table takes 34–69 bytes per live key.
struct KeyTable {
    struct Slot {
        var a: UInt64
        var b: UInt64
        /// `Int64.min` marks an empty slot (no event time is that small).
        var time: Int64

        static let empty = Slot(a: 0, b: 0, time: Int64.min)
    }

    private var slots: [Slot]
    private var mask: Int
    /// Occupied slots, expired keys not yet dropped included.
    private(set) var count = 0

    init(capacity: Int = 1024) {
        let size = Self.size(for: capacity)
        slots = Array(repeating: .empty, count: size)
        mask = size - 1
    }

    /// The smallest power of two (≥ 16) that holds `count` keys at most 35% full.
    private static func size(for count: Int) -> Int {
        var size = 16
        while size * 7 < count * 20 { size <<= 1 }
        return size
    }

    /// Slots in the table (for tests and memory accounting).
    var capacity: Int { slots.count }

    @inline(__always) private func slot(of key: SilverState.Key) -> (index: Int, found: Bool) {
        let mask = mask
        return slots.withUnsafeBufferPointer { slots in
            var i = Int(truncatingIfNeeded: key.a) & mask
            while slots[i].time != Int64.min {
                if slots[i].a == key.a && slots[i].b == key.b { return (i, true) }
                i = (i + 1) & mask
            }
            return (i, false)
        }
    }

    subscript(key: SilverState.Key) -> Int64? {
        let (i, found) = slot(of: key)
        return found ? slots[i].time : nil
    }

    /// Remembers `key` with `time`. When the table must make room, keys whose time is at or
    /// below `watermark` are dropped first (they can no longer make a record a duplicate).
    mutating func set(_ key: SilverState.Key, _ time: Int64, watermark: Int64 = Int64.min) {
        precondition(time != Int64.min)
        var (i, found) = slot(of: key)
        if !found {
            if (count + 1) * 10 > slots.count * 7 {
                rebuild(keepingAbove: watermark, adding: 1)
                i = slot(of: key).index
            }
            count += 1
        }
        slots[i] = Slot(a: key.a, b: key.b, time: time)
    }

    /// Rebuilds the table with the keys whose time is above `watermark`, sized so that they
    /// and `adding` more fit at most 35% full (it may shrink).
    private mutating func rebuild(keepingAbove watermark: Int64, adding: Int) {
        let old = slots
        let live = old.reduce(0) { $0 + ($1.time > watermark ? 1 : 0) }
        let size = Self.size(for: live + adding)
        slots = Array(repeating: .empty, count: size)
        let mask = size - 1
        self.mask = mask
        slots.withUnsafeMutableBufferPointer { slots in
            for entry in old where entry.time > watermark {
                var i = Int(truncatingIfNeeded: entry.a) & mask
                while slots[i].time != Int64.min { i = (i + 1) & mask }
                slots[i] = entry
            }
        }
        count = live
    }
}
