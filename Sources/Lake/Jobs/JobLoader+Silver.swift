import Foundation

/// The `[silver]` table and its `[silver.columns]`.
extension JobLoader {
    static func readSilver(_ table: JobFileTable) throws -> SilverSettings {
        try table.rejectUnknownKeys([
            "table", "quarantine_table", "timestamp_format", "watermark_delay", "clock_skew_max",
            "dedup_keys", "columns", "time", "timezone", "children",
        ])
        let name = try table.required("table", tableNameExpected) { tableName($0) }
        let quarantine = try table.required("quarantine_table", tableNameExpected) {
            tableName($0)
        }
        let columns = try readColumns(table.requiredSubtable(
            "columns", "a [silver.columns] table with one inline table per column"))
        var settings = SilverSettings(table: name, quarantineTable: quarantine, columns: columns)
        let formats = "one of \"iso8601\", \"epoch_ms\", \"epoch_s\" or a pattern like \"%Y-%m-%d %H:%M:%S\""
        if let text = try table.optional("timestamp_format", formats, { $0.stringValue }) {
            if let named = TimestampFormat(name: text) {
                settings.timestampFormat = named
            } else if text.contains("%") {
                switch TimestampPattern.compile(text) {
                case .success(let pattern): settings.timestampFormat = .pattern(pattern)
                case .failure(let error):
                    throw table.invalid("timestamp_format", "\(error.message); expected a pattern of %Y %m %d "
                                        + "%H %M %S %f %z %F %T and literal characters, like \"%Y-%m-%d %H:%M:%S\"")
                }
            } else {
                throw table.expected("timestamp_format", formats)
            }
        }
        settings.watermarkDelaySeconds = try table.required(
            "watermark_delay", durationExpected, hint: durationHint, durationSeconds)
        if let skew = try table.optional(
            "clock_skew_max", durationExpected, hint: durationHint, durationSeconds) {
            settings.clockSkewSecondsMax = skew
        }
        let timestamps = columns.filter { $0.type == .timestamp }.map(\.column)
        if let time = try table.optional("time", "the name of a silver column of type \"timestamp\"", {
            $0.stringValue.flatMap { timestamps.contains($0) ? $0 : nil }
        }) {
            settings.eventTimeColumn = time
        } else if !timestamps.contains(settings.eventTimeColumn) {
            guard timestamps.count == 1 else {
                throw table.missing("time", "the timestamp column that drives the watermark (one of "
                                    + timestamps.joined(separator: ", ") + ")")
            }
            settings.eventTimeColumn = timestamps[0]
        }
        if let zone = try table.optional("timezone", "an IANA time zone name like \"Europe/Rome\"", {
            $0.stringValue.flatMap { TimeZone(identifier: $0) != nil ? $0 : nil }
        }) {
            settings.timezone = zone
        }
        let names = Set(columns.map(\.column))
        if let keys = try table.optional(
            "dedup_keys", "a non-empty array of silver column names like [\"event_id\"]",
            { value in
                value.arrayValue.flatMap { values in
                    let keys = values.compactMap(\.stringValue)
                    return keys.count == values.count && !keys.isEmpty
                        && keys.allSatisfy(names.contains) ? keys : nil
                }
            }) {
            settings.dedupKeys = keys
        } else if !settings.dedupKeys.allSatisfy(names.contains) {
            throw table.missing("dedup_keys", "the silver columns that identify an event "
                                + "(there is no column \(settings.dedupKeys.joined()))")
        }
        if let children = try table.subtable("children", "a table of [silver.children.<name>] tables") {
            settings.children = try children.table.entries.map { entry in
                try readChild(children, key: entry.key, parent: settings)
            }
        }
        return settings
    }

    /// `[silver.children.<key>]`: `path` of the array, optional `table`, and the element's columns.
    private static func readChild(_ children: JobFileTable, key: String, parent: SilverSettings) throws -> ChildTableSettings {
        guard isIdentifier(key) else {
            throw children.invalid(key, "a child table's name must be snake_case (lowercase letters, digits and _)")
        }
        let what = "a table with path = \"items\" and a [silver.children.\(key).columns] table"
        guard let t = try children.subtable(key, what) else { throw children.expected(key, what) }
        try t.rejectUnknownKeys(["path", "table", "columns"])
        let path = try t.required("path", "the JSON path of an array, like \"items\"") { value in
            value.stringValue.flatMap { text in
                let keys = text.split(separator: ".", omittingEmptySubsequences: false)
                return keys.contains(where: \.isEmpty) ? nil : keys.map(String.init)
            }
        }
        let name = try t.optional("table", tableNameExpected) { tableName($0) } ?? "silver_" + key
        guard name != parent.table && name != parent.quarantineTable else {
            throw t.invalid("table", "\(name) is already the job's silver or quarantine table; expected another name")
        }
        let columnsTable = try t.requiredSubtable("columns", "a [silver.children.\(key).columns] table with one "
                                                  + "inline table per column")
        guard !columnsTable.table.isEmpty else {
            throw LakeError(columnsTable.file, "key \(columnsTable.path): expected at least one column, "
                            + "like product_name = { path = \"name\", type = \"string\" }")
        }
        let columns = try columnsTable.table.entries.map { try readColumn($0.key, in: columnsTable) }
        let copied = Set(parent.childParentFields.map { parent.columns[$0].column })
        for c in columns where copied.contains(c.column) {
            throw columnsTable.invalid(c.column, "the child table starts with the parent's \(c.column); "
                                       + "expected another column name")
        }
        return ChildTableSettings(key: key, table: name, path: path, columns: columns)
    }

    private static func readColumns(_ table: JobFileTable) throws -> [FieldMapping] {
        guard !table.table.isEmpty else {
            throw LakeError(table.file, "key \(table.path): expected at least one column, "
                            + "like event_id = { path = \"eventId\", type = \"string\" }")
        }
        let columns = try table.table.entries.map { try readColumn($0.key, in: table) }
        guard columns.contains(where: { $0.type == .timestamp }) else {
            let line = table.table.entries.first.map { ":\($0.line)" } ?? ""
            throw LakeError(
                table.file + line,
                "key \(table.path): expected a column of type \"timestamp\" (the event time), found none")
        }
        return columns
    }

    private static func readColumn(_ name: String, in table: JobFileTable) throws -> FieldMapping {
        guard isIdentifier(name) else {
            throw table.invalid(name, "a column name must be snake_case (lowercase letters, "
                                + "digits and _)")
        }
        guard name != "ingest_id" else {
            throw table.invalid(name, "silver adds this column itself (the lineage to bronze)",
                                hint: "remove it from the job file")
        }
        let what = "an inline table like { path = \"eventId\", type = \"string\" }"
        guard let column = try table.subtable(name, what) else { throw table.missing(name, what) }
        try column.rejectUnknownKeys(["path", "type", "required", "pii"])
        let path = try column.required("path", "a JSON path like \"data.price\"") { value in
            value.stringValue.flatMap { text in
                let keys = text.split(separator: ".", omittingEmptySubsequences: false)
                return keys.contains(where: \.isEmpty) ? nil : keys.map(String.init)
            }
        }
        let type = try column.required(
            "type", "one of \"string\", \"double\", \"int64\", \"timestamp\""
        ) { $0.stringValue.flatMap(FieldType.init(rawValue:)) }
        let required = try column.optional("required", "true or false") { $0.booleanValue }
        let pii = try column.optional("pii", "\"hash\" or \"mask\"") { $0.stringValue.flatMap(PIIMode.init(rawValue:)) }
        if pii != nil && type != .string {
            throw column.invalid("pii", "only string columns can be hashed or masked; this column is \(type.rawValue)")
        }
        return FieldMapping(column: name, path: path, type: type, required: required ?? false, pii: pii)
    }
}
