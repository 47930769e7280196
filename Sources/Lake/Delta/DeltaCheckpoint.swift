import Foundation
import Parquet

/// A classic single-file Delta checkpoint (`<version>.checkpoint.parquet`): the table's state
/// at one version — protocol, metaData, every live file as an `add`, the removed files still on
/// disk as `remove` tombstones — so readers start there instead of replaying every JSON
/// version. Written every `DeltaLog.checkpointEvery` versions, then `_last_checkpoint`.
///
/// The state comes from the catalog, where each file row notes the versions that added and
/// removed it. Only the columns lake fills are written (`txn`, `tags`, `deletionVector` and
/// the like are absent, which readers take as null).
struct DeltaCheckpoint {
    let catalog: Catalog
    let table: Int64
    let name: String

    private typealias Node = NestedWriter.Node

    private static var partitionMap: Node {
        .group("partitionValues", .optional, .map, [
            .group("key_value", .repeated, .mapKeyValue, [
                .leaf("key", .required, .byteArray, string: true),
                .leaf("value", .optional, .byteArray, string: true),
            ]),
        ])
    }

    private static func emptyMap(_ name: String) -> Node {
        .group(name, .optional, .map, [
            .group("key_value", .repeated, .mapKeyValue, [
                .leaf("key", .required, .byteArray, string: true),
                .leaf("value", .optional, .byteArray, string: true),
            ]),
        ])
    }

    private static let schema: [Node] = [
        .group("add", .optional, .plain, [
            .leaf("path", .optional, .byteArray, string: true),
            partitionMap,
            .leaf("size", .optional, .int64, string: false),
            .leaf("modificationTime", .optional, .int64, string: false),
            .leaf("dataChange", .optional, .boolean, string: false),
            .leaf("stats", .optional, .byteArray, string: true),
        ]),
        .group("remove", .optional, .plain, [
            .leaf("path", .optional, .byteArray, string: true),
            .leaf("deletionTimestamp", .optional, .int64, string: false),
            .leaf("dataChange", .optional, .boolean, string: false),
            .leaf("extendedFileMetadata", .optional, .boolean, string: false),
            partitionMap,
            .leaf("size", .optional, .int64, string: false),
        ]),
        .group("metaData", .optional, .plain, [
            .leaf("id", .optional, .byteArray, string: true),
            .leaf("name", .optional, .byteArray, string: true),
            .group("format", .optional, .plain, [
                .leaf("provider", .optional, .byteArray, string: true),
                emptyMap("options"),
            ]),
            .leaf("schemaString", .optional, .byteArray, string: true),
            .group("partitionColumns", .optional, .list, [
                .group("list", .repeated, .plain, [.leaf("element", .optional, .byteArray, string: true)]),
            ]),
            emptyMap("configuration"),
            .leaf("createdTime", .optional, .int64, string: false),
        ]),
        .group("protocol", .optional, .plain, [
            .leaf("minReaderVersion", .optional, .int32, string: false),
            .leaf("minWriterVersion", .optional, .int32, string: false),
        ]),
    ]

    /// Leaves in schema order: add 7, remove 7, metaData 11, protocol 2.
    private enum L {
        static let addPath = 0, addKey = 1, addValue = 2, addSize = 3, addTime = 4, addChange = 5, addStats = 6
        static let rmPath = 7, rmTime = 8, rmChange = 9, rmExtended = 10, rmKey = 11, rmValue = 12, rmSize = 13
        static let mdID = 14, mdName = 15, mdProvider = 16, mdOptKey = 17, mdOptValue = 18, mdSchema = 19
        static let mdPartition = 20, mdConfKey = 21, mdConfValue = 22, mdCreated = 23
        static let minReader = 24, minWriter = 25
        static let count = 26
    }

    func write(version: Int64, logDir: String) throws {
        let db = catalog.db
        guard let meta = try db.query("SELECT delta_id, created_ms FROM lake_delta_table WHERE table_id = ?", .int(table)).first,
              let id = meta[0].text,
              let schemaString = try db.scalar("""
                  SELECT schema_string FROM lake_delta_version WHERE table_id = ? AND version <= ? AND schema_string IS NOT NULL
                  ORDER BY version DESC LIMIT 1
                  """, .int(table), .int(version))?.text
        else { return }
        let files = try db.query("""
            SELECT f.path, f.partition_value, f.file_size_bytes, f.delta_removed IS NOT NULL AND f.delta_removed <= ?2,
                   (CAST(strftime('%s', s.committed_at) AS INTEGER) * 1000 + CAST(substr(s.committed_at, 21, 3) AS INTEGER)),
                   s.stage
            FROM lake_data_file f
            LEFT JOIN lake_snapshot s ON s.snapshot_id = CASE WHEN f.delta_removed IS NOT NULL AND f.delta_removed <= ?2
                                                             THEN f.end_snapshot ELSE f.begin_snapshot END
            WHERE f.table_id = ?1 AND f.delta_added <= ?2
              AND NOT (f.delta_removed IS NOT NULL AND f.delta_removed <= ?2 AND f.delta_added = f.delta_removed)
            ORDER BY f.file_id
            """, .int(table), .int(version))
        var leaves = [NestedWriter.Leaf](repeating: NestedWriter.Leaf(), count: L.count)
        func absent(_ range: [Int]) { for i in range { leaves[i].null(0) } }
        let addLeaves = Array(L.addPath...L.addStats), removeLeaves = Array(L.rmPath...L.rmSize)
        let metaLeaves = Array(L.mdID...L.mdCreated), protocolLeaves = [L.minReader, L.minWriter]
        var rows: Int64 = 0
        // protocol
        absent(addLeaves); absent(removeLeaves); absent(metaLeaves)
        leaves[L.minReader].value(Int32(1), level: 2)
        leaves[L.minWriter].value(Int32(2), level: 2)
        rows += 1
        // metaData
        absent(addLeaves); absent(removeLeaves); absent(protocolLeaves)
        leaves[L.mdID].value(id, level: 2)
        leaves[L.mdName].value(name, level: 2)
        leaves[L.mdProvider].value("parquet", level: 3)
        leaves[L.mdOptKey].null(3)  // options: an empty map
        leaves[L.mdOptValue].null(3)
        leaves[L.mdSchema].value(schemaString, level: 2)
        leaves[L.mdPartition].value(DeltaActions.partitionColumn, level: 4)
        leaves[L.mdConfKey].null(2)  // configuration: an empty map
        leaves[L.mdConfValue].null(2)
        leaves[L.mdCreated].value(meta[1].int ?? 0, level: 2)
        rows += 1
        func relative(_ path: String) -> String { path.hasPrefix(name + "/") ? String(path.dropFirst(name.count + 1)) : path }
        func tombstone(path: String, partition: String?, size: Int64, timeMs: Int64, dataChange: Bool) {
            absent(metaLeaves); absent(protocolLeaves); absent(addLeaves)
            leaves[L.rmPath].value(DeltaActions.uriPath(path), level: 2)
            leaves[L.rmTime].value(timeMs, level: 2)
            leaves[L.rmChange].value(dataChange, level: 2)
            leaves[L.rmExtended].value(true, level: 2)
            leaves[L.rmKey].value(DeltaActions.partitionColumn, level: 3)
            if let partition { leaves[L.rmValue].value(partition, level: 4) } else { leaves[L.rmValue].null(3) }
            leaves[L.rmSize].value(size, level: 2)
            rows += 1
        }
        // Retired files kept as lists (`RetiredFileList`) are tombstones like those with rows.
        for (_, _, list) in try catalog.retiredLists(table: table) {
            for e in list.entries where e.deltaAdded <= version && e.deltaRemoved <= version && e.deltaAdded != e.deltaRemoved {
                tombstone(path: relative(e.path), partition: e.partition, size: e.size, timeMs: e.removedMillis,
                          dataChange: e.dataChange)
            }
        }
        for f in files {
            let path = relative(f[0].text ?? "")
            let removed = f[3].int == 1
            let partition = f[1].text
            let timeMs = f[4].int ?? 0
            let dataChange = f[5].text != "compact"
            if removed {
                tombstone(path: path, partition: partition, size: f[2].int ?? 0, timeMs: timeMs, dataChange: dataChange)
            } else {
                absent(metaLeaves); absent(protocolLeaves)
                absent(removeLeaves)
                let full = catalog.paths.root + "/" + name + "/" + path
                let stats: String
                do {
                    stats = DeltaActions.stats(try ParquetReader(path: full).metadata)
                } catch {
                    throw LakeError("delta checkpoint", path: full, "cannot read the footer of a live file: \(error)",
                        hint: "the file the catalog lists is damaged or gone")
                }
                leaves[L.addPath].value(DeltaActions.uriPath(path), level: 2)
                leaves[L.addKey].value(DeltaActions.partitionColumn, level: 3)
                if let partition { leaves[L.addValue].value(partition, level: 4) } else { leaves[L.addValue].null(3) }
                leaves[L.addSize].value(f[2].int ?? 0, level: 2)
                leaves[L.addTime].value(timeMs, level: 2)
                leaves[L.addChange].value(dataChange, level: 2)
                leaves[L.addStats].value(stats, level: 2)
                rows += 1
            }
        }
        let fileName = DeltaFiles.versionName(version) + ".checkpoint.parquet"
        let temp = logDir + "/.tmp-\(getpid())-" + fileName
        do {
            try NestedWriter.write(path: temp, schema: Self.schema, columns: leaves, rows: rows, createdBy: "lake")
        } catch {
            unlink(temp)
            throw error
        }
        guard rename(temp, logDir + "/" + fileName) == 0 else {
            unlink(temp)
            throw LakeError("delta checkpoint", path: logDir + "/" + fileName, String(cString: strerror(errno)),
                hint: "check the lake folder's permissions")
        }
        var st = stat()
        let size = stat(logDir + "/" + fileName, &st) == 0 ? Int64(st.st_size) : 0
        try DeltaFiles.replace(Array("{\"version\":\(version),\"size\":\(rows),\"sizeInBytes\":\(size),\"numOfAddFiles\":\(files.count(where: { $0[3].int != 1 }))}".utf8),
                               at: logDir + "/_last_checkpoint", folder: logDir)
    }
}
