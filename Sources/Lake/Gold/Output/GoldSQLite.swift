/// A gold table's rows in catalog.db: every row (open ones with `is_closed = 0`), so that
/// `sqlite3 lake/catalog.db "SELECT … FROM gold_…"` works. Timestamps are ISO-8601 text
/// (`YYYY-MM-DDTHH:MM:SS.sssZ`, so SQLite's date functions work), booleans 0/1.
struct GoldSQLite {
    let plan: GoldTablePlan

    var table: String { plan.table }

    /// Key columns of a windowed table: the window's or session's start, then the key.
    private var startColumn: String? {
        switch plan.definition.kind {
        case .sessions: "session_start"
        case .windows, .top: plan.isWindowed ? "window_start" : nil
        case .kmeans: nil
        }
    }

    private var keyNames: [String] {
        plan.definition.kind == .sessions ? plan.definition.sessionKey : plan.definition.groupBy
    }

    /// The table (created when missing) and its indexes. A windowed table whose key columns
    /// cannot be NULL is clustered on (start, key) (WITHOUT ROWID: one b-tree less to write per
    /// row, and a commit's new rows land on the last pages instead of on every key's); the
    /// open rows have a partial index keyed as the commit deletes them. Lakes made before keep
    /// their table; their old `_open` index is replaced.
    func ddl() -> String {
        let columns = plan.columns.map { c in
            "\(quoted(c.name)) \(sqlType(c.type))\(c.nullable ? "" : " NOT NULL")"
        }
        var sql: String
        let keys = keyNames
        let keyNullable = plan.leading.filter { keys.contains($0.name) }.contains { $0.nullable }
        if let start = startColumn, plan.definition.kind != .top, !keyNullable {
            let pk = ([start] + keys).map(quoted).joined(separator: ", ")
            sql = "CREATE TABLE IF NOT EXISTS \(table) (\n  " + columns.joined(separator: ",\n  ")
                + ",\n  PRIMARY KEY (\(pk))\n) WITHOUT ROWID;\n"
        } else {
            sql = "CREATE TABLE IF NOT EXISTS \(table) (\n  " + columns.joined(separator: ",\n  ") + "\n);\n"
            if let start = startColumn {
                let index = ([start] + keys).map(quoted).joined(separator: ", ")
                sql += "CREATE INDEX IF NOT EXISTS \(table)_by_start ON \(table) (\(index));\n"
            }
        }
        if plan.definition.kind == .kmeans {
            sql += "CREATE INDEX IF NOT EXISTS \(table)_by_time ON \(table) (\(quoted(plan.definition.timeColumn)));\n"
        }
        if plan.isWindowed {
            // Keyed as a commit deletes open rows: by group (sessions, windows), else by start.
            let openKey = !keys.isEmpty && plan.definition.kind != .top ? keys : [startColumn ?? "is_closed"]
            sql += "DROP INDEX IF EXISTS \(table)_open;\n"
            sql += "CREATE INDEX IF NOT EXISTS \(table)_open_rows ON \(table) "
                + "(\(openKey.map(quoted).joined(separator: ", "))) WHERE is_closed = 0;\n"
        }
        return sql
    }

    /// Writes one commit's rows (inside the commit's transaction).
    func write(_ rows: GoldRows, db: Database) throws {
        let insert = try Inserter(db: db, table: table, columns: plan.columns)
        switch rows.open {
        case .none:
            try insert.all(rows.closed)
        case .replaceAll(let open):
            try db.run(plan.isWindowed ? "DELETE FROM \(table) WHERE is_closed = 0" : "DELETE FROM \(table)")
            // Closed and open rows in key order: each b-tree leaf is filled once.
            try insert.all(rows.closed)
            try insert.all(open)
        case .replaceKeys(let keys, let open):
            let condition = keyNames.map { "\(quoted($0)) IS ?" }.joined(separator: " AND ")
            let delete = try db.prepare("DELETE FROM \(table) WHERE is_closed = 0"
                                        + (condition.isEmpty ? "" : " AND " + condition))
            for k in keys {
                try delete.bind(k.enumerated().map { Inserter.sqlValue($0.element, plan.keyTypes[$0.offset]) })
                try delete.execute()
            }
            let keyCount = plan.keyColumns.count
            // Start, then key (sessions lead with the key, windows with their bounds): both lists
            // come sorted so, and are inserted merged.
            let order = plan.definition.kind == .sessions
                ? [keyCount] + Array(0..<keyCount) : [0] + Array(2..<(2 + keyCount))
            let closed = rows.closed
            var i = 0, j = 0
            while i < closed.count || j < open.count {
                if j == open.count || (i < closed.count && !rowPrecedes(open, j, closed, i, by: order)) {
                    try insert(closed, i)
                    i += 1
                } else {
                    try insert(open, j)
                    j += 1
                }
            }
        }
    }

    /// Deletes the closed rows whose start falls on the dates `first...last` (a backfill
    /// replaces them).
    func deleteClosed(from first: String, to last: String, db: Database) throws {
        // A k-means table is relabelled whole (see `GoldBackfill`).
        if plan.definition.kind == .kmeans { return try db.run("DELETE FROM \(table)") }
        guard let start = startColumn else { return }
        try db.run("DELETE FROM \(table) WHERE is_closed = 1 AND substr(\(quoted(start)), 1, 10) BETWEEN ? AND ?",
                   .text(first), .text(last))
    }

    private func sqlType(_ t: GoldType) -> String {
        switch t {
        case .int64, .bool: "INTEGER"
        case .double: "REAL"
        case .string, .timestamp: "TEXT"
        }
    }
}

/// Column names are snake_case identifiers (checked at load); quoting keeps SQL keywords
/// (`window_end` is none, but a user may call a column `order`) usable.
func quoted(_ name: String) -> String { "\"" + name + "\"" }

/// Inserts gold rows with one prepared statement. Timestamps are written as ISO text into a
/// buffer the inserter owns and bound in place, strings bound from their own UTF-8 (copied
/// once, by SQLite): this runs once per gold row and column.
private final class Inserter {
    let statement: Statement
    let types: [GoldType]
    private let text: UnsafeMutableRawBufferPointer
    private static let slotBytes = 32

    init(db: Database, table: String, columns: [GoldColumn]) throws {
        let names = columns.map { quoted($0.name) }.joined(separator: ", ")
        let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        statement = try db.prepare("INSERT OR REPLACE INTO \(table) (\(names)) VALUES (\(marks))")
        types = columns.map(\.type)
        text = .allocate(byteCount: max(1, columns.count) * Self.slotBytes, alignment: 8)
    }

    deinit { text.deallocate() }

    /// Inserts every row of `rows`.
    func all(_ rows: GoldRowList) throws {
        for row in 0..<rows.count { try self(rows, row) }
    }

    /// Inserts row `row` of `rows`. Every parameter is bound before the statement runs, so
    /// no in-place binding outlives the bytes it points to.
    func callAsFunction(_ rows: GoldRowList, _ row: Int) throws {
        let first = row * rows.width
        for i in 0..<rows.width {
            let index = Int32(i + 1)
            switch rows.values[first + i] {
            case .null: try statement.bind(.null, at: index)
            case .int(let x): try statement.bind(int: x, at: index)
            case .double(let x): try statement.bind(double: x, at: index)
            case .bool(let x): try statement.bind(int: x ? 1 : 0, at: index)
            case .string(let x):
                var x = x
                try x.withUTF8 { try statement.bindText(UnsafeRawBufferPointer($0), at: index) }
            case .timestamp(let x):
                let slot = UnsafeMutableRawBufferPointer(rebasing: text[(i * Self.slotBytes)..<((i + 1) * Self.slotBytes)])
                let n = Timestamps.writeISO(micros: x, into: slot)
                try statement.bindTextInPlace(UnsafeRawBufferPointer(rebasing: slot[0..<n]), at: index)
            }
        }
        try statement.execute()
    }

    static func sqlValue(_ v: GoldValue, _ type: GoldType) -> SQLValue {
        switch v {
        case .null: .null
        case .int(let x): .int(x)
        case .double(let x): .double(x)
        case .bool(let x): .int(x ? 1 : 0)
        case .string(let x): .text(x)
        case .timestamp(let x): .text(Timestamps.iso(micros: x))
        }
    }
}
