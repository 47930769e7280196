import Foundation

/// What folding a job's history removed.
public struct FoldResult: Sendable {
    public var snapshots = 0
    public var runs = 0
}

/// Keeping the catalog bounded while a job follows for weeks (SPEC §7, §10): old snapshots are
/// folded, old run rows pruned, the WAL checkpointed off the commit path.
extension Catalog {
    /// Deletes the job's committed snapshots older than `retentionSeconds` that nothing needs:
    /// not the newest of its stage, not a silver snapshot gold has not read yet, and not the
    /// snapshot that added or retired a file the catalog still lists (a file row stays while
    /// the file is live or not yet vacuumed, and keeps its snapshots). Run rows older than the
    /// retention go too, but the newest run of each stage stays. Works in small transactions
    /// so a stage committing meanwhile waits for milliseconds, not for the whole fold.
    @discardableResult
    public func fold(job: String, retentionSeconds: Int) throws -> FoldResult {
        var result = FoldResult()
        let cutoff = Timestamps.iso(micros: Clock.nowMicros() - Int64(retentionSeconds) * 1_000_000)
        let chunk = 2_000
        while true {
            let n = try db.transaction { () -> Int in
                try db.run("""
                    DELETE FROM lake_snapshot WHERE snapshot_id IN (
                      SELECT s.snapshot_id FROM lake_snapshot s
                      WHERE s.job = ?1 AND s.status = 'committed' AND s.committed_at <= ?2
                        AND s.snapshot_id < (SELECT max(l.snapshot_id) FROM lake_snapshot l
                                             WHERE l.job = ?1 AND l.stage IS s.stage AND l.status = 'committed')
                        AND NOT (s.stage = 'silver' AND s.snapshot_id > coalesce(
                              (SELECT CAST(value AS INTEGER) FROM lake_checkpoint
                               WHERE job = ?1 AND stage = 'gold' AND key = 'silver_snapshot'), 0))
                        AND NOT EXISTS (SELECT 1 FROM lake_data_file f WHERE f.begin_snapshot = s.snapshot_id)
                        AND NOT EXISTS (SELECT 1 FROM lake_data_file f WHERE f.end_snapshot = s.snapshot_id)
                      ORDER BY s.snapshot_id LIMIT ?3)
                    """, .text(job), .text(cutoff), .int(Int64(chunk)))
                return sqlite3Changes(db)
            }
            result.snapshots += n
            if n < chunk { break }
        }
        while true {
            let n = try db.transaction { () -> Int in
                let old = """
                    SELECT r.run_id FROM lake_run r
                    WHERE r.job = ?1 AND r.status != 'running' AND coalesce(r.ended_at, r.started_at) <= ?2
                      AND r.run_id < (SELECT max(l.run_id) FROM lake_run l WHERE l.job = ?1 AND l.stage = r.stage)
                    ORDER BY r.run_id LIMIT ?3
                    """
                try db.run("CREATE TEMP TABLE IF NOT EXISTS fold_runs (run_id INTEGER PRIMARY KEY)")
                try db.run("DELETE FROM fold_runs")
                try db.run("INSERT INTO fold_runs \(old)", .text(job), .text(cutoff), .int(Int64(chunk)))
                try db.run("DELETE FROM lake_run_stat WHERE run_id IN (SELECT run_id FROM fold_runs)")
                try db.run("DELETE FROM lake_run WHERE run_id IN (SELECT run_id FROM fold_runs)")
                return sqlite3Changes(db)
            }
            result.runs += n
            if n < chunk { break }
        }
        return result
    }

    /// Copies the WAL's committed pages into the database without waiting for anyone
    /// (`PASSIVE`); the next writer then starts the WAL over, and `journal_size_limit` trims
    /// the file. The follow loop calls it every second from its maintenance thread, with the
    /// stages' automatic checkpoints off, so no commit pays for one.
    ///
    /// Under a steady stream some connection is nearly always reading, so the WAL rarely gets
    /// the instant it needs to start over and grew to its size limit (67 MB in the 30-minute
    /// soak). Once a passive pass has copied everything and the file is past `truncateAbove`,
    /// a `TRUNCATE` checkpoint waits at most `waitMs` for the readers to move on; it holds
    /// writers back only for that wait, since the pages are already copied.
    public func checkpointWAL(truncateAbove: Int = 8 << 20, waitMs: Int32 = 50) throws {
        let r = try db.query("PRAGMA wal_checkpoint(PASSIVE)")
        guard let row = r.first, let log = row[1].int, let copied = row[2].int, log >= 0, log == copied else { return }
        let attributes = try? FileManager.default.attributesOfItem(atPath: paths.catalog + "-wal")
        guard let size = attributes?[.size] as? Int, size > truncateAbove else { return }
        db.setBusyTimeout(milliseconds: waitMs)
        defer { db.setBusyTimeout(milliseconds: 10_000) }
        _ = try? db.query("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// How many snapshots the catalog keeps for the job, and the oldest one's commit time.
    public func snapshotHistory(job: String) throws -> (count: Int, since: String?) {
        let r = try db.query("SELECT count(*), min(committed_at) FROM lake_snapshot WHERE job = ? AND status = 'committed'",
                             .text(job))
        return (Int(r.first?[0].int ?? 0), r.first?[1].text)
    }
}
