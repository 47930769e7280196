import Foundation
import Parquet

/// Footer facts of a file as JSON-ready values (what `parquet-tools meta` shows).
enum Inspect {
    static func metadata(_ reader: ParquetReader) -> [(String, String)] {
        let m = reader.metadata
        let groups = m.rowGroups.map { g -> String in
            let chunks = zip(g.columns, m.schema.columns).map { chunk, column -> String in
                var fields: [(String, String)] = [
                    ("name", JSONText.string(column.name)),
                    ("codec", JSONText.string(chunk.codec.name)),
                    ("encodings", "[" + chunk.encodings.map { JSONText.string("\($0)") }.joined(separator: ",") + "]"),
                    ("has_dictionary_page", chunk.dictionaryPageOffset != nil ? "true" : "false"),
                    ("values", "\(chunk.valueCount)"),
                    ("compressed_bytes", "\(chunk.compressedBytes)"),
                ]
                if let s = chunk.statistics {
                    fields.append(("null_count", "\(s.nullCount)"))
                    fields.append(("min", s.min.map(JSONText.stat) ?? "null"))
                    fields.append(("max", s.max.map(JSONText.stat) ?? "null"))
                }
                return JSONText.object(fields)
            }
            return JSONText.object([("rows", "\(g.rowCount)"), ("columns", "[" + chunks.joined(separator: ",") + "]")])
        }
        let columns = m.schema.columns.map { c in
            JSONText.object([
                ("name", JSONText.string(c.name)), ("type", JSONText.string("\(c.type)")),
                ("logical", JSONText.string("\(c.logicalType)")), ("nullable", c.nullable ? "true" : "false"),
            ])
        }
        return [
            ("rows", "\(m.rowCount)"), ("version", "\(m.version)"),
            ("created_by", m.createdBy.map(JSONText.string) ?? "null"),
            ("schema", "[" + columns.joined(separator: ",") + "]"),
            ("row_groups", "[" + groups.joined(separator: ",") + "]"),
            ("key_values", JSONText.object(m.keyValues.map { ($0.key, $0.value.map(JSONText.string) ?? "null") })),
        ]
    }
}

/// Minimal JSON text building for the tool's output (no Foundation round trips).
enum JSONText {
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func string(_ s: String) -> String { quotedText(s) }

    static func double(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
        return "\(v)"
    }

    /// Bytes as a string when valid UTF-8, else as {"hex": "..."}.
    static func bytes<C: Collection>(_ b: C) -> String where C.Element == UInt8 {
        if let s = String(validating: b, as: UTF8.self) { return string(s) }
        return "{\"hex\":\"" + b.map { String(format: "%02x", $0) }.joined() + "\"}"
    }

    static func stat(_ v: StatValue) -> String {
        switch v {
        case .boolean(let b): return b ? "true" : "false"
        case .int32(let i): return "\(i)"
        case .int64(let i): return "\(i)"
        case .float(let f): return double(Double(f))
        case .double(let d): return double(d)
        case .bytes(let b): return bytes(b)
        }
    }

    static func value(_ c: ColumnData, _ row: Int) -> String {
        if c.isNull(row) { return "null" }
        switch c.values {
        case .boolean(let v): return v[row] ? "true" : "false"
        case .int32(let v): return "\(v[row])"
        case .int64(let v): return "\(v[row])"
        case .float(let v): return double(Double(v[row]))
        case .double(let v): return double(v[row])
        case .bytes(let v): return bytes(v[row])
        }
    }
}
