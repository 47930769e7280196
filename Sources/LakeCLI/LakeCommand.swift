import ArgumentParser
import Foundation
import Lake
import Parquet

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
            CompactCommand.self, VacuumCommand.self, BackfillCommand.self, SnapshotsCommand.self, ServeCommand.self,
            ReportCommand.self, TrainCommand.self, VerifyCommand.self, BackupCommand.self, RestoreCommand.self,
            BenchParseCommand.self,
        ])

    static func main() {
        ProcessSetup.configureMemory()
        var command: ParsableCommand
        do {
            command = try parseAsRoot(globalOptionsAfterSubcommand(Array(CommandLine.arguments.dropFirst())))
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            // ArgumentParser's own errors (help, exit codes, validation) keep their handling;
            // whatever else failed, the user sees one line: a Foundation error or a message
            // quoting a file's bytes can hold line breaks.
            if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { exit(withError: error) }
            exit(withError: OneLineError(text: String(describing: error).oneLine))
        }
    }
}

/// `lake --lake DIR status` as `lake status --lake DIR`: the global options (SPEC §2) may come
/// before the subcommand, where ArgumentParser does not look for a subcommand's options.
func globalOptionsAfterSubcommand(_ arguments: [String]) -> [String] {
    var leading: [String] = []
    var rest = arguments[...]
    while let first = rest.first {
        if first == "--lake" || first == "--jobs", rest.count >= 2 {
            leading += rest.prefix(2)
            rest = rest.dropFirst(2)
        } else if first.hasPrefix("--lake=") || first.hasPrefix("--jobs=") {
            leading.append(first)
            rest = rest.dropFirst()
        } else {
            break
        }
    }
    // Nothing but global options (or none): leave the arguments as they were.
    guard !leading.isEmpty, !rest.isEmpty else { return arguments }
    // After a `--` every argument is positional: put the options before it.
    if let dash = rest.firstIndex(of: "--") {
        return Array(rest[..<dash]) + leading + Array(rest[dash...])
    }
    return Array(rest) + leading
}

/// An error from a command's `run()`, printed as `Error: <one line>` with exit code 1.
struct OneLineError: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}
