import ArgumentParser
import Foundation
import Lake

struct SqlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Run a read-only query against the catalog database.",
        discussion: """
            Prints an aligned table with a header on a terminal, CSV with a header when piped (as \
            `sqlite3 -csv -header` and DuckDB do), or JSON objects one per line.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The SQL query, e.g. \"SELECT * FROM gold_kpis\".") var query: String
    @Option(help: "table, csv or json (default: table on a terminal, csv otherwise).") var format: Format?
    @Flag(help: "The same as --format json.") var json = false

    /// Table cells longer than this are cut with `…` (a terminal is no place for a 10 kB body).
    static let cellWidthMax = 60

    func run() throws {
        let catalog = try Catalog(paths: global.paths, readOnly: true)
        let statement = try catalog.db.prepare(query)
        guard statement.isReadOnly else {
            throw LakeError("sql", path: global.paths.catalog, "lake sql runs read-only queries",
                hint: "query with SELECT; the catalog is written only by lake's commands")
        }
        let chosen = json ? .json : format ?? (isatty(STDOUT_FILENO) == 1 ? .table : .csv)
        let names = (0..<statement.columnCount).map { statement.columnName($0) }
        var rows: [[SQLValue]] = []
        if chosen == .csv && !names.isEmpty { print(names.map(Self.csv).joined(separator: ",")) }
        while try statement.step() {
            let values = (0..<names.count).map { statement.value($0) }
            switch chosen {
            case .json: print(try Self.jsonLine(names, values))
            case .csv: print(values.map { $0 == .null ? "" : Self.csv($0.description) }.joined(separator: ","))
            case .table: rows.append(values)
            }
        }
        if chosen == .table { print(Self.table(names, rows), terminator: "") }
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
    static func csv(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonLine(_ names: [String], _ values: [SQLValue]) throws -> String {
        var object: [String: Any] = [:]
        for (n, v) in zip(names, values) {
            switch v {
            case .null: object[n] = NSNull()
            case .int(let i): object[n] = i
            case .double(let d): object[n] = d
            case .text(let t): object[n] = t
            case .blob(let b): object[n] = b.map { String(format: "%02x", $0) }.joined()
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Columns padded to their widest cell, numbers right-aligned, NULL spelled out, control
    /// characters escaped so a row stays one line; then the row count.
    static func table(_ names: [String], _ rows: [[SQLValue]]) -> String {
        guard !names.isEmpty else { return "" }
        func cell(_ v: SQLValue) -> String {
            let text = v == .null ? "NULL" : v.description.oneLine
            return text.count > cellWidthMax ? String(text.prefix(cellWidthMax - 1)) + "…" : text
        }
        let cells = rows.map { $0.map(cell) }
        var widths = names.map(\.count)
        for r in cells { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        let numeric = names.indices.map { i in
            !rows.isEmpty && rows.allSatisfy { r in
                switch r[i] {
                case .int, .double, .null: true
                default: false
                }
            }
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { i, v in
                let pad = String(repeating: " ", count: widths[i] - v.count)
                return numeric[i] ? pad + v : v + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        var out = line(names) + line(widths.map { String(repeating: "-", count: $0) })
        for r in cells { out += line(r) }
        out += "(\(rows.count) row\(rows.count == 1 ? "" : "s"))\n"
        return out
    }
}
