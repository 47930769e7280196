import Foundation
import Parquet

/// `lake backfill gold --from D1 --to D2`: recomputes the closed sessions that start on those
/// dates from every live silver row (so late events a silver backfill added are counted), and
/// replaces the gold Parquet partitions and the closed SQLite rows of those dates in one commit.
/// Sessions that cross the range's edges are computed from full data: the silver window read
/// widens a day at a time until no session in range touches its edges. Only sessions the gold
/// watermark has closed are written; open ones stay with the incremental run.
public final class GoldBackfill {
    let catalog: Catalog
    let job: JobDefinition
    let runID: Int64
    let fromDay: Int64
    let toDay: Int64
    let gapMicros: Int64
    static let widenDaysMax: Int64 = 31

    public init(catalog: Catalog, job: JobDefinition, runID: Int64, from: String, to: String) throws {
        self.catalog = catalog
        self.job = job
        self.runID = runID
        (fromDay, toDay) = try Backfill.days(from: from, to: to)
        gapMicros = Int64(job.gold.sessionGapSeconds) * 1_000_000
    }

    public func run() throws -> BackfillResult {
        var result = BackfillResult()
        try catalog.ensureTable(name: job.gold.table, job: job.name, layer: "gold",
                                schemaJSON: GoldTable.schemaJSON, partitionColumn: "session_start")
        try catalog.db.transaction { try catalog.db.execute(GoldTable.sql(table: job.gold.table)) }
        guard let watermark = Int64(try catalog.checkpoint(job: job.name, stage: "gold", key: "watermark_us").value ?? "")
        else {
            throw LakeError("backfill gold", "gold has no watermark yet", hint: "run `lake run gold` first")
        }
        let dayMicros: Int64 = 86_400_000_000
        var widen: Int64 = 1
        var sessions: [(user: String, session: Session)] = []
        let scratches = GoldStage.makeScratches()
        while true {
            var users: [String: UserSessions] = [:]
            let first = Timestamps.date(micros: (fromDay - widen) * dayMicros)
            let last = Timestamps.date(micros: (toDay + widen) * dayMicros)
            result.rowsRead = 0
            for f in try catalog.liveFiles(table: job.silver.table)
            where (f.partition ?? "") >= first && (f.partition ?? "") <= last {
                result.rowsRead += try GoldStage.addEvents(catalog: catalog, job: job, file: f.path,
                                                           gapMicros: gapMicros, to: &users, scratches: scratches)
            }
            let windowStart = (fromDay - widen) * dayMicros
            let windowEnd = (toDay + widen + 1) * dayMicros
            sessions = users.flatMap { user, s in
                s.sessions.filter { session in
                    let day = Timestamps.floorDivide(session.start, dayMicros).0
                    return day >= fromDay && day <= toDay && session.windowEnd(gapMicros: gapMicros) <= watermark
                }.map { (user, $0) }
            }
            let touchesEdge = users.values.contains { s in
                s.sessions.contains { $0.start - gapMicros < windowStart || $0.end + gapMicros >= windowEnd }
                    && s.sessions.contains {
                        let day = Timestamps.floorDivide($0.start, dayMicros).0
                        return day >= fromDay && day <= toDay
                    }
            }
            if !touchesEdge || widen >= Self.widenDaysMax { break }
            widen += 1
        }
        sessions.sort { ($0.session.start, $0.user) < ($1.session.start, $1.user) }
        let snapshot = try catalog.reserveSnapshot(job: job.name, stage: "backfill", runID: runID)
        let writer = TableWriter(paths: catalog.paths, table: job.gold.table, schema: GoldTable.schema,
                                 snapshot: snapshot, timeColumn: 1, ingestColumn: nil)
        let first = Timestamps.date(micros: fromDay * dayMicros)
        let last = Timestamps.date(micros: toDay * dayMicros)
        do {
            for s in sessions {
                try GoldTable.append(s.user, s.session, closed: true, gapMicros: gapMicros,
                                     to: writer.writer(dayOf: s.session.start))
            }
            let added = try writer.finish()
            let retired = try catalog.liveFiles(table: job.gold.table)
                .filter { ($0.partition ?? "") >= first && ($0.partition ?? "") <= last }.map(\.fileID)
            let table = job.gold.table
            try catalog.commit(snapshot: snapshot, add: added, retire: retired,
                               summary: "backfill gold \(first)..\(last): \(sessions.count) sessions") {
                try catalog.db.run("""
                    DELETE FROM \(table) WHERE is_closed = 1 AND substr(session_start, 1, 10) BETWEEN ? AND ?
                    """, .text(first), .text(last))
                let put = try GoldTable.inserter(catalog.db, table: table, gapMicros: gapMicros)
                for s in sessions { try put(s.user, s.session, true) }
                try catalog.addRunCounts(runID, rowsIn: result.rowsRead, rowsOut: sessions.count)
            }
            result.rowsWritten = sessions.count
            result.filesAdded = added.count
            result.filesRetired = retired.count
        } catch {
            writer.abort()
            throw error
        }
        return result
    }
}
