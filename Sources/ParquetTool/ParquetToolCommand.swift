import ArgumentParser
import Foundation
import Parquet

@main
struct ParquetToolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parquet-tool",
        abstract: "Inspect Parquet files and write the interop fixtures the tests check.",
        subcommands: [])
}
