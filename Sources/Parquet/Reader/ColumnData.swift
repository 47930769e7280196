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

/// One column chunk read back as its dictionary: the distinct values once, and for every
/// present row the index of its value. Readers that group or look rows up by value (gold by
/// user) skip building a value per row.
public struct DictionaryIndexedColumn: Sendable {
    public var column: Column
    public var rowCount: Int
    /// `nil` when every row has a value; otherwise false marks a null row (it has no index).
    public var validity: [Bool]?
    /// The dictionary's entries, in dictionary order.
    public var dictionary: ColumnValues
    /// One index into `dictionary` per present row, in row order.
    public var indices: [UInt32]
}

extension ColumnValues {
    /// The number of values.
    public var count: Int {
        switch self {
        case .boolean(let v): v.count
        case .int32(let v): v.count
        case .int64(let v): v.count
        case .float(let v): v.count
        case .double(let v): v.count
        case .bytes(let v): v.count
        }
    }

    static func empty(_ type: PhysicalType) -> ColumnValues {
        switch type {
        case .boolean: .boolean([])
        case .int32: .int32([])
        case .int64: .int64([])
        case .float: .float([])
        case .double: .double([])
        case .byteArray, .fixedLenByteArray, .int96: .bytes(ByteArrays())
        }
    }
}
