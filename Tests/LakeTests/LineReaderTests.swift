import Foundation
import Testing

@testable import Lake

/// Bronze reads landing files in chunks (`LineReader.chunkBytes`), and a line crossing a chunk
/// is carried over. Whatever the chunk size, the lines and their offsets must be those of a
/// plain split of the file at its newlines.
@Suite("Line reader")
struct LineReaderTests {
    /// Lines of 0 to ~3 chunks, an empty line among them, a last line with or without its newline.
    static func content(seed: UInt64, chunk: Int) -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        var bytes: [UInt8] = []
        for i in 0..<200 {
            let n = i == 17 ? 0 : Int.random(in: 0...(3 * chunk + 2), using: &rng)
            bytes += (0..<n).map { _ in UInt8.random(in: 0x20...0x7E, using: &rng) }
            bytes.append(0x0A)
        }
        if seed % 2 == 0 { bytes += Array("partial".utf8) }
        return bytes
    }

    /// The lines (and offsets) at or after `offset`, split the plain way.
    static func reference(_ bytes: [UInt8], from offset: Int, finalPartialLine: Bool) -> [(Int64, [UInt8])] {
        var out: [(Int64, [UInt8])] = []
        var start = offset
        while let nl = bytes[start...].firstIndex(of: 0x0A) {
            out.append((Int64(start), Array(bytes[start..<nl])))
            start = nl + 1
        }
        if finalPartialLine && start < bytes.count { out.append((Int64(start), Array(bytes[start...]))) }
        return out
    }

    @Test(arguments: [1, 2, 7, 64, 4096] as [Int])
    func anyChunkSizeGivesThePlainSplit(chunk: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lake-linereader-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for seed in [UInt64(1), 2] {
            let bytes = Self.content(seed: seed, chunk: min(chunk, 300))
            let path = dir.appendingPathComponent("events-\(seed).jsonl").path
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let fd = open(path, O_RDONLY)
            #expect(fd >= 0)
            defer { close(fd) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
            defer { buffer.deallocate() }
            // From the start, from a line's start and from the middle of a line (a checkpoint
            // is always a line's start; the reader must not care).
            let secondLine = bytes.firstIndex(of: 0x0A)! + 1
            for offset in [0, secondLine, bytes.count / 2] {
                for finalPartialLine in [false, true] {
                    var got: [(Int64, [UInt8])] = []
                    let end = try LineReader.forEachLine(
                        from: FileInput(path: path, fd: fd, size: Int64(bytes.count)), startingAt: Int64(offset),
                        finalPartialLine: finalPartialLine, buffer: buffer
                    ) { line, at in got.append((at, Array(line))) }
                    let want = Self.reference(bytes, from: offset, finalPartialLine: finalPartialLine)
                    #expect(got.count == want.count, "chunk \(chunk) seed \(seed) offset \(offset)")
                    #expect(zip(got, want).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 },
                            "chunk \(chunk) seed \(seed) offset \(offset)")
                    // Past the last line returned: a partial last line waits for the next run.
                    let lastEnd = want.last.map { Int($0.0) + $0.1.count + 1 } ?? offset
                    let expectedEnd = finalPartialLine ? bytes.count : min(lastEnd, bytes.count)
                    #expect(end == Int64(expectedEnd), "chunk \(chunk) seed \(seed) offset \(offset)")
                }
            }
        }
    }
}
