import Foundation
import Parquet

/// `lake backfill gold --from D1 --to D2`: recomputes every gold table of the job from all
/// live silver rows (late events a silver backfill recovered included), as one batch
/// computation, and commits in one transaction:
/// - the closed rows (windows and sessions the watermark has passed) that start on those
///   dates replace the table's Parquet partitions and closed SQLite rows of those dates;
///   closed rows that were still open in the incremental state are added wherever they start;
/// - the open rows, running totals and top rows, and gold's state and checkpoint, are replaced
///   by the recomputed ones, so afterwards every table equals the batch computation and the
///   incremental run continues from it.
/// Silver is read date partition by date partition, in order; after each date every window or
/// session that no later date can reach (and that the watermark has passed) is final, so memory
/// holds about one day of open state. A changed or new table definition is rebuilt this way too.
public final class GoldBackfill {
    let catalog: Catalog
    let job: JobDefinition
    let runID: Int64
    let fromDay: Int64
    let toDay: Int64
    static let dayMicros: Int64 = 86_400_000_000

    public init(catalog: Catalog, job: JobDefinition, runID: Int64, from: String, to: String) throws {
        self.catalog = catalog
        self.job = job
        self.runID = runID
        (fromDay, toDay) = try Backfill.days(from: from, to: to)
    }

    public func run() throws -> BackfillResult {
        var result = BackfillResult()
        let plan = try GoldPlan(job: job)
        try GoldStage.setUp(catalog, plan)
        // What silver holds now, and its watermark, read together.
        let (silverSnapshot, watermark, files) = try catalog.db.read {
            let last = try catalog.lastCommittedSnapshot(job: job.name, stage: .silver)
            let mark = try catalog.db.scalar("SELECT watermark_us FROM lake_snapshot WHERE snapshot_id = ?",
                                             .int(last))?.int
            let files = try plan.sources.enumerated().flatMap { k, source in
                try catalog.liveFiles(table: source.table).map { (source: k, file: $0) }
            }
            return (last, mark ?? Int64.min, files)
        }
        let previous = Int64(try catalog.checkpoint(job: job.name, stage: "gold", key: "watermark_us").value ?? "")
            ?? Int64.min
        let tables = plan.tables.map { $0.makeState() }
        for case let t as KMeansTable in tables {
            t.model = try ModelStore.latest(catalog, job: job.name, table: t.plan.table)
        }
        // Before any row is labelled: a table without a model gets one fitted on silver now.
        let models = try GoldStage.fitMissingModels(tables, catalog: catalog, job: job, plan: plan,
                                                    through: silverSnapshot, withRowsOnly: false)
        var closed = plan.tables.map { GoldRowList(width: $0.columns.count) }
        let first = Timestamps.date(micros: fromDay * Self.dayMicros)
        let last = Timestamps.date(micros: toDay * Self.dayMicros)
        func keep(_ rows: GoldRows, _ k: Int) {
            // A k-means table is relabelled whole, whatever the dates: its labels follow the model.
            if plan.tables[k].definition.kind == .kmeans { return closed[k].append(contentsOf: rows.closed) }
            guard let start = GoldParquet.partitionColumn(plan.tables[k]) else { return }
            let end = plan.tables[k].definition.kind == .sessions ? start + 2 : 1
            let rows = rows.closed
            for row in 0..<rows.count {
                guard case .timestamp(let s) = rows[row, start], case .timestamp(let e) = rows[row, end] else { continue }
                let day = Timestamps.floorDivide(s, Self.dayMicros).0
                if (day >= fromDay && day <= toDay) || e > previous { closed[k].append(row: row, of: rows) }
            }
        }
        let batches = plan.sources.map { RowBatch(types: $0.inputTypes, capacity: 8192) }
        let scratches = plan.sources.map { $0.inputs.map { _ in ColumnScratch() } }
        let byDate = Dictionary(grouping: files) { $0.file.partition ?? "" }
        for date in byDate.keys.sorted() {
            for f in byDate[date, default: []].sorted(by: { ($0.source, $0.file.fileID) < ($1.source, $1.file.fileID) }) {
                let n = try GoldStage.forEachBatch(
                    catalog: catalog, file: f.file.path, inputs: plan.sources[f.source].inputs,
                    batch: batches[f.source], scratches: scratches[f.source]
                ) { b in for (k, t) in tables.enumerated() where plan.tableSources[k] == f.source { t.add(b) } }
                if f.source == 0 { result.rowsRead += n }
            }
            // No row of a later date can reach what ends before that date starts.
            guard let day = try? Backfill.day(date, flag: "partition") else { continue }
            let final = min((day + 1) * Self.dayMicros - 1, watermark)
            for (k, t) in tables.enumerated() { keep(t.commit(watermark: final, everything: false), k) }
        }
        var rows = tables.map { $0.commit(watermark: watermark, everything: true) }
        for k in rows.indices {
            keep(rows[k], k)
            rows[k].closed = closed[k]
            let partition = GoldParquet.partitionColumn(plan.tables[k])
            let keyCount = plan.tables[k].keyColumns.count
            if let partition {
                sortRows(&rows[k].closed, by: [partition] + (partition == 0 ? Array(2..<(2 + keyCount)) : Array(0..<keyCount)))
            }
        }
        let snapshot = try catalog.reserveSnapshot(job: job.name, stage: "backfill", runID: runID)
        let parquet = ClosedRowFiles(paths: catalog.paths, snapshot: snapshot,
                                     tables: zip(plan.tables, rows).map { ($0, $1.closed) })
        let state = GoldStage.header(tables)
        do {
            var retired: [Int64] = []
            for t in plan.tables where t.isWindowed {
                retired += try catalog.liveFiles(table: t.table)
                    .filter { ($0.partition ?? "") >= first && ($0.partition ?? "") <= last }.map(\.fileID)
            }
            for t in plan.tables where t.definition.kind == .kmeans {
                retired += try catalog.liveFiles(table: t.table).map(\.fileID)
            }
            let added = try parquet.wait()
            let written = rows.reduce(0) { $0 + $1.closed.count }
            try catalog.commit(snapshot: snapshot, add: added, retire: retired,
                               summary: "backfill gold \(first)..\(last): \(written) closed rows") {
                for m in models {
                    try ModelStore.save(catalog, job: job.name, plan: m.plan, model: m.model, version: m.version,
                                        throughSnapshot: silverSnapshot)
                }
                for (t, r) in zip(plan.tables, rows) {
                    let sqlite = GoldSQLite(plan: t)
                    try sqlite.deleteClosed(from: first, to: last, db: catalog.db)
                    try sqlite.write(r, db: catalog.db)
                }
                try GoldStage.saveCheckpoint(catalog, job: job.name, silverSnapshot: silverSnapshot, state: state,
                                             watermark: watermark == Int64.min ? nil : watermark, snapshot: snapshot)
                try GoldStage.saveState(GoldStage.encodeState(tables, all: true), tables: plan.tables, all: true,
                                        catalog: catalog, job: job.name)
                try catalog.addRunCounts(runID, rowsIn: result.rowsRead, rowsOut: written)
            }
            result.rowsWritten = written
            result.filesAdded = added.count
            result.filesRetired = retired.count
        } catch {
            parquet.remove()
            throw error
        }
        return result
    }
}
