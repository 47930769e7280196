import Foundation

/// What one gold commit writes, taken from the tables' state when the commit was made: the
/// rows, the encoded state of the groups that changed, the checkpoint. It holds values only
/// (nothing of the live state), so it can be written while gold goes on adding rows.
struct GoldCommitWork: @unchecked Sendable {
    var lastSnapshot: Int64
    var watermark: Int64?
    var events: Int
    var rows: [GoldRows]
    /// Per table (in plan order): each changed group's key and state, nil when it has none.
    var state: [[(key: GroupKey, bytes: [UInt8]?)]]
    var header: [UInt8]
    var models: [(plan: GoldTablePlan, model: KMeansModel, version: Int64)]

    var closed: Int { rows.reduce(0) { $0 + $1.closed.count } }
}

/// Writes gold commits on a thread of its own, with its own catalog connection, while gold
/// reads on. A commit is mostly SQLite inserting rows (2–3 µs a row) and an fsync; done on
/// gold's thread it stopped gold, and behind it silver and bronze, for 100–200 ms per commit
/// (bench/NOTES). At most one commit is in flight: the next one waits for it, so commits
/// keep their order and the checkpoints theirs. Errors surface at the next `submit` or at
/// `drain`, which a run calls before it returns (a run's commits are durable when it ends).
final class GoldCommitter: @unchecked Sendable {
    private let catalog: Catalog
    private let plan: GoldPlan
    private let runID: Int64
    private let condition = NSCondition()
    private var pending: GoldCommitWork?
    private var busy = false
    private var failure: Error?
    private var stopping = false
    private var started = false
    /// The gold snapshot of the last commit this committer finished.
    private var committed: Int64?

    init(paths: LakePaths, plan: GoldPlan, runID: Int64) throws {
        catalog = try Catalog(paths: paths)
        self.plan = plan
        self.runID = runID
    }

    /// Ends the thread once the commit in flight is written (the owner calls this when done).
    func close() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    /// Hands a commit over once the previous one is done; throws the previous one's error.
    func submit(_ work: GoldCommitWork) throws {
        condition.lock()
        defer { condition.unlock() }
        while busy { condition.wait() }
        if let failure { throw failure }
        if !started { start() }
        pending = work
        busy = true
        condition.broadcast()
    }

    /// Waits for the commit in flight; returns the snapshot of the last commit made, or throws
    /// the error of the one that failed.
    @discardableResult
    func drain() throws -> Int64? {
        condition.lock()
        defer { condition.unlock() }
        while busy { condition.wait() }
        if let failure { throw failure }
        return committed
    }

    private func start() {
        started = true
        startThread("lake-gold-commit") { [self] in
            while let work = next() {
                let outcome = Result { try write(work) }
                condition.withLock {
                    switch outcome {
                    case .success(let snapshot): committed = snapshot
                    case .failure(let error): failure = error
                    }
                    busy = false
                    condition.broadcast()
                }
            }
        }
    }

    private func next() -> GoldCommitWork? {
        condition.lock()
        defer { condition.unlock() }
        while pending == nil && !stopping { condition.wait() }
        guard let work = pending else { return nil }
        pending = nil
        return work
    }

    /// One commit: the closed rows' Parquet files (on a thread of their own while this one
    /// writes the SQLite rows), then one transaction that registers them with the rows, the
    /// state and the checkpoint.
    private func write(_ work: GoldCommitWork) throws -> Int64 {
        let job = plan.job.name
        let snapshot = try catalog.reserveSnapshot(job: job, stage: "gold", runID: runID)
        let parquet = ClosedRowFiles(paths: catalog.paths, snapshot: snapshot,
                                     tables: zip(plan.tables, work.rows).map { ($0, $1.closed) })
        let closed = work.closed
        do {
            try catalog.commit(snapshot: snapshot, add: [], summary: "gold: \(closed) rows closed") {
                for m in work.models {
                    try ModelStore.save(catalog, job: job, plan: m.plan, model: m.model, version: m.version,
                                        throughSnapshot: work.lastSnapshot)
                }
                for (t, r) in zip(plan.tables, work.rows) { try GoldSQLite(plan: t).write(r, db: catalog.db) }
                try catalog.register(try parquet.wait(), snapshot: snapshot)
                try GoldStage.saveCheckpoint(catalog, job: job, silverSnapshot: work.lastSnapshot, state: work.header,
                                             watermark: work.watermark, snapshot: snapshot)
                try GoldStage.saveState(work.state, tables: plan.tables, catalog: catalog, job: job)
                try catalog.addRunCounts(runID, rowsIn: work.events, rowsOut: closed, watermarkMicros: work.watermark)
            }
        } catch {
            parquet.remove()
            throw error
        }
        return snapshot
    }
}
