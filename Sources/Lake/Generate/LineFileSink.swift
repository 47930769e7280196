import Foundation

/// Writes the generated lines into `events-00000.jsonl`, `events-00001.jsonl`, … through one
/// reused buffer, so a million lines cost a few hundred large writes.
struct LineFileSink {
    static let bufferBytesMax = 1 << 20

    let directory: String
    private(set) var files: [GeneratorManifest.File] = []
    private var handle: FileHandle?
    private var buffer: [UInt8] = []

    init(directory: String) {
        self.directory = directory
        buffer.reserveCapacity(LineFileSink.bufferBytesMax + 4096)
    }

    static func fileName(_ index: Int) -> String {
        let digits = String(index)
        return "events-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
            + ".jsonl"
    }

    /// Existing generated files in `directory` (`events-*.jsonl`), sorted by name.
    static func existingFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("events-") && $0.hasSuffix(".jsonl") }.sorted()
    }

    var fileIndex: Int { files.count - 1 }

    /// Closes the current file (if any) and starts the next one.
    mutating func startNextFile() throws {
        try closeFile()
        let name = LineFileSink.fileName(files.count)
        let path = directory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw LakeError("generate", path: path, "cannot create the file",
                            hint: "check that the folder is writable")
        }
        self.handle = handle
        files.append(GeneratorManifest.File(name: name, lines: 0, bytes: 0))
    }

    mutating func write(_ line: [UInt8]) throws {
        precondition(!files.isEmpty, "write before startNextFile")
        buffer.append(contentsOf: line)
        files[files.count - 1].lines += 1
        files[files.count - 1].bytes += line.count
        if buffer.count >= LineFileSink.bufferBytesMax { try flush() }
    }

    mutating func finish() throws {
        try closeFile()
    }

    private mutating func closeFile() throws {
        guard let handle else { return }
        try flush()
        do {
            try handle.close()
        } catch {
            throw LakeError("generate", path: currentPath, "cannot close the file: \(error)")
        }
        self.handle = nil
    }

    private mutating func flush() throws {
        guard let handle, !buffer.isEmpty else { return }
        do {
            try buffer.withUnsafeBytes { try handle.write(contentsOf: $0) }
        } catch {
            throw LakeError("generate", path: currentPath, "cannot write: \(error)",
                            hint: "check free disk space")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private var currentPath: String {
        directory + "/" + (files.last?.name ?? "")
    }
}
