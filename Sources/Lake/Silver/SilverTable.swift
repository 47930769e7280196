import Parquet

/// Silver and quarantine table schemas, derived from the job's column mapping.
enum SilverTable {
    static func schema(_ settings: SilverSettings) -> Schema {
        var columns = settings.columns.map { f -> Column in
            switch f.type {
            case .string: return .string(f.column, nullable: !f.required)
            case .double: return Column(f.column, .double, nullable: !f.required)
            case .int64: return Column(f.column, .int64, nullable: !f.required)
            case .timestamp: return .timestamp(f.column, nullable: !f.required)
            }
        }
        columns.append(Column("ingest_id", .int64))
        return Schema(columns)
    }

    static func schemaJSON(_ schema: Schema) -> String {
        "[" + schema.columns.map { c in
            let type: String
            switch (c.type, c.logicalType) {
            case (_, .string): type = "string"
            case (_, .timestampMicrosUTC): type = "timestamp"
            case (.double, _): type = "double"
            case (.int64, _): type = "int64"
            case (.byteArray, _): type = "binary"
            default: type = "\(c.type)"
            }
            return "{\"name\":\"\(c.name)\",\"type\":\"\(type)\",\"nullable\":\(c.nullable)}"
        }.joined(separator: ",") + "]"
    }

    /// Quarantine rows: the bronze line that could not become a silver row, and why.
    static let quarantineSchema = Schema([
        Column("ingest_id", .int64),
        .string("reason"),
        .string("detail"),
        Column("body", .byteArray),
    ])
}
