import CZstd
import Foundation

/// Retired files the Delta log has already removed, kept as compressed lists instead of a
/// catalog row each.
///
/// A retired file stays on disk for the job's `delta_retention` (7 days, as Delta's
/// `deletedFileRetentionDuration`) so time travel to any version of that week finds it, and the
/// catalog must remember it until vacuum deletes it. Under `--follow` every commit writes small
/// files that compaction retires minutes later: ~34,000 retired files an hour at 20k events/s
/// (~8.5 MB an hour of rows and indexes, 1.4 GB over the week). Once the Delta version that
/// removes a file is written, only vacuum, the Delta checkpoint's tombstones, backups and the
/// orphan sweep still ask about it, and they read whole tables' worth at once: `fold` moves
/// such rows into one zstd-compressed list per table and fold (about 10 bytes a file).
struct RetiredFileList {
    struct Entry: Equatable {
        /// Relative to the lake root, as `lake_data_file.path`.
        var path: String
        var partition: String?
        var size: Int64
        /// The snapshots that added and retired it (a kept snapshot's view stays exact).
        var beginSnapshot: Int64
        var endSnapshot: Int64
        var deltaAdded: Int64
        var deltaRemoved: Int64
        /// When the commit that retired it committed (the Delta tombstone's deletionTimestamp).
        var removedMillis: Int64
        /// False when compaction retired it (`dataChange` of the tombstone).
        var dataChange: Bool
    }

    var entries: [Entry] = []

    private static let magic = Array("LKR1".utf8)

    func encoded() -> [UInt8] {
        var w = StateWriter()
        w.int(entries.count)
        for e in entries {
            w.string(e.path)
            if let p = e.partition {
                w.raw([1])
                w.string(p)
            } else {
                w.raw([0])
            }
            w.int(e.size)
            w.int(e.beginSnapshot)
            w.int(e.endSnapshot)
            w.int(e.deltaAdded)
            w.int(e.deltaRemoved)
            w.int(e.removedMillis)
            w.raw([e.dataChange ? 1 : 0])
        }
        let raw = w.bytes
        let bound = ZSTD_compressBound(raw.count)
        var out = [UInt8](repeating: 0, count: Self.magic.count + 8 + bound)
        let written = raw.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { o in
                ZSTD_compress(o.baseAddress! + Self.magic.count + 8, bound, input.baseAddress, input.count, 3)
            }
        }
        precondition(ZSTD_isError(written) == 0, "zstd compress failed")
        out.replaceSubrange(0..<Self.magic.count, with: Self.magic)
        withUnsafeBytes(of: Int64(raw.count).littleEndian) { out.replaceSubrange(4..<12, with: $0) }
        out.removeLast(bound - written)
        return out
    }

    static func decode(_ blob: [UInt8], listID: Int64) throws -> RetiredFileList {
        let damaged = LakeError("read catalog", "retired file list \(listID) is damaged",
                                hint: "restore the catalog from a backup (`lake restore`)")
        guard blob.count >= 12, Array(blob[0..<4]) == magic else { throw damaged }
        let size = blob[4..<12].withUnsafeBytes { Int(Int64(littleEndian: $0.loadUnaligned(as: Int64.self))) }
        guard size >= 0, size < 1 << 31 else { throw damaged }
        var raw = [UInt8](repeating: 0, count: size)
        let n = blob.withUnsafeBytes { input in
            raw.withUnsafeMutableBytes { o in
                ZSTD_decompress(o.baseAddress, size, input.baseAddress! + 12, input.count - 12)
            }
        }
        guard ZSTD_isError(n) == 0, n == size else { throw damaged }
        do {
            var r = StateReader(raw)
            var list = RetiredFileList()
            for _ in 0..<(try r.count()) {
                let path = try r.string()
                let partition = try r.byte() == 1 ? try r.string() : nil
                list.entries.append(Entry(
                    path: path, partition: partition, size: try r.int(), beginSnapshot: try r.int(),
                    endSnapshot: try r.int(), deltaAdded: try r.int(),
                    deltaRemoved: try r.int(), removedMillis: try r.int(), dataChange: try r.byte() == 1))
            }
            guard r.atEnd else { throw damaged }
            return list
        } catch {
            throw damaged
        }
    }
}

extension Catalog {
    /// Moves the job's retired file rows whose removal the Delta log has written and whose
    /// retiring commit is at or before `cutoff` (ISO time) into compressed lists
    /// (`RetiredFileList`), one per table and call (in pieces of at most `chunk` files, each its
    /// own small transaction). Returns how many rows it moved.
    @discardableResult
    func foldRetiredFiles(job: String, before cutoff: String, chunk: Int = 20_000) throws -> Int {
        var moved = 0
        let tables = try db.query("SELECT table_id FROM lake_table WHERE job = ?", .text(job)).compactMap { $0[0].int }
        for table in tables {
            while true {
                let n = try db.transaction { () -> Int in
                    let rows = try db.query("""
                        SELECT f.file_id, f.path, f.partition_value, f.file_size_bytes, f.delta_added, f.delta_removed,
                               (CAST(strftime('%s', s.committed_at) AS INTEGER) * 1000
                                 + CAST(substr(s.committed_at, 21, 3) AS INTEGER)),
                               s.stage, s.committed_at, f.max_time_us, f.begin_snapshot, f.end_snapshot
                        FROM lake_data_file f JOIN lake_snapshot s ON s.snapshot_id = f.end_snapshot
                        WHERE f.table_id = ? AND f.end_snapshot IS NOT NULL AND f.delta_removed IS NOT NULL
                          AND s.committed_at <= ?
                        ORDER BY f.file_id LIMIT ?
                        """, .int(table), .text(cutoff), .int(Int64(chunk)))
                    guard !rows.isEmpty else { return 0 }
                    var list = RetiredFileList()
                    var bytes: Int64 = 0, retiredLast = "", maxTime: Int64?, removedMax: Int64 = 0
                    for r in rows {
                        let e = RetiredFileList.Entry(
                            path: r[1].text ?? "", partition: r[2].text, size: r[3].int ?? 0,
                            beginSnapshot: r[10].int ?? 0, endSnapshot: r[11].int ?? 0, deltaAdded: r[4].int ?? 0, deltaRemoved: r[5].int ?? 0, removedMillis: r[6].int ?? 0,
                            dataChange: r[7].text != "compact")
                        list.entries.append(e)
                        bytes += e.size
                        retiredLast = max(retiredLast, r[8].text ?? "")
                        if let t = r[9].int { maxTime = max(maxTime ?? t, t) }
                        removedMax = max(removedMax, e.deltaRemoved)
                    }
                    try db.run("""
                        INSERT INTO lake_retired_list (table_id, file_count, file_bytes, retired_last, max_time_us,
                          delta_removed_max, files) VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, .int(table), .of(rows.count), .int(bytes), .text(retiredLast), .of(maxTime),
                        .int(removedMax), .blob(list.encoded()))
                    let ids = rows.compactMap { $0[0].int }
                    let delete = try db.prepare("DELETE FROM lake_data_file WHERE file_id = ?")
                    for id in ids {
                        try delete.bind([.int(id)])
                        try delete.execute()
                    }
                    return rows.count
                }
                moved += n
                if n < chunk { break }
            }
        }
        return moved
    }

    /// The retired file lists of a table (all tables when nil), decoded.
    func retiredLists(table: Int64? = nil, where condition: String = "1", _ arguments: [SQLValue] = [])
        throws -> [(id: Int64, table: Int64, list: RetiredFileList)] {
        // A catalog opened read-only before its migration has no lists.
        guard try db.scalar("SELECT 1 FROM sqlite_schema WHERE name = 'lake_retired_list'") != nil else { return [] }
        let filter = table.map { "table_id = \($0)" } ?? "1"
        return try db.query("SELECT list_id, table_id, files FROM lake_retired_list WHERE \(filter) AND (\(condition)) ORDER BY list_id",
                            arguments: arguments).map { r in
            guard let id = r[0].int, let t = r[1].int, case .blob(let blob) = r[2] else {
                throw LakeError("read catalog", "a retired file list row is damaged", hint: "restore the catalog from a backup")
            }
            return (id, t, try RetiredFileList.decode(blob, listID: id))
        }
    }

    /// Deletes the files of the lists matching `condition` (as `retiredLists`), then each list's
    /// row in its own transaction (a crash between the two leaves a list whose files are gone,
    /// which the next vacuum removes). Returns the files and bytes deleted.
    func deleteRetiredLists(where condition: String, _ arguments: [SQLValue]) throws -> (files: Int, bytes: Int64) {
        var files = 0, bytes: Int64 = 0
        for (id, _, list) in try retiredLists(where: condition, arguments) {
            for e in list.entries {
                let full = paths.root + "/" + e.path
                if unlink(full) != 0 && errno != ENOENT {
                    throw LakeError("vacuum", path: full, String(cString: strerror(errno)), hint: "check permissions")
                }
                files += 1
                bytes += e.size
            }
            try db.transaction { try db.run("DELETE FROM lake_retired_list WHERE list_id = ?", .int(id)) }
        }
        return (files, bytes)
    }
}
