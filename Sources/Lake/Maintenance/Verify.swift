import Foundation
import Parquet

/// `lake verify [TABLE]`: checks the lake against its catalog. For every live file of every
/// table (or one): it exists with the size the catalog recorded, its footer parses, its row
/// count and time and ingest-id ranges are the catalog's, and every page reads back with its
/// checksum (a full read: every page is decompressed and decoded). For every table with a
/// Delta log: replaying its JSON versions gives exactly the files the catalog says the last
/// written version holds. Problems are collected, never thrown: one damaged file does not hide
/// the next.
public enum Verify {
    public struct Problem: Sendable, Equatable {
        public var table: String
        /// The file (relative to the lake root) or the table's `_delta_log`.
        public var path: String
        public var message: String

        public var line: String { "\(table): \(path): \(message)" }
    }

    public struct Report: Sendable {
        public var tables = 0
        public var files = 0
        public var rows: Int64 = 0
        public var bytes: Int64 = 0
        public var deltaVersions = 0
        public var problems: [Problem] = []
    }

    /// Checks every table (or `table` alone); throws only when the catalog itself cannot be read
    /// or `table` is not one of its tables.
    public static func run(_ catalog: Catalog, table only: String? = nil) throws -> Report {
        let tables = try catalog.db.query("SELECT table_id, table_name, layer FROM lake_table ORDER BY table_id")
            .map { (id: $0[0].int ?? 0, name: $0[1].text ?? "", layer: $0[2].text ?? "") }
        let chosen = only.map { name in tables.filter { $0.name == name } } ?? tables
        if let only, chosen.isEmpty {
            throw LakeError("verify", path: catalog.paths.catalog, "no table \(only)",
                            hint: "tables: \(tables.map(\.name).joined(separator: ", "))")
        }
        var report = Report()
        for t in chosen {
            report.tables += 1
            for f in try catalog.liveFiles(table: t.name) {
                report.files += 1
                report.rows += f.recordCount
                report.bytes += f.fileSizeBytes
                if let problem = try check(f, layer: t.layer, catalog: catalog) {
                    report.problems.append(Problem(table: t.name, path: f.path, message: problem))
                }
            }
            let (versions, problems) = try checkDelta(table: t.id, name: t.name, catalog: catalog)
            report.deltaVersions += versions
            report.problems += problems.map { Problem(table: t.name, path: t.name + "/_delta_log", message: $0) }
        }
        return report
    }

    /// What is wrong with one live file, or nil.
    private static func check(_ f: DataFile, layer: String, catalog: Catalog) throws -> String? {
        let path = catalog.paths.root + "/" + f.path
        var st = stat()
        guard stat(path, &st) == 0 else { return "missing (\(String(cString: strerror(errno))))" }
        guard Int64(st.st_size) == f.fileSizeBytes else {
            return "\(st.st_size) bytes, the catalog recorded \(f.fileSizeBytes)"
        }
        // Column chunk by column chunk (every page decoded and checked against its CRC), so
        // memory stays one chunk however large the file.
        let timeName = layer == "bronze" ? "ingested_at" : try catalog.partitionColumn(table: f.table)
        var ranges: [(label: String, column: Int?, catalog: (Int64?, Int64?), seen: (Int64, Int64)?)] = []
        do {
            let reader = try ParquetReader(path: path)
            guard reader.metadata.rowCount == f.recordCount else {
                return "\(reader.metadata.rowCount) rows, the catalog recorded \(f.recordCount)"
            }
            ranges = [
                ("time (\(timeName ?? "none"))", timeName.flatMap { reader.schema.index(of: $0) },
                 (f.minTimeMicros, f.maxTimeMicros), nil),
                ("ingest_id", reader.schema.index(of: "ingest_id"), (f.minIngestID, f.maxIngestID), nil),
            ]
            for group in reader.metadata.rowGroups.indices {
                for column in reader.schema.columns.indices {
                    let data = try reader.readColumn(rowGroup: group, column: column)
                    for k in ranges.indices where ranges[k].column == column {
                        if let (low, high) = range(data) {
                            let seen = ranges[k].seen
                            ranges[k].seen = (min(low, seen?.0 ?? low), max(high, seen?.1 ?? high))
                        }
                    }
                }
            }
        } catch let e as ParquetError {
            return e.message
        } catch {
            return "\(error)"
        }
        for r in ranges {
            guard let (low, high) = r.seen, let recordedLow = r.catalog.0, let recordedHigh = r.catalog.1 else { continue }
            guard low == recordedLow && high == recordedHigh else {
                return "\(r.label) spans \(low)…\(high), the catalog recorded \(recordedLow)…\(recordedHigh)"
            }
        }
        return nil
    }

    /// The smallest and largest non-null value of an integer column.
    private static func range(_ c: ColumnData) -> (Int64, Int64)? {
        guard case .int64(let values) = c.values else { return nil }
        var low = Int64.max, high = Int64.min, any = false
        // Values are one per row, or one per present row when the column has nulls.
        let perRow = values.count == c.rowCount
        for (i, v) in values.enumerated() where !perRow || !c.isNull(i) {
            low = min(low, v)
            high = max(high, v)
            any = true
        }
        return any ? (low, high) : nil
    }

    /// The table's Delta log replayed (every JSON version in order: removes, then adds) against
    /// the files the catalog says its last written version holds.
    private static func checkDelta(table: Int64, name: String, catalog: Catalog) throws -> (Int, [String]) {
        let last = try catalog.db.scalar(
            "SELECT max(version) FROM lake_delta_version WHERE table_id = ? AND status = 'written'", .int(table))?.int
        guard let last else { return (0, []) }
        let logDir = catalog.paths.root + "/" + name + "/_delta_log"
        var live: Set<String> = []
        var problems: [String] = []
        for version in 0...last {
            let file = logDir + "/" + DeltaFiles.versionName(version) + ".json"
            guard let data = FileManager.default.contents(atPath: file) else {
                problems.append("version \(version) is missing (\(file))")
                return (Int(last) + 1, problems)
            }
            var removes: [String] = [], adds: [String] = []
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                guard let action = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    problems.append("version \(version) has a line that is not JSON")
                    return (Int(last) + 1, problems)
                }
                if let add = action["add"] as? [String: Any], let p = add["path"] as? String {
                    adds.append(p.removingPercentEncoding ?? p)
                }
                if let remove = action["remove"] as? [String: Any], let p = remove["path"] as? String {
                    removes.append(p.removingPercentEncoding ?? p)
                }
            }
            live.subtract(removes)
            live.formUnion(adds)
        }
        let expected = Set(try catalog.db.query("""
            SELECT path FROM lake_data_file WHERE table_id = ?1 AND delta_added <= ?2
              AND (delta_removed IS NULL OR delta_removed > ?2)
            """, .int(table), .int(last)).compactMap { $0[0].text }.map { p in
                p.hasPrefix(name + "/") ? String(p.dropFirst(name.count + 1)) : p
            })
        for p in live.subtracting(expected).sorted().prefix(20) {
            problems.append("version \(last) names \(p), which the catalog does not hold at that version")
        }
        for p in expected.subtracting(live).sorted().prefix(20) {
            problems.append("version \(last) lacks \(p), which the catalog holds at that version")
        }
        return (Int(last) + 1, problems)
    }
}
