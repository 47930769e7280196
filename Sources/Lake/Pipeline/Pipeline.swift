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
    /// A Kafka job's consumer, kept between passes (connecting costs more than a pass).
    private var kafka: KafkaConsumer?
    /// Under `--follow`: a Kafka outage (brokers unreachable, a partition stalled) does not end
    /// the loop; the bronze pass is retried with a backoff (1 s doubling to 30 s) and the
    /// outage is shown by `lake status` and `/metrics` until a pass reads everything again.
    public var retriesKafka = false
    private var kafkaRetryAt = Date.distantPast
    private var kafkaBackoff = 1.0
    private var kafkaOutage: String?
    /// The stage locks `holdLocks` took: held until the pipeline is released.
    private var held: [Stage: StageLock] = [:]

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
                    if let bronzeInput {
                        result.bronze = try bronzeInput(bronze)
                    } else if job.source.kafka != nil {
                        result.bronze = try kafkaPass(bronze)
                    } else {
                        result.bronze = try bronze.ingestLanding()
                    }
                case .silver:
                    result.silver = try silverStage(runID).run()
                case .gold:
                    result.gold = try goldStage(runID).run()
                }
            }
        }
        return result
    }

    private func kafkaPass(_ bronze: BronzeStage) throws -> BronzeResult {
        guard retriesKafka else { return try bronze.ingestKafka(kafkaConsumer()!) }
        guard Date() >= kafkaRetryAt else { return BronzeResult() }
        do {
            let r = try bronze.ingestKafka(kafkaConsumer()!, untilEnd: false)
            try noteKafkaOutage(r.kafkaStalled)
            kafkaBackoff = 1
            return r
        } catch let error as LakeError where error.operation.hasPrefix("kafka ") {
            try noteKafkaOutage(error.description)
            kafkaRetryAt = Date().addingTimeInterval(kafkaBackoff)
            kafkaBackoff = min(kafkaBackoff * 2, 30)
            return BronzeResult()
        }
    }

    /// Records the start and the end of an outage (checkpoint `bronze/kafka_outage`), and says
    /// so on standard error.
    private func noteKafkaOutage(_ problem: String?) throws {
        guard (problem == nil) != (kafkaOutage == nil) else { return }
        if let problem {
            let text = "since \(Clock.isoNow()): \(problem)"
            try catalog.setCheckpoint(job: job.name, stage: "bronze", key: "kafka_outage", value: text, snapshot: nil)
            FileHandle.standardError.write(Data("lake: \(job.name): kafka outage: \(problem); retrying\n".utf8))
        } else {
            try catalog.db.run("DELETE FROM lake_checkpoint WHERE job = ? AND stage = 'bronze' AND key = 'kafka_outage'",
                               .text(job.name))
            FileHandle.standardError.write(Data("lake: \(job.name): kafka reads again\n".utf8))
        }
        kafkaOutage = problem
    }

    func kafkaConsumer() throws -> KafkaConsumer? {
        guard let settings = job.source.kafka else { return nil }
        if let kafka { return kafka }
        let consumer = try KafkaConsumer(settings)
        kafka = consumer
        return consumer
    }

    /// For `--follow`: the partitions' end offsets as the Kafka consumer last heard them from
    /// its fetches (no request), and their sum (it grows by one per message produced); nil
    /// before the first pass.
    func kafkaEnds() -> (fingerprint: String, total: Int64)? {
        guard let kafka, !kafka.assigned.isEmpty else { return nil }
        var parts: [String] = []
        var total: Int64 = 0
        for (p, next) in kafka.assigned.sorted(by: { $0.key < $1.key }) {
            let high = kafka.cachedHigh(partition: p) ?? next
            parts.append("\(p):\(high)")
            total += high
        }
        return (parts.joined(separator: ","), total)
    }

    /// Ends the pipeline's runs: `ok`, or `failed` with the error.
    public func finish(error: Error?) {
        for (_, runID) in runIDs.sorted(by: { $0.value < $1.value }) {
            try? catalog.endRun(runID, error: error.map { "\($0)" })
        }
        runIDs.removeAll()
    }

    /// Takes the pipeline's stage locks now, in stage order, and keeps them for every later
    /// pass: `lake run <stage>` over several jobs takes every job's before any job runs, as
    /// `run all` does, so a racing command is refused (or waits) before it has run anything.
    public func holdLocks() throws {
        for stage in stages where held[stage] == nil {
            held[stage] = try StageLock(paths: catalog.paths, job: job.name, stage: stage.rawValue, wait: wait)
        }
    }

    private func locked(_ stage: Stage, _ body: (Int64) throws -> Void) throws {
        let lock = try held[stage] ?? StageLock(paths: catalog.paths, job: job.name, stage: stage.rawValue, wait: wait)
        defer { if held[stage] == nil { lock.release() } }
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
