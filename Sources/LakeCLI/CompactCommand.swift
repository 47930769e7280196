import ArgumentParser
import Foundation
import Lake

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Merge small files of each partition; old files are retired until `lake vacuum`.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The table to compact (default: every table).") var table: String?
    @Option(help: "Files smaller than this many MB are merged.") var smallFileMB: Int64 = 64
    @Flag(help: "Wait for a running compaction instead of exiting.") var wait = false

    func run() throws {
        let catalog = try Catalog(paths: global.paths)
        let tables = try catalog.db.query("SELECT table_name, job, layer FROM lake_table ORDER BY table_id")
            .map { (name: $0[0].text ?? "", job: $0[1].text ?? "", layer: $0[2].text ?? "") }
        let chosen = table.map { name in tables.filter { $0.name == name } } ?? tables
        if let table, chosen.isEmpty {
            throw LakeError("compact", path: global.paths.catalog, "no table \(table)",
                hint: "tables: \(tables.map(\.name).joined(separator: ", "))")
        }
        // Every job's compact lock before any table, in job order: two compactions started
        // together would otherwise each compact some jobs' tables (which jobs come first
        // follows table creation, which varies) and one fail halfway, its work on the others
        // printed. So one runs and the other is refused having done nothing, or waits (one lock
        // order for everyone, so --wait cannot deadlock).
        let locks = try StageLock.takeAll(paths: global.paths, jobs: Set(chosen.map(\.job)).sorted(),
                                          stages: ["compact"], wait: wait)
        defer { for lock in locks.values { lock.release() } }
        let delta = DeltaLog(catalog: catalog)
        try delta.catchUp()
        let compactor = Compactor(catalog: catalog)
        compactor.smallFileBytes = smallFileMB << 20
        for t in chosen {
            let r = try StageRunner.run(catalog: catalog, job: t.job, stage: "compact", wait: wait,
                                        lock: locks[t.job + ".compact"], keepsLock: true) { runID in
                try compactor.compact(table: t.name, job: t.job, layer: t.layer, runID: runID)
            }
            Output.note("compact \(t.name): \(r.filesRetired) files (\(Output.bytes(r.bytesBefore))) → "
                + "\(r.filesAdded) files (\(Output.bytes(r.bytesAfter))), \(r.rows) rows")
        }
        try delta.catchUp()
    }
}

struct VacuumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vacuum",
        abstract: "Delete files no table references: retired files and crash orphans past the retention.")

    @OptionGroup var global: GlobalOptions
    @Option(help: """
        Delete retired files and crash orphans older than this many seconds (default: retired files \
        after each job's [catalog] delta_retention, 7 days, so Delta time travel inside it works; \
        orphans after an hour).
        """)
    var retentionSeconds: Int64?

    func validate() throws {
        if let r = retentionSeconds, r < 0 { throw ValidationError("--retention-seconds must be 0 or more") }
    }

    func run() throws {
        let catalog = try Catalog(paths: global.paths)
        let jobs = (try? FileManager.default.fileExists(atPath: LakePaths.absolute(global.jobs)))
            .flatMap { $0 ? try? global.loadJobs(only: nil) : nil } ?? []
        let r = try Vacuum.run(catalog, retentionSeconds: retentionSeconds ?? 3600, jobs: jobs,
                               overrideRetired: retentionSeconds)
        if r.bronzeFilesPurged > 0 {
            Output.note("vacuum: \(r.bronzeFilesPurged) bronze files past [bronze] retention deleted")
        }
        Output.note("vacuum: \(r.retiredFilesDeleted) retired files and \(r.orphansDeleted) orphans deleted "
            + "(\(Output.bytes(r.bytesFreed))), \(r.pendingSnapshotsDropped) abandoned snapshots dropped")
        // Then each job's history past its [catalog] snapshot_retention: the files just deleted
        // no longer hold their snapshots.
        for job in jobs {
            let f = try catalog.fold(job: job.name, retentionSeconds: job.catalog.snapshotRetentionSeconds,
                                         detailSeconds: job.catalog.snapshotDetailSeconds)
            if f.snapshots + f.runs > 0 {
                Output.note("vacuum \(job.name): \(f.snapshots) snapshots folded (\(f.thinned) merged into the last of "
                    + "their minute past snapshot_detail), \(f.runs) runs pruned "
                    + "(older than \(job.catalog.snapshotRetentionSeconds) s)")
            }
        }
    }
}
