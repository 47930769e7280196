import ArgumentParser
import Foundation
import Lake

struct SqlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Run a read-only query against the catalog database.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The SQL query, e.g. \"SELECT * FROM gold_kpis\".") var query: String
    @Flag(help: "Print rows as JSON objects, one per line.") var json = false

    func run() throws {
        let catalog = try Catalog(paths: global.paths, readOnly: true)
        let statement = try catalog.db.prepare(query)
        guard statement.isReadOnly else {
            throw LakeError("sql", path: global.paths.catalog, "lake sql runs read-only queries",
                hint: "query with SELECT; the catalog is written only by lake's commands")
        }
        let names = (0..<statement.columnCount).map { statement.columnName($0) }
        if !json && !names.isEmpty { print(names.joined(separator: "|")) }
        while try statement.step() {
            let values = (0..<names.count).map { statement.value($0) }
            if json {
                var object: [String: Any] = [:]
                for (n, v) in zip(names, values) {
                    switch v {
                    case .null: object[n] = NSNull()
                    case .int(let i): object[n] = i
                    case .double(let d): object[n] = d
                    case .text(let t): object[n] = t
                    case .blob(let b): object[n] = b.map { String(format: "%02x", $0) }.joined()
                    }
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(values.map { $0 == .null ? "" : $0.description }.joined(separator: "|"))
            }
        }
    }
}
