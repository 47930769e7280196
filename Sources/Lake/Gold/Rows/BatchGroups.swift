import Foundation

/// A batch's selected rows grouped by their group-key bytes: each distinct key once, with its
/// rows in batch order. Built with an open-addressing table over the batch (no value or
/// allocation per row once the scratch arrays have grown), so the table state is looked up
/// once per group and batch instead of once per row.
final class BatchGroups {
    /// Key bytes of every selected row, back to back, and where each row's bytes end.
    private var keyBytes: [UInt8] = []
    private var keyEnds: [Int] = []
    private var table: [Int32] = []
    private var groupOf: [Int32] = []
    private var firstRow: [Int32] = []
    /// The selected rows' batch indices.
    private(set) var rows: [Int32] = []
    /// The selected rows' batch indices ordered by group (batch order within a group).
    private(set) var order: [Int32] = []
    /// Group g's rows are `order[starts[g]..<starts[g + 1]]`.
    private(set) var starts: [Int] = []
    private(set) var groupCount = 0

    /// Groups the rows of `batch` for which `keep` is true by `columns`.
    func build(
        batch: RowBatch, columns: [Int], types: [GoldType], keep: (Int) -> Bool
    ) {
        keyBytes.removeAll(keepingCapacity: true)
        keyEnds.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        let views = UnsafePointer(batch.views)
        if columns.isEmpty {
            // One group (an empty key) of every kept row: nothing to hash.
            for row in 0..<batch.count where keep(row) { rows.append(Int32(row)) }
            keyEnds.append(0)
            firstRow.removeAll(keepingCapacity: true)
            firstRow.append(0)
            groupCount = rows.isEmpty ? 0 : 1
            starts.removeAll(keepingCapacity: true)
            starts.append(contentsOf: [0, rows.count])
            order.removeAll(keepingCapacity: true)
            order.append(contentsOf: rows)
            return
        }
        for row in 0..<batch.count where keep(row) {
            GroupKey.append(row: row, columns: columns, types: types, views: views, to: &keyBytes)
            keyEnds.append(keyBytes.count)
            rows.append(Int32(row))
        }
        let n = rows.count
        var bits = 4
        while (1 << bits) < 2 * max(1, n) { bits += 1 }
        let mask = (1 << bits) - 1
        table.removeAll(keepingCapacity: true)
        table.append(contentsOf: repeatElement(0, count: 1 << bits))
        groupOf.removeAll(keepingCapacity: true)
        firstRow.removeAll(keepingCapacity: true)
        groupCount = 0
        keyBytes.withUnsafeBytes { bytes in
            for i in 0..<n {
                let r = range(i)
                let key = UnsafeRawBufferPointer(rebasing: bytes[r])
                var slot = Int(truncatingIfNeeded: Self.hash(key) >> UInt64(64 - bits))
                while true {
                    let g = Int(table[slot])
                    if g == 0 {
                        groupCount += 1
                        table[slot] = Int32(groupCount)
                        firstRow.append(Int32(i))
                        groupOf.append(Int32(groupCount - 1))
                        break
                    }
                    let other = UnsafeRawBufferPointer(rebasing: bytes[range(Int(firstRow[g - 1]))])
                    if other.count == key.count && (key.isEmpty || memcmp(other.baseAddress!, key.baseAddress!, key.count) == 0) {
                        groupOf.append(Int32(g - 1))
                        break
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        starts.removeAll(keepingCapacity: true)
        starts.append(contentsOf: repeatElement(0, count: groupCount + 1))
        for g in groupOf { starts[Int(g) + 1] += 1 }
        for g in 0..<groupCount { starts[g + 1] += starts[g] }
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: repeatElement(0, count: n))
        var next = starts
        for i in 0..<n {
            let g = Int(groupOf[i])
            order[next[g]] = rows[i]
            next[g] += 1
        }
    }

    private func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : keyEnds[i - 1])..<keyEnds[i] }

    /// Group g's key (made once per group and batch).
    func key(_ g: Int) -> GroupKey { GroupKey(bytes: Array(keyBytes[range(Int(firstRow[g]))])) }

    /// Calls `body` with the batch row of each of group g's rows, in batch order.
    @inline(__always)
    func forEachRow(of g: Int, _ body: (Int) throws -> Void) rethrows {
        for position in starts[g]..<starts[g + 1] { try body(Int(order[position])) }
    }

    /// Group g's batch rows, in batch order.
    @inline(__always)
    func withRows<R>(of g: Int, _ body: (UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
        try order.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[starts[g]..<starts[g + 1]])) }
    }

    /// A hash of a short byte string from a few word loads; its high bits are the mixed ones.
    @inline(__always)
    static func hash(_ b: UnsafeRawBufferPointer) -> UInt64 {
        let n = b.count
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        var i = 0
        while i + 8 <= n {
            h = (h ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            if n >= 8 {
                tail = b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            } else {
                for k in i..<n { tail = tail << 8 | UInt64(b[k]) }
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        return h ^ (h >> 29)
    }
}
