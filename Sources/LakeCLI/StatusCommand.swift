import ArgumentParser
import Foundation
import Lake

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Tables, files, rows, bytes, checkpoints, accounting, last runs and orphans.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print one JSON object (`tables` maps each table to rows, files, bytes).") var json = false

    func run() throws {
        let catalog = try Catalog(paths: global.paths, readOnly: true)
        let status = try LakeStatus.read(catalog)
        print(json ? try status.jsonText() : status.text(), terminator: json ? "\n" : "")
    }
}
