import ArgumentParser
import Foundation
import Lake

struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Recompute silver or gold for an event-date range with all data known now.",
        discussion: """
            silver: rebuilds the silver partitions of the dates from every bronze row silver has \
            read — late events included, duplicates removed — and takes the recovered late rows \
            out of quarantine. gold: recomputes every gold table from all silver, replaces the \
            closed rows starting on the dates and every open row, running total and top row. all: silver, then gold. Dates are YYYY-MM-DD, today or yesterday (UTC); \
            running a backfill twice gives the same result.
            """)

    enum Layer: String, ExpressibleByArgument, CaseIterable { case silver, gold, all }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "silver, gold or all.") var layer: Layer
    @Option(help: "First event date (YYYY-MM-DD, today, yesterday).") var from: String
    @Option(help: "Last event date, inclusive.") var to: String
    @Option(help: "Backfill only this job (default: every job).") var job: String?
    @Flag(help: "Wait for a running stage instead of exiting.") var wait = false

    func run() throws {
        let catalog = try Catalog(paths: global.paths)
        let delta = DeltaLog(catalog: catalog)
        try delta.catchUp()
        let jobs = try global.loadJobs(only: job)
        // Every job's locks first, in job order then stage order (as `run all`): a racing
        // backfill is refused, or waits, before it has backfilled anything.
        let locks = try StageLock.takeAll(paths: global.paths, jobs: jobs.map(\.name),
                                          stages: layer == .all ? ["silver", "gold"] : [layer.rawValue], wait: wait)
        defer { for lock in locks.values { lock.release() } }
        for job in jobs {
            if layer == .silver || layer == .all {
                let started = Date()
                let r = try StageRunner.run(catalog: catalog, job: job.name, stage: "silver", wait: wait,
                                            lock: locks[job.name + ".silver"], keepsLock: true) { runID in
                    // Catch up first: the backfill covers every bronze row silver has read.
                    _ = try SilverStage(catalog: catalog, job: job, runID: runID).run()
                    return try SilverBackfill(catalog: catalog, job: job, runID: runID, from: from, to: to).run()
                }
                Output.note("backfill silver \(job.name) \(from)..\(to): \(r.rowsWritten) rows, \(r.duplicates) "
                    + "duplicates, \(r.recoveredLate) late rows recovered from quarantine, \(r.filesRetired) files "
                    + "replaced by \(r.filesAdded), \(Output.seconds(since: started))")
            }
            if layer == .gold || layer == .all {
                let started = Date()
                let r = try StageRunner.run(catalog: catalog, job: job.name, stage: "gold", wait: wait,
                                            lock: locks[job.name + ".gold"], keepsLock: true) { runID in
                    // No catch-up first: the backfill reads all of silver (and so also rebuilds a
                    // table whose definition changed, which the incremental run refuses).
                    return try GoldBackfill(catalog: catalog, job: job, runID: runID, from: from, to: to).run()
                }
                Output.note("backfill gold \(job.name) \(from)..\(to): \(r.rowsWritten) closed rows from "
                    + "\(r.rowsRead) silver rows, \(r.filesRetired) files replaced by \(r.filesAdded), "
                    + "\(Output.seconds(since: started))")
            }
        }
        try delta.catchUp()
    }
}
