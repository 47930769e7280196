/// Silver's live dedup keys → the event time each was accepted with, in segments that age out
/// with the watermark.
///
/// Keys are added in acceptance order to the newest segment. A segment is sealed when it is
/// full or when the times added have moved an eighth of the watermark delay past its first
/// (and it is at least a fifth full), and a new one begins; a sealed segment is freed as a whole once the watermark
/// reaches the highest time it holds (every key in it is dead then). So no key is ever moved
/// or rehashed as the table grows or the window slides: memory follows the live keys plus at
/// most one segment's worth of dead ones, with no stop-the-world rebuild (the single table
/// this replaced doubled, and rebuilt itself at 70% full: 12M keys stalled the stream for
/// seconds and needed 34–69 bytes each). A lookup asks the segments newest first: a key
/// accepted again after it died lives in a newer segment than its dead copy.
///
/// Each segment is an open-addressing table of 24-byte slots (both key halves and the time,
/// one cache line per probe), sized for the count its predecessor reached and filled to at
/// most 80%; one sealed below 60% full is copied into a table of its size. Keys are already
/// 128-bit hashes, so the slot comes from their bits directly (`fastrange`, any size).
struct KeyTable {
    struct Slot {
        var a: UInt64
        var b: UInt64
        /// `Int64.min` marks an empty slot (no event time is that small).
        var time: Int64

        static let empty = Slot(a: 0, b: 0, time: Int64.min)
    }

    /// One open-addressing table. A class so the segment list can be shuffled without copying
    /// slots; the slots are one allocation.
    final class Segment {
        let slots: UnsafeMutablePointer<Slot>
        let capacity: Int
        private(set) var count = 0
        /// Highest time held: the segment dies when the watermark reaches it.
        private(set) var maxTime = Int64.min
        /// The time of the first key added: with `maxTime`, how far the stream's event time
        /// moved while this segment was the newest.
        private(set) var firstTime = Int64.min

        init(capacity: Int) {
            self.capacity = max(16, capacity)
            slots = .allocate(capacity: self.capacity)
            slots.initialize(repeating: .empty, count: self.capacity)
        }

        deinit { slots.deallocate() }

        /// Keys it takes before it counts as full (80%).
        var limit: Int { capacity * 4 / 5 }

        @inline(__always) func slot(of a: UInt64, _ b: UInt64) -> (index: Int, found: Bool) {
            var i = Int(truncatingIfNeeded: a.multipliedFullWidth(by: UInt64(capacity)).high)
            while slots[i].time != Int64.min {
                if slots[i].a == a && slots[i].b == b { return (i, true) }
                i += 1
                if i == capacity { i = 0 }
            }
            return (i, false)
        }

        /// Sets the key's time (the caller checked there is room for a new key).
        @inline(__always) func set(_ a: UInt64, _ b: UInt64, _ time: Int64) {
            let (i, found) = slot(of: a, b)
            if !found { count += 1 }
            slots[i] = Slot(a: a, b: b, time: time)
            if time > maxTime { maxTime = time }
            if firstTime == Int64.min { firstTime = time }
        }

        /// The same keys in a table sized for them.
        func compacted() -> Segment {
            let copy = Segment(capacity: count * 5 / 4 + 1)
            for i in 0..<capacity where slots[i].time != Int64.min {
                copy.set(slots[i].a, slots[i].b, slots[i].time)
            }
            return copy
        }
    }

    /// Oldest first; the last is the one keys are added to.
    private var segments: [Segment]
    /// How far (in event time) one segment's times may spread before it is sealed.
    private let span: Int64
    private let minimumCapacity: Int

    /// `delayMicros`: the watermark delay (segments span an eighth of it); `capacity`: the
    /// keys the first segment is sized for.
    init(delayMicros: Int64 = 600_000_000, capacity: Int = 1024) {
        span = max(1, delayMicros / 8)
        minimumCapacity = max(16, capacity * 5 / 4)
        segments = [Segment(capacity: minimumCapacity)]
    }

    /// Keys held, dead ones not yet freed included.
    var count: Int { segments.reduce(0) { $0 + $1.count } }
    /// Slots held (for tests and memory accounting: 24 bytes each).
    var capacity: Int { segments.reduce(0) { $0 + $1.capacity } }
    var segmentCount: Int { segments.count }

    /// The time `key` was last accepted with, dead or alive, if it is still held.
    subscript(key: SilverState.Key) -> Int64? {
        var s = segments.count - 1
        while s >= 0 {
            let segment = segments[s]
            let (i, found) = segment.slot(of: key.a, key.b)
            if found { return segment.slots[i].time }
            s -= 1
        }
        return nil
    }

    /// Remembers `key` with `time`; segments whose keys are all at or below `watermark` are
    /// freed.
    mutating func set(_ key: SilverState.Key, _ time: Int64, watermark: Int64 = Int64.min) {
        precondition(time != Int64.min)
        while segments.count > 1, segments[0].maxTime <= watermark { segments.removeFirst() }
        var active = segments[segments.count - 1]
        let (_, found) = active.slot(of: key.a, key.b)
        if !found {
            let full = active.count >= active.limit
            let spread = active.count >= active.limit / 4 && max(time, active.maxTime) - active.firstTime > span
            if full || spread {
                seal(grow: full)
                active = segments[segments.count - 1]
            }
        }
        active.set(key.a, key.b, time)
    }

    /// Starts a new segment sized for what the last one took (more when it filled up), and
    /// copies the last one into a table of its size when it ended up mostly empty.
    private mutating func seal(grow: Bool) {
        let last = segments[segments.count - 1]
        if last.count < last.capacity * 3 / 5 && last.capacity > minimumCapacity {
            segments[segments.count - 1] = last.compacted()
        }
        let keys = grow ? last.count * 3 / 2 : last.count * 11 / 10
        segments.append(Segment(capacity: max(minimumCapacity, keys * 5 / 4 + 1)))
    }
}
