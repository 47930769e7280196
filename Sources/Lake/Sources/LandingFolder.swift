import Foundation

/// One input file in `<lake>/landing/<job>/`.
struct LandingFile {
    /// Path relative to the landing folder: the bronze `source` value.
    var name: String
    var path: String
    /// `device:inode`: a file replaced under the same name is a new source.
    var identity: String
    var size: Int64
    var compressed: Bool
}

/// Lists the landing folder: `*.json`, `*.jsonl`, `*.ndjson`, optionally `.zst`, in name order
/// (collectors name files so that name order is arrival order). Hidden files (`.name`) and
/// `_name` files are skipped: collectors write temporary files under such names; so is what is
/// inside such folders (bronze moves damaged compressed files to `_rejected/`).
enum LandingFolder {
    static let rejectedFolder = "_rejected"

    /// The files bronze set aside, with the reason it wrote beside each (`<name>.reason`).
    static func rejected(_ folder: String) -> [(name: String, reason: String)] {
        let dir = folder + "/" + rejectedFolder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasSuffix(".reason") }.sorted().map { name in
            let reason = (try? String(contentsOfFile: dir + "/" + name + ".reason", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return (name, reason)
        }
    }
}

extension LandingFolder {
    static let extensions = [".json", ".jsonl", ".ndjson"]

    /// `unreadable` is called with the name of each entry that looks like a landing file but
    /// cannot be opened by name: Foundation decodes a name that is not valid UTF-8 with U+FFFD,
    /// and no file has that decoded name, so it would be skipped without a word.
    static func list(_ folder: String, unreadable: (String) -> Void = { _ in }) throws -> [LandingFile] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            return []
        }
        var result: [LandingFile] = []
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        while let name = walker.nextObject() as? String {
            // `.x` and `_x` names are skipped, folders too (`_rejected/` holds set-aside files).
            if name.split(separator: "/").contains(where: { $0.hasPrefix(".") || $0.hasPrefix("_") }) { continue }
            let compressed = name.hasSuffix(".zst")
            let plainName = compressed ? String(name.dropLast(4)) : name
            guard extensions.contains(where: { plainName.hasSuffix($0) }) else { continue }
            let path = folder + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else {
                if errno == ENOENT && name.contains("\u{FFFD}") { unreadable(name) }
                continue
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else { continue }
            result.append(LandingFile(
                name: name, path: path, identity: "\(st.st_dev):\(st.st_ino)", size: Int64(st.st_size),
                compressed: compressed))
        }
        return result.sorted { $0.name < $1.name }
    }
}
