/// Byte-array values back to back: value `i` is `data[start(i)..<ends[i]]`.
public struct ByteArrays: Sendable, Equatable {
    public var data: [UInt8] = []
    public var ends: [Int] = []

    public init() {}

    public var count: Int { ends.count }

    public func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

    public subscript(i: Int) -> ArraySlice<UInt8> { data[range(i)] }

    public func string(_ i: Int) -> String { String(decoding: self[i], as: UTF8.self) }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        data.append(contentsOf: bytes)
        ends.append(data.count)
    }

    mutating func appendEmpty() { ends.append(data.count) }
}

/// A column's values in physical type. Arrays are full length: one slot per row, with a
/// zero / empty placeholder where the row is null.
public enum ColumnValues: Sendable, Equatable {
    case boolean([Bool])
    case int32([Int32])
    case int64([Int64])
    case float([Float])
    case double([Double])
    case bytes(ByteArrays)
}

/// One column chunk read back: values plus which rows are null.
public struct ColumnData: Sendable, Equatable {
    public var column: Column
    public var rowCount: Int
    /// `nil` when every row has a value; otherwise false marks a null row.
    public var validity: [Bool]?
    public var values: ColumnValues

    public func isNull(_ row: Int) -> Bool { validity.map { !$0[row] } ?? false }
}
