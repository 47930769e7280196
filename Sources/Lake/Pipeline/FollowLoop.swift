import Foundation

/// `lake run … --follow`: runs pipeline passes as new input appears, until SIGINT or SIGTERM.
///
/// New input is noticed by polling, every `pollSeconds`, the landing folder (names, sizes,
/// inodes) and the catalog: bronze rows silver has not read (HTTP ingest adds them) and silver
/// snapshots gold has not read; a pass also runs at least every `intervalSeconds`. The landing
/// listing a pass is compared against is the one taken *before* the pass, so bytes appended
/// while a pass runs start the next pass at once instead of waiting for the interval. A signal only sets a flag: the pass in flight finishes its commit (or,
/// if interrupted by a crash, leaves nothing), then the loop exits. In the background of the
/// loop, small files are compacted every `compactEverySeconds` and unreferenced files vacuumed
/// every `vacuumEverySeconds`, so following forever does not leave a file per second behind.
public final class FollowLoop {
    let catalog: Catalog
    let pipelines: [Pipeline]
    let intervalSeconds: Double
    public var pollSeconds = 0.02
    public var compactEverySeconds = 60.0
    public var vacuumEverySeconds = 600.0
    public var vacuumRetentionSeconds: Int64 = 3600
    /// Called after every pass that did work, with its duration in seconds.
    public var onPass: (Pipeline, PipelineResult, Double) -> Void = { _, _, _ in }
    public var onMaintenance: (String) -> Void = { _ in }

    public init(catalog: Catalog, pipelines: [Pipeline], intervalSeconds: Double) {
        self.catalog = catalog
        self.pipelines = pipelines
        self.intervalSeconds = intervalSeconds
        // Before the caller announces that it follows: from then on a signal stops the loop
        // cleanly instead of killing the process.
        FollowSignals.install()
    }

    public func run() throws {
        FollowSignals.install()
        var lastSeen: [String: String] = [:]
        var lastPass = Date.distantPast
        var lastCompact = Date()
        var lastVacuum = Date()
        while !FollowSignals.stopRequested {
            let now = Date()
            var due = now.timeIntervalSince(lastPass) >= intervalSeconds
            var listings: [String: String] = [:]
            for p in pipelines {
                let listing = try landingFingerprint(p.job)
                listings[p.job.name] = listing
                if try listing != lastSeen[p.job.name] || catalogPending(p) { due = true }
            }
            if !due {
                Thread.sleep(forTimeInterval: pollSeconds)
                continue
            }
            lastPass = now
            for p in pipelines {
                let started = Date()
                let result = try p.runPass()
                if result.didWork { onPass(p, result, Date().timeIntervalSince(started)) }
                // The pass read at least what this listing shows. Not the listing after the
                // pass: bytes appended during the pass would look already read and wait for
                // the interval.
                lastSeen[p.job.name] = listings[p.job.name]
            }
            if Date().timeIntervalSince(lastCompact) >= compactEverySeconds {
                lastCompact = Date()
                try compact()
            }
            if Date().timeIntervalSince(lastVacuum) >= vacuumEverySeconds {
                lastVacuum = Date()
                let v = try Vacuum.run(catalog, retentionSeconds: vacuumRetentionSeconds)
                if v.retiredFilesDeleted + v.orphansDeleted > 0 {
                    onMaintenance("vacuum: \(v.retiredFilesDeleted) retired files, \(v.orphansDeleted) orphans deleted")
                }
            }
        }
        for p in pipelines { p.finish(error: nil) }
    }

    /// What changes when new landing input arrives: the files' names, inodes and sizes.
    private func landingFingerprint(_ job: JobDefinition) throws -> String {
        try LandingFolder.list(catalog.paths.root + "/" + job.source.landing)
            .map { "\($0.name):\($0.identity):\($0.size)" }
            .joined(separator: "|")
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

    private func compact() throws {
        let compactor = Compactor(catalog: catalog)
        for p in pipelines {
            let tables = [(p.job.bronze.table, "bronze"), (p.job.silver.table, "silver"),
                          (p.job.silver.quarantineTable, "quarantine"), (p.job.gold.table, "gold")]
            for (table, layer) in tables {
                guard try catalog.tableID(table) != nil,
                      try compactor.needsCompaction(table: table, job: p.job.name, layer: layer, filesMin: 10)
                else { continue }
                // Another compaction holding the lock is fine: skip this round.
                guard let r = try? StageRunner.run(catalog: catalog, job: p.job.name, stage: "compact", wait: false, {
                    try compactor.compact(table: table, job: p.job.name, layer: layer, runID: $0)
                }) else { continue }
                if r.filesRetired > 0 {
                    onMaintenance("compact \(table): \(r.filesRetired) files → \(r.filesAdded)")
                }
            }
        }
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
