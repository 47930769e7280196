import Foundation
import Testing

@testable import Lake

@Suite("Bronze ingestion")
struct BronzeTests {
    @Test func partialLastLineWaitsForItsNewline() throws {
        let lake = try TestLake("partial")
        defer { lake.remove() }
        try lake.append("a.jsonl", Array("{\"a\":1}\n{\"b\":".utf8))
        #expect(try lake.runBronze().lines == 1)
        try lake.append("a.jsonl", Array("2}\n".utf8))
        #expect(try lake.runBronze().lines == 1)
        #expect(try lake.runBronze().lines == 0)
        let rows = try lake.bronzeRows()
        #expect(rows.map { String(decoding: $0.body, as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}"])
        #expect(rows.map(\.offset) == [0, 8])
        #expect(rows.map(\.id) == [1, 2])
    }

    @Test func bodiesAreByteExactEvenWhenNotUTF8() throws {
        let lake = try TestLake("bytes")
        defer { lake.remove() }
        let lines: [[UInt8]] = [[0xFF, 0xFE, 0x00, 0x41], [], Array("{\"x\":\"ż\"}\r".utf8), [0xEF, 0xBB, 0xBF, 0x7B, 0x7D]]
        try lake.append("b.ndjson", Array(lines.map { $0 + [0x0A] }.joined()))
        try lake.append(".hidden.jsonl", Array("ignored\n".utf8))
        try lake.append("notes.txt", Array("ignored\n".utf8))
        _ = try lake.runBronze()
        let rows = try lake.bronzeRows()
        #expect(rows.map(\.body) == lines)
        #expect(rows.allSatisfy { $0.source == "b.ndjson" })
    }

    @Test func newFilesAreReadInNameOrder() throws {
        let lake = try TestLake("order")
        defer { lake.remove() }
        try lake.append("events-00001.jsonl", Array("2\n".utf8))
        try lake.append("events-00000.jsonl", Array("1\n".utf8))
        _ = try lake.runBronze()
        try lake.append("events-00002.json", Array("3\n".utf8))
        _ = try lake.runBronze()
        #expect(try lake.bronzeRows().map { String(decoding: $0.body, as: UTF8.self) } == ["1", "2", "3"])
    }

    @Test func zstdLandingFiles() throws {
        let lake = try TestLake("zst")
        defer { lake.remove() }
        let text = (0..<5000).map { "{\"n\":\($0)}\n" }.joined()
        let plain = lake.landing + "/_plain.jsonl"
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        p.arguments = ["-q", "-1", plain, "-o", lake.landing + "/z.jsonl.zst"]
        try p.run()
        p.waitUntilExit()
        try FileManager.default.removeItem(atPath: plain)
        #expect(try lake.runBronze().lines == 5000)
        #expect(try lake.runBronze().lines == 0)
        let rows = try lake.bronzeRows()
        #expect(rows.count == 5000)
        #expect(String(decoding: rows[4999].body, as: UTF8.self) == "{\"n\":4999}")
    }

    /// Property: the same input appended in random chunks (ending mid-line) over many runs
    /// gives bronze bodies identical to the input lines, in order, none twice.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func anyChunkingGivesTheSameBronze(seed: UInt64) throws {
        print("bronze chunking property seed \(seed)")
        var rng = SeededRandom(seed: seed)
        let lake = try TestLake("prop\(seed)")
        defer { lake.remove() }
        var lines: [[UInt8]] = []
        for i in 0..<3000 {
            let length = Int.random(in: 0..<120, using: &rng)
            var line = Array("\(i):".utf8)
            for _ in 0..<length { line.append(UInt8.random(in: 0x20...0xFF, using: &rng)) }
            lines.append(line.filter { $0 != 0x0A })
        }
        let files = ["f-0.jsonl", "f-1.jsonl", "f-2.jsonl"]
        var perFile: [[UInt8]] = files.map { _ in [] }
        var expected: [[UInt8]] = []
        for (i, line) in lines.enumerated() {
            perFile[i * files.count / lines.count] += line + [0x0A]
        }
        for (f, bytes) in perFile.enumerated() {
            var offset = 0
            while offset < bytes.count {
                let n = min(bytes.count - offset, Int.random(in: 1...20_000, using: &rng))
                try lake.append(files[f], Array(bytes[offset..<(offset + n)]))
                offset += n
                if Bool.random(using: &rng) { _ = try lake.runBronze() }
            }
        }
        _ = try lake.runBronze()
        for f in perFile.indices {
            expected += lines.enumerated().filter { $0.offset * files.count / lines.count == f }.map(\.element)
        }
        let rows = try lake.bronzeRows()
        #expect(rows.count == lines.count)
        #expect(rows.map(\.body) == expected)
        #expect(Set(rows.map(\.id)).count == rows.count)
    }
}
