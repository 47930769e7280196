/// One value of a gold row, owned (group keys, output rows, the top rows kept): built per
/// group or per output row, never per silver row.
public enum GoldValue: Hashable, Sendable {
    case null
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)
    /// UTC microseconds.
    case timestamp(Int64)

    /// Row `row` of a batch column of type `type`.
    static func read(_ view: ColumnView, _ row: Int, _ type: GoldType) -> GoldValue {
        if view.isNull(row) { return .null }
        switch type {
        case .int64: return .int(view.int(row))
        case .double: return .double(view.double(row))
        case .bool: return .bool(view.bool(row))
        case .timestamp: return .timestamp(view.int(row))
        case .string: return .string(String(decoding: view.string(row), as: UTF8.self))
        }
    }

    /// Sets this value as column `column` of the row being built in `batch`.
    func write(to batch: RowBatch, column: Int) {
        switch self {
        case .null: batch.setNull(column)
        case .int(let v), .timestamp(let v): batch.set(column, int: v)
        case .double(let v): batch.set(column, double: v)
        case .bool(let v): batch.set(column, bool: v)
        case .string(let s):
            var s = s
            s.withUTF8 { batch.set(column, string: UnsafeRawBufferPointer($0)) }
        }
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }
}

/// The group columns of a row as bytes: per column a presence byte (0 null, 1 value), then a
/// string's UInt32 length and bytes or a number's 8 bytes, little-endian. Rows are grouped by
/// these bytes without building a value per row; a group's key is made once per batch.
struct GroupKey: Hashable, Sendable {
    var bytes: [UInt8]

    static let empty = GroupKey(bytes: [])

    /// The bytes in one call: the synthesized hash fed the hasher a byte at a time.
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }

    /// The values the key holds, given the group columns' types.
    func values(_ types: [GoldType]) -> [GoldValue] {
        var out: [GoldValue] = []
        var p = 0
        for type in types {
            guard p < bytes.count, bytes[p] == 1 else {
                out.append(.null)
                p += 1
                continue
            }
            p += 1
            if type == .string {
                var n = 0
                for k in 0..<4 { n |= Int(bytes[p + k]) << (8 * k) }
                out.append(.string(String(decoding: bytes[(p + 4)..<(p + 4 + n)], as: UTF8.self)))
                p += 4 + n
            } else {
                var w: UInt64 = 0
                for k in 0..<8 { w |= UInt64(bytes[p + k]) << (8 * UInt64(k)) }
                switch type {
                case .int64: out.append(.int(Int64(bitPattern: w)))
                case .timestamp: out.append(.timestamp(Int64(bitPattern: w)))
                case .double: out.append(.double(Double(bitPattern: w)))
                case .bool: out.append(.bool(w != 0))
                case .string: break
                }
                p += 8
            }
        }
        return out
    }

    /// Appends row `row`'s key bytes for `columns` (of `views`) to `out`.
    @inline(__always)
    static func append(
        row: Int, columns: [Int], types: [GoldType], views: UnsafePointer<ColumnView>, to out: inout [UInt8]
    ) {
        for k in 0..<columns.count {
            let v = views[columns[k]]
            if v.isNull(row) {
                out.append(0)
                continue
            }
            if types[k] == .string {
                let s = v.string(row)
                out.append(1)
                withUnsafeBytes(of: UInt32(s.count).littleEndian) { out.append(contentsOf: $0) }
                out.append(contentsOf: s)
            } else {
                out.append(1)
                withUnsafeBytes(of: v.words[row].littleEndian) { out.append(contentsOf: $0) }
            }
        }
    }
}
