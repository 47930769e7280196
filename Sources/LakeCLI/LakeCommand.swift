import ArgumentParser
import Foundation
import Lake

/// Flags every subcommand shares: where the lake and the job definitions live.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The lake root folder (default: $LAKE_DIR or ./lake).")
    var lake: String?

    @Option(help: "The folder of job definitions (default: ./jobs).")
    var jobs: String = "jobs"

    var paths: LakePaths {
        LakePaths(root: lake ?? ProcessInfo.processInfo.environment["LAKE_DIR"] ?? "lake")
    }
}

@main
struct LakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lake",
        abstract: "A single-binary medallion lakehouse for clickstream events.",
        subcommands: [
            GenerateCommand.self, RunCommand.self, StatusCommand.self, SqlCommand.self, CronCommand.self,
            CompactCommand.self, VacuumCommand.self, BackfillCommand.self, ServeCommand.self, ReportCommand.self,
            BenchParseCommand.self,
        ])

    static func main() {
        ProcessSetup.configureMemory()
        main(nil)
    }
}
