/// The values of one column for the row group being built: definition levels for nullable
/// columns, and the non-null values densely in the array of the column's physical type.
///
/// The per-value appends are inlinable (with the storage they touch), so that a caller in
/// another module — silver's row loop — runs them in place instead of calling into this
/// module once per value (those calls were ~16% of silver's thread).
@usableFromInline
final class ColumnBuffer {
    @usableFromInline let column: Column
    @usableFromInline let nullable: Bool
    @usableFromInline let physicalType: PhysicalType
    @usableFromInline var rowCount = 0
    @usableFromInline var nullCount = 0
    /// 1 for a value, 0 for a null; only for nullable columns.
    @usableFromInline let defined = GrowableArray<UInt8>()
    @usableFromInline let booleans = GrowableArray<Bool>()
    @usableFromInline let int32s = GrowableArray<Int32>()
    @usableFromInline let int64s = GrowableArray<Int64>()
    @usableFromInline let floats = GrowableArray<Float>()
    @usableFromInline let doubles = GrowableArray<Double>()
    /// BYTE_ARRAY values back to back; `ends[i]` is where value i ends in `bytes`.
    @usableFromInline let bytes = GrowableArray<UInt8>()
    @usableFromInline let ends = GrowableArray<Int>()

    init(column: Column) {
        self.column = column
        nullable = column.nullable
        physicalType = column.type
    }

    var valueCount: Int { rowCount - nullCount }

    @inlinable @inline(__always) func defineValue() {
        rowCount += 1
        if nullable { defined.append(1) }
    }

    @inlinable @inline(__always) func appendNull() {
        precondition(nullable, "null appended to REQUIRED column \(column.name)")
        rowCount += 1
        nullCount += 1
        defined.append(0)
    }

    @inlinable @inline(__always) func append(_ v: Bool) {
        assert(physicalType == .boolean)
        booleans.append(v)
        defineValue()
    }

    @inlinable @inline(__always) func append(_ v: Int32) {
        assert(physicalType == .int32)
        int32s.append(v)
        defineValue()
    }

    @inlinable @inline(__always) func append(_ v: Int64) {
        assert(physicalType == .int64)
        int64s.append(v)
        defineValue()
    }

    @inlinable @inline(__always) func append(_ v: Float) {
        assert(physicalType == .float)
        floats.append(v)
        defineValue()
    }

    @inlinable @inline(__always) func append(_ v: Double) {
        assert(physicalType == .double)
        doubles.append(v)
        defineValue()
    }

    @inlinable @inline(__always) func append(_ v: UnsafeRawBufferPointer) {
        assert(physicalType == .byteArray)
        bytes.append(bytes: v)
        ends.append(bytes.count)
        defineValue()
    }

    /// Appends rows `rows` of a column read back from a file (bulk: one type dispatch).
    func append(_ data: ColumnData, rows: Range<Int>) {
        guard !rows.isEmpty else { return }
        let validity = data.validity
        if let validity {
            precondition(column.nullable || !validity[rows].contains(false), "null in REQUIRED column \(column.name)")
        }
        func present(_ row: Int) -> Bool { validity?[row] ?? true }
        if column.nullable {
            for row in rows { defined.append(present(row) ? 1 : 0) }
        }
        let nulls = validity.map { v in rows.reduce(0) { $0 + (v[$1] ? 0 : 1) } } ?? 0
        rowCount += rows.count
        nullCount += nulls
        func copy<T>(_ source: [T], into target: GrowableArray<T>) {
            if nulls == 0 {
                source.withUnsafeBufferPointer { target.append(copying: UnsafeBufferPointer(rebasing: $0[rows])) }
            } else {
                for row in rows where present(row) { target.append(source[row]) }
            }
        }
        switch data.values {
        case .boolean(let v): copy(v, into: booleans)
        case .int32(let v): copy(v, into: int32s)
        case .int64(let v): copy(v, into: int64s)
        case .float(let v): copy(v, into: floats)
        case .double(let v): copy(v, into: doubles)
        case .bytes(let v):
            v.data.withUnsafeBytes { all in
                for row in rows where present(row) {
                    bytes.append(bytes: UnsafeRawBufferPointer(rebasing: all[v.range(row)]))
                    ends.append(bytes.count)
                }
            }
        }
    }

    /// Byte range of BYTE_ARRAY value `i` in `bytes`.
    @inline(__always) func range(_ i: Int) -> Range<Int> {
        (i == 0 ? 0 : ends[i - 1])..<ends[i]
    }

    /// Bytes the buffer's storage holds (its capacity), whatever it currently uses.
    var capacityBytes: Int {
        defined.capacity + booleans.capacity + 4 * int32s.capacity + 8 * int64s.capacity
            + 4 * floats.capacity + 8 * doubles.capacity + bytes.capacity + 8 * ends.capacity
    }

    func reset() {
        rowCount = 0
        nullCount = 0
        defined.removeAll()
        booleans.removeAll()
        int32s.removeAll()
        int64s.removeAll()
        floats.removeAll()
        doubles.removeAll()
        bytes.removeAll()
        ends.removeAll()
    }
}
