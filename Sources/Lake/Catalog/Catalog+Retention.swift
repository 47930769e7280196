import Foundation

/// What folding a job's history removed.
public struct FoldResult: Sendable {
    public var snapshots = 0
    /// Of `snapshots`, those merged into the last snapshot of their minute.
    public var thinned = 0
    public var runs = 0
    /// Retired file rows moved into compressed lists (`RetiredFileList`).
    public var retiredFilesListed = 0
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
    public func fold(job: String, retentionSeconds: Int, detailSeconds: Int? = nil) throws -> FoldResult {
        var result = FoldResult()
        if let detailSeconds, detailSeconds < retentionSeconds {
            result.thinned = try thin(job: job, olderThanSeconds: detailSeconds)
            result.snapshots += result.thinned
        }
        let cutoff = Timestamps.iso(micros: Clock.nowMicros() - Int64(retentionSeconds) * 1_000_000)
        // Before the snapshots, so those only these rows kept can go.
        let listCutoff = Timestamps.iso(micros: Clock.nowMicros() - Int64(min(detailSeconds ?? retentionSeconds,
                                                                              retentionSeconds)) * 1_000_000)
        result.retiredFilesListed = try foldRetiredFiles(job: job, before: listCutoff)
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

    /// Merges the job's committed snapshots older than `olderThanSeconds`, one minute at a time:
    /// each run of consecutive snapshots (in id order, across its stages) committed in the same
    /// minute becomes its last one, which the files the others added or retired now name. What
    /// a kept snapshot sees is then exactly what it saw, and every commit stays whole: a commit
    /// only moves later inside a run no other snapshot interrupts. A file that came and went
    /// inside one run is visible in none (vacuum still deletes it after the Delta retention, as
    /// any retired file). Never merged, and so ending a run: the newest snapshot of each stage,
    /// silver snapshots gold has not read (gold finds a snapshot's files by the id that added
    /// them), and every snapshot from the oldest one the Delta log has not written on (a version
    /// lists files by the snapshots it gathers). Small transactions, as `fold`.
    public func thin(job: String, olderThanSeconds: Int) throws -> Int {
        let cutoff = Timestamps.iso(micros: Clock.nowMicros() - Int64(olderThanSeconds) * 1_000_000)
        let chunk: Int64 = 2_000
        let candidate = """
            s.committed_at <= ?2
              AND s.snapshot_id < (SELECT max(l.snapshot_id) FROM lake_snapshot l
                                   WHERE l.job = ?1 AND l.stage IS s.stage AND l.status = 'committed')
              AND s.snapshot_id < coalesce((SELECT min(snapshot_id) FROM lake_delta_pending), 9223372036854775807)
              AND NOT (s.stage = 'silver' AND s.snapshot_id > coalesce(
                    (SELECT CAST(value AS INTEGER) FROM lake_checkpoint
                     WHERE job = ?1 AND stage = 'gold' AND key = 'silver_snapshot'), 0))
            """
        var after: Int64 = 0
        var merged = 0
        try db.run("CREATE TEMP TABLE IF NOT EXISTS thin_map (snapshot_id INTEGER PRIMARY KEY, keeper INTEGER NOT NULL)")
        while true {
            let (n, last) = try db.transaction { () -> (Int, Int64?) in
                // One chunk of candidates in id order; a minute cut by the chunk's end keeps two
                // snapshots until the next fold merges them.
                let span = try db.query("""
                    SELECT min(snapshot_id), max(snapshot_id) FROM (
                      SELECT s.snapshot_id FROM lake_snapshot s
                      WHERE s.job = ?1 AND s.status = 'committed' AND s.snapshot_id > ?3 AND \(candidate)
                      ORDER BY s.snapshot_id LIMIT ?4)
                    """, .text(job), .text(cutoff), .int(after), .int(chunk)).first
                guard let first = span?[0].int, let last = span?[1].int else { return (0, nil) }
                try db.run("DELETE FROM thin_map")
                try db.run("""
                    INSERT INTO thin_map (snapshot_id, keeper)
                    SELECT snapshot_id, keeper FROM (
                      SELECT snapshot_id, cand, max(snapshot_id) OVER (PARTITION BY run) AS keeper FROM (
                        SELECT snapshot_id, cand, sum(brk) OVER (ORDER BY snapshot_id) AS run FROM (
                          SELECT snapshot_id, cand,
                                 CASE WHEN NOT cand OR lag(cand) OVER w IS NOT 1 OR lag(minute) OVER w != minute
                                      THEN 1 ELSE 0 END AS brk
                          FROM (SELECT s.snapshot_id, substr(s.committed_at, 1, 16) AS minute, (\(candidate)) AS cand
                                FROM lake_snapshot s
                                WHERE s.job = ?1 AND s.status = 'committed' AND s.snapshot_id BETWEEN ?3 AND ?4)
                          WINDOW w AS (ORDER BY snapshot_id))))
                    WHERE cand AND snapshot_id < keeper
                    """, .text(job), .text(cutoff), .int(first), .int(last))
                try db.run("""
                    UPDATE lake_data_file SET begin_snapshot = (SELECT keeper FROM thin_map m WHERE m.snapshot_id = begin_snapshot)
                    WHERE begin_snapshot IN (SELECT snapshot_id FROM thin_map)
                    """)
                try db.run("""
                    UPDATE lake_data_file SET end_snapshot = (SELECT keeper FROM thin_map m WHERE m.snapshot_id = end_snapshot)
                    WHERE end_snapshot IN (SELECT snapshot_id FROM thin_map)
                    """)
                try db.run("DELETE FROM lake_snapshot WHERE snapshot_id IN (SELECT snapshot_id FROM thin_map)")
                return (sqlite3Changes(db), last)
            }
            merged += n
            guard let last else { break }
            after = last
        }
        return merged
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
