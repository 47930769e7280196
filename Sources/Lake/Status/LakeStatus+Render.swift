import Foundation

extension LakeStatus {
    /// The `lake status --json` object: `tables` maps each table to rows, files, bytes.
    public func jsonObject() -> [String: Any] {
        var tablesJSON: [String: Any] = [:]
        for t in tables {
            tablesJSON[t.name] = [
                "rows": t.rows, "files": t.files, "bytes": t.bytes, "layer": t.layer, "job": t.job,
                "retired_files": t.retiredFiles,
                "delta_version": t.deltaVersion.map { $0 as Any } ?? NSNull(), "delta_queued": t.deltaQueued,
            ]
        }
        return [
            "tables": tablesJSON,
            "checkpoints": checkpoints.map {
                ["job": $0.job, "stage": $0.stage, "key": $0.key, "value": $0.value, "state_bytes": $0.stateBytes]
            },
            "sources": sources.map { ["job": $0.job, "source": $0.source, "byte_offset": $0.offset, "lines": $0.lines] },
            "kafka_tombstones": tombstones,
            "kafka_outages": kafkaOutages,
            "runs": runs.map { r -> [String: Any] in
                [
                    "run_id": r.runID, "job": r.job, "stage": r.stage, "status": r.status, "started_at": r.startedAt,
                    "ended_at": r.endedAt ?? NSNull(), "rows_in": r.rowsIn, "rows_out": r.rowsOut,
                    "quarantined": r.quarantined, "duplicates": r.duplicates, "error": r.error ?? NSNull(),
                ]
            },
            "accounting": accounting.map { a -> [String: Any] in
                [
                    "job": a.job, "bronze_rows": a.bronzeRows, "silver_rows": a.silverRows,
                    "duplicates": a.duplicates, "quarantined": a.quarantined, "pending": a.pending,
                    "balanced": a.balanced,
                ]
            },
            "orphans": orphans,
            "rejected_landing_files": rejected.map { ["landing": $0.landing, "file": $0.file, "reason": $0.reason] },
            "snapshots": Dictionary(history.map { ($0.job, ["kept": $0.snapshots, "since": $0.since ?? NSNull()] as [String: Any]) },
                                    uniquingKeysWith: { a, _ in a }),
            "catalog": ["bytes": catalogBytes, "wal_bytes": walBytes],
        ]
    }

    public func jsonText() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: jsonObject(), options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    /// The human-readable report.
    public func text() -> String {
        var out = ""
        func row(_ cells: [String], _ widths: [Int]) {
            out += zip(cells, widths).map { c, w in c.padding(toLength: max(w, c.count), withPad: " ", startingAt: 0) }
                .joined(separator: "  ") + "\n"
        }
        out += "TABLES\n"
        let tw = [28, 10, 12, 7, 12, 6]
        row(["table", "layer", "rows", "files", "bytes", "delta"], tw)
        for t in tables {
            // The Delta version readers see (`version=N`); `+k` commits not yet in the log.
            let delta = (t.deltaVersion.map { "v\($0)" } ?? "-") + (t.deltaQueued > 0 ? " +\(t.deltaQueued)" : "")
            row([t.name, t.layer, "\(t.rows)", "\(t.files)", "\(t.bytes)", delta], tw)
        }
        if !accounting.isEmpty {
            out += "\nACCOUNTING (bronze = silver + duplicates + quarantined + pending)\n"
            for a in accounting {
                out += "\(a.job): \(a.bronzeRows) = \(a.silverRows) + \(a.duplicates) + \(a.quarantined) + \(a.pending)  "
                    + (a.balanced ? "ok" : "MISMATCH") + "\n"
            }
        }
        if !checkpoints.isEmpty {
            out += "\nCHECKPOINTS\n"
            for c in checkpoints {
                out += "\(c.job)/\(c.stage) \(c.key) = \(c.value.prefix(80))" + (c.stateBytes > 0 ? " (+\(c.stateBytes) bytes of state)" : "") + "\n"
            }
        }
        if !sources.isEmpty {
            out += "\nSOURCES\n"
            for s in sources {
                if s.source.hasPrefix("kafka:") {
                    out += "\(s.job) \(s.source): \(s.lines) messages, next offset \(s.offset)\n"
                } else {
                    out += "\(s.job) \(s.source): \(s.lines) lines, byte \(s.offset)\n"
                }
            }
            for (job, text) in kafkaOutages.sorted(by: { $0.key < $1.key }) {
                out += "\(job): KAFKA OUTAGE \(text)\n"
            }
            for (job, n) in tombstones.sorted(by: { $0.key < $1.key }) {
                out += "\(job): \(n) tombstones (Kafka messages without a value) skipped\n"
            }
        }
        if !runs.isEmpty {
            out += "\nLAST RUNS\n"
            for r in runs {
                out += "#\(r.runID) \(r.job)/\(r.stage) \(r.status) \(r.startedAt) in=\(r.rowsIn) out=\(r.rowsOut)"
                    + (r.quarantined > 0 ? " quarantined=\(r.quarantined)" : "")
                    + (r.duplicates > 0 ? " duplicates=\(r.duplicates)" : "")
                    + (r.error.map { " error: \($0.prefix(120))" } ?? "") + "\n"
            }
        }
        if !history.isEmpty {
            out += "\nSNAPSHOTS (older ones folded past each job's [catalog] snapshot_retention)\n"
            for h in history { out += "\(h.job): \(h.snapshots) kept" + (h.since.map { " since \($0)" } ?? "") + "\n" }
        }
        out += "\nCATALOG: \(catalogBytes) bytes + \(walBytes) bytes of WAL\n"
        if !rejected.isEmpty {
            out += "\nREJECTED LANDING FILES: \(rejected.count) (damaged; set aside, the other files went on)\n"
            for r in rejected.prefix(20) { out += "  \(r.landing)/_rejected/\(r.file): \(r.reason)\n" }
        }
        out += "\nORPHANS: \(orphans.count)" + (orphans.isEmpty ? "" : " (removed by `lake vacuum`)") + "\n"
        for o in orphans.prefix(20) { out += "  \(o)\n" }
        return out
    }
}
