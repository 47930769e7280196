import ArgumentParser
import Foundation
import Lake

/// `lake snapshots [TABLE]`: the versions of each table's Delta log, so a reader can ask for
/// `version=N` (delta-rs `DeltaTable(path, version=N)`, Spark `versionAsOf`).
struct SnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List each table's Delta versions: time, operation, files and rows added and removed.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "One table (default: every table with a Delta log).") var table: String?
    @Flag(help: "Print a JSON array.") var json = false

    func run() throws {
        let catalog = try Catalog(paths: global.paths, readOnly: true)
        let rows = try catalog.db.query("""
            SELECT t.table_name, v.version, v.committed_ms, v.operation, v.data_change,
                   v.files_added, v.files_removed, v.rows_added, v.rows_removed
            FROM lake_delta_version v JOIN lake_table t USING (table_id)
            WHERE v.status = 'written' AND (?1 IS NULL OR t.table_name = ?1)
            ORDER BY t.table_name, v.version
            """, .of(table))
        if let table, rows.isEmpty, try catalog.tableID(table) == nil {
            let names = try catalog.db.query("SELECT table_name FROM lake_table ORDER BY table_name").compactMap { $0[0].text }
            throw LakeError("snapshots", path: global.paths.catalog, "no table \(table)",
                hint: "tables: \(names.joined(separator: ", "))")
        }
        let versions = rows.map { r -> [String: Any] in
            [
                "table": r[0].text ?? "", "version": r[1].int ?? 0,
                "time": Timestamps.iso(micros: (r[2].int ?? 0) * 1000), "operation": r[3].text ?? "",
                "data_change": r[4].int != 0, "files_added": r[5].int ?? 0, "files_removed": r[6].int ?? 0,
                "rows_added": r[7].int ?? 0, "rows_removed": r[8].int ?? 0,
            ]
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: versions, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("table".padding(toLength: 28, withPad: " ", startingAt: 0) + "  version  time                      operation         files       rows")
        for v in versions {
            let files = "+\(v["files_added"]!) -\(v["files_removed"]!)"
            let rowsText = "+\(v["rows_added"]!) -\(v["rows_removed"]!)"
            print([
                (v["table"] as! String).padding(toLength: 28, withPad: " ", startingAt: 0),
                "\(v["version"]!)".padding(toLength: 7, withPad: " ", startingAt: 0),
                (v["time"] as! String).padding(toLength: 24, withPad: " ", startingAt: 0),
                (v["operation"] as! String).padding(toLength: 16, withPad: " ", startingAt: 0),
                files.padding(toLength: 10, withPad: " ", startingAt: 0), rowsText,
            ].joined(separator: "  "))
        }
    }
}
