import ArgumentParser
import Foundation
import Parquet

@main
struct ParquetToolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parquet-tool",
        abstract: "Inspect Parquet files and write the interop fixtures the tests check.",
        subcommands: [MetaCommand.self, DumpCommand.self, FixturesCommand.self, BenchCommand.self])
}

struct MetaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meta", abstract: "Print a file's footer facts as JSON.")

    @Argument(help: "The Parquet file.") var file: String

    func run() throws {
        let reader = try ParquetReader(path: file)
        print(JSONText.object(Inspect.metadata(reader)))
    }
}

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump", abstract: "Print a file's rows as NDJSON (timestamps as micros).")

    @Argument(help: "The Parquet file.") var file: String
    @Option(help: "Comma-separated columns to print (default: all).") var columns: String?

    func run() throws {
        let reader = try ParquetReader(path: file)
        let names = columns?.split(separator: ",").map(String.init)
        let data = try reader.readAll(columns: names)
        let rows = data.first?.rowCount ?? 0
        var line = ""
        for row in 0..<rows {
            line.removeAll(keepingCapacity: true)
            line += "{"
            for (i, column) in data.enumerated() {
                if i > 0 { line += "," }
                line += JSONText.string(column.column.name) + ":" + JSONText.value(column, row)
            }
            line += "}"
            print(line)
        }
    }
}
