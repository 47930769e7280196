/// Output rows of one gold table, one after the other in a single array of values (`width`
/// values a row, in the table's column order).
///
/// Rows were an array each: an allocation per row on gold's thread, freed on the committer's
/// (one malloc arena, so the two took turns on its lock), and a reference count that the
/// committer and the thread writing the rows' Parquet both touched for every row
/// (bench/NOTES.md, session 23).
struct GoldRowList: Sendable {
    let width: Int
    var values: [GoldValue] = []

    init(width: Int) { self.width = width }

    var count: Int { width == 0 ? 0 : values.count / width }
    var isEmpty: Bool { values.isEmpty }

    subscript(row: Int, column: Int) -> GoldValue {
        get { values[row * width + column] }
        set { values[row * width + column] = newValue }
    }

    /// The values of row `row` (indexed from `row * width`, as slices are).
    func row(_ row: Int) -> ArraySlice<GoldValue> { values[(row * width)..<((row + 1) * width)] }

    mutating func append<C: Collection>(_ row: C) where C.Element == GoldValue {
        precondition(row.count == width, "a row of \(row.count) values for \(width) columns")
        values.append(contentsOf: row)
    }

    /// Appends a copy of row `row` of `other` (of the same width).
    mutating func append(row: Int, of other: GoldRowList) {
        precondition(other.width == width, "rows of \(other.width) values for \(width) columns")
        values.append(contentsOf: other.values[(row * width)..<((row + 1) * width)])
    }

    /// Appends a copy of this list's row `row`.
    mutating func appendCopy(ofRow row: Int) {
        for c in (row * width)..<((row + 1) * width) { values.append(values[c]) }
    }

    mutating func append(contentsOf other: GoldRowList) {
        precondition(other.width == width, "rows of \(other.width) values for \(width) columns")
        values.append(contentsOf: other.values)
    }
}

/// Output rows in key order: the start of their window or session, then their key values.
/// Rows are sorted by index on the first column's integer value (a start time), comparing
/// whole values only on ties; the order is then applied in place, cycle by cycle, by swapping
/// values (a sorted copy touched as much fresh memory again, and copied every value).
func sortRows(_ rows: inout GoldRowList, by columns: [Int]) {
    let n = rows.count, width = rows.width
    guard n > 1, let first = columns.first else { return }
    var order = Array(0..<n)
    var sorted = true
    rows.values.withUnsafeBufferPointer { v in
        let lead: [Int64] = (0..<n).map { row in
            switch v[row * width + first] {
            case .int(let x), .timestamp(let x): x
            default: 0
            }
        }
        func precedes(_ a: Int, _ b: Int) -> Bool {
            if lead[a] != lead[b] { return lead[a] < lead[b] }
            for c in columns {
                let o = GoldValue.compare(v[a * width + c], v[b * width + c])
                if o != 0 { return o < 0 }
            }
            return a < b
        }
        for row in 1..<n where !precedes(row - 1, row) {
            sorted = false
            break
        }
        if !sorted { order.sort(by: precedes) }
    }
    if sorted { return }
    // Position p gets row order[p]: follow each cycle, swapping the row at each position
    // with the one that belongs there. Rows are swapped as bytes: a GoldValue moves bitwise
    // (no copy, no reference count), which value-by-value swaps did through its witnesses.
    let rowBytes = width * MemoryLayout<GoldValue>.stride
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: rowBytes, alignment: MemoryLayout<GoldValue>.alignment)
    defer { scratch.deallocate() }
    rows.values.withUnsafeMutableBytes { bytes in
        guard let base = bytes.baseAddress else { return }
        for start in 0..<n where order[start] != start {
            var p = start
            while order[p] != start {
                let q = order[p]
                let a = base + p * rowBytes, b = base + q * rowBytes
                scratch.copyMemory(from: a, byteCount: rowBytes)
                a.copyMemory(from: b, byteCount: rowBytes)
                b.copyMemory(from: scratch, byteCount: rowBytes)
                order[p] = p
                p = q
            }
            order[p] = p
        }
    }
}

/// Whether row `i` of `a` sorts strictly before row `j` of `b` by `columns` (`sortRows`' order).
func rowPrecedes(_ a: GoldRowList, _ i: Int, _ b: GoldRowList, _ j: Int, by columns: [Int]) -> Bool {
    for c in columns {
        let o = GoldValue.compare(a[i, c], b[j, c])
        if o != 0 { return o < 0 }
    }
    return false
}
