import Foundation

/// What `lake vacuum` did.
public struct VacuumResult: Sendable {
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
    }
}
