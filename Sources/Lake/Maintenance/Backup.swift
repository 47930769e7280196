import Foundation

/// `lake backup DEST` and `lake restore SRC`. A backup is a lake folder of its own holding:
/// the catalog as of one instant (`VACUUM INTO`: a consistent copy taken in a read transaction,
/// so commits running meanwhile neither wait nor tear it), exactly the data files that catalog
/// names (live ones, and retired ones kept for Delta time travel), each table's Delta log up to
/// the last version that catalog says was written, `pii.key`, and `backup.json` (when, from
/// where, what). Data files and Delta versions are immutable, so they are hard links when the
/// backup is on the same filesystem (copies otherwise); the catalog and `_last_checkpoint` are
/// always copies. Landing folders are inputs, not part of a backup: a restored lake given the
/// same landing files (hard links keep their identity) goes on from where the backup stood.
public enum Backup {
    public struct Result: Sendable {
        public var files = 0
        public var bytes: Int64 = 0
        public var linked = 0
        public var copied = 0
        public var deltaFiles = 0
        /// Retired files vacuum deleted while the backup ran (their rows were dropped from it).
        public var vanished: [String] = []
        public var snapshot: Int64 = 0
    }

    /// Backs the lake of `catalog` up into `dest` (a new or empty folder).
    public static func backup(_ catalog: Catalog, to destination: String) throws -> Result {
        let dest = LakePaths.absolute(destination)
        try requireEmpty(dest, what: "backup")
        try makeFolder(dest)
        let target = LakePaths(root: dest)
        try catalog.db.run("VACUUM INTO ?", .text(target.catalog))
        try syncFile(target.catalog)
        let copy = try Database(path: target.catalog)
        var result = Result()
        result.snapshot = try copy.scalar("SELECT max(snapshot_id) FROM lake_snapshot WHERE status = 'committed'")?.int ?? 0
        for row in try copy.query("SELECT file_id, path, end_snapshot FROM lake_data_file ORDER BY file_id") {
            guard let id = row[0].int, let path = row[1].text else { continue }
            let source = catalog.paths.root + "/" + path
            if access(source, F_OK) != 0 && row[2] != .null {
                // Retired, and vacuumed since the catalog was copied: no snapshot the backup
                // serves needs it (vacuum only deletes past the Delta retention).
                try copy.run("DELETE FROM lake_data_file WHERE file_id = ?", .int(id))
                result.vanished.append(path)
                continue
            }
            let linked = try place(source, at: dest + "/" + path, link: true)
            result.files += 1
            result.bytes += try size(dest + "/" + path)
            if linked { result.linked += 1 } else { result.copied += 1 }
        }
        // Retired files kept as lists (still named by Delta versions within the retention). A
        // list vacuum deleted files of since the catalog was copied goes whole, as rows above.
        for row in try copy.query("SELECT list_id, files FROM lake_retired_list ORDER BY list_id") {
            guard let id = row[0].int, case .blob(let blob) = row[1] else { continue }
            let list = try RetiredFileList.decode(blob, listID: id)
            if list.entries.contains(where: { access(catalog.paths.root + "/" + $0.path, F_OK) != 0 }) {
                try copy.run("DELETE FROM lake_retired_list WHERE list_id = ?", .int(id))
                result.vanished += list.entries.map(\.path)
                continue
            }
            for e in list.entries {
                let linked = try place(catalog.paths.root + "/" + e.path, at: dest + "/" + e.path, link: true)
                result.files += 1
                result.bytes += try size(dest + "/" + e.path)
                if linked { result.linked += 1 } else { result.copied += 1 }
            }
        }
        // Each table's Delta log up to its last written version.
        for row in try copy.query("""
            SELECT t.table_name, max(v.version) FROM lake_delta_version v JOIN lake_table t USING (table_id)
            WHERE v.status = 'written' GROUP BY t.table_name
            """) {
            guard let name = row[0].text, let last = row[1].int else { continue }
            let from = catalog.paths.root + "/" + name + "/_delta_log", to = dest + "/" + name + "/_delta_log"
            for version in 0...last {
                let file = DeltaFiles.versionName(version)
                _ = try place(from + "/" + file + ".json", at: to + "/" + file + ".json", link: true)
                result.deltaFiles += 1
                let checkpoint = from + "/" + file + ".checkpoint.parquet"
                if access(checkpoint, F_OK) == 0 {
                    _ = try place(checkpoint, at: to + "/" + file + ".checkpoint.parquet", link: true)
                    result.deltaFiles += 1
                }
            }
            if let data = FileManager.default.contents(atPath: from + "/_last_checkpoint"),
               let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let version = (json["version"] as? NSNumber)?.int64Value, version <= last {
                _ = try place(from + "/_last_checkpoint", at: to + "/_last_checkpoint", link: false)
                result.deltaFiles += 1
            }
        }
        if access(catalog.paths.root + "/pii.key", F_OK) == 0 {
            _ = try place(catalog.paths.root + "/pii.key", at: dest + "/pii.key", link: false)
            chmod(dest + "/pii.key", 0o600)
        }
        let manifest: [String: Any] = [
            "format": "lake backup 1", "created": Clock.isoNow(), "source": catalog.paths.root,
            "snapshot": result.snapshot, "files": result.files, "bytes": result.bytes,
            "delta_files": result.deltaFiles,
        ]
        try DeltaFiles.writeSynced(Array(try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])),
                                   to: dest + "/backup.json")
        try DeltaFiles.syncFolder(dest)
        return result
    }

    /// Restores the backup in `source` as the lake `target` (a new or empty folder): every file
    /// placed as the backup holds it (catalog and `_last_checkpoint` copied), then the catalog
    /// checked whole and against the files it names.
    public static func restore(from source: String, to target: LakePaths) throws -> Result {
        let src = LakePaths.absolute(source)
        guard access(src + "/backup.json", F_OK) == 0, access(src + "/catalog.db", F_OK) == 0 else {
            throw LakeError("restore", path: src, "not a lake backup (no backup.json and catalog.db)",
                            hint: "pass the folder `lake backup DEST` wrote")
        }
        try requireEmpty(target.root, what: "restore")
        try makeFolder(target.root)
        var result = Result()
        guard let walker = FileManager.default.enumerator(atPath: src) else {
            throw LakeError("restore", path: src, "cannot list the backup", hint: "check its permissions")
        }
        while let relative = walker.nextObject() as? String {
            let from = src + "/" + relative
            var st = stat()
            guard lstat(from, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            if relative == "backup.json" { continue }
            let copyOnly = relative == "catalog.db" || relative == "pii.key" || relative.hasSuffix("/_last_checkpoint")
            let linked = try place(from, at: target.root + "/" + relative, link: !copyOnly)
            if relative.hasSuffix(".parquet") && !relative.contains("/_delta_log/") {
                result.files += 1
                result.bytes += Int64(st.st_size)
                if linked { result.linked += 1 } else { result.copied += 1 }
            }
        }
        chmod(target.root + "/pii.key", 0o600)
        let db = try Database(path: target.catalog)
        guard try db.scalar("PRAGMA integrity_check")?.text == "ok" else {
            throw LakeError("restore", path: target.catalog, "the backup's catalog fails SQLite's integrity check",
                            hint: "restore an older backup")
        }
        result.snapshot = try db.scalar("SELECT max(snapshot_id) FROM lake_snapshot WHERE status = 'committed'")?.int ?? 0
        try DeltaFiles.syncFolder(target.root)
        return result
    }

    private static func requireEmpty(_ path: String, what: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        guard isFolder.boolValue, entries.isEmpty else {
            throw LakeError(what, path: path, "exists and is not an empty folder",
                            hint: "pass a new folder; \(what) never writes over files")
        }
    }

    private static func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LakeError("create folder", path: path, error.localizedDescription, hint: "check the path and its permissions")
        }
    }

    /// `from` placed at `to` (folders made): a hard link when `link` and the filesystem allows,
    /// else a copy, streamed and fsynced. True when linked.
    private static func place(_ from: String, at to: String, link linkFirst: Bool) throws -> Bool {
        try makeFolder((to as NSString).deletingLastPathComponent)
        if linkFirst && link(from, to) == 0 { return true }
        let input = open(from, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw LakeError("backup", path: from, "cannot read it (\(String(cString: strerror(errno))))",
                            hint: "run `lake verify`: the catalog names a file that is not there")
        }
        defer { close(input) }
        let output = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else {
            throw LakeError("backup", path: to, String(cString: strerror(errno)), hint: "check the destination's space and permissions")
        }
        defer { close(output) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(input, buffer, 1 << 20)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw LakeError("backup", path: from, String(cString: strerror(errno)), hint: nil) }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = write(output, buffer + done, n - done)
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else {
                    throw LakeError("backup", path: to, String(cString: strerror(errno)), hint: "check free space")
                }
                done += w
            }
        }
        guard fsync(output) == 0 else { throw LakeError("backup", path: to, "fsync: " + String(cString: strerror(errno)), hint: nil) }
        return false
    }

    private static func size(_ path: String) throws -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw LakeError("backup", path: path, "vanished while copying", hint: nil) }
        return Int64(st.st_size)
    }

    private static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LakeError("backup", path: path, String(cString: strerror(errno)), hint: nil) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw LakeError("backup", path: path, String(cString: strerror(errno)), hint: nil) }
    }
}
