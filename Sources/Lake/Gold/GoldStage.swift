import Foundation
import Parquet

/// What one gold run did.
public struct GoldResult: Sendable {
    /// Silver rows read.
    public var eventsIn = 0
    /// Rows that became final (closed windows and sessions), over every gold table.
    public var sessionsClosed = 0
    /// Open windows, sessions and groups held as state, over every gold table.
    public var sessionsOpen = 0
    public var commits = 0
    public var watermarkMicros: Int64?
    /// Of `eventsIn`, the rows silver handed over in memory (`lake run all`), not read from Parquet.
    public var eventsFromFeed = 0
}

/// `lake run gold`: computes the job's declared gold tables (SPEC §11) from silver. Reads
/// silver one committed snapshot after another (or the rows silver hands over in `run all`),
/// adds each row to every table's state, then closes every window and session the watermark
/// of those snapshots has reached. Closed rows go to Parquet (append-only) and to the
/// catalog's SQLite tables; open rows, running totals and top rows are state, checkpointed and
/// mirrored in SQLite, all in the same transaction.
public final class GoldStage {
    let catalog: Catalog
    let job: JobDefinition
    let runID: Int64
    let batchRowCountMax: Int
    let plan: GoldPlan
    private var tables: [GoldTableState]
    /// The last silver snapshot whose rows the state holds, and the snapshot of the gold commit
    /// that saved it (compared with the catalog's to notice another process's commits).
    private(set) var silverSnapshot: Int64 = 0
    private(set) var savedAt: Int64?
    private var result = GoldResult()
    /// Per source (`GoldPlan.sources`): the batch its files are read into, and the scratch.
    private let batches: [RowBatch]
    private let scratches: [[ColumnScratch]]
    /// Writes the commits (on a thread and connection of its own), made on the first commit.
    private var committer: GoldCommitter?

    static let checkpointKey = "silver_snapshot"

    /// `loadState` false: start from nothing (a backfill that replaces the state).
    public init(
        catalog: Catalog, job: JobDefinition, runID: Int64, batchRowCountMax: Int = 1_000_000,
        loadState: Bool = true
    ) throws {
        self.catalog = catalog
        self.job = job
        self.runID = runID
        self.batchRowCountMax = batchRowCountMax
        plan = try GoldPlan(job: job)
        tables = plan.tables.map { $0.makeState() }
        batches = plan.sources.map { RowBatch(types: $0.inputTypes, capacity: 8192) }
        scratches = plan.sources.map { $0.inputs.map { _ in ColumnScratch() } }
        try GoldStage.setUp(catalog, plan)
        let saved = try catalog.checkpoint(job: job.name, stage: "gold", key: Self.checkpointKey)
        silverSnapshot = Int64(saved.value ?? "") ?? 0
        savedAt = try catalog.checkpointSnapshot(job: job.name, stage: .gold, key: Self.checkpointKey)
        if loadState, let blob = saved.state { try GoldStage.loadState(blob, into: tables, catalog: catalog, job: job) }
        try refreshModels()
    }

    // MARK: k-means models

    /// Picks up a model `lake train` stored since (new rows are labelled with the newest).
    private func refreshModels() throws {
        for case let t as KMeansTable in tables {
            let newest = try catalog.db.scalar("SELECT max(version) FROM lake_model WHERE job = ? AND gold_table = ?",
                                               .text(job.name), .text(t.plan.table))?.int
            if let newest, newest != t.model?.version {
                t.model = try ModelStore.latest(catalog, job: job.name, table: t.plan.table)
            }
        }
    }

    /// Fits a model for each k-means table that has rows to label and none yet ("the first gold
    /// run trains on what exists": silver through snapshot `through`); the caller saves them
    /// in its commit.
    static func fitMissingModels(_ tables: [GoldTableState], catalog: Catalog, job: JobDefinition, plan: GoldPlan,
                                 through: Int64, withRowsOnly: Bool = true)
        throws -> [(plan: GoldTablePlan, model: KMeansModel, version: Int64)] {
        var fitted: [(GoldTablePlan, KMeansModel, Int64)] = []
        for case let t as KMeansTable in tables where t.model == nil && (t.hasPending || !withRowsOnly) {
            let model = try KMeansTraining.fit(catalog, job: job, plan: plan, table: t.plan, through: through)
            let version = try ModelStore.nextVersion(catalog, job: job.name, table: t.plan.table)
            t.model = (version, model)
            fitted.append((t.plan, model, version))
        }
        return fitted
    }

    /// Registers the job's gold tables, creates their SQLite tables and the job's views.
    static func setUp(_ catalog: Catalog, _ plan: GoldPlan) throws {
        try catalog.db.transaction {
            for t in plan.tables {
                try catalog.ensureTable(
                    name: t.table, job: plan.job.name, layer: "gold", schemaJSON: GoldParquet.schemaJSON(t),
                    partitionColumn: GoldParquet.partitionColumn(t).map { t.columns[$0].name })
                try catalog.db.execute(GoldSQLite(plan: t).ddl())
                if t.definition.kind == .kmeans { try catalog.db.execute(ModelStore.ddl(t)) }
            }
            for v in plan.job.views {
                do {
                    // A view whose SQL changed in the job file is replaced.
                    let current = try catalog.db.scalar(
                        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", .text(v.name))?.text
                    let sql = "CREATE VIEW \(v.name) AS \(v.sql)"
                    if current != sql {
                        try catalog.db.execute("DROP VIEW IF EXISTS \(v.name)")
                        try catalog.db.execute(sql)
                    }
                    _ = try catalog.db.query("SELECT * FROM \(v.name) LIMIT 0")
                } catch let e as SQLiteError {
                    throw LakeError("\(v.file):\(v.line)", "view \(v.name): \(e.message)",
                                    hint: "fix the SELECT in [views]; it may use the job's gold tables")
                }
            }
        }
    }

    // MARK: state

    /// The checkpoint's state blob: which tables the saved state is of, each with its
    /// definition's fingerprint. The state itself is one row per table and group in
    /// `lake_gold_state`, rewritten only for the groups a commit changed.
    static func header(_ tables: [GoldTableState]) -> [UInt8] {
        var w = StateWriter()
        w.raw(Array("LKG4".utf8))
        w.int(tables.count)
        for t in tables {
            w.string(t.plan.table)
            w.string(t.plan.definition.fingerprint)
        }
        return w.bytes
    }

    /// The state of the groups each table changed since its last save (every group's with
    /// `all`), encoded: nil for a group that no longer holds any (its saved row is deleted).
    static func encodeState(_ tables: [GoldTableState], all: Bool) -> [[(key: GroupKey, bytes: [UInt8]?)]] {
        tables.map { t in
            let unsaved = t.takeUnsaved()
            let keys = all ? t.stateKeys : Array(unsaved)
            return keys.compactMap { key -> (key: GroupKey, bytes: [UInt8]?)? in
                var w = StateWriter()
                if t.encode(group: key, into: &w) { return (key, w.bytes) }
                return all ? nil : (key, nil)
            }
        }
    }

    /// Saves encoded state (`encodeState`) inside the commit's transaction; with `all`, the
    /// job's saved state is replaced by it.
    static func saveState(_ state: [[(key: GroupKey, bytes: [UInt8]?)]], tables: [GoldTablePlan], all: Bool = false,
                          catalog: Catalog, job: String) throws {
        let db = catalog.db
        if all { try db.run("DELETE FROM lake_gold_state WHERE job = ?", .text(job)) }
        let upsert = try db.prepare(
            "INSERT OR REPLACE INTO lake_gold_state (job, gold_table, group_key, state) VALUES (?, ?, ?, ?)")
        let delete = try db.prepare("DELETE FROM lake_gold_state WHERE job = ? AND gold_table = ? AND group_key = ?")
        for (t, groups) in zip(tables, state) {
            for (key, bytes) in groups {
                if let bytes {
                    try upsert.bind([.text(job), .text(t.table), .blob(key.bytes), .blob(bytes)])
                    try upsert.execute()
                } else {
                    try delete.bind([.text(job), .text(t.table), .blob(key.bytes)])
                    try delete.execute()
                }
            }
        }
    }

    static func loadState(_ blob: [UInt8], into tables: [GoldTableState], catalog: Catalog, job: JobDefinition) throws {
        guard blob.count >= 4, Array(blob[0..<4]) == Array("LKG4".utf8) else {
            throw LakeError("read gold checkpoint", "job \(job.name): the saved gold state is from an older lake",
                            hint: "rebuild gold with `lake backfill gold --from <first day> --to <last day>`")
        }
        var r = StateReader(Array(blob[4...]))
        var saved: Set<String> = []
        for _ in 0..<(try r.count()) {
            let table = try r.string()
            let fingerprint = try r.string()
            guard let t = tables.first(where: { $0.plan.table == table }) else {
                throw LakeError("read gold checkpoint", "job \(job.name): gold table \(table) is no longer "
                                + "declared", hint: "rebuild gold with `lake backfill gold` over the whole range")
            }
            guard t.plan.definition.fingerprint == fingerprint else {
                throw LakeError("read gold checkpoint", "job \(job.name): the definition of \(table) changed "
                                + "since gold last ran",
                                hint: "rebuild gold with `lake backfill gold --from <first day> --to <last day>`")
            }
            saved.insert(table)
        }
        guard r.atEnd else { throw StateReader.damaged() }
        for t in tables where !saved.contains(t.plan.table) {
            throw LakeError("read gold checkpoint", "job \(job.name): gold table \(t.plan.table) is new since "
                            + "gold last ran", hint: "compute it with `lake backfill gold` over the whole range")
        }
        let rows = try catalog.db.prepare("SELECT gold_table, group_key, state FROM lake_gold_state WHERE job = ?")
        try rows.bind([.text(job.name)])
        let byName = Dictionary(tables.map { ($0.plan.table, $0) }, uniquingKeysWith: { a, _ in a })
        while try rows.step() {
            guard case .text(let name) = rows.value(0), let t = byName[name],
                  case .blob(let key) = rows.value(1), case .blob(let state) = rows.value(2)
            else { throw StateReader.damaged() }
            var reader = StateReader(state)
            try t.decode(group: GroupKey(bytes: key), from: &reader)
            guard reader.atEnd else { throw StateReader.damaged() }
        }
        for t in tables { _ = t.takeUnsaved() }
    }

    // MARK: reading silver

    struct SilverSnapshot {
        var id: Int64
        var watermark: Int64?
        /// The files the snapshot added to each source table, as (source, path).
        var files: [(source: Int, path: String)]
        var rows: Int64
    }

    /// Processes every pending silver snapshot (only those up to `through` when given); the
    /// result covers this call only.
    public func run(through: Int64? = nil) throws -> GoldResult {
        result = GoldResult()
        try draining { try runPending(through: through) }
        result.sessionsOpen = tables.reduce(0) { $0 + $1.openCount }
        return result
    }

    /// Runs `body`, then waits for the commit it left in flight, also when it threw (a run
    /// ends with its commits written or failed, never with one still being written).
    private func draining(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            try? drain()
            throw error
        }
        try drain()
    }

    private func runPending(through: Int64?) throws {
        while true {
            let pending = try pendingSnapshots().filter { s in through.map { s.id <= $0 } ?? true }
            if pending.isEmpty { break }
            var batchSnapshots: [SilverSnapshot] = []
            var rows: Int64 = 0
            for s in pending {
                batchSnapshots.append(s)
                rows += s.rows
                if rows >= Int64(batchRowCountMax) { break }
            }
            var events = 0
            for s in batchSnapshots {
                for f in s.files { events += try add(file: f.path, source: f.source) }
                // Later snapshots' rows were accepted above this one's watermark.
                if let w = s.watermark { for t in tables { t.advance(watermark: w) } }
            }
            try commit(through: batchSnapshots.last?.id ?? silverSnapshot,
                       watermark: batchSnapshots.last?.watermark ?? Int64.min, events: events)
        }
    }

    /// Committed silver snapshots after the checkpoint, with their files and watermark, read in
    /// one transaction so files and watermark agree.
    private func pendingSnapshots(after: Int64? = nil, through: Int64? = nil) throws -> [SilverSnapshot] {
        let names = plan.sources.map(\.table)
        let marks = names.map { _ in "?" }.joined(separator: ", ")
        return try catalog.db.read {
            let rows = try catalog.db.query("""
                SELECT s.snapshot_id, s.watermark_us, f.path, f.record_count, t.table_name
                FROM lake_snapshot s
                LEFT JOIN lake_data_file f ON f.begin_snapshot = s.snapshot_id
                  AND f.table_id IN (SELECT table_id FROM lake_table WHERE table_name IN (\(marks)))
                LEFT JOIN lake_table t ON t.table_id = f.table_id
                WHERE s.status = 'committed' AND s.job = ? AND s.stage = 'silver' AND s.snapshot_id > ?
                  AND s.snapshot_id <= ?
                ORDER BY s.snapshot_id, f.file_id
                """, arguments: names.map { .text($0) } + [.text(job.name), .int(after ?? silverSnapshot), .int(through ?? Int64.max)])
            var result: [SilverSnapshot] = []
            for r in rows {
                let id = r[0].int ?? 0
                if result.last?.id != id { result.append(SilverSnapshot(id: id, watermark: r[1].int, files: [], rows: 0)) }
                if let path = r[2].text, let source = names.firstIndex(of: r[4].text ?? "") {
                    result[result.count - 1].files.append((source, path))
                    if source == 0 { result[result.count - 1].rows += r[3].int ?? 0 }
                }
            }
            return result
        }
    }

    /// Adds every row of a file of source `source` to that source's tables; returns the rows
    /// of the job's silver table (child rows are not silver rows).
    func add(file: String, source: Int = 0) throws -> Int {
        let n = try GoldStage.forEachBatch(catalog: catalog, file: file, inputs: plan.sources[source].inputs,
                                           batch: batches[source], scratches: scratches[source]) { b in
            add(b, source: source)
        }
        return source == 0 ? n : 0
    }

    /// Adds a batch to every table, then lets each table close early what the batch's
    /// watermark has passed. (Adding to the tables on two threads was slower: silver and
    /// bronze keep the second core busy, and the threads contend for the malloc arena.)
    private func add(_ batch: RowBatch, source: Int = 0) {
        for (k, t) in tables.enumerated() where plan.tableSources[k] == source {
            t.add(batch)
            t.advance(watermark: batch.watermark)
        }
    }

    /// Reads the gold input columns of a silver file into `batch`, a batch at a time.
    static func forEachBatch(
        catalog: Catalog, file: String, inputs: [GoldPlan.Input], batch: RowBatch, scratches: [ColumnScratch],
        _ body: (RowBatch) throws -> Void
    ) throws -> Int {
        let reader = try ParquetReader(path: catalog.paths.root + "/" + file)
        let columns = try inputs.map { input -> Int in
            guard let i = reader.schema.index(of: input.name) else {
                throw LakeError("read silver", path: file, "no column \(input.name)",
                                hint: "the job's gold tables read silver columns the file lacks; "
                                    + "rebuild silver with `lake backfill silver`")
            }
            return i
        }
        var count = 0
        for rg in reader.metadata.rowGroups.indices {
            let data = try columns.enumerated().map { k, c in
                try reader.readColumn(rowGroup: rg, column: c, scratch: scratches[k])
            }
            defer { for (k, d) in data.enumerated() { scratches[k].recycle(d) } }
            let n = data.first?.rowCount ?? 0
            var start = 0
            while start < n {
                let rows = min(batch.capacity, n - start)
                batch.removeAll()
                for (k, d) in data.enumerated() { try load(batch, column: k, from: d, rows: start..<(start + rows), file: file) }
                batch.endRows(rows)
                try body(batch)
                count += rows
                start += rows
            }
        }
        return count
    }

    /// Rows `rows` of a column read back into batch column `k` (one pass per column: the
    /// value type is matched once, not per value).
    private static func load(
        _ batch: RowBatch, column k: Int, from d: ColumnData, rows: Range<Int>, file: String
    ) throws {
        let first = rows.lowerBound
        let n = rows.count
        let isNull: (Int) -> Bool = d.validity.map { validity in { !validity[first + $0] } } ?? { _ in false }
        switch d.values {
        case .int64(let v): batch.loadWords(k, rows: n, isNull: isNull) { UInt64(bitPattern: v[first + $0]) }
        case .double(let v): batch.loadWords(k, rows: n, isNull: isNull) { v[first + $0].bitPattern }
        case .int32(let v): batch.loadWords(k, rows: n, isNull: isNull) { UInt64(bitPattern: Int64(v[first + $0])) }
        case .bytes(let v):
            v.data.withUnsafeBytes { data in
                batch.loadStrings(k, rows: n, isNull: isNull) {
                    UnsafeRawBufferPointer(rebasing: data[v.range(first + $0)])
                }
            }
        default:
            throw LakeError("read silver", path: file, "column \(d.column.name) has an unexpected type",
                            hint: "rebuild silver with `lake backfill silver`")
        }
    }

    // MARK: the feed of `run all`

    /// Adds the rows silver hands over in memory during `lake run all` (see `SilverFeed`) and
    /// commits at each of silver's commit markers, until silver ends or abandons the feed. The
    /// feed must start right after this stage's checkpoint. `clean` is false when rows were
    /// added after the last commit that will never be committed (silver abandoned the feed):
    /// the state is then ahead of the checkpoint and the caller must start again from it.
    func runFeed(_ feed: SilverFeed) throws -> (result: GoldResult, clean: Bool) {
        result = GoldResult()
        var events = 0
        try draining { try feedRows(feed, events: &events) }
        result.sessionsOpen = tables.reduce(0) { $0 + $1.openCount }
        return (result, events == 0)
    }

    private func feedRows(_ feed: SilverFeed, events: inout Int) throws {
        while let item = try feed.next() {
            switch item {
            case .rows(let chunk):
                add(chunk)
                events += chunk.count
                feed.recycle(chunk)
            case .committed(let snapshot, let watermark):
                // Child tables are not fed: their files of the snapshots up to this one.
                if plan.sources.count > 1 {
                    for s in try pendingSnapshots(through: snapshot) {
                        for f in s.files where f.source > 0 { _ = try add(file: f.path, source: f.source) }
                    }
                }
                try commit(through: snapshot, watermark: watermark ?? Int64.min, events: events)
                result.eventsFromFeed += events
                events = 0
            }
        }
    }

    // MARK: committing

    /// Closes what the watermark has passed and hands the commit of every table to the
    /// committer: closed rows to Parquet and SQLite, open ones to SQLite and the checkpoint,
    /// which then stands at silver snapshot `lastSnapshot` (`events` rows were added since the
    /// last commit). The commit is written while gold reads on; `drain` waits for it.
    private func commit(through lastSnapshot: Int64, watermark: Int64, events: Int) throws {
        try refreshModels()
        let models = try GoldStage.fitMissingModels(tables, catalog: catalog, job: job, plan: plan, through: lastSnapshot)
        let mark: Int64? = watermark == Int64.min ? nil : watermark
        let work = GoldCommitWork(
            lastSnapshot: lastSnapshot, watermark: mark, events: events,
            rows: tables.map { $0.commit(watermark: watermark, everything: false) },
            state: GoldStage.encodeState(tables, all: false), header: GoldStage.header(tables), models: models)
        if committer == nil { committer = try GoldCommitter(paths: catalog.paths, plan: plan, runID: runID) }
        try committer?.submit(work)
        // A k-means job waits for its commit: the model a commit saves must be in the catalog
        // before the next looks models up, and its commits hold a row per order (in flight
        // beside the next commit's rows, peak RSS +28 MB in the orders bench).
        if plan.tables.contains(where: { $0.definition.kind == .kmeans }) { try drain() }
        silverSnapshot = lastSnapshot
        result.eventsIn += events
        result.sessionsClosed += work.closed
        result.commits += 1
        result.watermarkMicros = mark
    }

    /// Waits for the commit in flight (the run's commits are then durable).
    func drain() throws {
        if let snapshot = try committer?.drain() { savedAt = snapshot }
    }

    deinit { committer?.close() }

    /// Gold's checkpoint (inside a commit): the silver snapshot read through, the state, and
    /// the watermark its windows were closed with.
    static func saveCheckpoint(_ catalog: Catalog, job: String, silverSnapshot: Int64, state: [UInt8],
                               watermark: Int64?, snapshot: Int64) throws {
        try catalog.setCheckpoint(job: job, stage: "gold", key: Self.checkpointKey,
                                  value: String(silverSnapshot), state: state, snapshot: snapshot)
        try catalog.db.run("UPDATE lake_snapshot SET watermark_us = ? WHERE snapshot_id = ?",
                           .of(watermark), .int(snapshot))
        try catalog.setCheckpoint(job: job, stage: "gold", key: "watermark_us",
                                  value: watermark.map { String($0) }, snapshot: snapshot)
    }
}
