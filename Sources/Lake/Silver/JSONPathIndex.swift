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
    }

    private(set) var nodes: [Node] = []
    private(set) var keyBytes: [UInt8] = []
    /// Field indices, referenced by the nodes' leaf and subtree ranges.
    private(set) var fieldIDs: [Int] = []
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
            var candidate = parent.childStart
            while candidate < parent.childEnd {
                let entry = nodes[candidate]
                if entry.keyCount == count && entry.word0 == w0 && entry.word1 == w1 { return candidate }
                candidate += 1
            }
            return -1
        }
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
