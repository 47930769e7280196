import Foundation

/// The `[gold.<name>]` tables and the `[views]` of a job file (SPEC §11). Keys and shapes are
/// checked here; expressions are parsed and type-checked by `GoldPlan` right after.
extension JobLoader {
    static func readGold(_ table: JobFileTable?, silver: SilverSettings) throws -> [GoldTableDefinition] {
        guard let table else { return [] }
        return try table.table.entries.map { entry in
            guard isIdentifier(entry.key) else {
                throw table.invalid(entry.key, "a gold table's name must be snake_case (lowercase letters, "
                                    + "digits and _)")
            }
            let what = "a [gold.\(entry.key)] table with kind = \"sessions\", \"windows\", \"top\" or \"kmeans\""
            guard let t = try table.subtable(entry.key, what) else { throw table.expected(entry.key, what) }
            return try readGoldTable(t, key: entry.key, line: entry.line, silver: silver)
        }
    }

    private static func readGoldTable(
        _ t: JobFileTable, key: String, line: Int, silver: SilverSettings
    ) throws -> GoldTableDefinition {
        let kinds = GoldTableDefinition.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        let kind = try t.required("kind", "one of \(kinds)") {
            $0.stringValue.flatMap(GoldTableDefinition.Kind.init(rawValue:))
        }
        var known = ["kind", "table", "from", "time"]
        switch kind {
        case .sessions: known += ["key", "gap", "columns", "having"]
        case .windows: known += ["window", "slide", "group_by", "where", "having", "columns"]
        case .top: known += ["n", "order_by", "columns", "window", "slide", "group_by", "where"]
        case .kmeans:
            known += ["features", "k", "labels", "label_column", "seed", "sample_rows", "model_table",
                      "model_count_column", "columns", "where"]
        }
        try t.rejectUnknownKeys(known)
        let name = try t.optional("table", tableNameExpected) { tableName($0) } ?? "gold_" + key
        let from = try t.optional("from", "the name of a silver table") { $0.stringValue } ?? silver.table
        let time = try t.optional("time", "the name of a silver timestamp column") { $0.stringValue }
            ?? silver.eventTimeColumn
        var d = GoldTableDefinition(key: key, table: name, kind: kind, from: from, timeColumn: time)
        d.file = t.file
        d.line = line
        switch kind {
        case .sessions:
            d.sessionKey = try t.required("key", "a non-empty array of silver column names like [\"user_id\"]",
                                          names)
            d.gapSeconds = try t.required("gap", "a positive duration like \"30m\"", hint: durationHint) {
                durationSeconds($0).flatMap { $0 > 0 ? $0 : nil }
            }
            d.columns = try readColumns(t)
        case .kmeans:
            d.features = try t.required("features", "a non-empty array of numeric silver column names like "
                                        + "[\"duration_session\"]", names)
            d.clusterCount = try t.required("k", "a number of clusters from 1 to 100") { v in
                positiveInt(v).flatMap { $0 <= 100 ? $0 : nil }
            }
            let k = d.clusterCount
            d.labels = try t.optional("labels", "an array of \(k) distinct labels, by ascending center") { v in
                v.arrayValue.flatMap { values in
                    let labels = values.compactMap(\.stringValue)
                    return labels.count == k && Set(labels).count == k ? labels : nil
                }
            } ?? (0..<k).map { "segment_\($0)" }
            if let label = try t.optional("label_column", "a snake_case column name", { v in
                v.stringValue.flatMap { isIdentifier($0) ? $0 : nil }
            }) { d.labelColumn = label }
            if let seed = try t.optional("seed", "a non-negative integer", { v in
                v.integerValue.flatMap { $0 >= 0 ? UInt64($0) : nil }
            }) { d.seed = seed }
            d.sampleRows = try t.optional("sample_rows", "a positive number of rows like 1_000_000", positiveInt)
            d.modelTable = try t.optional("model_table", tableNameExpected) { tableName($0) } ?? name + "_model"
            if let count = try t.optional("model_count_column", "a snake_case column name", { v in
                v.stringValue.flatMap { isIdentifier($0) ? $0 : nil }
            }) { d.modelCountColumn = count }
            d.filter = try expression(t, "where")
            d.columns = try readColumns(t)
        case .windows, .top:
            d.windowSeconds = try t.optional("window", "a positive duration like \"1m\"", hint: durationHint) {
                durationSeconds($0).flatMap { $0 > 0 ? $0 : nil }
            }
            d.slideSeconds = try t.optional("slide", "a positive duration like \"1m\"", hint: durationHint) {
                durationSeconds($0).flatMap { $0 > 0 ? $0 : nil }
            }
            if let slide = d.slideSeconds {
                guard let window = d.windowSeconds else {
                    throw t.invalid("slide", "a slide needs a window; expected window = \"…\" as well")
                }
                guard window % slide == 0 && slide <= window else {
                    throw located(t, "slide", "window \(window) s is not a whole number of slides of \(slide) s; "
                                  + "expected a window that is a multiple of the slide")
                }
                if slide == window { d.slideSeconds = nil }
            }
            d.groupBy = try t.optional("group_by", "an array of silver column names like [\"category\"]",
                                       namesOrEmpty) ?? []
            d.filter = try expression(t, "where")
            if kind == .windows {
                d.columns = try readColumns(t)
            } else {
                d.topCount = try t.required("n", "a positive integer like 10", positiveInt)
                let order = try t.required("order_by", "an expression and a direction like \"amount desc\"") {
                    $0.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                }
                (d.orderBy, d.orderDescending) = orderBy(order, t.table.entry("order_by"), file: t.file)
                d.topColumns = try t.required("columns", "a non-empty array of silver column names", names)
            }
        }
        if kind != .top && kind != .kmeans { d.having = try expression(t, "having") }
        return d
    }

    /// `[gold.<name>.columns]`: output column = expression, in order.
    private static func readColumns(_ t: JobFileTable) throws -> [(name: String, expression: ExpressionSource)] {
        let what = "a [\(t.keyPath("columns"))] table of output columns like revenue = \"sum(amount)\""
        guard let columns = try t.subtable("columns", what) else { throw t.missing("columns", what) }
        guard !columns.table.isEmpty else { throw t.expected("columns", what) }
        return try columns.table.entries.map { entry in
            guard isIdentifier(entry.key) else {
                throw columns.invalid(entry.key, "an output column's name must be snake_case (lowercase "
                                      + "letters, digits and _)")
            }
            guard let e = try expression(columns, entry.key) else { throw columns.missing(entry.key, what) }
            return (entry.key, e)
        }
    }

    private static func expression(_ t: JobFileTable, _ key: String) throws -> ExpressionSource? {
        guard let entry = t.table.entry(key) else { return nil }
        guard let text = entry.value.stringValue else {
            throw t.expected(key, "an expression as a string, like \"sum(amount)\"")
        }
        return ExpressionSource(text, file: t.file, line: entry.contentLine > 0 ? entry.contentLine : entry.line,
                                column: entry.contentColumn)
    }

    /// `"amount desc"`: the expression, and whether the direction is descending (the default).
    private static func orderBy(
        _ text: String, _ entry: TOMLTable.Entry?, file: String
    ) -> (ExpressionSource, Bool) {
        var body = Substring(text)
        while body.last == " " { body = body.dropLast() }
        var descending = true
        for (suffix, isDescending) in [(" desc", true), (" asc", false)]
        where body.lowercased().hasSuffix(suffix) {
            body = body.dropLast(suffix.count)
            descending = isDescending
            break
        }
        let source = ExpressionSource(String(body), file: file, line: entry?.contentLine ?? 0,
                                      column: entry?.contentColumn ?? 0)
        return (source, descending)
    }

    private static func names(_ value: TOMLValue) -> [String]? {
        namesOrEmpty(value).flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func namesOrEmpty(_ value: TOMLValue) -> [String]? {
        value.arrayValue.flatMap { values in
            let names = values.compactMap(\.stringValue)
            return names.count == values.count && Set(names).count == names.count ? names : nil
        }
    }

    /// An error located at a key's value (`file:line:column: …`).
    static func located(_ t: JobFileTable, _ key: String, _ message: String) -> LakeError {
        guard let entry = t.table.entry(key) else { return LakeError(t.file, message) }
        let column = entry.contentColumn > 0 ? ":\(entry.contentColumn)" : ""
        return LakeError("\(t.file):\(entry.contentLine > 0 ? entry.contentLine : entry.line)\(column)",
                         "key \(t.keyPath(key)): \(message)")
    }

    static func readViews(_ table: JobFileTable?) throws -> [ViewDefinition] {
        guard let table else { return [] }
        return try table.table.entries.map { entry in
            guard isIdentifier(entry.key) else {
                throw table.invalid(entry.key, "a view's name must be snake_case (lowercase letters, digits and _)")
            }
            guard let sql = entry.value.stringValue,
                  sql.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().hasPrefix("select")
                    || sql.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().hasPrefix("with")
            else { throw table.expected(entry.key, "a SELECT statement as a string") }
            return ViewDefinition(name: entry.key, sql: sql, file: table.file, line: entry.line)
        }
    }
}
