import Foundation

/// A table's group keys mapped to small dense ids that stay fixed while the group holds state,
/// so that a batch is placed row by row in batch order (`assign`) and the table keeps its
/// groups in arrays indexed by id: no per-batch grouping of rows, no dictionary lookup or
/// hashing of a `GroupKey` per group and batch. Open addressing with linear probing over the
/// ids; a removed id's slot is refilled by shifting its followers back (no tombstones), and
/// the id is reused by the next new group.
final class GroupIndex {
    let columns: [Int]
    let types: [GoldType]
    /// The key of each id (empty for a freed id).
    private(set) var keys: [GroupKey] = []
    private var hashes: [UInt64] = []
    private var isLive: [Bool] = []
    /// Slot → id + 1; 0 is an empty slot.
    private var table: [Int32] = Array(repeating: 0, count: 64)
    private var bits = 6
    private var freeIDs: [Int32] = []
    private(set) var liveCount = 0
    private var scratch = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
    private var scratchCapacity = 256

    init(columns: [Int], types: [GoldType]) {
        self.columns = columns
        self.types = types
    }

    /// Ids in use are below this.
    var idLimit: Int { keys.count }

    func isLive(_ id: Int) -> Bool { isLive[id] }

    /// The id of each of `rows` (batch rows), made for keys not seen yet, written to `ids`
    /// (one per entry of `rows`); a new id is below `idLimit`.
    func assign(_ views: UnsafePointer<ColumnView>, rows: UnsafeBufferPointer<Int32>, into ids: inout [Int32]) {
        ids.removeAll(keepingCapacity: true)
        if columns.isEmpty {
            // One group, the empty key: nothing to hash.
            if rows.isEmpty { return }
            let id = find(GroupKey.empty) ?? insert(GroupKey.empty, hash: BatchGroups.hash(UnsafeRawBufferPointer(start: nil, count: 0)))
            ids.append(contentsOf: repeatElement(id, count: rows.count))
            return
        }
        // Each row's key bytes (as `GroupKey.append` lays them out) written in place.
        let width = columns.count
        for row32 in rows {
            let row = Int(row32)
            var n = 0
            for k in 0..<width {
                let v = views[columns[k]]
                n += v.isNull(row) ? 1 : (types[k] == .string ? 5 + v.string(row).count : 9)
            }
            if n > scratchCapacity {
                scratch.deallocate()
                scratchCapacity = max(n, 2 * scratchCapacity)
                scratch = .allocate(byteCount: scratchCapacity, alignment: 8)
            }
            var p = scratch
            for k in 0..<width {
                let v = views[columns[k]]
                if v.isNull(row) {
                    p.storeBytes(of: 0, as: UInt8.self)
                    p += 1
                } else if types[k] == .string {
                    let s = v.string(row)
                    p.storeBytes(of: 1, as: UInt8.self)
                    p.storeBytes(of: UInt32(s.count).littleEndian, toByteOffset: 1, as: UInt32.self)
                    if s.count > 0 { (p + 5).copyMemory(from: s.baseAddress!, byteCount: s.count) }
                    p += 5 + s.count
                } else {
                    p.storeBytes(of: 1, as: UInt8.self)
                    p.storeBytes(of: v.words[row].littleEndian, toByteOffset: 1, as: UInt64.self)
                    p += 9
                }
            }
            ids.append(findOrInsert(UnsafeRawBufferPointer(start: scratch, count: n)))
        }
    }

    deinit { scratch.deallocate() }

    /// The id of `key`, or nil.
    func find(_ key: GroupKey) -> Int32? {
        key.bytes.withUnsafeBytes { bytes in
            let h = BatchGroups.hash(bytes)
            let mask = table.count - 1
            var slot = home(h)
            while true {
                let entry = Int(table[slot])
                if entry == 0 { return nil }
                if hashes[entry - 1] == h && keys[entry - 1].bytes.elementsEqual(bytes) { return Int32(entry - 1) }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The id of `key`, made when new.
    func id(of key: GroupKey) -> Int32 {
        if let id = find(key) { return id }
        return key.bytes.withUnsafeBytes { insert(key, hash: BatchGroups.hash($0)) }
    }

    @inline(__always)
    private func findOrInsert(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        let h = BatchGroups.hash(bytes)
        let mask = table.count - 1
        var slot = home(h)
        while true {
            let entry = Int(table[slot])
            if entry == 0 { break }
            if hashes[entry - 1] == h {
                let same = keys[entry - 1].bytes.withUnsafeBytes { stored in
                    stored.count == bytes.count && (bytes.isEmpty || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
                }
                if same { return Int32(entry - 1) }
            }
            slot = (slot + 1) & mask
        }
        return insert(GroupKey(bytes: Array(bytes)), hash: h)
    }

    private func insert(_ key: GroupKey, hash h: UInt64) -> Int32 {
        if (liveCount + 1) * 2 > table.count { grow() }
        let id: Int32
        if let reused = freeIDs.popLast() {
            id = reused
            keys[Int(id)] = key
            hashes[Int(id)] = h
            isLive[Int(id)] = true
        } else {
            id = Int32(keys.count)
            keys.append(key)
            hashes.append(h)
            isLive.append(true)
        }
        place(id)
        liveCount += 1
        return id
    }

    private func place(_ id: Int32) {
        let mask = table.count - 1
        var slot = home(hashes[Int(id)])
        while table[slot] != 0 { slot = (slot + 1) & mask }
        table[slot] = id + 1
    }

    /// A hash's first slot: its high bits (the mixed ones).
    @inline(__always)
    private func home(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h >> UInt64(64 - bits)) }

    private func grow() {
        bits += 1
        table = Array(repeating: 0, count: table.count * 2)
        for id in keys.indices where isLive[id] { place(Int32(id)) }
    }

    /// Forgets group `id` (its state is gone); the id is reused for a later new key.
    func remove(_ id: Int32) {
        guard isLive[Int(id)] else { return }
        let mask = table.count - 1
        var slot = home(hashes[Int(id)])
        while table[slot] != id + 1 { slot = (slot + 1) & mask }
        // Backward-shift deletion: pull later entries of the probe run into the hole when
        // their home slot does not lie cyclically in (hole, their slot].
        var hole = slot
        var next = (hole + 1) & mask
        while table[next] != 0 {
            let h = home(hashes[Int(table[next]) - 1])
            let between = hole <= next ? (h > hole && h <= next) : (h > hole || h <= next)
            if !between {
                table[hole] = table[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        table[hole] = 0
        keys[Int(id)] = GroupKey.empty
        isLive[Int(id)] = false
        freeIDs.append(id)
        liveCount -= 1
    }
}

/// Aggregate states of many windows, panes or sessions in one array, `width` per block: a new
/// session or pane takes a block (a freed one first) instead of inserting fresh states into
/// an array of its group, and rows are added to `base + block * width` in place.
struct StateArena {
    let width: Int
    private(set) var states: [AggState] = []
    private var free: [Int32] = []

    init(width: Int) { self.width = width }

    var liveBlocks: Int { (width == 0 ? 0 : states.count / width) - free.count }

    /// A block of fresh states.
    mutating func allocate() -> Int32 {
        if let b = free.popLast() { return b }
        let b = Int32(width == 0 ? states.count : states.count / width)
        states.append(contentsOf: repeatElement(AggState(), count: width))
        return b
    }

    /// Frees block `b` (its states reset, their storage released).
    mutating func release(_ b: Int32) {
        let base = Int(b) * width
        for k in 0..<width { states[base + k] = AggState() }
        free.append(b)
    }

    /// Block `b`'s states.
    func block(_ b: Int32) -> ArraySlice<AggState> {
        let base = Int(b) * width
        return states[base..<(base + width)]
    }

    /// Replaces block `b`'s states (a decoded state).
    mutating func set(_ b: Int32, _ values: [AggState]) {
        let base = Int(b) * width
        for k in 0..<width { states[base + k] = values[k] }
    }

    /// Folds block `from` into block `into` (sessions merging).
    mutating func merge(_ from: Int32, into: Int32, _ aggregates: [AggregatePlan]) {
        let f = Int(from) * width, t = Int(into) * width
        for k in 0..<width {
            let other = states[f + k]
            aggregates[k].merge(other, into: &states[t + k])
        }
    }

    /// The states' storage (at least one block must have been allocated).
    mutating func withStates<R>(_ body: (UnsafeMutablePointer<AggState>) throws -> R) rethrows -> R {
        try states.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}
