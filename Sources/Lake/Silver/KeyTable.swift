/// Silver's live dedup keys → the event time each was accepted with, in segments that age out
/// with the watermark.
///
/// Keys are added in acceptance order to the newest segment. A segment is sealed when it is
/// full or when the highest time seen has moved an eighth of the watermark delay since it was
/// opened (and it is at least a fifth full), and a new one begins; a sealed segment is freed
/// as a whole once the watermark reaches the highest time it holds (every key in it is dead
/// then). So no key is ever moved or rehashed as the table grows or the window slides: memory
/// follows the live keys plus about one segment's worth of dead ones, with no stop-the-world
/// rebuild (the single table this replaced doubled, and rebuilt itself at 70% full: 12M keys
/// stalled the stream for seconds and needed 34–69 bytes each). A lookup asks the segments
/// newest first: a key accepted again after it died lives in a newer segment than its dead
/// copy.
///
/// Each segment is an open-addressing table of 16-byte slots, sized for the count its
/// predecessor reached and filled to at most 80%; one sealed below 60% full is copied into a
/// table of its size. A slot holds 80 of the key's 128 bits (a false duplicate needs a new key
/// equal in 80 bits to one of the live ones: ~10^-17 per record at 12M live keys) and the time
/// as a 48-bit offset in microseconds (~9 years) from the segment's base, the first key's time
/// minus the watermark delay (every later key is above the watermark, so above the base). Keys
/// are already hashes, so the slot comes from their bits directly (`fastrange`, any size).
struct KeyTable {
    /// 80 bits of the key and the time as a 48-bit offset from the segment's base: 16 bytes.
    struct Slot {
        var a: UInt64
        /// 16 more bits of the key above the offset (microseconds after the segment's `base`).
        var rest: UInt64

        static let offsetBits: UInt64 = 48
        static let offsetMask: UInt64 = (1 << offsetBits) - 1
        /// An offset of all ones marks an empty slot.
        static let empty = Slot(a: 0, rest: offsetMask)

        init(a: UInt64, rest: UInt64) {
            self.a = a
            self.rest = rest
        }

        init(a: UInt64, b: UInt64, offset: UInt64) {
            self.a = a
            rest = (b << Slot.offsetBits) | offset
        }

        @inline(__always) var isEmpty: Bool { rest & Slot.offsetMask == Slot.offsetMask }
        @inline(__always) var offset: UInt64 { rest & Slot.offsetMask }
        /// The key bits kept beside `a`.
        @inline(__always) static func tag(_ b: UInt64) -> UInt64 { b >> Slot.offsetBits }
        @inline(__always) var tag: UInt64 { rest >> Slot.offsetBits }
    }

    /// One open-addressing table. A class so the segment list can be shuffled without copying
    /// slots; the slots are one allocation.
    final class Segment {
        let slots: UnsafeMutablePointer<Slot>
        let capacity: Int
        /// How far before its first key's time the segment's times may start.
        private let reach: Int64
        private(set) var count = 0
        /// Highest time held: the segment dies when the watermark reaches it.
        private(set) var maxTime = Int64.min
        /// Times are stored as offsets from this (set by the first key).
        private(set) var base = Int64.min

        init(capacity: Int, reach: Int64) {
            self.capacity = max(16, capacity)
            self.reach = reach
            slots = .allocate(capacity: self.capacity)
            slots.initialize(repeating: .empty, count: self.capacity)
        }

        deinit { slots.deallocate() }

        /// Keys it takes before it counts as full (80%).
        var limit: Int { capacity * 4 / 5 }

        /// Whether `time` can be stored here (every time does in an empty segment).
        @inline(__always) func fits(_ time: Int64) -> Bool {
            base == Int64.min || (time >= base && UInt64(time - base) < Slot.offsetMask)
        }

        @inline(__always) func time(at i: Int) -> Int64 { base + Int64(slots[i].offset) }

        @inline(__always) func slot(of a: UInt64, _ b: UInt64) -> (index: Int, found: Bool) {
            let tag = Slot.tag(b)
            var i = Int(truncatingIfNeeded: a.multipliedFullWidth(by: UInt64(capacity)).high)
            while !slots[i].isEmpty {
                if slots[i].a == a && slots[i].tag == tag { return (i, true) }
                i += 1
                if i == capacity { i = 0 }
            }
            return (i, false)
        }

        /// Sets the key's time (the caller checked there is room for a new key and that the
        /// time `fits`).
        @inline(__always) func set(_ a: UInt64, _ b: UInt64, _ time: Int64) {
            if base == Int64.min {
                // Every later time is above the watermark, which is at least this one's minus
                // the delay (the reach, when that fits in 32 bits).
                base = time - reach
            }
            let (i, found) = slot(of: a, b)
            if !found { count += 1 }
            slots[i] = Slot(a: a, b: Slot.tag(b), offset: UInt64(time - base))
            if time > maxTime { maxTime = time }
        }

        /// The same keys in a table sized for them.
        func compacted() -> Segment {
            let copy = Segment(capacity: count * 5 / 4 + 1, reach: reach)
            copy.base = base
            copy.maxTime = maxTime
            for i in 0..<capacity where !slots[i].isEmpty {
                var j = Int(truncatingIfNeeded: slots[i].a.multipliedFullWidth(by: UInt64(copy.capacity)).high)
                while !copy.slots[j].isEmpty {
                    j += 1
                    if j == copy.capacity { j = 0 }
                }
                copy.slots[j] = slots[i]
                copy.count += 1
            }
            return copy
        }
    }

    /// Oldest first; the last is the one keys are added to.
    private var segments: [Segment]
    /// The highest time set so far, and what it was when the newest segment was opened: how
    /// far the stream's event time moved while that segment was the newest.
    private var latest = Int64.min
    private var opened = Int64.min
    /// How far (in event time) one segment's times may spread before it is sealed.
    private let span: Int64
    private let minimumCapacity: Int
    /// How far below the first key's time a segment's times may reach: the watermark delay
    /// (capped at half the offsets' range, ~4 years).
    private let reach: Int64

    /// `delayMicros`: the watermark delay (segments span an eighth of it); `capacity`: the
    /// keys the first segment is sized for.
    init(delayMicros: Int64 = 600_000_000, capacity: Int = 1024) {
        span = max(1, delayMicros / 8)
        minimumCapacity = max(16, capacity * 5 / 4)
        reach = min(max(0, delayMicros), Int64(Slot.offsetMask / 2))
        segments = [Segment(capacity: minimumCapacity, reach: reach)]
    }

    /// Keys held, dead ones not yet freed included.
    var count: Int { segments.reduce(0) { $0 + $1.count } }
    /// Slots held (for tests and memory accounting: 16 bytes each).
    var capacity: Int { segments.reduce(0) { $0 + $1.capacity } }
    var segmentCount: Int { segments.count }

    /// The time `key` was last accepted with, dead or alive, if it is still held.
    subscript(key: SilverState.Key) -> Int64? {
        var s = segments.count - 1
        while s >= 0 {
            let segment = segments[s]
            let (i, found) = segment.slot(of: key.a, key.b)
            if found { return segment.time(at: i) }
            s -= 1
        }
        return nil
    }

    /// Remembers `key` with `time`; segments whose keys are all at or below `watermark` are
    /// freed.
    mutating func set(_ key: SilverState.Key, _ time: Int64, watermark: Int64 = Int64.min) {
        precondition(time != Int64.min)
        while segments.count > 1, segments[0].maxTime <= watermark { segments.removeFirst() }
        if opened == Int64.min { opened = time }
        var active = segments[segments.count - 1]
        let (_, found) = active.slot(of: key.a, key.b)
        if !active.fits(time) {
            // A time the offsets cannot hold (only a caller breaking the watermark rule: keys
            // come above it): a new segment; a copy of the key left behind never answers.
            seal(grow: false)
            active = segments[segments.count - 1]
        } else if !found {
            let full = active.count >= active.limit
            let spread = active.count >= active.limit / 4 && max(time, latest) - opened > span
            if full || spread {
                seal(grow: full)
                active = segments[segments.count - 1]
            }
        }
        active.set(key.a, key.b, time)
        if time > latest { latest = time }
    }

    /// Starts a new segment sized for what the last one took (more when it filled up), and
    /// copies the last one into a table of its size when it ended up mostly empty.
    private mutating func seal(grow: Bool) {
        let last = segments[segments.count - 1]
        if last.count < last.capacity * 3 / 5 && last.capacity > minimumCapacity {
            segments[segments.count - 1] = last.compacted()
        }
        let keys = grow ? last.count * 3 / 2 : last.count * 11 / 10
        opened = latest
        segments.append(Segment(capacity: max(minimumCapacity, keys * 5 / 4 + 1), reach: reach))
    }
}
