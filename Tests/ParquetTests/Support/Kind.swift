import Parquet

/// The column kinds the writer supports: the physical types plus the two logical types.
enum Kind: String, CaseIterable, Sendable {
    case boolean, int32, int64, float, double, byteArray, string, timestamp

    func column(_ name: String, nullable: Bool) -> Column {
        switch self {
        case .boolean: return Column(name, .boolean, nullable: nullable)
        case .int32: return Column(name, .int32, nullable: nullable)
        case .int64: return Column(name, .int64, nullable: nullable)
        case .float: return Column(name, .float, nullable: nullable)
        case .double: return Column(name, .double, nullable: nullable)
        case .byteArray: return Column(name, .byteArray, nullable: nullable)
        case .string: return .string(name, nullable: nullable)
        case .timestamp: return .timestamp(name, nullable: nullable)
        }
    }

    /// Whether the writer may dictionary-encode this kind (never BOOLEAN).
    var dictionaryCapable: Bool { self != .boolean }
}

enum Cardinality: String, CaseIterable, Sendable {
    /// A handful of distinct values, edge values among them: dictionary encoding pays.
    case low
    /// (Nearly) every value distinct: the writer must choose PLAIN.
    case high
}

/// Deterministic test values: a pure function of kind, row and cardinality.
enum Values {
    static let timestampBase: Int64 = 1_769_644_800_000_000  // 2026-01-29T00:00:00Z

    static let lowStrings = [
        "", "a", "zażółć gęślą jaźń", "日本語テキスト", "emoji 🦆", "PAGE_VIEW",
        "x\"y\\z\u{0}",
    ]
    static let lowBytes: [[UInt8]] = [[], [0], [0xFF, 0x00], [0xC3], [0x80, 0x80, 0x80], [0x7F]]
    static let lowFloats: [Float] = [
        -0.0, 0.0, 1.5, -2.25, .infinity, -.infinity, .nan,
        .greatestFiniteMagnitude, .leastNonzeroMagnitude,
    ]
    static let lowDoubles: [Double] = [
        -0.0, 0.0, 1.5, -2.25, .infinity, -.infinity, .nan,
        .greatestFiniteMagnitude, -.leastNonzeroMagnitude, 1e-300,
    ]
    static let lowInt32s: [Int32] = [.min, -1, 0, 7, .max, 1 << 20]
    static let lowInt64s: [Int64] = [.min, -1, 0, 1 << 40, .max, 42, -99]

    /// Nullable columns: scattered nulls plus runs of 100 (long RLE runs in definition levels).
    static func isNull(row: Int) -> Bool {
        row % 4 == 1 || row % 13 == 0 || (row / 100) % 10 == 7
    }

    static func cell(_ kind: Kind, row: Int, nullable: Bool, _ cardinality: Cardinality) -> Cell {
        if nullable && isNull(row: row) { return .null }
        return cardinality == .low ? low(kind, row) : high(kind, row)
    }

    static func low(_ kind: Kind, _ row: Int) -> Cell {
        switch kind {
        case .boolean: return .bool(row % 3 == 0)
        case .int32: return .i32(lowInt32s[row % lowInt32s.count])
        case .int64: return .i64(lowInt64s[row % lowInt64s.count])
        case .float: return .float(lowFloats[row % lowFloats.count])
        case .double: return .double(lowDoubles[row % lowDoubles.count])
        case .byteArray: return .bytes(lowBytes[row % lowBytes.count])
        case .string: return .string(lowStrings[row % lowStrings.count])
        case .timestamp: return .i64(timestampBase + Int64(row % 5 - 2) * 86_400_000_000_000)
        }
    }

    static func high(_ kind: Kind, _ row: Int) -> Cell {
        let special = row % 500
        switch kind {
        case .boolean: return .bool((row &* 7919) % 5 < 2)
        case .int32: return .i32(Int32(truncatingIfNeeded: row &* 2_654_435_761))
        case .int64: return .i64(Int64(row) &* -7_046_029_254_386_353_131)
        case .float:
            if special < 3 { return .float([Float.nan, -0.0, .infinity][special]) }
            return .float(Float(row) * 0.37 - 500)
        case .double:
            if special < 3 { return .double([Double.nan, -0.0, -.infinity][special]) }
            return .double(Double(row) * 1.1 - 1000.5)
        case .byteArray:
            return .bytes(withUnsafeBytes(of: UInt32(row).littleEndian) { Array($0) } + [0xFF])
        case .string: return .string("row \(row) · ряд \(row) · 行\(row)")
        case .timestamp: return .i64(timestampBase - 3_000_000_000_000 + Int64(row) * 1_000_003)
        }
    }

    static func column(
        _ kind: Kind, rows: Int, nullable: Bool, _ cardinality: Cardinality
    ) -> [Cell] {
        (0..<rows).map { cell(kind, row: $0, nullable: nullable, cardinality) }
    }
}
