/// `[dashboard]` (SPEC §15): `title` and `refresh`, then one `[dashboard.<name>]` table per
/// panel, in the order the page shows them:
///
///     [dashboard.revenue]
///     kind = "card"                 # card, line, bar, pie, donut or table
///     title = "Revenue"             # default: the panel's name
///     from = "transactions_kpis"    # a view or gold table of this job
///     value = "revenue"             # card: the column shown
///     format = "money"              # auto, integer, number, money, percent or text
///
/// Charts take `x` (the label column) and `y` (a column, or a list for several lines); tables
/// take `columns` (default: all) and `limit`. Charts and tables may show only a time range:
/// `range = "48h"` keeps the rows whose `time` column (default: `x`) is within 48 hours of the
/// newest one. Whether the columns exist is only known once the views run, so the page reports
/// a missing one in its panel; `from` is checked here.
extension JobLoader {
    static func readDashboard(_ table: JobFileTable?, job: JobDefinition) throws -> DashboardDefinition? {
        guard let table else { return nil }
        let sources = job.goldTableNames + job.views.map(\.name)
        var dashboard = DashboardDefinition(title: job.summary.isEmpty ? job.name : job.summary,
                                            refreshSeconds: 10, panels: [])
        for entry in table.table.entries {
            switch entry.key {
            case "title":
                dashboard.title = try table.required("title", "a string") { $0.stringValue }
            case "refresh":
                dashboard.refreshSeconds = Double(try table.required(
                    "refresh", "a positive duration like \"10s\"", hint: durationHint) {
                    durationSeconds($0).flatMap { $0 > 0 ? $0 : nil }
                })
            default:
                guard isIdentifier(entry.key) else {
                    throw table.invalid(entry.key, "a panel's name must be snake_case (lowercase letters, digits and _)")
                }
                guard let panel = try table.subtable(entry.key, "a [dashboard.\(entry.key)] table with kind and from, "
                                                     + "or title = \"…\" / refresh = \"10s\"") else { continue }
                dashboard.panels.append(try readPanel(panel, name: entry.key, sources: sources))
            }
        }
        guard !dashboard.panels.isEmpty else {
            throw LakeError(table.file, "[dashboard] declares no panel",
                            hint: "add [dashboard.<name>] tables with kind and from, or remove [dashboard] for the default page")
        }
        return dashboard
    }

    private static func readPanel(_ t: JobFileTable, name: String, sources: [String]) throws -> DashboardDefinition.Panel {
        typealias Kind = DashboardDefinition.Kind
        let kind = try t.required("kind", Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")) {
            $0.stringValue.flatMap(Kind.init(rawValue:))
        }
        var known = ["kind", "title", "from", "limit", "format"]
        switch kind {
        case .card: known += ["value"]
        case .line, .bar, .pie, .donut: known += ["x", "y", "range", "time"]
        case .table: known += ["columns", "range", "time"]
        }
        try t.rejectUnknownKeys(known)
        let from = try t.required("from", "the name of a view or gold table of this job") { $0.stringValue }
        guard sources.contains(from) else {
            throw t.invalid("from", "\(from) is not a view or gold table of this job",
                            hint: "declared: " + sources.joined(separator: ", "))
        }
        let limitDefault = kind == .table ? 10 : kind == .card ? 1 : 1_000
        var panel = DashboardDefinition.Panel(
            name: name, kind: kind, title: try t.optional("title", "a string") { $0.stringValue } ?? name,
            from: from, limit: try t.optional("limit", "an integer from 1 to 10000") {
                $0.integerValue.flatMap { (1...10_000).contains($0) ? Int($0) : nil }
            } ?? limitDefault)
        panel.format = try t.optional("format", DashboardDefinition.Format.allCases.map { "\"\($0.rawValue)\"" }
            .joined(separator: ", ")) { $0.stringValue.flatMap(DashboardDefinition.Format.init(rawValue:)) } ?? .auto
        let column = "a column name"
        switch kind {
        case .card:
            panel.value = try t.required("value", column) { $0.stringValue }
        case .line, .bar, .pie, .donut:
            panel.x = try t.required("x", column + " (the labels)") { $0.stringValue }
            let y = try t.required("y", "a column name or a list of them") { v -> [String]? in
                if let one = v.stringValue { return [one] }
                let many = v.arrayValue?.compactMap(\.stringValue)
                return many?.isEmpty == false && many?.count == v.arrayValue?.count ? many : nil
            }
            if kind != .line && y.count > 1 {
                throw t.invalid("y", "a \(kind.rawValue) chart shows one column", hint: "use kind = \"line\" for several series")
            }
            panel.y = y
        case .table:
            panel.columns = try t.optional("columns", "a list of column names") { v -> [String]? in
                let many = v.arrayValue?.compactMap(\.stringValue)
                return many?.count == v.arrayValue?.count ? many : nil
            } ?? []
        }
        if kind != .card {
            panel.rangeSeconds = try t.optional("range", "a positive duration like \"48h\"", hint: durationHint) {
                durationSeconds($0).flatMap { $0 > 0 ? $0 : nil }
            }
            panel.time = try t.optional("time", column + " (a timestamp)") { $0.stringValue } ?? panel.x
            if panel.rangeSeconds != nil && panel.time == nil {
                throw t.invalid("range", "a table's range needs the column it applies to",
                                hint: "add time = \"<timestamp column>\"")
            }
        }
        return panel
    }
}
