import Foundation

/// A data file as the catalog records it. Paths are relative to the lake root.
public struct DataFile: Sendable, Equatable {
    public var fileID: Int64 = 0
    public var table: String
    public var path: String
    public var partition: String?
    public var recordCount: Int64
    public var fileSizeBytes: Int64
    public var minTimeMicros: Int64?
    public var maxTimeMicros: Int64?
    public var minIngestID: Int64?
    public var maxIngestID: Int64?

    public init(
        table: String, path: String, partition: String?, recordCount: Int64, fileSizeBytes: Int64,
        minTimeMicros: Int64? = nil, maxTimeMicros: Int64? = nil, minIngestID: Int64? = nil,
        maxIngestID: Int64? = nil
    ) {
        self.table = table
        self.path = path
        self.partition = partition
        self.recordCount = recordCount
        self.fileSizeBytes = fileSizeBytes
        self.minTimeMicros = minTimeMicros
        self.maxTimeMicros = maxTimeMicros
        self.minIngestID = minIngestID
        self.maxIngestID = maxIngestID
    }
}

/// The lake's single source of truth: `<lake>/catalog.db`, SQLite in WAL mode.
/// A table's contents are exactly its live files (`end_snapshot IS NULL`); a commit registers
/// new files, retires old ones and advances checkpoints in one transaction.
public final class Catalog {
    public let paths: LakePaths
    public let db: Database

    /// Opens (creating when missing) the catalog and applies pending migrations.
    public init(paths: LakePaths, readOnly: Bool = false) throws {
        self.paths = paths
        if readOnly {
            guard FileManager.default.fileExists(atPath: paths.catalog) else {
                throw LakeError("open catalog", path: paths.catalog, "no catalog here",
                    hint: "run `lake run bronze` first, or pass --lake DIR")
            }
            db = try Database(path: paths.catalog, readOnly: true)
            // A first run killed before its set-up committed leaves an empty database file.
            if try db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lake_migration'") == nil {
                throw LakeError("open catalog", path: paths.catalog, "the catalog is empty (its first run did not finish)",
                    hint: "run `lake run bronze` to set it up, or pass --lake DIR")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
        } catch {
            throw LakeError("create lake folder", path: paths.root, "\(error.localizedDescription)",
                hint: "check the --lake path and its permissions")
        }
        // Set-up is serialized between processes: switching a new catalog to WAL takes a lock
        // SQLite will not wait for (it skips the busy handler), so of two runs started together
        // on a new lake one failed at once with "database is locked".
        let setup = try StageLock(paths: paths, job: "catalog", stage: "setup", wait: true)
        defer { setup.release() }
        db = try Database(path: paths.catalog)
        try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
        // A gold commit writes ~25 MB of b-tree pages in one transaction; with SQLite's default
        // 2 MB page cache and rows in random order it spilled and re-read pages ~150k times
        // (strace: 160k pwrite, 151k pread). Gold now writes in key order, so 8 MB is as fast
        // as 32 MB (A/B); 32 MB filled up once the gold table outgrew it and peak RSS grew from
        // 1M to 5M events by the difference. `commit` hands the cache back afterwards.
        try db.execute("PRAGMA cache_size = -8192")
        // A WAL that readers kept from restarting is cut back to this once it can restart.
        try db.execute("PRAGMA journal_size_limit = 16777216")
        try migrate()
    }

    private func migrate() throws {
        try db.transaction {
            try db.execute("CREATE TABLE IF NOT EXISTS lake_migration (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            for m in CatalogSchema.migrations {
                if try db.scalar("SELECT 1 FROM lake_migration WHERE name = ?", .text(m.name)) != nil { continue }
                try db.execute(m.sql)
                try db.run("INSERT INTO lake_migration (name, applied_at) VALUES (?, ?)", .text(m.name), .text(Clock.isoNow()))
            }
        }
    }

    // MARK: tables

    /// Registers a table (idempotent) and returns its id.
    @discardableResult
    public func ensureTable(name: String, job: String, layer: String, schemaJSON: String, partitionColumn: String?) throws -> Int64 {
        if let id = try db.scalar("SELECT table_id FROM lake_table WHERE table_name = ?", .text(name))?.int {
            return id
        }
        try db.run(
            "INSERT INTO lake_table (table_name, job, layer, schema_json, partition_column, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            .text(name), .text(job), .text(layer), .text(schemaJSON), .of(partitionColumn), .text(Clock.isoNow()))
        return db.lastInsertRowID
    }

    public func tableID(_ name: String) throws -> Int64? {
        try db.scalar("SELECT table_id FROM lake_table WHERE table_name = ?", .text(name))?.int
    }

    /// The table's live files, in the order they were added.
    public func liveFiles(table: String) throws -> [DataFile] {
        let rows = try db.query("""
            SELECT f.file_id, f.path, f.partition_value, f.record_count, f.file_size_bytes, f.min_time_us,
                   f.max_time_us, f.min_ingest_id, f.max_ingest_id
            FROM lake_data_file f JOIN lake_table t USING (table_id)
            WHERE t.table_name = ? AND f.end_snapshot IS NULL ORDER BY f.file_id
            """, .text(table))
        return rows.map { r in
            var f = DataFile(
                table: table, path: r[1].text ?? "", partition: r[2].text, recordCount: r[3].int ?? 0,
                fileSizeBytes: r[4].int ?? 0, minTimeMicros: r[5].int, maxTimeMicros: r[6].int,
                minIngestID: r[7].int, maxIngestID: r[8].int)
            f.fileID = r[0].int ?? 0
            return f
        }
    }

    // MARK: runs

    public func beginRun(job: String, stage: String) throws -> Int64 {
        try db.run(
            "INSERT INTO lake_run (job, stage, pid, started_at, status) VALUES (?, ?, ?, ?, 'running')",
            .text(job), .text(stage), .of(Int(getpid())), .text(Clock.isoNow()))
        return db.lastInsertRowID
    }

    /// Closes a run. Runs left `running` by a killed process are marked failed by the next run.
    public func endRun(_ runID: Int64, error: String?) throws {
        try db.run(
            "UPDATE lake_run SET ended_at = ?, status = ?, error = ? WHERE run_id = ?",
            .text(Clock.isoNow()), .text(error == nil ? "ok" : "failed"), .of(error), .int(runID))
    }

    /// Marks runs of this stage still `running` whose process is gone as failed: they were
    /// killed. (A live one is a `--follow` run between micro-batches.)
    public func closeAbandonedRuns(job: String, stage: String) throws {
        let running = try db.query(
            "SELECT run_id, pid FROM lake_run WHERE job = ? AND stage = ? AND status = 'running'",
            .text(job), .text(stage))
        for r in running {
            guard let id = r[0].int, let pid = r[1].int else { continue }
            if pid != Int64(getpid()) && kill(pid_t(pid), 0) == 0 { continue }
            try db.run("""
                UPDATE lake_run SET status = 'failed', ended_at = ?, error = 'killed (no clean exit)'
                WHERE run_id = ?
                """, .text(Clock.isoNow()), .int(id))
        }
    }

    /// Adds to a run's counters (inside a commit transaction, so they match the data).
    public func addRunCounts(_ runID: Int64, rowsIn: Int, rowsOut: Int, quarantined: Int = 0, duplicates: Int = 0, watermarkMicros: Int64? = nil, stats: [String: Int] = [:]) throws {
        try db.run("""
            UPDATE lake_run SET rows_in = rows_in + ?, rows_out = rows_out + ?,
              rows_quarantined = rows_quarantined + ?, rows_duplicate = rows_duplicate + ?,
              snapshots = snapshots + 1, watermark_us = coalesce(?, watermark_us)
            WHERE run_id = ?
            """, .of(rowsIn), .of(rowsOut), .of(quarantined), .of(duplicates), .of(watermarkMicros), .int(runID))
        for (key, value) in stats where value != 0 {
            try db.run("""
                INSERT INTO lake_run_stat (run_id, key, value) VALUES (?, ?, ?)
                ON CONFLICT (run_id, key) DO UPDATE SET value = value + excluded.value
                """, .int(runID), .text(key), .of(value))
        }
    }

    // MARK: snapshots and commits

    /// Reserves a snapshot id for files about to be written (their names carry it). A snapshot
    /// left pending by a crash references nothing; `lake vacuum` removes its files.
    public func reserveSnapshot(job: String, stage: String, runID: Int64) throws -> Int64 {
        try db.run(
            "INSERT INTO lake_snapshot (status, created_at, job, stage, run_id) VALUES ('pending', ?, ?, ?, ?)",
            .text(Clock.isoNow()), .text(job), .text(stage), .int(runID))
        return db.lastInsertRowID
    }

    /// Commits `snapshot`: registers `add`, retires `retire` and runs `body` (checkpoints, gold
    /// rows) in one transaction. The files must already be durable in place.
    public func commit(snapshot: Int64, add: [DataFile], retire: [Int64] = [], summary: String, body: () throws -> Void) throws {
        try db.transaction {
            let updated = try db.prepare("UPDATE lake_snapshot SET status = 'committed', committed_at = ?, summary = ? WHERE snapshot_id = ? AND status = 'pending'")
            try updated.bind([.text(Clock.isoNow()), .text(summary), .int(snapshot)])
            try updated.execute()
            guard sqlite3Changes(db) == 1 else {
                throw LakeError("commit", path: paths.catalog, "snapshot \(snapshot) is no longer pending",
                    hint: "`lake vacuum` dropped it during a very long run; rerun the stage")
            }
            try register(add, snapshot: snapshot)
            for id in retire {
                try db.run("UPDATE lake_data_file SET end_snapshot = ? WHERE file_id = ? AND end_snapshot IS NULL", .int(snapshot), .int(id))
                guard sqlite3Changes(db) == 1 else {
                    throw LakeError("commit", path: paths.catalog, "file \(id) was retired by another commit",
                        hint: "a compaction or backfill ran at the same time; rerun this one")
                }
            }
            try body()
            // The Delta log's queue: every table this commit changed, in commit order.
            try db.run("""
                INSERT INTO lake_delta_pending (table_id, snapshot_id)
                SELECT DISTINCT table_id, ?1 FROM lake_data_file WHERE begin_snapshot = ?1
                UNION SELECT table_id, ?1 FROM lake_data_file WHERE end_snapshot = ?1
                """, .int(snapshot))
        }
        // Free the page cache the transaction filled (a large gold commit fills megabytes).
        _ = try? db.execute("PRAGMA shrink_memory")
    }

    /// Registers `files` as added by `snapshot` (inside `commit`, whose `add` does this; a body
    /// may register files it waited for itself).
    func register(_ files: [DataFile], snapshot: Int64) throws {
        for f in files {
            guard let tableID = try tableID(f.table) else {
                preconditionFailure("table \(f.table) not registered before commit")
            }
            try db.run("""
                INSERT INTO lake_data_file (table_id, path, partition_value, record_count, file_size_bytes,
                  min_time_us, max_time_us, min_ingest_id, max_ingest_id, begin_snapshot)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, .int(tableID), .text(f.path), .of(f.partition), .int(f.recordCount), .int(f.fileSizeBytes),
                .of(f.minTimeMicros), .of(f.maxTimeMicros), .of(f.minIngestID), .of(f.maxIngestID), .int(snapshot))
        }
    }

    // MARK: checkpoints

    public func checkpoint(job: String, stage: String, key: String) throws -> (value: String?, state: [UInt8]?) {
        let rows = try db.query(
            "SELECT value, state FROM lake_checkpoint WHERE job = ? AND stage = ? AND key = ?",
            .text(job), .text(stage), .text(key))
        guard let r = rows.first else { return (nil, nil) }
        return (r[0].text, r[1].blob)
    }

    /// Writes a checkpoint value (call inside `commit`'s body).
    public func setCheckpoint(job: String, stage: String, key: String, value: String?, state: [UInt8]? = nil, snapshot: Int64?) throws {
        try db.run("""
            INSERT INTO lake_checkpoint (job, stage, key, value, state, snapshot_id, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (job, stage, key) DO UPDATE SET value = excluded.value, state = excluded.state,
              snapshot_id = excluded.snapshot_id, updated_at = excluded.updated_at
            """, .text(job), .text(stage), .text(key), .of(value), state.map { .blob($0) } ?? .null,
            .of(snapshot), .text(Clock.isoNow()))
    }
}

import CSQLite

func sqlite3Changes(_ db: Database) -> Int { Int(sqlite3_changes(db.handle)) }

extension Catalog {
    /// The newest committed snapshot of a stage of a job (0: none).
    public func lastCommittedSnapshot(job: String, stage: Stage) throws -> Int64 {
        try db.scalar("""
            SELECT max(snapshot_id) FROM lake_snapshot WHERE status = 'committed' AND job = ? AND stage = ?
            """, .text(job), .text(stage.rawValue))?.int ?? 0
    }

    /// The snapshot that last wrote a checkpoint key (nil: never written): a stage kept in
    /// memory between passes compares it with the one it wrote to learn whether another
    /// process (a backfill, a cron run) moved it.
    public func checkpointSnapshot(job: String, stage: Stage, key: String) throws -> Int64? {
        try db.scalar("SELECT snapshot_id FROM lake_checkpoint WHERE job = ? AND stage = ? AND key = ?",
                      .text(job), .text(stage.rawValue), .text(key))?.int
    }

    /// The partition column of a registered table (nil: unpartitioned, or no such table).
    public func partitionColumn(table: String) throws -> String? {
        try db.scalar("SELECT partition_column FROM lake_table WHERE table_name = ?", .text(table))?.text
    }
}
