import Foundation
import Lake

/// `/metrics` in the Prometheus text exposition format.
public enum Metrics {
    public static func text(_ catalog: Catalog, jobs: [JobDefinition]) throws -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples {
                let labels = s.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
                let value = s.value.rounded() == s.value && abs(s.value) < 1e15 ? String(Int64(s.value)) : String(s.value)
                out += labels.isEmpty ? "\(name) \(value)\n" : "\(name){\(labels)} \(value)\n"
            }
        }
        return try catalog.db.read {
            let status = try LakeStatus.read(catalog)
            family("lake_table_rows", "gauge", "Rows in the table's live Parquet files.",
                   status.tables.map { ([("table", $0.name), ("layer", $0.layer)], Double($0.rows)) })
            family("lake_table_files", "gauge", "Live Parquet files of the table.",
                   status.tables.map { ([("table", $0.name)], Double($0.files)) })
            family("lake_table_bytes", "gauge", "Bytes of the table's live Parquet files.",
                   status.tables.map { ([("table", $0.name)], Double($0.bytes)) })
            family("lake_pending_rows", "gauge", "Bronze rows silver has not read yet.",
                   status.accounting.map { ([("job", $0.job)], Double($0.pending)) })
            family("lake_duplicate_rows", "gauge", "Duplicate rows silver dropped (live count).",
                   status.accounting.map { ([("job", $0.job)], Double($0.duplicates)) })
            family("lake_accounting_balanced", "gauge", "1 when bronze = silver + duplicates + quarantined + pending.",
                   status.accounting.map { ([("job", $0.job)], $0.balanced ? 1 : 0) })
            family("lake_landing_rejected_files", "gauge", "Damaged landing files bronze set aside in _rejected/.",
                   jobs.map { job in
                       ([("job", job.name)], Double(LakeStatus.rejectedFiles(root: catalog.paths.root,
                                                                              landing: job.source.landing).count))
                   })
            let quarantine = try catalog.db.query("SELECT job, reason, row_count FROM lake_quarantine_count ORDER BY job, reason")
            family("lake_quarantined_rows", "gauge", "Rows in quarantine by reason.",
                   quarantine.map { ([("job", $0[0].text ?? ""), ("reason", $0[1].text ?? "")], Double($0[2].int ?? 0)) })
            var watermarks: [(labels: [(String, String)], value: Double)] = []
            var lags: [(labels: [(String, String)], value: Double)] = []
            for job in jobs {
                guard let w = Int64(try catalog.checkpoint(job: job.name, stage: "silver", key: "watermark_us").value ?? "")
                else { continue }
                watermarks.append(([("job", job.name)], Double(w) / 1_000_000))
                lags.append(([("job", job.name)], Double(Clock.nowMicros() - w) / 1_000_000))
            }
            family("lake_watermark_seconds", "gauge", "Silver's event-time watermark (Unix seconds).", watermarks)
            family("lake_watermark_lag_seconds", "gauge", "Wall clock minus the watermark.", lags)
            let runs = try catalog.db.query("""
                SELECT r.job, r.stage, r.rows_in, r.rows_out,
                       (julianday(coalesce(r.ended_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) - julianday(r.started_at)) * 86400.0
                FROM lake_run r JOIN (SELECT job, stage, max(run_id) AS run_id FROM lake_run GROUP BY job, stage) l
                  USING (run_id) ORDER BY r.job, r.stage
                """)
            family("lake_last_run_seconds", "gauge", "Duration of the stage's last run (so far, if running).",
                   runs.map { ([("job", $0[0].text ?? ""), ("stage", $0[1].text ?? "")], $0[4].double ?? 0) })
            family("lake_last_run_rows_in", "gauge", "Rows the stage's last run read.",
                   runs.map { ([("job", $0[0].text ?? ""), ("stage", $0[1].text ?? "")], Double($0[2].int ?? 0)) })
            let failures = try catalog.db.query(
                "SELECT job, stage, count(*) FROM lake_run WHERE status = 'failed' GROUP BY job, stage ORDER BY job, stage")
            family("lake_run_failures_total", "counter", "Runs that ended failed (or were killed).",
                   failures.map { ([("job", $0[0].text ?? ""), ("stage", $0[1].text ?? "")], Double($0[2].int ?? 0)) })
            var sessions: [(labels: [(String, String)], value: Double)] = []
            var windowed: [(labels: [(String, String)], value: Double)] = []
            for job in jobs {
                for table in job.gold where table.isWindowed {
                    guard try catalog.db.scalar("SELECT 1 FROM sqlite_master WHERE name = ?", .text(table.table)) != nil
                    else { continue }
                    for r in try catalog.db.query("SELECT is_closed, count(*) FROM \(table.table) GROUP BY is_closed") {
                        let state = r[0].int == 1 ? "closed" : "open"
                        let value = Double(r[1].int ?? 0)
                        windowed.append(([("job", job.name), ("table", table.table), ("state", state)], value))
                        if table.kind == .sessions { sessions.append(([("job", job.name), ("state", state)], value)) }
                    }
                }
            }
            family("lake_kafka_outage", "gauge", "1 while the job's Kafka source is unreachable or stalled under --follow.",
                   jobs.filter { $0.source.kafka != nil }.map { ([("job", $0.name)], status.kafkaOutages[$0.name] == nil ? 0 : 1) })
            family("lake_kafka_tombstones_total", "counter", "Kafka messages without a value bronze skipped.",
                   status.tombstones.sorted(by: { $0.key < $1.key }).map { ([("job", $0.key)], Double($0.value)) })
            family("lake_gold_sessions", "gauge", "Sessions in the job's sessions tables.", sessions)
            family("lake_gold_rows", "gauge", "Rows of windowed gold tables, open and closed.", windowed)
            return out
        }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
