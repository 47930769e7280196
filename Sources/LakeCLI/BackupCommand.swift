import ArgumentParser
import Foundation
import Lake

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the lake as of one instant into DEST: catalog, the files it names, Delta logs, pii.key.",
        discussion: """
            Safe while other commands run (`run all --follow` included): the catalog is copied in one \
            read transaction, and every data file it names is immutable, so files are hard links \
            when DEST is on the same filesystem. Landing folders are not part of a backup.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A new (or empty) folder for the backup.") var destination: String

    func run() throws {
        let catalog = try Catalog(paths: global.paths, readOnly: true)
        let r = try Backup.backup(catalog, to: destination)
        Output.note("backup \(LakePaths.absolute(destination)): catalog at snapshot \(r.snapshot), \(r.files) files "
            + "(\(Output.bytes(r.bytes)); \(r.linked) linked, \(r.copied) copied), \(r.deltaFiles) Delta log files"
            + (r.vanished.isEmpty ? "" : "; \(r.vanished.count) retired files vacuumed meanwhile left out"))
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Make the lake (--lake, a new or empty folder) from a backup `lake backup` wrote.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The backup folder.") var source: String

    func run() throws {
        let r = try Backup.restore(from: source, to: global.paths)
        Output.note("restore \(global.paths.root): catalog at snapshot \(r.snapshot), \(r.files) files "
            + "(\(Output.bytes(r.bytes)); \(r.linked) linked, \(r.copied) copied); check it with `lake verify`")
    }
}
