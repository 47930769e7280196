/// The mapped JSON paths as a trie of keys, flattened into plain integer arrays so the scanner
/// can look keys up without reference counting. Node 0 is the top-level object; a node's
/// children have consecutive ids (breadth-first numbering).
struct JSONPathIndex: Sendable {
    struct Node: Sendable {
        var keyStart = 0
        var keyCount = 0
        var childStart = 0
        var childEnd = 0
        /// Fields whose path ends at this node.
        var leafStart = 0
        var leafEnd = 0
        /// Fields whose path runs through or ends at this node (reset when its key reappears).
        var subtreeStart = 0
        var subtreeEnd = 0
        /// The key's first 16 bytes, zero-padded, as two little-endian words: keys of at most
        /// 16 bytes (all of the clickstream's) compare in two instructions.
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        /// A collision-free hash of the children's keys of at most 16 bytes: slot
        /// `lookupStart + (keyHash &* lookupMultiplier) >> lookupShift` of `lookup` holds the
        /// one child that can match. `lookupShift == 0`: no such table, search the children.
        var lookupStart = 0
        var lookupMultiplier: UInt64 = 0
        var lookupShift: UInt64 = 0
        /// The key is at most 16 bytes, none of them a quote, a backslash or a control byte:
        /// its raw bytes in a line are the key itself, so it can be matched in place
        /// (`matchesKey`).
        var matchable = false
        /// Masks that keep the key's bytes of two words loaded from where a key starts.
        var mask0: UInt64 = 0
        var mask1: UInt64 = 0
    }

    private(set) var nodes: [Node] = []
    private(set) var keyBytes: [UInt8] = []
    /// Field indices, referenced by the nodes' leaf and subtree ranges.
    private(set) var fieldIDs: [Int] = []
    /// Child node ids by key hash (-1: none), per parent; see `Node.lookupStart`.
    private(set) var lookup: [Int32] = []
    /// The longest path, in keys: bounds the depth of objects the scanner must track.
    let pathLengthMax: Int

    init(paths: [[String]]) {
        pathLengthMax = paths.map(\.count).max() ?? 0
        // A nested trie is simplest to build; it is flattened breadth-first below.
        var keys: [[UInt8]] = [[]]
        var children: [[Int]] = [[]]
        var leaves: [[Int]] = [[]]
        var subtrees: [[Int]] = [[]]
        for (field, path) in paths.enumerated() {
            precondition(!path.isEmpty, "field \(field) has an empty JSON path")
            var node = 0
            subtrees[0].append(field)
            for key in path {
                let bytes = Array(key.utf8)
                if let found = children[node].first(where: { keys[$0] == bytes }) {
                    node = found
                } else {
                    keys.append(bytes)
                    children.append([])
                    leaves.append([])
                    subtrees.append([])
                    children[node].append(keys.count - 1)
                    node = keys.count - 1
                }
                subtrees[node].append(field)
            }
            leaves[node].append(field)
        }
        flatten(keys: keys, children: children, leaves: leaves, subtrees: subtrees)
    }

    private mutating func flatten(
        keys: [[UInt8]], children: [[Int]], leaves: [[Int]], subtrees: [[Int]]
    ) {
        var order = [0]
        var position = 0
        while position < order.count {
            order.append(contentsOf: children[order[position]])
            position += 1
        }
        var newID = [Int](repeating: 0, count: order.count)
        for (id, old) in order.enumerated() { newID[old] = id }
        for old in order {
            var node = Node()
            node.keyStart = keyBytes.count
            node.keyCount = keys[old].count
            keyBytes.append(contentsOf: keys[old])
            node.matchable = !keys[old].isEmpty && keys[old].count <= 16
                && keys[old].allSatisfy { $0 >= 0x20 && $0 != ASCII.quote && $0 != ASCII.backslash }
            for i in 0..<min(16, keys[old].count) {
                if i < 8 { node.mask0 |= 0xFF << (8 * UInt64(i)) } else { node.mask1 |= 0xFF << (8 * UInt64(i - 8)) }
            }
            for (i, byte) in keys[old].prefix(16).enumerated() {
                if i < 8 { node.word0 |= UInt64(byte) << (8 * UInt64(i)) } else { node.word1 |= UInt64(byte) << (8 * UInt64(i - 8)) }
            }
            node.childStart = children[old].first.map { newID[$0] } ?? 0
            node.childEnd = node.childStart + children[old].count
            node.leafStart = fieldIDs.count
            fieldIDs.append(contentsOf: leaves[old])
            node.leafEnd = fieldIDs.count
            node.subtreeStart = fieldIDs.count
            fieldIDs.append(contentsOf: subtrees[old])
            node.subtreeEnd = fieldIDs.count
            nodes.append(node)
        }
        for id in nodes.indices { buildLookup(id) }
    }

    @inline(__always)
    static func keyHash(_ w0: UInt64, _ w1: UInt64, _ count: Int) -> UInt64 {
        w0 ^ (w1 &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: count) &* 0xC2B2_AE3D_27D4_EB4F
    }

    /// Finds a multiplier that sends the node's children (keys of at most 16 bytes) to
    /// distinct slots of a table of 2…256 slots; leaves the node without a table if none does.
    private mutating func buildLookup(_ id: Int) {
        let node = nodes[id]
        let children = (node.childStart..<node.childEnd).filter { nodes[$0].keyCount <= 16 }
        guard !children.isEmpty else { return }
        let hashes = children.map { Self.keyHash(nodes[$0].word0, nodes[$0].word1, nodes[$0].keyCount) }
        var bits = 1
        while (1 << bits) < 2 * children.count { bits += 1 }
        var rng: UInt64 = 0x2545_F491_4F6C_DD1D
        while bits <= 8 {
            for _ in 0..<200 {
                rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let multiplier = rng | 1
                let shift = UInt64(64 - bits)
                var table = [Int32](repeating: -1, count: 1 << bits)
                var collided = false
                for (child, hash) in zip(children, hashes) {
                    let slot = Int(truncatingIfNeeded: (hash &* multiplier) >> shift)
                    if table[slot] >= 0 {
                        collided = true
                        break
                    }
                    table[slot] = Int32(child)
                }
                if collided { continue }
                nodes[id].lookupStart = lookup.count
                nodes[id].lookupMultiplier = multiplier
                nodes[id].lookupShift = shift
                lookup.append(contentsOf: table)
                return
            }
            bits += 1
        }
    }

    /// The child of `node` whose key equals `key` (unescaped UTF-8), or -1.
    func child(of node: Int, key: UnsafeRawBufferPointer) -> Int {
        let parent = nodes[node]
        var candidate = parent.childStart
        while candidate < parent.childEnd {
            let entry = nodes[candidate]
            if entry.keyCount == key.count && keyMatches(entry, key) { return candidate }
            candidate += 1
        }
        return -1
    }

    /// `child(of:key:)` for the key at `start..<end` of `line`, comparing whole words when the
    /// key is at most 16 bytes and 16 bytes can be read from `start` (the scanner's case: a key
    /// is followed by at least `":` and a value).
    @inline(__always)
    func child(of node: Int, line: UnsafeRawBufferPointer, start: Int, end: Int) -> Int {
        let count = end - start
        guard count <= 16, start + 16 <= line.count, let base = line.baseAddress else {
            return child(of: node, key: UnsafeRawBufferPointer(rebasing: line[start..<end]))
        }
        var w0 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        var w1 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self))
        if count < 8 {
            w0 &= count == 0 ? 0 : ~UInt64(0) >> UInt64(64 - 8 * count)
            w1 = 0
        } else if count < 16 {
            w1 &= count == 8 ? 0 : ~UInt64(0) >> UInt64(128 - 8 * count)
        }
        return nodes.withUnsafeBufferPointer { nodes in
            let parent = nodes[node]
            if parent.lookupShift != 0 {
                let slot = Int(truncatingIfNeeded: (Self.keyHash(w0, w1, count) &* parent.lookupMultiplier) >> parent.lookupShift)
                let candidate = Int(lookup[parent.lookupStart + slot])
                guard candidate >= 0 else { return -1 }
                let entry = nodes[candidate]
                return entry.keyCount == count && entry.word0 == w0 && entry.word1 == w1 ? candidate : -1
            }
            var candidate = parent.childStart
            while candidate < parent.childEnd {
                let entry = nodes[candidate]
                if entry.keyCount == count && entry.word0 == w0 && entry.word1 == w1 { return candidate }
                candidate += 1
            }
            return -1
        }
    }

    /// Whether the string at `quote` (its opening quote) in `line` is exactly the key of
    /// `node` (a `matchable` one): its bytes, then the closing quote. Reads 16 bytes after the
    /// quote, so the caller checks `quote + 17 < line.count`.
    @inline(__always)
    static func matchesKey(_ node: Node, line base: UnsafeRawPointer, quote: Int) -> Bool {
        let w0 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: quote &+ 1, as: UInt64.self))
        let w1 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: quote &+ 9, as: UInt64.self))
        return (w0 & node.mask0) == node.word0 && (w1 & node.mask1) == node.word1
            && base.load(fromByteOffset: quote &+ 1 &+ node.keyCount, as: UInt8.self) == ASCII.quote
    }

    @inline(__always)
    private func keyMatches(_ entry: Node, _ key: UnsafeRawBufferPointer) -> Bool {
        keyBytes.withUnsafeBufferPointer { pool in
            var offset = 0
            while offset < key.count {
                if pool[entry.keyStart + offset] != key[offset] { return false }
                offset += 1
            }
            return true
        }
    }
}
