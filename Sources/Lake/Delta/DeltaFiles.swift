import Foundation

/// The file operations of the Delta log: version files created once and never overwritten,
/// checkpoints and `_last_checkpoint` replaced atomically.
enum DeltaFiles {
    /// `00000000000000000012`: versions are named with 20 zero-padded digits.
    static func versionName(_ version: Int64) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LakeError("delta log", path: path, "cannot create the folder: \(error.localizedDescription)",
                hint: "check the lake folder's permissions and free space")
        }
    }

    /// Creates `path` with `bytes` unless it exists: an fsynced temporary file is linked to the
    /// name (`link` fails rather than replace), so a reader never sees a partial version and a
    /// version is never rewritten. The same bytes already there (a kill after the link, before
    /// the catalog noted it) are fine; other bytes mean another writer touched the log.
    static func putIfAbsent(_ bytes: [UInt8], at path: String, folder: String) throws {
        let temp = folder + "/.tmp-\(getpid())-\(UUID().uuidString.lowercased()).json"
        try writeSynced(bytes, to: temp)
        defer { unlink(temp) }
        if link(temp, path) == 0 {
            try syncFolder(folder)
            return
        }
        let code = errno
        guard code == EEXIST else {
            throw LakeError("delta log", path: path, String(cString: strerror(code)),
                hint: "check the lake folder's permissions and free space")
        }
        guard let existing = FileManager.default.contents(atPath: path), Array(existing) == bytes else {
            throw LakeError("delta log", path: path, "this version already exists with other content",
                hint: "another program wrote into the table's _delta_log; lake never overwrites a version: "
                    + "move the _delta_log folder aside and restore it from a backup")
        }
    }

    /// Writes `bytes` to `path` through a temporary file renamed over it (checkpoints, whose
    /// rewrite with the same state is harmless, and the `_last_checkpoint` hint).
    static func replace(_ bytes: [UInt8], at path: String, folder: String) throws {
        let temp = folder + "/.tmp-\(getpid())-\(UUID().uuidString.lowercased())"
        try writeSynced(bytes, to: temp)
        guard rename(temp, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temp)
            throw LakeError("delta log", path: path, message, hint: "check the lake folder's permissions")
        }
        try syncFolder(folder)
    }

    static func writeSynced(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LakeError("delta log", path: path, String(cString: strerror(errno)),
                hint: "check the lake folder's permissions and free space")
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LakeError("delta log", path: path, String(cString: strerror(errno)), hint: "check free space")
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            throw LakeError("delta log", path: path, "fsync: " + String(cString: strerror(errno)), hint: "check the disk")
        }
    }

    static func syncFolder(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw LakeError("delta log", path: path, "fsync of the folder: " + String(cString: strerror(errno)),
                hint: "check the disk")
        }
    }
}
