import Foundation
import Parquet

/// The pieces of a Delta commit file (delta-io/delta PROTOCOL.md): the schema string, file
/// statistics and the JSON text of each action, built from our own Parquet footers and catalog
/// rows. Everything here is a pure function of its inputs, so a version rebuilt after a kill is
/// byte for byte the one written before it.
enum DeltaActions {
    /// Every lake table is partitioned by the UTC day of one of its columns, in folders named
    /// `date=YYYY-MM-DD`; the day is not a column of the files.
    static let partitionColumn = "date"

    // MARK: schema

    /// The Spark/Delta type of a Parquet column, as PROTOCOL.md spells it.
    static func typeName(_ c: Column) -> String? {
        switch (c.type, c.logicalType) {
        case (.byteArray, .string): return "string"
        case (.byteArray, .none): return "binary"
        case (.int64, .timestampMicrosUTC): return "timestamp"
        case (.int64, .none): return "long"
        case (.int32, .none): return "integer"
        case (.double, _): return "double"
        case (.float, _): return "float"
        case (.boolean, _): return "boolean"
        default: return nil
        }
    }

    /// `metaData.schemaString`: the file's columns, then the partition column `date`.
    static func schemaString(_ schema: Schema, table: String) throws -> String {
        var fields: [String] = []
        for c in schema.columns {
            guard let type = typeName(c) else {
                throw LakeError("delta log", "table \(table): column \(c.name) has a type Delta cannot name (\(c.type))",
                    hint: "report this: lake writes only types with a Delta name")
            }
            fields.append(field(c.name, type, nullable: c.nullable))
        }
        fields.append(field(partitionColumn, "date", nullable: true))
        return "{\"type\":\"struct\",\"fields\":[" + fields.joined(separator: ",") + "]}"
    }

    private static func field(_ name: String, _ type: String, nullable: Bool) -> String {
        "{\"name\":\(quoted(name)),\"type\":\"\(type)\",\"nullable\":\(nullable),\"metadata\":{}}"
    }

    // MARK: statistics

    /// Spark keeps 32-character string prefixes in its statistics; a longer minimum is cut to
    /// its prefix (still a lower bound) and a longer maximum left out (a prefix is not an
    /// upper bound).
    static let statsStringCharactersMax = 32

    /// `add.stats`: row count, and per column the null count and, where Delta defines them and
    /// the footer has them, min and max. Timestamps are cut to milliseconds, as the protocol
    /// says (readers widen the max by a millisecond).
    static func stats(_ metadata: FileMetadata) -> String {
        var mins: [String] = [], maxs: [String] = [], nulls: [String] = []
        for (i, c) in metadata.schema.columns.enumerated() {
            var merged: ColumnStatistics?
            var complete = true
            for g in metadata.rowGroups {
                guard i < g.columns.count, let s = g.columns[i].statistics else { complete = false; break }
                if merged == nil { merged = s } else { merged!.merge(s) }
            }
            guard complete, let s = merged else { continue }
            let key = quoted(c.name)
            nulls.append("\(key):\(s.nullCount)")
            if let v = s.min.flatMap({ statValue($0, c, isMax: false) }) { mins.append("\(key):\(v)") }
            if let v = s.max.flatMap({ statValue($0, c, isMax: true) }) { maxs.append("\(key):\(v)") }
        }
        return "{\"numRecords\":\(metadata.rowCount),\"minValues\":{\(mins.joined(separator: ","))},"
            + "\"maxValues\":{\(maxs.joined(separator: ","))},\"nullCount\":{\(nulls.joined(separator: ","))}}"
    }

    private static func statValue(_ v: StatValue, _ c: Column, isMax: Bool) -> String? {
        switch (v, c.logicalType) {
        case (.int64(let micros), .timestampMicrosUTC):
            return quoted(Timestamps.iso(micros: floorMillis(micros)))
        case (.int64(let n), _): return String(n)
        case (.int32(let n), _): return String(n)
        case (.double(let d), _): return d.isFinite ? jsonNumber(d) : nil
        case (.float(let f), _): return f.isFinite ? jsonNumber(Double(f)) : nil
        case (.bytes(let b), .string):
            guard let text = String(validating: b, as: UTF8.self) else { return nil }
            if text.count <= statsStringCharactersMax { return quoted(text) }
            return isMax ? nil : quoted(String(text.prefix(statsStringCharactersMax)))
        default: return nil
        }
    }

    private static func floorMillis(_ micros: Int64) -> Int64 {
        var ms = micros / 1000
        if micros % 1000 < 0 { ms -= 1 }
        return ms * 1000
    }

    /// A finite double as JSON: Swift's shortest round-trip form, which JSON accepts except
    /// for a bare exponent without a digit before it (never produced).
    static func jsonNumber(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        return "\(d)"
    }

    // MARK: JSON text

    /// `s` as a JSON string literal.
    static func quoted(_ s: String) -> String { quotedText(s) }

    /// A relative path as a URI reference (RFC 3986): every byte but the unreserved ones, `/`
    /// and `=` percent-encoded, so a partition value with `:` or `%` in it stays one path.
    static func uriPath(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: "="):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    // MARK: actions

    struct FileAction {
        /// Relative to the table folder, not yet URI-encoded.
        var path: String
        var partition: String?
        var size: Int64
        var timeMs: Int64
        var dataChange: Bool
        var stats: String?
        /// Rows in the file (for `lake snapshots`; not part of the action).
        var rows: Int64 = 0
    }

    static func add(_ f: FileAction) -> String {
        var s = "{\"add\":{\"path\":\(quoted(uriPath(f.path))),\"partitionValues\":{\"\(partitionColumn)\":"
            + (f.partition.map(quoted) ?? "null") + "},\"size\":\(f.size),\"modificationTime\":\(f.timeMs),"
            + "\"dataChange\":\(f.dataChange)"
        if let stats = f.stats { s += ",\"stats\":" + quoted(stats) }
        return s + "}}"
    }

    static func remove(_ f: FileAction) -> String {
        "{\"remove\":{\"path\":\(quoted(uriPath(f.path))),\"deletionTimestamp\":\(f.timeMs),"
            + "\"dataChange\":\(f.dataChange),\"extendedFileMetadata\":true,\"partitionValues\":{\"\(partitionColumn)\":"
            + (f.partition.map(quoted) ?? "null") + "},\"size\":\(f.size)}}"
    }

    static let protocolAction = "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}"

    static func metaData(id: String, table: String, schemaString: String, createdMs: Int64) -> String {
        "{\"metaData\":{\"id\":\(quoted(id)),\"name\":\(quoted(table)),\"format\":{\"provider\":\"parquet\",\"options\":{}},"
            + "\"schemaString\":\(quoted(schemaString)),\"partitionColumns\":[\"\(partitionColumn)\"],"
            + "\"configuration\":{},\"createdTime\":\(createdMs)}}"
    }

    /// `commitInfo` (free-form for readers; `delta-rs` and Spark show it as the history):
    /// the operation, and the catalog snapshots the version gathers.
    static func commitInfo(timeMs: Int64, operation: String, mode: String?, blindAppend: Bool,
                           snapshots: ClosedRange<Int64>) -> String {
        let parameters = mode.map { "{\"mode\":\(quoted($0))}" } ?? "{}"
        return "{\"commitInfo\":{\"timestamp\":\(timeMs),\"operation\":\(quoted(operation)),"
            + "\"operationParameters\":\(parameters),\"isBlindAppend\":\(blindAppend),\"engineInfo\":\"lake\","
            + "\"lakeSnapshots\":\(quoted("\(snapshots.lowerBound)-\(snapshots.upperBound)"))}}"
    }
}
