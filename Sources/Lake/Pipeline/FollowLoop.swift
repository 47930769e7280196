import Foundation

/// `lake run … --follow`: runs pipeline passes as new input appears, until SIGINT or SIGTERM.
///
/// New input is noticed by polling, every `pollSeconds`, the landing folder (names, sizes,
/// inodes) and the catalog: bronze rows silver has not read (HTTP ingest adds them) and silver
/// snapshots gold has not read; a pass also runs at least every `intervalSeconds`. The landing
/// listing a pass is compared against is the one taken *before* the pass, so bytes appended
/// while a pass runs start the next pass at once instead of waiting for the interval.
/// A signal only sets a flag: the pass in flight finishes its commit (or, if interrupted by a
/// crash, leaves nothing), then the loop waits for maintenance in flight and exits.
/// Beside the loop, on a thread of its own with its own catalog connection, small files are
/// compacted every `compactEverySeconds` and unreferenced files vacuumed every
/// `vacuumEverySeconds`, so following forever does not leave a file per pass behind, and no pass
/// waits for a compaction (merging a minute of files took seconds: a stall of every pass).
public final class FollowLoop {
    let catalog: Catalog
    let pipelines: [Pipeline]
    let intervalSeconds: Double
    public var pollSeconds = 0.02
    public var compactEverySeconds = 60.0
    public var vacuumEverySeconds = 600.0
    public var vacuumRetentionSeconds: Int64 = 3600
    /// Snapshots are folded (`Catalog.fold`) this often, past each job's retention.
    public var foldEverySeconds = 60.0
    /// The WAL is checkpointed this often, on a thread of its own.
    public var checkpointEverySeconds = 1.0
    /// The Delta logs are caught up this often (one version gathers what was committed since):
    /// the smallest `[catalog] delta_interval` of the jobs.
    var deltaEverySeconds: Double {
        Double(pipelines.map(\.job.catalog.deltaIntervalSeconds).min() ?? CatalogSettings().deltaIntervalSeconds)
    }
    /// Called after every pass that did work, with its duration in seconds.
    public var onPass: (Pipeline, PipelineResult, Double) -> Void = { _, _, _ in }
    /// Called from the maintenance thread.
    public var onMaintenance: @Sendable (String) -> Void = { _ in }

    public init(catalog: Catalog, pipelines: [Pipeline], intervalSeconds: Double) {
        self.catalog = catalog
        self.pipelines = pipelines
        self.intervalSeconds = intervalSeconds
        // Before the caller announces that it follows: from then on a signal stops the loop
        // cleanly instead of killing the process.
        FollowSignals.install()
    }

    /// New landing input below this many bytes (about a thousand events) waits up to the
    /// job's `[catalog] commit_wait` for more (see `CatalogSettings.commitWaitSeconds`).
    static let smallInputBytes: Int64 = 256 << 10

    public func run() throws {
        FollowSignals.install()
        var lastSeen: [String: String] = [:]
        /// Landing bytes (total size) at each job's last pass, and when new input was first seen
        /// after it.
        var bytesAtPass: [String: Int64] = [:]
        var waitingSince: [String: Date] = [:]
        var pendingBytes: [String: Int64] = [:]
        var lastPass = Date.distantPast
        var lastPassOf: [String: Date] = [:]
        var lastCompact = Date()
        var lastVacuum = Date()
        var lastFold = Date.distantPast
        var lastDelta = Date()
        // A thread of its own checkpoints the WAL; a commit never stops to do it, and a long
        // compaction on the maintenance thread does not hold it back (queued behind compaction
        // under CPU contention, the WAL reached 80 MB in a 30-minute soak).
        for p in pipelines {
            try p.catalog.db.execute("PRAGMA wal_autocheckpoint = 0")
            p.retriesKafka = true
        }
        try catalog.db.execute("PRAGMA wal_autocheckpoint = 0")
        let checkpointer = try WALCheckpointer(paths: catalog.paths, everySeconds: checkpointEverySeconds,
                                               report: onMaintenance)
        defer { checkpointer.finish() }
        let maintenance = FollowMaintenance(paths: catalog.paths, jobs: pipelines.map(\.job),
                                            retentionSeconds: vacuumRetentionSeconds, report: onMaintenance)
        defer { maintenance.wait() }
        // What an earlier run left queued, one version per commit; from here on the
        // maintenance thread gathers each `delta_interval` into one version.
        try DeltaLog(catalog: catalog).catchUp()
        while !FollowSignals.stopRequested {
            let now = Date()
            let due = now.timeIntervalSince(lastPass) >= intervalSeconds
            var listings: [String: String] = [:]
            var ready: [Pipeline] = []
            for p in pipelines {
                // At most `commits_per_second` passes of a job per second: what arrives in
                // between waits for the next pass and is committed with it.
                let spacing = 1.0 / Double(max(1, p.job.catalog.commitsPerSecondMax))
                guard now.timeIntervalSince(lastPassOf[p.job.name] ?? .distantPast) >= spacing else { continue }
                let (listing, bytes) = try sourceFingerprint(p)
                listings[p.job.name] = listing
                if try due || catalogPending(p) {
                    ready.append(p)
                } else if listing != lastSeen[p.job.name] {
                    // A little new input waits a moment for more (fewer, fuller commits).
                    let first = waitingSince[p.job.name] ?? now
                    waitingSince[p.job.name] = first
                    let grown = bytes - (bytesAtPass[p.job.name] ?? 0)
                    if grown < 0 || grown >= Self.smallInputBytes
                        || now.timeIntervalSince(first) >= Double(p.job.catalog.commitWaitSeconds) {
                        ready.append(p)
                    }
                }
                pendingBytes[p.job.name] = bytes
            }
            if ready.isEmpty {
                maintain(&lastCompact, &lastVacuum, &lastFold, &lastDelta, maintenance)
                Thread.sleep(forTimeInterval: pollSeconds)
                continue
            }
            if due { lastPass = now }
            for p in ready {
                lastPassOf[p.job.name] = Date()
                let started = Date()
                let result = try p.runPass()
                if result.didWork { onPass(p, result, Date().timeIntervalSince(started)) }
                // The pass read at least what this listing shows. Not the listing after the
                // pass: bytes appended during the pass would look already read and wait for
                // the interval.
                lastSeen[p.job.name] = listings[p.job.name]
                if let b = pendingBytes[p.job.name] { bytesAtPass[p.job.name] = b }
                waitingSince[p.job.name] = nil
            }
            maintain(&lastCompact, &lastVacuum, &lastFold, &lastDelta, maintenance)
        }
        maintenance.wait()
        try DeltaLog(catalog: catalog).catchUp(gather: true)
        for p in pipelines { p.finish(error: nil) }
    }

    /// Starts a maintenance round when one is due. A round still running is not queued twice:
    /// a later check starts the next.
    private func maintain(_ lastCompact: inout Date, _ lastVacuum: inout Date, _ lastFold: inout Date,
                          _ lastDelta: inout Date, _ maintenance: FollowMaintenance) {
        let now = Date()
        let work = FollowMaintenance.Work(
            compact: now.timeIntervalSince(lastCompact) >= compactEverySeconds,
            vacuum: now.timeIntervalSince(lastVacuum) >= vacuumEverySeconds,
            fold: now.timeIntervalSince(lastFold) >= foldEverySeconds,
            delta: now.timeIntervalSince(lastDelta) >= deltaEverySeconds)
        guard work.any, maintenance.start(work) else { return }
        if work.compact { lastCompact = now }
        if work.vacuum { lastVacuum = now }
        if work.fold { lastFold = now }
        if work.delta { lastDelta = now }
    }

    /// What changes when new input arrives, and its size: for a landing folder the files'
    /// names, inodes and sizes, and their total size; for Kafka the partitions' end offsets
    /// the consumer has heard of, a message counted as 256 bytes (so `smallInputBytes` is about
    /// a thousand messages).
    private func sourceFingerprint(_ p: Pipeline) throws -> (String, Int64) {
        if p.job.source.kafka != nil {
            guard let ends = p.kafkaEnds() else { return ("", 0) }
            return (ends.fingerprint, ends.total * 256)
        }
        return try landingFingerprint(p.job)
    }

    private func landingFingerprint(_ job: JobDefinition) throws -> (String, Int64) {
        let files = try LandingFolder.list(catalog.paths.root + "/" + job.source.landing)
        return (files.map { "\($0.name):\($0.identity):\($0.size)" }.joined(separator: "|"),
                files.reduce(0) { $0 + $1.size })
    }

    /// True when the catalog holds input a stage of the pipeline has not read: bronze rows
    /// after silver's position (HTTP ingest, `lake run bronze --stdin`, or a commit that landed
    /// while the last pass's silver was running), or silver snapshots after gold's.
    private func catalogPending(_ p: Pipeline) throws -> Bool {
        let job = p.job.name
        func value(_ stage: String, _ key: String) throws -> Int64 {
            let rows = try catalog.db.query(
                "SELECT value FROM lake_checkpoint WHERE job = ? AND stage = ? AND key = ?",
                .text(job), .text(stage), .text(key))
            return Int64(rows.first?[0].text ?? "") ?? 0
        }
        if p.stages.contains(.silver) {
            let next = try value("bronze", "next_ingest_id")
            if try next > 0 && next - 1 > value("silver", "position") { return true }
        }
        if p.stages.contains(.gold) {
            let latest = try catalog.db.query(
                "SELECT max(snapshot_id) FROM lake_snapshot WHERE status = 'committed' AND job = ? AND stage = 'silver'",
                .text(job)).first?[0].int ?? 0
            if try latest > value("gold", "silver_snapshot") { return true }
        }
        return false
    }
}

/// The follow loop's compaction and vacuum, one round at a time on a thread of its own with
/// its own catalog connection (SQLite connections are not shared between threads). They commit
/// like `lake compact` / `lake vacuum` run from cron beside the loop would: compaction under its
/// stage lock, touching only files the next stage has read. A failed round is reported and the
/// next one tried later; it never stops the loop.
final class FollowMaintenance: @unchecked Sendable {
    private let paths: LakePaths
    private let jobs: [JobDefinition]
    private let retentionSeconds: Int64
    private let report: @Sendable (String) -> Void
    private let lock = NSLock()
    private var running = false
    private let group = DispatchGroup()

    init(paths: LakePaths, jobs: [JobDefinition], retentionSeconds: Int64, report: @escaping @Sendable (String) -> Void) {
        self.paths = paths
        self.jobs = jobs
        self.retentionSeconds = retentionSeconds
        self.report = report
    }

    struct Work {
        var compact: Bool
        var vacuum: Bool
        var fold: Bool
        var delta: Bool
        var any: Bool { compact || vacuum || fold || delta }
    }

    /// One connection for every round (opening one per second would cost more than the
    /// checkpoint); only the maintenance thread uses it, one round at a time.
    private var connection: Catalog?

    /// Starts a round unless one is running; false if one is.
    func start(_ work: Work) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if running { return false }
        running = true
        group.enter()
        startThread("lake-maintain") { [self] in
            defer {
                lock.lock()
                running = false
                lock.unlock()
                group.leave()
            }
            // Below the passes: maintenance may take longer, a pass should not.
            ProcessSetup.lowerThreadPriority()
            do {
                let catalog = try connection ?? Catalog(paths: paths)
                connection = catalog
                if work.compact { try self.compact(catalog) }
                if work.vacuum {
                    let v = try Vacuum.run(catalog, retentionSeconds: retentionSeconds, jobs: jobs)
                    if v.retiredFilesDeleted + v.orphansDeleted > 0 {
                        report("vacuum: \(v.retiredFilesDeleted) retired files, \(v.orphansDeleted) orphans deleted")
                    }
                }
                if work.fold {
                    for job in jobs {
                        let f = try catalog.fold(job: job.name, retentionSeconds: job.catalog.snapshotRetentionSeconds,
                                         detailSeconds: job.catalog.snapshotDetailSeconds)
                        if f.snapshots + f.runs > 0 {
                            report("fold \(job.name): \(f.snapshots) snapshots, \(f.runs) runs")
                        }
                    }
                }
                if work.delta { try DeltaLog(catalog: catalog).catchUp(gather: true) }
            } catch {
                report("maintenance failed (retried later): \(error)")
            }
        }
        return true
    }

    /// Waits for the round in flight, if any.
    func wait() { group.wait() }

    private func compact(_ catalog: Catalog) throws {
        let compactor = Compactor(catalog: catalog)
        compactor.onOneThread = true
        compactor.settledRowCount = compactor.targetRowCount / 4
        for job in jobs {
            let tables = [(job.bronze.table, "bronze"), (job.silver.table, "silver"),
                          (job.silver.quarantineTable, "quarantine")] + job.gold.map { ($0.table, "gold") }
            for (table, layer) in tables {
                guard try catalog.tableID(table) != nil,
                      try compactor.needsCompaction(table: table, job: job.name, layer: layer, filesMin: 10)
                else { continue }
                // Another compaction holding the lock is fine: skip this round.
                guard let r = try? StageRunner.run(catalog: catalog, job: job.name, stage: "compact", wait: false, {
                    try compactor.compact(table: table, job: job.name, layer: layer, runID: $0)
                }) else { continue }
                if r.filesRetired > 0 {
                    report("compact \(table): \(r.filesRetired) files → \(r.filesAdded)")
                }
            }
        }
    }
}

/// Checkpoints the catalog's WAL every `everySeconds` on a thread of its own, with its own
/// connection (`Catalog.checkpointWAL`: passive, then a truncate that waits at most 50 ms).
final class WALCheckpointer: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    /// Used by the checkpoint thread only.
    private let catalog: Catalog

    init(paths: LakePaths, everySeconds: Double, report: @escaping @Sendable (String) -> Void) throws {
        catalog = try Catalog(paths: paths)
        startThread("lake-wal-ckpt") { [self] in
            var failed = false
            while done.wait(timeout: .now() + everySeconds) == .timedOut {
                do {
                    try catalog.checkpointWAL()
                    failed = false
                } catch {
                    // Said once per outage; the next second tries again.
                    if !failed { report("WAL checkpoint failed (retried): \(error)") }
                    failed = true
                }
            }
            exited.signal()
        }
    }

    func finish() {
        done.signal()
        exited.wait()
    }
}

/// SIGINT / SIGTERM set a flag the follow loop checks between passes.
public enum FollowSignals {
    nonisolated(unsafe) public static var stopRequested = false

    static func install() {
        signal(SIGINT) { _ in FollowSignals.stopRequested = true }
        signal(SIGTERM) { _ in FollowSignals.stopRequested = true }
    }
}
