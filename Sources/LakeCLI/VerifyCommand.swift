import ArgumentParser
import Foundation
import Lake

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every live file against the catalog (size, footer, rows, ranges, page checksums) and the Delta log.",
        discussion: """
            Reads every page of every live file (or of TABLE's): each is decompressed, decoded and \
            checked against its CRC-32. One line per problem on stdout, exit 1 when there is any.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The table to check (default: every table).") var table: String?
    @Flag(help: "Print one JSON object: the counts and every problem.") var json = false

    func run() throws {
        let catalog = try Catalog(paths: global.paths, readOnly: true)
        let r = try Verify.run(catalog, table: table)
        if json {
            let object: [String: Any] = [
                "tables": r.tables, "files": r.files, "rows": r.rows, "bytes": r.bytes,
                "delta_versions": r.deltaVersions,
                "problems": r.problems.map { ["table": $0.table, "path": $0.path, "message": $0.message] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for p in r.problems { print(p.line.replacingOccurrences(of: "\n", with: " ")) }
        }
        let summary = "verify: \(r.tables) tables, \(r.files) files (\(r.rows) rows, \(Output.bytes(r.bytes))), "
            + "\(r.deltaVersions) Delta versions: "
            + (r.problems.isEmpty ? "no problem" : "\(r.problems.count) problem(s)")
        Output.note(summary)
        if !r.problems.isEmpty { throw ExitCode(1) }
    }
}
