import Foundation

/// `lake run all` without `--follow`: the three stages at once, each on its own thread with its
/// own catalog connection and stage lock, each following the stage below it. Silver starts on
/// the first bronze commit while bronze reads on; gold starts on the first silver commit. A
/// stage that finds nothing new sleeps briefly and looks again, until the stage below has
/// ended and one more pass found nothing.
///
/// The data is what the sequential run gives: stages only ever read committed snapshots, and
/// silver and gold give the same result however their input is split into commits (SPEC §5,
/// §6; the split-invariance tests). What differs is where files end: bronze commits (and
/// cuts files) every `bronzeCommitRowCountMax` lines so silver has something to start on.
extension Pipeline {
    /// Lines per bronze commit, and silver rows per silver commit, in an overlapped run (at
    /// most the job's `max_file_rows`): each stage hands its input on in pieces this size, so
    /// what is left for gold after silver's last commit is small.
    public static let overlappedBatchRowCountMax = 262_144
    /// Lines left when bronze commits early, once, near the end of its input: the last batch,
    /// which silver and gold work through after bronze ended (`BronzeStage.tailRowCount`).
    /// Measured against no early commit, 20 alternating pairs: `run all` ÷ paired floor median
    /// 2.62 → 2.52, cores busy 0.897 → 0.911 (three early commits, at 64k, 16k and 4k lines
    /// left, cost more CPU than they saved).
    public static let overlappedTailRowCount = 65_536

    /// `batchRowCountMax`: lines per bronze commit and rows per silver commit (tests pass a
    /// small one to make the stages hand work on in many pieces, and small `goldFeedChunkRows`
    /// to make silver hand gold rows between its commits).
    /// `held`: the job's three stage locks when the caller took them already (`run all` over
    /// several jobs takes every job's first).
    func runOverlapped(
        batchRowCountMax: Int = overlappedBatchRowCountMax, goldFeedChunkRows: Int = 8192, locks held: StageLocks? = nil
    ) throws -> PipelineResult {
        precondition(stages == [.bronze, .silver, .gold], "runOverlapped runs the three stages")
        let shared = OverlapState()
        let paths = catalog.paths
        let job = self.job
        let wait = self.wait
        let commitRows = min(job.bronze.fileRowCountMax, batchRowCountMax)
        let results = OverlapResults()
        let threads = DispatchGroup()
        // All three stage locks first, in stage order, before any thread starts: two `run all`
        // started together must not each take some of the locks and both fail (one wins, the
        // other waits with --wait or exits with the usual message).
        let locks = try held ?? StageLocks(paths: paths, job: job.name, wait: wait)

        // Threads of their own: Dispatch's pool runs as many blocks as there are cores, so on
        // two cores gold would not start before bronze ended.
        func start(_ stage: Stage, _ body: @escaping @Sendable (Catalog) throws -> Void) {
            threads.enter()
            startThread("lake-\(stage.rawValue)") {
                do {
                    let catalog = try Catalog(paths: paths)
                    try body(catalog)
                } catch {
                    shared.fail(error)
                }
                shared.end(stage)
                threads.leave()
            }
        }

        // Bronze hands its lines to silver in memory; silver reads the Parquet files only for
        // what bronze committed before this run (or if the feed cannot be used).
        let feed = BronzeFeed()
        start(.bronze) { catalog in
            do {
                let r = try StageRunner.run(
                    catalog: catalog, job: job.name, stage: "bronze", wait: wait, lock: locks.bronze
                ) { runID in
                    let stage = try BronzeStage(catalog: catalog, job: job, runID: runID, commitRowCountMax: commitRows)
                    if let settings = job.source.kafka {
                        // Silver reads a Kafka job's bronze from Parquet: it needs each row's
                        // partition, which the feed does not carry.
                        return try stage.ingestKafka(KafkaConsumer(settings))
                    }
                    stage.feed = feed
                    stage.tailRowCount = min(commitRows / 4, Self.overlappedTailRowCount)
                    return try stage.ingestLanding()
                }
                feed.finish(succeeded: true)
                results.set { $0.bronze = r }
            } catch {
                feed.finish(succeeded: false)
                throw error
            }
        }
        // Silver hands gold its accepted rows the same way (`SilverFeed`).
        let goldInputs = try GoldPlan(job: job).inputs
        let goldFeed = SilverFeed(types: goldInputs.map(\.type), chunkRowCountMax: goldFeedChunkRows)
        start(.silver) { catalog in
            // Whatever happens here, bronze must never wait for a reader that is gone, and gold
            // must learn that silver ended.
            var succeeded = false
            defer {
                feed.stopConsuming()
                goldFeed.finish(succeeded: succeeded)
            }
            let r = try StageRunner.run(
                catalog: catalog, job: job.name, stage: "silver", wait: wait, lock: locks.silver
            ) { runID in
                let stage = try SilverStage(catalog: catalog, job: job, runID: runID, batchRowCountMax: commitRows)
                try stage.feedGold(goldFeed, inputs: goldInputs)
                var total = SilverResult()
                if let first = feed.waitForStart() {
                    // Bronze files from before this run first, from Parquet; then the feed,
                    // when it starts right after them.
                    total.add(try stage.run(before: first))
                    if stage.position == first - 1 {
                        total.add(try stage.runFeed(feed))
                    } else {
                        feed.stopConsuming()
                    }
                }
                try Self.follow(.bronze, shared, into: &total) { try stage.run() }
                return total
            }
            succeeded = true
            results.set { $0.silver = r }
        }
        // Gold: silver snapshots from before this run from Parquet, then the feed, then passes
        // over the files until silver is done (they find nothing when the feed carried all).
        start(.gold) { catalog in
            defer { goldFeed.stopConsuming() }
            let r = try StageRunner.run(
                catalog: catalog, job: job.name, stage: "gold", wait: wait, lock: locks.gold
            ) { runID in
                var stage = try GoldStage(catalog: catalog, job: job, runID: runID)
                var total = GoldResult()
                if let after = goldFeed.waitForStart() {
                    total.add(try stage.run(through: after))
                    if stage.silverSnapshot == after {
                        let fed = try stage.runFeed(goldFeed)
                        total.add(fed.result)
                        // Rows added past the last commit (silver abandoned the feed): start
                        // again from the checkpoint.
                        if !fed.clean { stage = try GoldStage(catalog: catalog, job: job, runID: runID) }
                    } else {
                        goldFeed.stopConsuming()
                    }
                }
                try Self.follow(.silver, shared, into: &total) { try stage.run() }
                return total
            }
            results.set { $0.gold = r }
        }
        // The Delta logs of the commits made so far, written while the stages go on: each
        // version is a file written and fsynced, and reads its new files' footers — time spent
        // waiting for the disk, which after the run (`lake run` catches up) left both cores
        // idle ~0.1 s of a 2-s run. What this thread has not written by the end, the caller's
        // catch-up writes; an error here is left to that one to report.
        threads.enter()
        startThread("lake-delta") {
            defer { threads.leave() }
            guard let catalog = try? Catalog(paths: paths) else { return }
            let log = DeltaLog(catalog: catalog)
            while !shared.failed && !shared.hasEnded(.gold) {
                shared.waitForEnd(of: .gold, seconds: Self.deltaInterval)
                if shared.hasEnded(.gold) { break }
                do { try log.catchUp() } catch { return }
            }
        }
        threads.wait()
        if let error = shared.firstError { throw error }
        return results.value
    }

    /// `lake run all` over several jobs: the jobs at once, up to `jobsAtOnce` at a time (one
    /// per core by default), each as `runOverlapped` with its own threads, catalog connections
    /// and stage locks; jobs share nothing else (their tables differ, and the Delta log's
    /// catch-up takes a lock per job). A job's failure does not stop the others. Returns each
    /// job's outcome and wall seconds, in the order given. One after the other, a job without new
    /// input still cost ~10–15 ms of set-up at the end of the run (its stages' connections and
    /// first transactions, each fsynced) while a core stood idle; at once, that overlaps the
    /// other jobs' work, and jobs with input share the cores.
    ///
    /// Every job's stage locks are taken first, in job order and stage order, before any job
    /// starts: two `run all` started together would otherwise each take some jobs' locks and
    /// both fail. So one wins; the other waits with `--wait` (everyone takes locks in that
    /// order, so waiting cannot deadlock) or is refused, having run nothing, with every job
    /// failing on that lock's message.
    public static func runOverlapped(
        _ pipelines: [Pipeline], jobsAtOnce: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [(result: Result<PipelineResult, Error>, seconds: Double)] {
        let locks: [StageLocks]
        do {
            locks = try pipelines.map { try StageLocks(paths: $0.catalog.paths, job: $0.job.name, wait: $0.wait) }
        } catch {
            return pipelines.map { _ in (.failure(error), 0) }
        }
        let runs = JobRuns(pipelines)
        @Sendable func work() {
            while let (i, pipeline) = runs.next() {
                let started = Date()
                let result = Result { try pipeline.runOverlapped(locks: locks[i]) }
                runs.set(i, result, seconds: Date().timeIntervalSince(started))
            }
        }
        let threadCount = min(max(1, jobsAtOnce), pipelines.count)
        if threadCount <= 1 {
            work()
        } else {
            let threads = DispatchGroup()
            for _ in 0..<threadCount {
                threads.enter()
                startThread("lake-job") {
                    work()
                    threads.leave()
                }
            }
            threads.wait()
        }
        return runs.outcomes
    }

    /// How often the Delta thread of an overlapped run looks for new commits.
    static let deltaInterval = 0.05

    /// Runs `pass` until `upstream` has ended and a pass that began after that found nothing,
    /// adding each pass's result to `total`; stops early when another stage failed.
    private static func follow<R: PassResult>(
        _ upstream: Stage, _ shared: OverlapState, into total: inout R, _ pass: () throws -> R
    ) throws {
        while !shared.failed {
            let upstreamEnded = shared.hasEnded(upstream)
            let r = try pass()
            total.add(r)
            let didWork = r.commits > 0
            if upstreamEnded && !didWork { return }
            if !didWork { shared.waitForEnd(of: upstream, seconds: 0.02) }
        }
    }
}

/// The three stage locks of one job's `run all`, handed to the stage threads (each stage
/// releases its own when it ends).
struct StageLocks: Sendable {
    let bronze: StageLock
    let silver: StageLock
    let gold: StageLock

    /// Takes them in stage order; a lock already taken is released when a later one fails.
    init(paths: LakePaths, job: String, wait: Bool) throws {
        bronze = try StageLock(paths: paths, job: job, stage: "bronze", wait: wait)
        silver = try StageLock(paths: paths, job: job, stage: "silver", wait: wait)
        gold = try StageLock(paths: paths, job: job, stage: "gold", wait: wait)
    }
}

/// What the stage threads share: which stages ended, and the first error.
private final class OverlapState: @unchecked Sendable {
    private let condition = NSCondition()
    private var ended: Set<Stage> = []
    private(set) var firstError: Error?

    var failed: Bool { condition.withLock { firstError != nil } }

    func hasEnded(_ stage: Stage) -> Bool { condition.withLock { ended.contains(stage) } }

    func end(_ stage: Stage) {
        condition.withLock {
            ended.insert(stage)
            condition.broadcast()
        }
    }

    func fail(_ error: Error) {
        condition.withLock {
            if firstError == nil { firstError = error }
            condition.broadcast()
        }
    }

    /// Sleeps up to `seconds`, or less when `stage` ends or a stage fails meanwhile.
    func waitForEnd(of stage: Stage, seconds: Double) {
        condition.withLock {
            if ended.contains(stage) || firstError != nil { return }
            _ = condition.wait(until: Date().addingTimeInterval(seconds))
        }
    }
}

/// The jobs of a `run all` and their outcomes, handed out to the job threads under a lock.
private final class JobRuns: @unchecked Sendable {
    private let lock = NSLock()
    private let pipelines: [Pipeline]
    private var nextIndex = 0
    private var results: [(result: Result<PipelineResult, Error>, seconds: Double)?]

    init(_ pipelines: [Pipeline]) {
        self.pipelines = pipelines
        results = Array(repeating: nil, count: pipelines.count)
    }

    func next() -> (Int, Pipeline)? {
        lock.withLock {
            guard nextIndex < pipelines.count else { return nil }
            defer { nextIndex += 1 }
            return (nextIndex, pipelines[nextIndex])
        }
    }

    func set(_ i: Int, _ result: Result<PipelineResult, Error>, seconds: Double) {
        lock.withLock { results[i] = (result, seconds) }
    }

    var outcomes: [(result: Result<PipelineResult, Error>, seconds: Double)] {
        lock.withLock { results.map { $0! } }
    }
}

private final class OverlapResults: @unchecked Sendable {
    private let lock = NSLock()
    private var result = PipelineResult()

    func set(_ body: (inout PipelineResult) -> Void) { lock.withLock { body(&result) } }

    var value: PipelineResult { lock.withLock { result } }
}

/// What one pass of a following stage returns, summed over the passes of a run.
protocol PassResult: Sendable {
    init()
    var commits: Int { get }
    mutating func add(_ r: Self)
}

extension SilverResult: PassResult {
    mutating func add(_ r: SilverResult) {
        rowsIn += r.rowsIn
        accepted += r.accepted
        duplicates += r.duplicates
        for (k, v) in r.quarantined { quarantined[k, default: 0] += v }
        commits += r.commits
        rowsFromFeed += r.rowsFromFeed
        if r.watermarkMicros != nil { watermarkMicros = r.watermarkMicros }
    }
}

extension GoldResult: PassResult {
    mutating func add(_ r: GoldResult) {
        eventsIn += r.eventsIn
        sessionsClosed += r.sessionsClosed
        sessionsOpen = r.sessionsOpen
        commits += r.commits
        eventsFromFeed += r.eventsFromFeed
        if r.watermarkMicros != nil { watermarkMicros = r.watermarkMicros }
    }
}
