import Parquet

/// One value of a test table, compared bit for bit: floats are kept as bit patterns so that NaN
/// equals itself and -0.0 differs from +0.0.
enum Cell: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case i32(Int32)
    case i64(Int64)
    case f32(UInt32)
    case f64(UInt64)
    case bytes([UInt8])

    static func float(_ v: Float) -> Cell { .f32(v.bitPattern) }
    static func double(_ v: Double) -> Cell { .f64(v.bitPattern) }
    static func string(_ s: String) -> Cell { .bytes(Array(s.utf8)) }

    init(_ stat: StatValue) {
        switch stat {
        case .boolean(let v): self = .bool(v)
        case .int32(let v): self = .i32(v)
        case .int64(let v): self = .i64(v)
        case .float(let v): self = .float(v)
        case .double(let v): self = .double(v)
        case .bytes(let v): self = .bytes(v)
        }
    }

    var isNull: Bool { self == .null }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let v): return "\(v)"
        case .i32(let v): return "\(v)i32"
        case .i64(let v): return "\(v)i64"
        case .f32(let v): return "\(Float(bitPattern: v))f"
        case .f64(let v): return "\(Double(bitPattern: v))"
        case .bytes(let v):
            if let s = String(validating: v, as: UTF8.self) { return "\"\(s)\"" }
            return "0x" + v.map { String($0, radix: 16) }.joined()
        }
    }

    /// Appends this cell to column `column` of the row being written.
    func append(to w: ParquetWriter, column: Int) {
        switch self {
        case .null: w.appendNull(column)
        case .bool(let v): w.append(column, v)
        case .i32(let v): w.append(column, v)
        case .i64(let v): w.append(column, v)
        case .f32(let v): w.append(column, Float(bitPattern: v))
        case .f64(let v): w.append(column, Double(bitPattern: v))
        case .bytes(let v): w.append(column, bytes: v)
        }
    }
}

extension ColumnData {
    /// The column's values as cells, `.null` where the row is null.
    var cells: [Cell] {
        (0..<rowCount).map { row in
            if isNull(row) { return .null }
            switch values {
            case .boolean(let v): return .bool(v[row])
            case .int32(let v): return .i32(v[row])
            case .int64(let v): return .i64(v[row])
            case .float(let v): return .float(v[row])
            case .double(let v): return .double(v[row])
            case .bytes(let v): return .bytes(Array(v[row]))
            }
        }
    }
}

/// Min, max and null count as cells, so statistics compare bit for bit.
struct StatCells: Equatable, CustomStringConvertible {
    var nullCount: Int64
    var min: Cell?
    var max: Cell?

    init(nullCount: Int64, min: Cell?, max: Cell?) {
        self.nullCount = nullCount
        self.min = min
        self.max = max
    }

    init(_ s: ColumnStatistics) {
        self.init(nullCount: s.nullCount, min: s.min.map(Cell.init), max: s.max.map(Cell.init))
    }

    var description: String {
        "nulls \(nullCount) min \(min?.description ?? "nil") max \(max?.description ?? "nil")"
    }

    /// What the statistics of `cells` must be, computed the slow obvious way: nulls counted,
    /// NaN ignored, a zero minimum is -0.0 and a zero maximum +0.0, bytes compared unsigned.
    static func bruteForce<C: Collection>(_ cells: C) -> StatCells where C.Element == Cell {
        var result = StatCells(nullCount: 0, min: nil, max: nil)
        for cell in cells {
            if cell.isNull {
                result.nullCount += 1
                continue
            }
            if cell.isNaN { continue }
            if result.min == nil || less(cell, result.min!) { result.min = cell }
            if result.max == nil || less(result.max!, cell) { result.max = cell }
        }
        result.min = result.min.map { $0.signedZero(negative: true) }
        result.max = result.max.map { $0.signedZero(negative: false) }
        return result
    }

    /// The order Parquet statistics use for each physical type.
    static func less(_ a: Cell, _ b: Cell) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return !x && y
        case (.i32(let x), .i32(let y)): return x < y
        case (.i64(let x), .i64(let y)): return x < y
        case (.f32(let x), .f32(let y)): return Float(bitPattern: x) < Float(bitPattern: y)
        case (.f64(let x), .f64(let y)): return Double(bitPattern: x) < Double(bitPattern: y)
        case (.bytes(let x), .bytes(let y)): return x.lexicographicallyPrecedes(y)
        default: fatalError("cells of different types: \(a) and \(b)")
        }
    }
}

extension Cell {
    var isNaN: Bool {
        switch self {
        case .f32(let v): return Float(bitPattern: v).isNaN
        case .f64(let v): return Double(bitPattern: v).isNaN
        default: return false
        }
    }

    /// A floating zero with the given sign; any other cell unchanged.
    func signedZero(negative: Bool) -> Cell {
        switch self {
        case .f32(let v) where Float(bitPattern: v) == 0: return .float(negative ? -0.0 : 0.0)
        case .f64(let v) where Double(bitPattern: v) == 0: return .double(negative ? -0.0 : 0.0)
        default: return self
        }
    }
}
