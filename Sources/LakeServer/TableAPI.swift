import Foundation
import Lake

/// `GET /api/jobs` and `GET /api/jobs/<job>/<name>?limit=&offset=`: the rows of every view and
/// gold table a job declares, paged, with typed columns. The name is looked up among the job's
/// declarations (404 otherwise) and only then quoted into SQL: nothing from the request
/// reaches SQLite as text. `range=<seconds>&time=<column>` keeps the rows whose time column is
/// less than that many seconds before the newest one (a panel's `range`); the column must be
/// one of the relation's.
enum TableAPI {
    static let limitDefault = 100
    static let limitMax = 10_000
    /// A range of up to ten years.
    static let rangeMax = 10 * 366 * 86_400

    /// Every job, with its views and gold tables (and k-means model tables).
    static func jobs(_ jobs: [JobDefinition]) -> [String: Any] {
        ["jobs": jobs.map { job in
            ["name": job.name, "description": job.summary,
             "views": job.views.map(\.name), "gold_tables": goldTables(job)] as [String: Any]
        }]
    }

    static func goldTables(_ job: JobDefinition) -> [String] { job.goldTableNames }

    static func page(_ catalog: Catalog, job: JobDefinition, name: String, query: [String: String]) throws -> [String: Any] {
        let kind: String
        if job.views.contains(where: { $0.name == name }) {
            kind = "view"
        } else if goldTables(job).contains(name) {
            kind = "gold"
        } else {
            throw HTTPFailure(.notFound, "job \(job.name) declares no view or gold table named \(name.prefix(100)); "
                              + "declared: " + (job.views.map(\.name) + goldTables(job)).joined(separator: ", "))
        }
        func number(_ key: String, _ fallback: Int, max: Int) throws -> Int {
            guard let text = query[key] else { return fallback }
            guard let v = Int(text), v >= 0, v <= max else {
                throw HTTPFailure(.badRequest, "\(key) must be an integer from 0 to \(max)")
            }
            return v
        }
        let limit = try number("limit", limitDefault, max: limitMax)
        let offset = try number("offset", 0, max: Int(Int32.max))
        guard try catalog.db.scalar("SELECT 1 FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')",
                                    .text(name)) != nil else {
            throw HTTPFailure(.serviceUnavailable, "\(name) does not exist yet: gold has not run for job \(job.name)")
        }
        let quotedName = "\"" + name + "\""
        var condition = ""
        var arguments: [SQLValue] = []
        if let text = query["range"] {
            guard let seconds = Int(text), seconds > 0, seconds <= rangeMax else {
                throw HTTPFailure(.badRequest, "range must be a number of seconds from 1 to \(rangeMax)")
            }
            let probe = try catalog.db.prepare("SELECT * FROM \(quotedName) LIMIT 0")
            let names = (0..<probe.columnCount).map { probe.columnName($0) }
            guard let time = query["time"], names.contains(time) else {
                throw HTTPFailure(.badRequest, "range needs time=<column>, one of: " + names.joined(separator: ", "))
            }
            // Whole seconds since the epoch compare exactly (a Julian day is a double).
            let column = "\"" + time + "\""
            condition = " WHERE unixepoch(\(column)) > (SELECT unixepoch(max(\(column))) FROM \(quotedName)) - ?"
            arguments = [.int(Int64(seconds))]
        }
        let total = try catalog.db.query("SELECT count(*) FROM \(quotedName)\(condition)", arguments: arguments)
            .first?.first?.int ?? 0
        let s = try catalog.db.prepare("SELECT * FROM \(quotedName)\(condition) LIMIT ? OFFSET ?")
        try s.bind(arguments + [.int(Int64(limit)), .int(Int64(offset))])
        var rows: [[Any]] = []
        var seen: [String?] = Array(repeating: nil, count: s.columnCount)
        while try s.step() {
            rows.append((0..<s.columnCount).map { i in
                let v = s.value(i)
                if seen[i] == nil, v != .null { seen[i] = inferred(v) }
                return DashboardData.json(v)
            })
        }
        let columns = (0..<s.columnCount).map { i -> [String: Any] in
            ["name": s.columnName(i), "type": declared(s.columnDeclaredType(i)) ?? seen[i] ?? "text"]
        }
        var page: [String: Any] = ["job": job.name, "name": name, "kind": kind, "columns": columns, "rows": rows,
                                   "limit": limit, "offset": offset, "total": total]
        if !arguments.isEmpty {
            page["range"] = query["range"]
            page["time"] = query["time"]
        }
        return page
    }

    /// SQLite's declared types as gold writes them: INTEGER, REAL, TEXT (timestamps are
    /// ISO-8601 text, booleans 0/1).
    private static func declared(_ type: String?) -> String? {
        switch type?.uppercased() {
        case "INTEGER": "integer"
        case "REAL": "real"
        case "TEXT": "text"
        default: nil
        }
    }

    private static func inferred(_ v: SQLValue) -> String {
        switch v {
        case .int: "integer"
        case .double: "real"
        case .blob: "blob"
        default: "text"
        }
    }
}
