import ArgumentParser
import Foundation
import Parquet

/// Writes the interop fixture matrix: every type × nullability × encoding × codec, plus edge
/// cases, each with a `<name>.expected.json` sidecar that pyarrow and DuckDB are checked against.
struct FixturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixtures", abstract: "Write the interop fixture files into a folder.")

    @Argument(help: "Output folder (created).") var directory: String
    @Option(help: "Rows of the large fixture.") var largeRows = 1_000_000

    func run() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for codec in [Codec.zstd, .uncompressed] {
            for cardinality in [Cardinality.low, .high] {
                var p = WriterProperties()
                p.codec = codec
                p.rowGroupRowCountMax = 1000
                try Fixture.write(
                    name: "matrix-\(codec == .zstd ? "zstd" : "none")-\(cardinality)",
                    directory: directory, rows: 2500, cardinality: cardinality, properties: p)
            }
        }
        // No dictionaries, and byte arrays PLAIN rather than DELTA_LENGTH_BYTE_ARRAY: every
        // value PLAIN (the writer's fallback with `deltaLengthByteArrays` off).
        var noDictionary = WriterProperties()
        noDictionary.dictionaryEnabled = false
        noDictionary.deltaLengthByteArrays = false
        try Fixture.write(name: "plain-only", directory: directory, rows: 300, cardinality: .low, properties: noDictionary)
        try Fixture.write(name: "empty", directory: directory, rows: 0, cardinality: .low, properties: WriterProperties())
        try Fixture.write(name: "one-row", directory: directory, rows: 1, cardinality: .low, properties: WriterProperties())
        // INT64 columns DELTA_BINARY_PACKED (as bronze and silver write ids, offsets and
        // times): pages of 300 rows end mid-block, nulls leave gaps in the deltas.
        var deltaPages = WriterProperties()
        deltaPages.rowGroupRowCountMax = 1000
        deltaPages.dataPageRowCountMax = 300
        try Fixture.write(
            name: "delta", directory: directory, rows: 2500, cardinality: .high, properties: deltaPages,
            schema: Schema(Fixture.schema.columns.map { c in
                var c = c
                if c.type == .int64 { c.delta = true }
                return c
            }))
        // Byte arrays without a dictionary, DELTA_LENGTH_BYTE_ARRAY (as bronze's lines and
        // silver's event ids are written): pages of 300 rows, nulls, empty values.
        var noDictionaryDelta = deltaPages
        noDictionaryDelta.dictionaryEnabled = false
        try Fixture.write(
            name: "delta-length", directory: directory, rows: 2500, cardinality: .high, properties: noDictionaryDelta)
        var tiny = WriterProperties()
        tiny.rowGroupRowCountMax = 1
        try Fixture.write(name: "row-groups-of-one", directory: directory, rows: 7, cardinality: .high, properties: tiny)
        var withMetadata = WriterProperties()
        withMetadata.keyValues = [KeyValue("lake.table", "example_table"), KeyValue("lake.snapshot", "7")]
        try Fixture.write(name: "key-values", directory: directory, rows: 10, cardinality: .low, properties: withMetadata)
        var large = WriterProperties()
        large.rowGroupRowCountMax = 1_000_000
        try Fixture.write(
            name: "large", directory: directory, rows: largeRows, cardinality: .low, properties: large,
            sidecarRows: false)
    }
}

enum Cardinality: String, CustomStringConvertible {
    case low, high
    var description: String { rawValue }
}

/// Deterministic fixture values: a pure function of (column, row), so the sidecar is exact.
enum Fixture {
    static let strings = ["", "a", "zażółć gęślą jaźń", "日本語テキスト", "emoji 🦆🦆", "UPPER_CASE", "SNAKE_CASE_WORD", "x\"y\\z"]

    static let schema = Schema([
        Column("b", .boolean), Column("b_opt", .boolean, nullable: true),
        Column("i32", .int32), Column("i32_opt", .int32, nullable: true),
        Column("i64", .int64), Column("i64_opt", .int64, nullable: true),
        Column("f64", .double), Column("f64_opt", .double, nullable: true),
        .string("s"), .string("s_opt", nullable: true),
        .timestamp("ts"), .timestamp("ts_opt", nullable: true),
        Column("bin", .byteArray), Column("bin_opt", .byteArray, nullable: true),
    ])

    static func isNull(_ column: Int, _ row: Int) -> Bool {
        column % 2 == 1 && (row % 3 == 1 || row % 7 == 0)
    }

    static func write(
        name: String, directory: String, rows: Int, cardinality: Cardinality,
        properties: WriterProperties, sidecarRows: Bool = true, schema: Schema = Fixture.schema
    ) throws {
        let path = directory + "/" + name + ".parquet"
        let w = try ParquetWriter(path: path, schema: schema, properties: properties)
        var expected: [[Any]] = []
        var sums = [Double](repeating: 0, count: schema.columns.count)
        var nulls = [Int](repeating: 0, count: schema.columns.count)
        for row in 0..<rows {
            var record: [Any] = []
            for (c, column) in schema.columns.enumerated() {
                if isNull(c, row) {
                    w.appendNull(c)
                    nulls[c] += 1
                    if sidecarRows { record.append(NSNull()) }
                    continue
                }
                let k = cardinality == .low ? row % 5 : row &* 7919 &+ c
                switch column.type {
                case .boolean:
                    let v = k % 2 == 0
                    w.append(c, v)
                    sums[c] += v ? 1 : 0
                    if sidecarRows { record.append(v) }
                case .int32:
                    let v = Int32(truncatingIfNeeded: k &* 2_654_435_761) ^ (row % 2 == 0 ? -1 : 0)
                    w.append(c, v)
                    sums[c] += Double(v)
                    if sidecarRows { record.append(v) }
                case .int64:
                    let base: Int64 = column.logicalType == .timestampMicrosUTC ? 1_769_644_800_000_000 : -(1 << 40)
                    let v = base + Int64(k) * 1_000_003
                    w.append(c, v)
                    sums[c] += Double(v)
                    if sidecarRows { record.append(v) }
                case .double:
                    let v = (Double(k) * 1.25 - 3) / 7
                    w.append(c, v)
                    sums[c] += v
                    if sidecarRows { record.append(v) }
                case .byteArray:
                    if column.logicalType == .string {
                        let s = strings[k % strings.count] + (cardinality == .high ? "#\(k)" : "")
                        w.append(c, string: s)
                        if sidecarRows { record.append(s) }
                    } else {
                        let bytes: [UInt8] = [0xFF, 0x00, UInt8(truncatingIfNeeded: k), 0xC3]
                        w.append(c, bytes: bytes)
                        if sidecarRows { record.append(["hex": bytes.map { String(format: "%02x", $0) }.joined()]) }
                    }
                default:
                    fatalError("fixture schema has no \(column.type) columns")
                }
            }
            try w.endRow()
            if sidecarRows { expected.append(record) }
        }
        let summary = try w.finish()
        let columns = schema.columns.map { c -> [String: Any] in
            ["name": c.name, "type": "\(c.type)", "logical": "\(c.logicalType)", "nullable": c.nullable]
        }
        var sidecar: [String: Any] = [
            "rows": rows, "columns": columns, "row_groups": summary.rowGroupCount,
            "sums": sums, "null_counts": nulls,
            "key_values": Dictionary(uniqueKeysWithValues: properties.keyValues.map { ($0.key, $0.value ?? "") }),
            "codec": properties.codec == .zstd ? "ZSTD" : "UNCOMPRESSED",
            "dictionary": properties.dictionaryEnabled, "cardinality": cardinality.rawValue,
        ]
        if sidecarRows { sidecar["data"] = expected }
        let json = try JSONSerialization.data(withJSONObject: sidecar, options: [.sortedKeys])
        try json.write(to: URL(fileURLWithPath: directory + "/" + name + ".expected.json"))
    }
}
