import Foundation

/// The stages of the pipeline, in data order.
public enum Stage: String, CaseIterable, Sendable {
    case bronze, silver, gold
}

/// What one pass over the stages did.
public struct PipelineResult: Sendable {
    public var bronze: BronzeResult?
    public var silver: SilverResult?
    public var gold: GoldResult?
    /// Wall seconds each stage of a pass took (`runPass`), in stage order.
    public var stageSeconds: [(stage: Stage, seconds: Double)] = []

    /// True when any stage read or wrote something.
    public var didWork: Bool {
        (bronze?.lines ?? 0) > 0 || (silver?.rowsIn ?? 0) > 0 || (gold?.eventsIn ?? 0) > 0
            || (silver?.commits ?? 0) > 0 || (gold?.commits ?? 0) > 0
    }
}

/// Runs a job's stages pass after pass (`lake run` runs one pass; `--follow` runs them in a
/// loop). Each stage of each pass takes the stage lock, so cron runs, backfills and HTTP ingest
/// interleave safely between passes; the costly in-memory state (silver's dedup keys, gold's
/// open sessions) is kept between passes and reloaded only when another process moved the
/// stage's checkpoint meanwhile. One `lake_run` row per stage covers the pipeline's life.
public final class Pipeline {
    let catalog: Catalog
    public let job: JobDefinition
    let stages: [Stage]
    let wait: Bool
    private var runIDs: [Stage: Int64] = [:]
    private var silver: SilverStage?
    private var gold: GoldStage?

    public init(catalog: Catalog, job: JobDefinition, stages: [Stage], wait: Bool) {
        self.catalog = catalog
        self.job = job
        self.stages = stages
        self.wait = wait
    }

    /// Runs each stage once over everything available; `bronzeInput` overrides the landing
    /// folder as bronze's source (standard input).
    public func runPass(bronzeInput: ((BronzeStage) throws -> BronzeResult)? = nil) throws -> PipelineResult {
        var result = PipelineResult()
        for stage in stages {
            let started = Date()
            defer { result.stageSeconds.append((stage, Date().timeIntervalSince(started))) }
            try locked(stage) { runID in
                switch stage {
                case .bronze:
                    let bronze = try BronzeStage(catalog: catalog, job: job, runID: runID)
                    result.bronze = try bronzeInput?(bronze) ?? bronze.ingestLanding()
                case .silver:
                    result.silver = try silverStage(runID).run()
                case .gold:
                    result.gold = try goldStage(runID).run()
                }
            }
        }
        return result
    }

    /// Ends the pipeline's runs: `ok`, or `failed` with the error.
    public func finish(error: Error?) {
        for (_, runID) in runIDs.sorted(by: { $0.value < $1.value }) {
            try? catalog.endRun(runID, error: error.map { "\($0)" })
        }
        runIDs.removeAll()
    }

    private func locked(_ stage: Stage, _ body: (Int64) throws -> Void) throws {
        let lock = try StageLock(paths: catalog.paths, job: job.name, stage: stage.rawValue, wait: wait)
        defer { lock.release() }
        let runID: Int64
        if let id = runIDs[stage] {
            runID = id
        } else {
            try catalog.closeAbandonedRuns(job: job.name, stage: stage.rawValue)
            runID = try catalog.beginRun(job: job.name, stage: stage.rawValue)
            runIDs[stage] = runID
        }
        try body(runID)
    }

    private func silverStage(_ runID: Int64) throws -> SilverStage {
        let saved = Int64(try catalog.checkpoint(job: job.name, stage: "silver", key: "position").value ?? "") ?? 0
        if let s = silver, s.position == saved { return s }
        let s = try SilverStage(catalog: catalog, job: job, runID: runID)
        silver = s
        return s
    }

    private func goldStage(_ runID: Int64) throws -> GoldStage {
        let saved = try catalog.checkpointSnapshot(job: job.name, stage: .gold, key: GoldStage.checkpointKey)
        if let g = gold, g.savedAt == saved { return g }
        let g = try GoldStage(catalog: catalog, job: job, runID: runID)
        gold = g
        return g
    }
}
