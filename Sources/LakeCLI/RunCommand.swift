import ArgumentParser
import Foundation
import Lake

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a stage (bronze, silver, gold) or all of them over everything available.")

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case bronze, silver, gold, all
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "bronze, silver, gold or all.") var stage: Target
    @Option(help: "Run only this job (default: every job in the jobs folder).") var job: String?
    @Flag(help: "Bronze: read standard input instead of the landing folder.") var stdin = false
    @Flag(help: "Wait for a running instance of the same stage instead of exiting.") var wait = false

    @Flag(help: "Keep running: pick up new input as it arrives, until SIGINT/SIGTERM.") var follow = false
    @Option(help: "With --follow: run a pass at least every this many seconds.") var interval = 1.0

    // LakeError rather than ValidationError: one line on stderr, not the usage text too.
    func validate() throws {
        if stdin && stage != .bronze && stage != .all {
            throw LakeError("run \(stage.rawValue)", "--stdin applies to `lake run bronze` (or `all`) only",
                hint: "pipe the lines into `lake run bronze --stdin`, then run \(stage.rawValue)")
        }
        if stdin && follow {
            throw LakeError("run", "--stdin and --follow cannot be combined", hint: "drop one of them")
        }
        if interval <= 0 || interval > 3600 {
            throw LakeError("run", "--interval \(interval) is out of range", hint: "use 0 < seconds ≤ 3600")
        }
    }

    var stages: [Lake.Stage] {
        switch stage {
        case .bronze: return [.bronze]
        case .silver: return [.silver]
        case .gold: return [.gold]
        case .all: return Lake.Stage.allCases
        }
    }

    func run() throws {
        let jobs = try global.loadJobs(only: job)
        if stdin && jobs.count != 1 {
            throw LakeError("run \(stage.rawValue)", "--stdin needs exactly one job", hint: "pass --job NAME")
        }
        let catalog = try Catalog(paths: global.paths)
        let pipelines = jobs.map { Pipeline(catalog: catalog, job: $0, stages: stages, wait: wait || follow) }
        // The Delta logs: what a killed command left queued first, each commit of this run after.
        let delta = DeltaLog(catalog: catalog)
        if !follow { try delta.catchUp() }
        if follow {
            let loop = FollowLoop(catalog: catalog, pipelines: pipelines, intervalSeconds: interval)
            loop.onPass = { p, r, seconds in Output.note("[\(Clock.isoNow())] " + Self.summary(p.job, r, seconds)) }
            loop.onMaintenance = { Output.note("[\(Clock.isoNow())] \($0)") }
            Output.note("following \(jobs.map(\.name).joined(separator: ", ")) (interval \(interval) s); Ctrl-C stops")
            do {
                try loop.run()
            } catch {
                for p in pipelines { p.finish(error: error) }
                throw error
            }
            return
        }
        if stages == Stage.allCases && !stdin {
            // `run all` over the landing folders: the jobs at once, and each job's stages at
            // once (Pipeline.runOverlapped). Every job runs even when another fails; then the
            // command fails with one line, the first error in job order (the jobs that
            // succeeded show in `lake status`), and prints the jobs' summaries only on success.
            var firstError: Error?
            let outcomes = Pipeline.runOverlapped(pipelines)
            for (p, o) in zip(pipelines, outcomes) {
                if case .failure(let error) = o.result {
                    firstError = firstError ?? error
                    p.finish(error: error)
                } else {
                    p.finish(error: nil)
                }
            }
            do { try delta.catchUp() } catch { firstError = firstError ?? error }
            if let firstError { throw firstError }
            for (p, o) in zip(pipelines, outcomes) {
                if case .success(let r) = o.result { Output.note(Self.summary(p.job, r, o.seconds)) }
            }
            return
        }
        // Every job's stage locks before any job runs, in job order then stage order, as `run
        // all` takes them: a racing command would otherwise run the jobs before the one it is
        // refused at, and print them.
        for p in pipelines { try p.holdLocks() }
        for p in pipelines {
            let started = Date()
            do {
                let r = try p.runPass(bronzeInput: stdin ? { try $0.ingestStandardInput() } : nil)
                p.finish(error: nil)
                try delta.catchUp()
                Output.note(Self.summary(p.job, r, Date().timeIntervalSince(started)))
            } catch {
                p.finish(error: error)
                throw error
            }
        }
    }

    static func summary(_ job: JobDefinition, _ r: PipelineResult, _ seconds: Double) -> String {
        var parts: [String] = []
        if let b = r.bronze {
            parts.append("bronze \(b.lines) lines (\(Output.bytes(b.bytes))) from \(b.sources) sources"
                + (b.rejected.isEmpty ? "" : ", \(b.rejected.count) damaged file(s) set aside in _rejected/"))
        }
        if let s = r.silver {
            let reasons = s.quarantined.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: " ")
            parts.append("silver \(s.accepted) rows, \(s.duplicates) duplicates, \(s.quarantinedCount) quarantined"
                + (reasons.isEmpty ? "" : " (\(reasons))") + ", watermark "
                + (s.watermarkMicros.map { Timestamps.iso(micros: $0) } ?? "none"))
        }
        if let g = r.gold {
            parts.append("gold \(g.sessionsClosed) rows closed, \(g.sessionsOpen) open")
        }
        // Under --follow a slow pass says which stage took the time.
        let stages = r.stageSeconds.count > 1 && seconds >= 0.25
            ? ": " + r.stageSeconds.map { "\($0.stage.rawValue) " + String(format: "%.2f", $0.seconds) }.joined(separator: ", ")
            : ""
        return "\(job.name): " + parts.joined(separator: "; ") + String(format: " (%.2f s", seconds) + stages + ")"
    }
}
