/// Runs one stage of one job the way every stage runs: under the stage lock, inside a
/// `lake_run` row that ends `ok` or `failed` with the error.
public enum StageRunner {
    /// `lock`: the stage's lock when the caller took it already (`run all` takes its three
    /// locks up front, in stage order); it is released at the end either way, unless
    /// `keepsLock` (the caller holds it across several runs: `lake compact`, one per table).
    public static func run<T>(
        catalog: Catalog, job: String, stage: String, wait: Bool, lock held: StageLock? = nil,
        keepsLock: Bool = false, _ body: (Int64) throws -> T
    ) throws -> T {
        let lock = try held ?? StageLock(paths: catalog.paths, job: job, stage: stage, wait: wait)
        defer { if held == nil || !keepsLock { lock.release() } }
        try catalog.closeAbandonedRuns(job: job, stage: stage)
        let runID = try catalog.beginRun(job: job, stage: stage)
        do {
            let result = try body(runID)
            try catalog.endRun(runID, error: nil)
            return result
        } catch {
            try? catalog.endRun(runID, error: "\(error)")
            throw error
        }
    }
}
