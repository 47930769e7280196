import Foundation

/// Everything `lake status` shows, read in one catalog read transaction (a consistent view).
public struct LakeStatus {
    public struct Table {
        public var name: String
        public var job: String
        public var layer: String
        public var rows: Int64
        public var files: Int64
        public var bytes: Int64
        public var retiredFiles: Int64
        /// The newest version of the table's `_delta_log`, and commits not yet in it.
        public var deltaVersion: Int64?
        public var deltaQueued: Int64 = 0
    }

    public struct Run {
        public var runID: Int64
        public var job: String
        public var stage: String
        public var status: String
        public var startedAt: String
        public var endedAt: String?
        public var rowsIn: Int64
        public var rowsOut: Int64
        public var quarantined: Int64
        public var duplicates: Int64
        public var error: String?
    }

    /// Bronze rows = silver rows + duplicates + quarantined + not yet processed, per job.
    public struct Accounting {
        public var job: String
        public var bronzeRows: Int64
        public var silverRows: Int64
        public var duplicates: Int64
        public var quarantined: Int64
        public var pending: Int64
        public var balanced: Bool { bronzeRows == silverRows + duplicates + quarantined + pending }
    }

    public var tables: [Table] = []
    public var checkpoints: [(job: String, stage: String, key: String, value: String, stateBytes: Int)] = []
    public var sources: [(job: String, source: String, offset: Int64, lines: Int64)] = []
    /// Kafka messages without a value each job's bronze skipped (SPEC §14).
    public var tombstones: [String: Int64] = [:]
    /// Jobs whose Kafka source is in an outage under `--follow`: since when, and why.
    public var kafkaOutages: [String: String] = [:]
    public var runs: [Run] = []
    public var accounting: [Accounting] = []
    /// Files in table folders that no catalog row references (left by a crash), lake-relative.
    public var orphans: [String] = []
    /// Damaged compressed landing files bronze set aside: the landing folder (lake-relative),
    /// the file's name in its `_rejected/` folder, and why.
    public var rejected: [(landing: String, file: String, reason: String)] = []
    /// Per job: committed snapshots the catalog keeps and the oldest one's commit time (older
    /// ones are folded past the job's `[catalog] snapshot_retention`).
    public var history: [(job: String, snapshots: Int, since: String?)] = []
    /// catalog.db and its WAL, in bytes.
    public var catalogBytes: Int64 = 0
    public var walBytes: Int64 = 0

    /// The set-aside files of every landing folder under `<root>/landing/` (or of `landing`,
    /// lake-relative, alone).
    public static func rejectedFiles(root: String, landing: String? = nil) -> [(landing: String, file: String, reason: String)] {
        let folders = landing.map { [$0] } ?? ((try? FileManager.default.contentsOfDirectory(atPath: root + "/landing")) ?? [])
            .sorted().map { "landing/" + $0 }
        return folders.flatMap { folder in
            LandingFolder.rejected(root + "/" + folder).map { (folder, $0.name, $0.reason) }
        }
    }

    public static func read(_ catalog: Catalog) throws -> LakeStatus {
        try catalog.db.read { try readInTransaction(catalog) }
    }

    private static func readInTransaction(_ catalog: Catalog) throws -> LakeStatus {
        var s = LakeStatus()
        let db = catalog.db
        for r in try db.query("""
            SELECT t.table_name, t.job, t.layer,
              coalesce(sum(CASE WHEN f.end_snapshot IS NULL THEN f.record_count END), 0),
              count(CASE WHEN f.file_id IS NOT NULL AND f.end_snapshot IS NULL THEN 1 END),
              coalesce(sum(CASE WHEN f.end_snapshot IS NULL THEN f.file_size_bytes END), 0),
              count(CASE WHEN f.end_snapshot IS NOT NULL THEN 1 END)
            FROM lake_table t LEFT JOIN lake_data_file f USING (table_id)
            GROUP BY t.table_id ORDER BY t.table_id
            """) {
            s.tables.append(Table(
                name: r[0].text ?? "", job: r[1].text ?? "", layer: r[2].text ?? "", rows: r[3].int ?? 0,
                files: r[4].int ?? 0, bytes: r[5].int ?? 0, retiredFiles: r[6].int ?? 0))
        }
        if try db.scalar("SELECT 1 FROM sqlite_schema WHERE name = 'lake_retired_list'") != nil {
            for r in try db.query("""
                SELECT t.table_name, sum(l.file_count) FROM lake_retired_list l JOIN lake_table t USING (table_id)
                GROUP BY t.table_name
                """) {
                if let i = s.tables.firstIndex(where: { $0.name == r[0].text }) { s.tables[i].retiredFiles += r[1].int ?? 0 }
            }
        }
        // A catalog from before the Delta log (opened read-only, not yet migrated) has none.
        if try db.scalar("SELECT 1 FROM sqlite_schema WHERE name = 'lake_delta_version'") != nil {
            var versions: [String: (Int64?, Int64)] = [:]
            for r in try db.query("""
                SELECT t.table_name,
                  (SELECT max(version) FROM lake_delta_version v WHERE v.table_id = t.table_id AND v.status = 'written'),
                  (SELECT count(*) FROM lake_delta_pending q WHERE q.table_id = t.table_id)
                FROM lake_table t
                """) {
                versions[r[0].text ?? ""] = (r[1].int, r[2].int ?? 0)
            }
            for i in s.tables.indices {
                if let v = versions[s.tables[i].name] { (s.tables[i].deltaVersion, s.tables[i].deltaQueued) = v }
            }
        }
        for r in try db.query("SELECT job, stage, key, coalesce(value, ''), length(state) FROM lake_checkpoint ORDER BY job, stage, key") {
            s.checkpoints.append((r[0].text ?? "", r[1].text ?? "", r[2].text ?? "", r[3].text ?? "", Int(r[4].int ?? 0)))
        }
        for r in try db.query("SELECT job, source, byte_offset, line_count FROM lake_source_position ORDER BY job, source") {
            s.sources.append((r[0].text ?? "", r[1].text ?? "", r[2].int ?? 0, r[3].int ?? 0))
        }
        for r in try db.query("SELECT job, value FROM lake_checkpoint WHERE stage = 'bronze' AND key = 'kafka_outage'") {
            s.kafkaOutages[r[0].text ?? ""] = r[1].text ?? ""
        }
        for r in try db.query("SELECT job, value FROM lake_checkpoint WHERE stage = 'bronze' AND key = 'kafka_tombstones'") {
            s.tombstones[r[0].text ?? ""] = Int64(r[1].text ?? "") ?? 0
        }
        for r in try db.query("""
            SELECT run_id, job, stage, status, started_at, ended_at, rows_in, rows_out, rows_quarantined,
                   rows_duplicate, error
            FROM lake_run ORDER BY run_id DESC LIMIT 10
            """) {
            s.runs.append(Run(
                runID: r[0].int ?? 0, job: r[1].text ?? "", stage: r[2].text ?? "", status: r[3].text ?? "",
                startedAt: r[4].text ?? "", endedAt: r[5].text, rowsIn: r[6].int ?? 0, rowsOut: r[7].int ?? 0,
                quarantined: r[8].int ?? 0, duplicates: r[9].int ?? 0, error: r[10].text))
        }
        for job in Set(s.tables.map(\.job)).sorted() {
            if let a = try accounting(catalog, job: job, tables: s.tables) { s.accounting.append(a) }
        }
        s.rejected = rejectedFiles(root: catalog.paths.root)
        s.orphans = try orphanFiles(catalog, tables: s.tables.map(\.name)
            + tableFolders(root: catalog.paths.root).filter { f in !s.tables.contains { $0.name == f } })
        for r in try db.query("""
            SELECT job, count(*), min(committed_at) FROM lake_snapshot
            WHERE status = 'committed' AND job IS NOT NULL GROUP BY job ORDER BY job
            """) {
            s.history.append((r[0].text ?? "", Int(r[1].int ?? 0), r[2].text))
        }
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        s.catalogBytes = size(catalog.paths.catalog)
        s.walBytes = size(catalog.paths.catalog + "-wal")
        return s
    }

    /// The job's tables are found by layer in the catalog, so status needs no job files.
    static func accounting(_ catalog: Catalog, job: String, tables: [Table]) throws -> Accounting? {
        func table(_ layer: String) -> Table? { tables.first { $0.job == job && $0.layer == layer } }
        guard let bronze = table("bronze") else { return nil }
        let position = Int64(try catalog.checkpoint(job: job, stage: "silver", key: "position").value ?? "") ?? 0
        let duplicates = try catalog.db.scalar(
            "SELECT coalesce(sum(duplicate_count), 0) FROM lake_silver_duplicates WHERE job = ?", .text(job))?.int ?? 0
        let pending = try catalog.db.scalar("""
            SELECT coalesce(sum(f.record_count), 0) FROM lake_data_file f JOIN lake_table t USING (table_id)
            WHERE t.table_name = ? AND f.end_snapshot IS NULL AND f.min_ingest_id > ?
            """, .text(bronze.name), .int(position))?.int ?? 0
        return Accounting(
            job: job, bronzeRows: bronze.rows, silverRows: table("silver")?.rows ?? 0,
            duplicates: duplicates, quarantined: table("quarantine")?.rows ?? 0, pending: pending)
    }

    /// Folders of the lake root laid out as tables (a `_delta_log` or `date=` partitions), whether
    /// the catalog registers them or not: a catalog that lost its last commits (a damaged WAL, a
    /// restored copy) no longer names the tables those commits created, and their files are
    /// still orphans to show. (Vacuum deletes only under registered tables.)
    static func tableFolders(root: String) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else { return [] }
        return names.filter { name in
            guard !["landing", "logs", "locks"].contains(name), !name.hasPrefix("."),
                  let inside = try? fm.contentsOfDirectory(atPath: root + "/" + name) else { return false }
            return inside.contains { $0 == "_delta_log" || $0.hasPrefix("date=") }
        }.sorted()
    }

    /// Parquet and temp files under the tables' folders that the catalog does not know, and
    /// temporary files left in a `_delta_log`.
    static func orphanFiles(_ catalog: Catalog, tables: [String]) throws -> [String] {
        var known = Set<String>()
        for r in try catalog.db.query("SELECT path FROM lake_data_file") { known.insert(r[0].text ?? "") }
        for (_, _, list) in try catalog.retiredLists() { for e in list.entries { known.insert(e.path) } }
        var orphans: [String] = []
        for table in tables {
            guard let walker = FileManager.default.enumerator(atPath: catalog.paths.root + "/" + table) else { continue }
            while let name = walker.nextObject() as? String {
                let relative = table + "/" + name
                let base = (name as NSString).lastPathComponent
                if name.hasPrefix("_delta_log/") {
                    // The log's versions and checkpoints are not data files; a temporary file
                    // left by a kill while one was written is.
                    if base.hasPrefix(".tmp-") { orphans.append(relative) }
                    continue
                }
                guard base.hasSuffix(".parquet") || base.hasSuffix(".tmp") else { continue }
                if !known.contains(relative) { orphans.append(relative) }
            }
        }
        return orphans.sorted()
    }
}
