import Foundation

/// What `lake vacuum` did.
public struct VacuumResult: Sendable {
    /// Bronze files deleted because they passed the job's `[bronze] retention`.
    public var bronzeFilesPurged = 0
    public var retiredFilesDeleted = 0
    public var orphansDeleted = 0
    public var pendingSnapshotsDropped = 0
    public var bytesFreed: Int64 = 0
}

/// `lake vacuum`: deletes files no live table references — retired files whose retiring commit is
/// older than the retention period, and orphans (files of interrupted commits) older than it —
/// so a reader that listed files before a compaction or backfill is never broken.
///
/// A retired file is one a Delta version still lists until the version that removed it ages
/// past the job's `[catalog] delta_retention` (Delta's `deletedFileRetentionDuration`, 7 days):
/// time travel to any version inside the retention finds all its files.
public enum Vacuum {
    /// Retired files per job's `delta_retention`; orphans after `retentionSeconds`. With
    /// `overrideRetired`, every retired file older than that goes (`lake vacuum --retention-seconds`).
    public static func run(_ catalog: Catalog, retentionSeconds: Int64, jobs: [JobDefinition],
                           overrideRetired: Int64? = nil) throws -> VacuumResult {
        var result = VacuumResult()
        let cutoffMicros = Clock.nowMicros() - retentionSeconds * 1_000_000
        let cutoff = Timestamps.iso(micros: cutoffMicros)
        // Caught up first: a retired file leaves disk only after the version removing it exists.
        try DeltaLog(catalog: catalog).catchUp()
        let defaultRetired = overrideRetired ?? Int64(CatalogSettings().deltaRetentionSeconds)
        var byJob: [String: Int64] = [:]
        for job in jobs { byJob[job.name] = overrideRetired ?? Int64(job.catalog.deltaRetentionSeconds) }
        for job in jobs where job.bronze.retentionSeconds != nil { try purgeBronze(catalog, job: job, into: &result) }
        let known = try catalog.db.query("SELECT DISTINCT job FROM lake_table").compactMap { $0[0].text }
        for job in known {
            let keep = byJob[job] ?? defaultRetired
            let jobCutoff = Timestamps.iso(micros: Clock.nowMicros() - keep * 1_000_000)
            try deleteRetired(catalog, job: job, cutoff: jobCutoff, into: &result)
        }
        let tables = try catalog.db.query("SELECT table_name FROM lake_table").compactMap { $0[0].text }
        for orphan in try LakeStatus.orphanFiles(catalog, tables: tables) {
            let full = catalog.paths.root + "/" + orphan
            var st = stat()
            guard stat(full, &st) == 0 else { continue }
            let mtimeMicros = Int64(st.st_mtim.tv_sec) * 1_000_000
            guard mtimeMicros <= cutoffMicros else { continue }
            if unlink(full) == 0 {
                result.orphansDeleted += 1
                result.bytesFreed += Int64(st.st_size)
            }
        }
        try catalog.db.transaction {
            try catalog.db.run("""
                DELETE FROM lake_snapshot WHERE status = 'pending' AND created_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM lake_data_file WHERE begin_snapshot = snapshot_id)
                  AND (run_id IS NULL OR run_id NOT IN (SELECT run_id FROM lake_run WHERE status = 'running'))
                """, .text(cutoff))
            result.pendingSnapshotsDropped = sqlite3Changes(catalog.db)
        }
        return result
    }

    /// `[bronze] retention`: bronze files whose newest line was ingested longer ago than the
    /// retention and that silver has read are retired in a commit of their own (so the Delta
    /// log records the removal) and deleted at once, not after `delta_retention`: the point of
    /// the retention is that the raw bytes (personal data among them) are gone. The newest
    /// ingestion time purged is kept (`purged_through`), so a silver backfill of dates whose
    /// lines may be gone says so instead of returning less.
    static func purgeBronze(_ catalog: Catalog, job: JobDefinition, into result: inout VacuumResult) throws {
        guard let keep = job.bronze.retentionSeconds else { return }
        let cutoff = Clock.nowMicros() - Int64(keep) * 1_000_000
        let position = Int64(try catalog.checkpoint(job: job.name, stage: "silver", key: "position").value ?? "") ?? 0
        let old = try catalog.liveFiles(table: job.bronze.table)
            .filter { ($0.maxTimeMicros ?? Int64.max) < cutoff && ($0.maxIngestID ?? Int64.max) <= position }
        if !old.isEmpty {
            let through = old.compactMap(\.maxTimeMicros).max() ?? cutoff
            let previous = Int64(try catalog.checkpoint(job: job.name, stage: "bronze", key: "purged_through").value ?? "") ?? Int64.min
            try StageRunner.run(catalog: catalog, job: job.name, stage: "vacuum", wait: true) { runID in
                let snapshot = try catalog.reserveSnapshot(job: job.name, stage: "vacuum", runID: runID)
                try catalog.commit(snapshot: snapshot, add: [], retire: old.map(\.fileID),
                                   summary: "bronze retention: \(old.count) files ingested before \(Timestamps.iso(micros: cutoff))") {
                    try catalog.setCheckpoint(job: job.name, stage: "bronze", key: "purged_through",
                                              value: String(max(previous, through)), snapshot: snapshot)
                }
            }
        }
        // Every retired bronze file past the retention (these, and any a crash or a compaction
        // left retired) goes now.
        let rows = try catalog.db.query("""
            SELECT f.file_id, f.path, f.file_size_bytes FROM lake_data_file f
            WHERE f.table_id = (SELECT table_id FROM lake_table WHERE table_name = ?)
              AND f.end_snapshot IS NOT NULL AND f.max_time_us < ?
            """, .text(job.bronze.table), .int(cutoff))
        for r in rows {
            guard let id = r[0].int, let path = r[1].text else { continue }
            let full = catalog.paths.root + "/" + path
            if unlink(full) != 0 && errno != ENOENT {
                throw LakeError("vacuum", path: full, String(cString: strerror(errno)), hint: "check permissions")
            }
            try catalog.db.transaction { try catalog.db.run("DELETE FROM lake_data_file WHERE file_id = ?", .int(id)) }
            result.bronzeFilesPurged += 1
            result.bytesFreed += r[2].int ?? 0
        }
        let listed = try catalog.deleteRetiredLists(
            where: "table_id = (SELECT table_id FROM lake_table WHERE table_name = ?) AND max_time_us < ?",
            [.text(job.bronze.table), .int(cutoff)])
        result.bronzeFilesPurged += listed.files
        result.bytesFreed += listed.bytes
    }

    private static func deleteRetired(_ catalog: Catalog, job: String, cutoff: String, into result: inout VacuumResult) throws {
        let retired = try catalog.db.query("""
            SELECT f.file_id, f.path, f.file_size_bytes FROM lake_data_file f
            JOIN lake_table t ON t.table_id = f.table_id
            JOIN lake_snapshot s ON s.snapshot_id = f.end_snapshot
            WHERE t.job = ? AND f.end_snapshot IS NOT NULL AND s.committed_at <= ?
            """, .text(job), .text(cutoff))
        for r in retired {
            guard let id = r[0].int, let path = r[1].text else { continue }
            let full = catalog.paths.root + "/" + path
            if unlink(full) != 0 && errno != ENOENT {
                throw LakeError("vacuum", path: full, String(cString: strerror(errno)), hint: "check permissions")
            }
            // The row goes in its own transaction after the file: a crash between the two
            // leaves a row whose file is gone, which the next vacuum removes.
            try catalog.db.transaction {
                try catalog.db.run("DELETE FROM lake_data_file WHERE file_id = ?", .int(id))
            }
            result.retiredFilesDeleted += 1
            result.bytesFreed += r[2].int ?? 0
        }
        // Lists are deleted whole once their newest retirement is past the cutoff.
        let listed = try catalog.deleteRetiredLists(
            where: "table_id IN (SELECT table_id FROM lake_table WHERE job = ?) AND retired_last <= ?",
            [.text(job), .text(cutoff)])
        result.retiredFilesDeleted += listed.files
        result.bytesFreed += listed.bytes
    }
}
