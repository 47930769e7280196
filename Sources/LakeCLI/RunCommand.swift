import ArgumentParser
import Foundation
import Lake

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a stage (bronze, silver, gold) or all of them over everything available.")

    enum Stage: String, ExpressibleByArgument, CaseIterable {
        case bronze, silver, gold, all
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "bronze, silver, gold or all.") var stage: Stage
    @Option(help: "Run only this job (default: every job in the jobs folder).") var job: String?
    @Flag(help: "Bronze: read standard input instead of the landing folder.") var stdin = false
    @Flag(help: "Wait for a running instance of the same stage instead of exiting.") var wait = false

    // LakeError rather than ValidationError: one line on stderr, not the usage text too.
    func validate() throws {
        if stdin && stage != .bronze && stage != .all {
            throw LakeError("run \(stage.rawValue)", "--stdin applies to `lake run bronze` (or `all`) only",
                hint: "pipe the lines into `lake run bronze --stdin`, then run \(stage.rawValue)")
        }
    }

    func run() throws {
        let jobs = try global.loadJobs(only: job)
        if stdin && jobs.count != 1 {
            throw LakeError("run \(stage.rawValue)", "--stdin needs exactly one job", hint: "pass --job NAME")
        }
        let catalog = try Catalog(paths: global.paths)
        for job in jobs {
            if stage == .bronze || stage == .all { try runBronze(catalog, job) }
            if stage == .silver || stage == .all { try runSilver(catalog, job) }
            if stage == .gold || stage == .all { try runGold(catalog, job) }
        }
    }

    private func runBronze(_ catalog: Catalog, _ job: JobDefinition) throws {
        let started = Date()
        let r = try StageRunner.run(catalog: catalog, job: job.name, stage: "bronze", wait: wait) { runID in
            let bronze = try BronzeStage(catalog: catalog, job: job, runID: runID)
            return stdin ? try bronze.ingestStandardInput() : try bronze.ingestLanding()
        }
        Output.note("bronze \(job.name): \(r.lines) lines (\(Output.bytes(r.bytes))) from \(r.sources) "
            + "sources, \(r.files) files, \(r.commits) commits, \(Output.seconds(since: started))")
    }

    private func runSilver(_ catalog: Catalog, _ job: JobDefinition) throws {
        let started = Date()
        let r = try StageRunner.run(catalog: catalog, job: job.name, stage: "silver", wait: wait) { runID in
            try SilverStage(catalog: catalog, job: job, runID: runID).run()
        }
        let reasons = r.quarantined.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: " ")
        Output.note("silver \(job.name): \(r.rowsIn) in, \(r.accepted) rows, \(r.duplicates) duplicates, "
            + "\(r.quarantinedCount) quarantined\(reasons.isEmpty ? "" : " (\(reasons))"), watermark "
            + "\(r.watermarkMicros.map { Timestamps.iso(micros: $0) } ?? "none"), \(Output.seconds(since: started))")
    }

    private func runGold(_ catalog: Catalog, _ job: JobDefinition) throws {
        let started = Date()
        let r = try StageRunner.run(catalog: catalog, job: job.name, stage: "gold", wait: wait) { runID in
            try GoldStage(catalog: catalog, job: job, runID: runID).run()
        }
        Output.note("gold \(job.name): \(r.eventsIn) events, \(r.sessionsClosed) sessions closed, "
            + "\(r.sessionsOpen) open, \(Output.seconds(since: started))")
    }
}
