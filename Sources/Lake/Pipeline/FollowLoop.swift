import Foundation

/// `lake run … --follow`: runs pipeline passes as new input appears, until SIGINT or SIGTERM.
///
/// New input is noticed by polling, every `pollSeconds`, the landing folder (names, sizes,
/// inodes) and bronze's `next_ingest_id` (rows HTTP ingest added); a pass also runs at least
/// every `intervalSeconds`. A signal only sets a flag: the pass in flight finishes its commit (or,
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
            for p in pipelines {
                let seen = try inputFingerprint(p.job)
                if seen != lastSeen[p.job.name] {
                    lastSeen[p.job.name] = seen
                    due = true
                }
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
                // The pass itself moved the bronze checkpoint: do not count that as new input.
                lastSeen[p.job.name] = try inputFingerprint(p.job)
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

    /// What changes when new input arrives: landing files' names, sizes, inodes, and bronze's
    /// next ingest id.
    private func inputFingerprint(_ job: JobDefinition) throws -> String {
        var parts = try LandingFolder.list(catalog.paths.root + "/" + job.source.landing)
            .map { "\($0.name):\($0.identity):\($0.size)" }
        parts.append(try catalog.checkpoint(job: job.name, stage: "bronze", key: "next_ingest_id").value ?? "")
        return parts.joined(separator: "|")
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
