import Foundation
import Lake

/// The clickstream job's KPI endpoints (`/api/kpis`, …) and every page's pipeline health, read
/// from the catalog's gold views and bookkeeping tables. Every value
/// is JSON-ready; the page renders it as text (never as HTML), so data cannot inject markup.
public struct DashboardData {
    let catalog: Catalog
    let job: JobDefinition

    public init(catalog: Catalog, job: JobDefinition) {
        self.catalog = catalog
        self.job = job
    }

    /// The KPI views this page reads (`<prefix>_kpis`, `_funnel`, …) are declared in the job
    /// file (the clickstream job's `[views]`); a job without them shows an empty page.
    var prefix: String { "gold" }

    /// The job's first sessions table, whose open rows the page counts.
    var sessionsTable: String? { job.gold.first { $0.kind == .sessions }?.table }

    private func goldExists() throws -> Bool {
        try catalog.db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?",
                              .text(prefix + "_kpis")) != nil
    }

    /// Rows of a query as objects keyed by column name.
    private func objects(_ sql: String, _ args: SQLValue...) throws -> [[String: Any]] {
        let s = try catalog.db.prepare(sql)
        try s.bind(args)
        var rows: [[String: Any]] = []
        while try s.step() {
            var row: [String: Any] = [:]
            for i in 0..<s.columnCount { row[s.columnName(i)] = Self.json(s.value(i)) }
            rows.append(row)
        }
        return rows
    }

    static func json(_ v: SQLValue) -> Any {
        switch v {
        case .null: return NSNull()
        case .int(let i): return i
        case .double(let d): return d.isFinite ? d : NSNull()
        case .text(let t): return t
        case .blob(let b): return b.count
        }
    }

    public func kpis() throws -> [String: Any] {
        guard try goldExists() else { return ["total_sessions": 0] }
        var k = try objects("SELECT * FROM \(prefix)_kpis").first ?? [:]
        if let table = sessionsTable {
            k["open_sessions"] = Self.json(try catalog.db.scalar(
                "SELECT count(*) FROM \(table) WHERE is_closed = 0") ?? .null)
        }
        return k
    }

    public func funnel() throws -> [[String: Any]] {
        try goldExists() ? objects("SELECT * FROM \(prefix)_funnel ORDER BY step") : []
    }

    /// The last 48 hours that have sessions.
    public func hourly() throws -> [[String: Any]] {
        guard try goldExists() else { return [] }
        return try objects("SELECT * FROM (SELECT * FROM \(prefix)_hourly ORDER BY hour DESC LIMIT 48) ORDER BY hour")
    }

    public func topCustomers(limit: Int = 10) throws -> [[String: Any]] {
        try goldExists() ? objects("SELECT * FROM \(prefix)_top_customers LIMIT ?", .int(Int64(limit))) : []
    }

    public func sessionStatus() throws -> [[String: Any]] {
        try goldExists() ? objects("SELECT * FROM \(prefix)_session_status") : []
    }

    /// Pipeline health: tables, accounting, watermark and its lag, quarantine by reason, runs.
    public func status() throws -> [String: Any] {
        let s = try LakeStatus.read(catalog)
        var out = s.jsonObject()
        out.removeValue(forKey: "checkpoints")
        out.removeValue(forKey: "sources")
        let watermark = Int64(try catalog.checkpoint(job: job.name, stage: "silver", key: "watermark_us").value ?? "")
        out["job"] = job.name
        out["watermark"] = watermark.map { Lake.Timestamps.iso(micros: $0) } ?? NSNull()
        out["watermark_lag_seconds"] = watermark.map { Double(Clock.nowMicros() - $0) / 1_000_000 } ?? NSNull()
        out["quarantine_by_reason"] = try objects(
            "SELECT reason, row_count AS rows FROM lake_quarantine_count WHERE job = ? AND row_count > 0 ORDER BY row_count DESC",
            .text(job.name))
        out["generated_at"] = Clock.isoNow()
        out["orphans"] = s.orphans.count
        return out
    }

    /// The clickstream KPI views and the pipeline's health in one object (`/api/dashboard`).
    public func all() throws -> [String: Any] {
        try catalog.db.read {
            [
                "kpis": try kpis(), "funnel": try funnel(), "hourly": try hourly(),
                "top_customers": try topCustomers(), "session_status": try sessionStatus(), "status": try status(),
            ]
        }
    }

    /// JSON text; `<`, `>` and `&` are escaped so the text is safe inside a `<script>` element.
    public static func jsonText(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }
}
