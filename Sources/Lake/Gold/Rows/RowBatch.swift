/// The value types gold works with: silver's column types, and booleans for predicates.
/// SQLite stores booleans as 0/1 integers and timestamps as ISO-8601 text; Parquet stores
/// booleans as INT32 0/1 (so the two copies of a gold table hold the same values) and
/// timestamps as TIMESTAMP(UTC, micros).
public enum GoldType: String, Sendable, Equatable {
    case int64, double, bool, string, timestamp

    var isNumeric: Bool { self == .int64 || self == .double }
}

/// One column of a `RowBatch` as raw pointers, valid while the batch is neither appended to
/// nor freed: what compiled expressions read, without reference counting or bounds checks.
/// Numbers, booleans (0/1) and timestamps are 64-bit words (a double as its bit pattern);
/// strings are bytes back to back with each row's end offset.
public struct ColumnView {
    public var words: UnsafeMutablePointer<UInt64>
    /// 1 where the row has a value, 0 where it is null.
    public var valid: UnsafeMutablePointer<UInt8>
    public var ends: UnsafeMutablePointer<Int>
    public var bytes: UnsafeMutableRawPointer

    @inline(__always) public func isNull(_ row: Int) -> Bool { valid[row] == 0 }
    @inline(__always) public func int(_ row: Int) -> Int64 { Int64(bitPattern: words[row]) }
    @inline(__always) public func double(_ row: Int) -> Double { Double(bitPattern: words[row]) }
    @inline(__always) public func bool(_ row: Int) -> Bool { words[row] != 0 }

    /// Row `row`'s string bytes (valid while the batch is alive and not appended to).
    @inline(__always) public func string(_ row: Int) -> UnsafeRawBufferPointer {
        let start = row == 0 ? 0 : ends[row - 1]
        return UnsafeRawBufferPointer(start: bytes + start, count: ends[row] - start)
    }
}

/// Rows in columns, as gold reads them: from silver's Parquet files or from the rows silver
/// hands over in memory (`SilverFeed`). Storage of a fixed row capacity, allocated once and
/// reused (`removeAll`); string bytes grow geometrically.
public final class RowBatch {
    public let types: [GoldType]
    public let capacity: Int
    public private(set) var count = 0
    /// One view per column (see `ColumnView`); `views[i]` is column `i`.
    public let views: UnsafeMutablePointer<ColumnView>
    private var byteCapacities: [Int]
    /// A watermark every row of this batch and every row after it is above (silver's
    /// watermark when the batch's last row was accepted: `lake run all`'s feed); `Int64.min`
    /// when not known. Gold closes early what it has passed (`GoldTableState.advance`).
    public var watermark = Int64.min
    /// Changes whenever rows are added or dropped (`BatchMasks` evaluates a batch once per version).
    public private(set) var version = 0

    public init(types: [GoldType], capacity: Int) {
        self.types = types
        self.capacity = max(1, capacity)
        views = .allocate(capacity: max(1, types.count))
        byteCapacities = types.map { $0 == .string ? 16 * max(1, capacity) : 0 }
        for i in 0..<types.count {
            let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(8, byteCapacities[i]), alignment: 8)
            let view = ColumnView(
                words: .allocate(capacity: self.capacity), valid: .allocate(capacity: self.capacity),
                ends: .allocate(capacity: self.capacity), bytes: bytes)
            (views + i).initialize(to: view)
        }
    }

    deinit {
        for i in 0..<types.count {
            views[i].words.deallocate()
            views[i].valid.deallocate()
            views[i].ends.deallocate()
            views[i].bytes.deallocate()
        }
        views.deallocate()
    }

    public var isFull: Bool { count == capacity }
    public var columnCount: Int { types.count }

    /// Drops every row, keeping the storage.
    public func removeAll() {
        count = 0
        watermark = Int64.min
        version &+= 1
    }

    /// Bytes of string column `column` in use.
    public func byteCount(_ column: Int) -> Int { count == 0 ? 0 : views[column].ends[count - 1] }

    /// The byte capacity of the largest string column (a feed drops batches that grew large).
    public var largestByteCapacity: Int { byteCapacities.max() ?? 0 }

    // MARK: appending a row: set every column, then `endRow`

    @inline(__always) public func setNull(_ column: Int) {
        let v = views[column]
        v.valid[count] = 0
        v.words[count] = 0
        if types[column] == .string { v.ends[count] = byteCount(column) }
    }

    @inline(__always) public func set(_ column: Int, word: UInt64) {
        let v = views[column]
        v.valid[count] = 1
        v.words[count] = word
    }

    @inline(__always) public func set(_ column: Int, int value: Int64) { set(column, word: UInt64(bitPattern: value)) }
    @inline(__always) public func set(_ column: Int, double value: Double) { set(column, word: value.bitPattern) }
    @inline(__always) public func set(_ column: Int, bool value: Bool) { set(column, word: value ? 1 : 0) }

    @inline(__always) public func set(_ column: Int, string value: UnsafeRawBufferPointer) {
        let start = byteCount(column)
        let n = value.count
        if start + n > byteCapacities[column] { growBytes(column, to: start + n) }
        let v = views[column]
        if n > 0 { (v.bytes + start).copyMemory(from: value.baseAddress!, byteCount: n) }
        v.ends[count] = start + n
        v.valid[count] = 1
        v.words[count] = 0
    }

    /// Ends the row whose columns were just set.
    @inline(__always) public func endRow() {
        precondition(count < capacity, "append to a full row batch")
        count += 1
        version &+= 1
    }

    // MARK: filling whole columns (rows read from Parquet): `removeAll`, one `load…` per
    // column for the same `n` rows, then `endRows(n)`

    @inline(__always)
    func loadWords(_ column: Int, rows n: Int, isNull: (Int) -> Bool, word: (Int) -> UInt64) {
        precondition(count == 0 && n <= capacity, "load into a batch that is not empty")
        let v = views[column]
        for i in 0..<n {
            let null = isNull(i)
            v.valid[i] = null ? 0 : 1
            v.words[i] = null ? 0 : word(i)
        }
    }

    @inline(__always)
    func loadStrings(_ column: Int, rows n: Int, isNull: (Int) -> Bool, bytes: (Int) -> UnsafeRawBufferPointer) {
        precondition(count == 0 && n <= capacity, "load into a batch that is not empty")
        var end = 0
        for i in 0..<n {
            let null = isNull(i)
            let b = null ? UnsafeRawBufferPointer(start: nil, count: 0) : bytes(i)
            if end + b.count > byteCapacities[column] { growBytes(column, to: end + b.count, keeping: end) }
            let v = views[column]
            if b.count > 0 { (v.bytes + end).copyMemory(from: b.baseAddress!, byteCount: b.count) }
            end += b.count
            v.ends[i] = end
            v.valid[i] = null ? 0 : 1
            v.words[i] = 0
        }
    }

    /// The `n` rows every column was loaded with are now the batch's rows.
    func endRows(_ n: Int) {
        precondition(count == 0 && n <= capacity, "endRows after rows were appended")
        count = n
        version &+= 1
    }

    private func growBytes(_ column: Int, to needed: Int, keeping used: Int) {
        var c = max(16, byteCapacities[column])
        while c < needed { c *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 8)
        grown.copyMemory(from: views[column].bytes, byteCount: used)
        views[column].bytes.deallocate()
        views[column].bytes = grown
        byteCapacities[column] = c
    }

    private func growBytes(_ column: Int, to needed: Int) {
        growBytes(column, to: needed, keeping: byteCount(column))
    }
}
