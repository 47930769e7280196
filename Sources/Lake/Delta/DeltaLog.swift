import Foundation
import Parquet

/// Keeps every table's `_delta_log/` caught up with the catalog (SPEC §13), so Spark,
/// Databricks, Trino, delta-rs and DuckDB read exactly the files of a committed snapshot.
///
/// The catalog stays the truth; the log is derived from it. Each commit queues, in its own
/// transaction, the tables it changed (`lake_delta_pending`, in commit order: a compaction that
/// committed after later appends is logged after them). `catchUp` turns queued entries into
/// versions: it first records the version as `pending` with everything its bytes depend on
/// (which queue entries, its time, operation, schema), then writes the file put-if-absent
/// (`link()` of an fsynced temporary file: never an overwrite), then marks it `written` and
/// drops the entries. A kill anywhere in between leaves either nothing or a pending row whose
/// rewrite gives the same bytes; a version file that exists with other bytes is an error.
public final class DeltaLog {
    let catalog: Catalog
    private var db: Database { catalog.db }

    /// Each `checkpointEvery` versions a Parquet checkpoint of the table's state is written.
    public static let checkpointEvery: Int64 = 10

    public init(catalog: Catalog) {
        self.catalog = catalog
    }

    /// Writes the versions the catalog has queued and returns how many. With `gather` (the
    /// `--follow` maintenance, every `delta_interval`), consecutive appends queued since the
    /// last call become one version; otherwise each commit is its own. Compaction and backfill
    /// are always versions of their own.
    @discardableResult
    public func catchUp(gather: Bool = false) throws -> Int {
        let tables = try db.query("""
            SELECT t.table_id, t.table_name, t.job FROM lake_table t
            WHERE t.table_id IN (SELECT table_id FROM lake_delta_pending
                                 UNION SELECT table_id FROM lake_delta_version WHERE status = 'pending')
            ORDER BY t.job, t.table_id
            """)
        var written = 0
        var lock: (job: String, lock: StageLock)?
        defer { lock?.lock.release() }
        for row in tables {
            guard let id = row[0].int, let name = row[1].text else { continue }
            let job = row[2].text ?? ""
            if lock?.job != job {
                lock?.lock.release()
                lock = (job, try StageLock(paths: catalog.paths, job: job, stage: "delta", wait: true))
            }
            written += try catchUp(table: id, name: name, gather: gather)
        }
        return written
    }

    // MARK: one table

    private enum Kind { case baseline, write, compact, backfill }

    private struct Entry {
        var seq: Int64
        var snapshot: Int64
        var kind: Kind
        var timeMs: Int64
    }

    /// A snapshot's commit time in milliseconds, exactly (its ISO text has milliseconds).
    private static let commitMs = """
        (CAST(strftime('%s', s.committed_at) AS INTEGER) * 1000 + CAST(substr(s.committed_at, 21, 3) AS INTEGER))
        """

    private func catchUp(table: Int64, name: String, gather: Bool) throws -> Int {
        var written = 0
        while true {
            if let version = try pendingVersion(table) {
                try write(table: table, name: name, version: version)
                written += 1
                continue
            }
            let entries = try db.query("""
                SELECT q.seq, q.snapshot_id, q.baseline, s.stage, \(Self.commitMs)
                FROM lake_delta_pending q LEFT JOIN lake_snapshot s ON s.snapshot_id = q.snapshot_id
                WHERE q.table_id = ? ORDER BY q.seq LIMIT 10000
                """, .int(table)).map { r -> Entry in
                let stage = r[3].text ?? ""
                let kind: Kind = r[2].int == 1 ? .baseline
                    : stage == "compact" ? .compact : stage == "backfill" ? .backfill : .write
                return Entry(seq: r[0].int ?? 0, snapshot: r[1].int ?? 0, kind: kind, timeMs: r[4].int ?? 0)
            }
            guard let first = entries.first else { break }
            var group = [first]
            if gather && first.kind == .write {
                for e in entries.dropFirst() {
                    guard e.kind == .write else { break }
                    group.append(e)
                }
            }
            try plan(table: table, name: name, group: group, gathered: gather)
        }
        return written
    }

    private struct Version {
        var version: Int64
        var firstSeq: Int64
        var lastSeq: Int64
        var timeMs: Int64
        var operation: String
        var dataChange: Bool
        var schemaString: String?
    }

    private func pendingVersion(_ table: Int64) throws -> Version? {
        guard let r = try db.query("""
            SELECT version, first_seq, last_seq, committed_ms, operation, data_change, schema_string
            FROM lake_delta_version WHERE table_id = ? AND status = 'pending' ORDER BY version LIMIT 1
            """, .int(table)).first else { return nil }
        return Version(version: r[0].int ?? 0, firstSeq: r[1].int ?? 0, lastSeq: r[2].int ?? 0, timeMs: r[3].int ?? 0,
                       operation: r[4].text ?? "WRITE", dataChange: r[5].int != 0, schemaString: r[6].text)
    }

    /// Records the next version for `group` as pending: its number, time, operation and (when
    /// it is the first version or the files' schema changed) the schema its metaData carries.
    private func plan(table: Int64, name: String, group: [Entry], gathered: Bool) throws {
        let last = group[group.count - 1]
        let next = (try db.scalar("SELECT max(version) FROM lake_delta_version WHERE table_id = ?", .int(table))?.int)
            .map { $0 + 1 } ?? 0
        let operation: String
        switch last.kind {
        case .baseline: operation = "CONVERT TO DELTA"
        case .compact: operation = "OPTIMIZE"
        case .backfill: operation = "WRITE"
        case .write: operation = gathered ? "STREAMING UPDATE" : "WRITE"
        }
        var schema: String?
        let current = try db.scalar("""
            SELECT schema_string FROM lake_delta_version WHERE table_id = ? AND schema_string IS NOT NULL
            ORDER BY version DESC LIMIT 1
            """, .int(table))?.text
        let actions = try fileActions(table: table, name: name, first: group[0].seq, last: last.seq, stats: false)
        let fallback = next == 0 ? try anyFile(table: table, name: name) : nil
        if let added = actions.adds.first ?? fallback {
            let footer = try ParquetReader(path: catalog.paths.root + "/" + name + "/" + added.path).metadata
            let s = try DeltaActions.schemaString(footer.schema, table: name)
            if s != current { schema = s }
        }
        try db.transaction {
            if next == 0 {
                try db.run("INSERT OR IGNORE INTO lake_delta_table (table_id, delta_id, created_ms) VALUES (?, ?, ?)",
                           .int(table), .text(UUID().uuidString.lowercased()), .int(last.timeMs))
            }
            try db.run("""
                INSERT INTO lake_delta_version (table_id, version, first_seq, last_seq, status, committed_ms,
                  operation, data_change, schema_string)
                VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)
                """, .int(table), .int(next), .int(group[0].seq), .int(last.seq), .int(last.timeMs),
                .text(operation), .int(last.kind == .compact ? 0 : 1), .of(schema))
        }
    }

    /// Some file of the table (a first version with nothing to add still needs a schema).
    private func anyFile(table: Int64, name: String) throws -> DeltaActions.FileAction? {
        guard let r = try db.query("SELECT path FROM lake_data_file WHERE table_id = ? ORDER BY file_id DESC LIMIT 1",
                                   .int(table)).first, let path = r[0].text else { return nil }
        return DeltaActions.FileAction(path: relative(path, name), partition: nil, size: 0, timeMs: 0,
                                       dataChange: false, stats: nil)
    }

    private func relative(_ path: String, _ table: String) -> String {
        path.hasPrefix(table + "/") ? String(path.dropFirst(table.count + 1)) : path
    }

    /// The files a version adds and removes: of the commits queued in `first...last`, files
    /// one of them added that none of them retired, and files one of them retired that an
    /// earlier version added. A baseline entry adds every file live at its snapshot.
    private func fileActions(table: Int64, name: String, first: Int64, last: Int64, stats: Bool)
        throws -> (adds: [DeltaActions.FileAction], removes: [DeltaActions.FileAction], snapshots: ClosedRange<Int64>)
    {
        let span = try db.query("""
            SELECT min(snapshot_id), max(snapshot_id), max(baseline) FROM lake_delta_pending
            WHERE table_id = ? AND seq BETWEEN ? AND ?
            """, .int(table), .int(first), .int(last)).first
        let low = span?[0].int ?? 0, high = span?[1].int ?? 0
        let baseline = span?[2].int == 1
        let inGroup = "(SELECT snapshot_id FROM lake_delta_pending WHERE table_id = ?1 AND seq BETWEEN ?2 AND ?3)"
        let addSQL = baseline
            ? """
              SELECT f.path, f.partition_value, f.file_size_bytes, s.stage, \(Self.commitMs), f.record_count
              FROM lake_data_file f LEFT JOIN lake_snapshot s ON s.snapshot_id = f.begin_snapshot
              WHERE f.table_id = ?1 AND f.begin_snapshot <= ?4 AND (f.end_snapshot IS NULL OR f.end_snapshot > ?4)
              ORDER BY f.file_id
              """
            : """
              SELECT f.path, f.partition_value, f.file_size_bytes, s.stage, \(Self.commitMs), f.record_count
              FROM lake_data_file f LEFT JOIN lake_snapshot s ON s.snapshot_id = f.begin_snapshot
              WHERE f.table_id = ?1 AND f.begin_snapshot IN \(inGroup)
                AND (f.end_snapshot IS NULL OR f.end_snapshot NOT IN \(inGroup))
              ORDER BY f.file_id
              """
        let removeSQL = """
            SELECT f.path, f.partition_value, f.file_size_bytes, s.stage, \(Self.commitMs), f.record_count
            FROM lake_data_file f LEFT JOIN lake_snapshot s ON s.snapshot_id = f.end_snapshot
            WHERE f.table_id = ?1 AND f.end_snapshot IN \(inGroup) AND f.begin_snapshot NOT IN \(inGroup)
            ORDER BY f.file_id
            """
        func actions(_ sql: String, _ withStats: Bool) throws -> [DeltaActions.FileAction] {
            let args: [SQLValue] = [.int(table), .int(first), .int(last)] + (sql.contains("?4") ? [.int(high)] : [])
            return try db.query(sql, arguments: args).map { r in
                let path = relative(r[0].text ?? "", name)
                var a = DeltaActions.FileAction(
                    path: path, partition: r[1].text, size: r[2].int ?? 0, timeMs: r[4].int ?? 0,
                    dataChange: r[3].text != "compact", stats: nil)
                a.rows = r[5].int ?? 0
                if withStats {
                    let full = catalog.paths.root + "/" + name + "/" + path
                    do {
                        a.stats = DeltaActions.stats(try ParquetReader(path: full).metadata)
                    } catch {
                        throw LakeError("delta log", path: full, "cannot read the footer of a file version \(first) adds: \(error)",
                            hint: "the file the catalog lists is damaged or gone; `lake status` lists problems")
                    }
                }
                return a
            }
        }
        let removes = baseline ? [] : try actions(removeSQL, false)
        return (try actions(addSQL, stats), removes, low...max(low, high))
    }

    private func write(table: Int64, name: String, version v: Version) throws {
        let (adds, removes, snapshots) = try fileActions(table: table, name: name, first: v.firstSeq, last: v.lastSeq, stats: true)
        var lines: [String] = []
        let mode: String? = v.operation == "OPTIMIZE" ? nil : v.operation == "CONVERT TO DELTA" ? nil
            : removes.isEmpty ? "Append" : "Overwrite"
        lines.append(DeltaActions.commitInfo(timeMs: v.timeMs, operation: v.operation, mode: mode,
                                             blindAppend: removes.isEmpty && v.dataChange && v.operation != "CONVERT TO DELTA",
                                             snapshots: snapshots))
        if v.version == 0 { lines.append(DeltaActions.protocolAction) }
        if let schema = v.schemaString {
            let meta = try db.query("SELECT delta_id, created_ms FROM lake_delta_table WHERE table_id = ?", .int(table)).first
            guard let id = meta?[0].text else {
                throw LakeError("delta log", path: catalog.paths.catalog, "table \(name) has no Delta id",
                    hint: "the catalog was edited by hand; restore it from a backup")
            }
            lines.append(DeltaActions.metaData(id: id, table: name, schemaString: schema, createdMs: meta?[1].int ?? v.timeMs))
        }
        lines += removes.map(DeltaActions.remove)
        lines += adds.map(DeltaActions.add)
        let logDir = catalog.paths.root + "/" + name + "/_delta_log"
        try DeltaFiles.makeDirectory(logDir)
        try DeltaFiles.putIfAbsent(Array((lines.joined(separator: "\n") + "\n").utf8),
                                   at: logDir + "/" + DeltaFiles.versionName(v.version) + ".json", folder: logDir)
        try db.transaction {
            try db.run("""
                UPDATE lake_delta_version SET status = 'written', files_added = ?, files_removed = ?,
                  rows_added = ?, rows_removed = ?
                WHERE table_id = ? AND version = ?
                """, .of(adds.count), .of(removes.count), .int(adds.reduce(0) { $0 + $1.rows }),
                .int(removes.reduce(0) { $0 + $1.rows }), .int(table), .int(v.version))
            let inGroup = "(SELECT snapshot_id FROM lake_delta_pending WHERE table_id = ?1 AND seq BETWEEN ?2 AND ?3)"
            let baseline = try db.scalar("SELECT max(baseline) FROM lake_delta_pending WHERE table_id = ?1 AND seq BETWEEN ?2 AND ?3",
                                         .int(table), .int(v.firstSeq), .int(v.lastSeq))?.int == 1
            if baseline {
                try db.run("""
                    UPDATE lake_data_file SET delta_added = ?4 WHERE table_id = ?1 AND begin_snapshot <= ?5
                      AND (end_snapshot IS NULL OR end_snapshot > ?5)
                    """, .int(table), .int(v.firstSeq), .int(v.lastSeq), .int(v.version), .int(snapshots.upperBound))
            } else {
                try db.run("UPDATE lake_data_file SET delta_added = ?4 WHERE table_id = ?1 AND begin_snapshot IN \(inGroup)",
                           .int(table), .int(v.firstSeq), .int(v.lastSeq), .int(v.version))
                try db.run("UPDATE lake_data_file SET delta_removed = ?4 WHERE table_id = ?1 AND end_snapshot IN \(inGroup)",
                           .int(table), .int(v.firstSeq), .int(v.lastSeq), .int(v.version))
            }
            try db.run("DELETE FROM lake_delta_pending WHERE table_id = ? AND seq BETWEEN ? AND ?",
                       .int(table), .int(v.firstSeq), .int(v.lastSeq))
        }
        if v.version > 0 && v.version % Self.checkpointEvery == 0 {
            try DeltaCheckpoint(catalog: catalog, table: table, name: name).write(version: v.version, logDir: logDir)
        }
    }
}
