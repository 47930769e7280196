import Foundation
import Testing

@testable import Parquet

/// Page checksums (parquet.thrift `PageHeader.crc`): the writer stores the CRC-32 of every
/// page's stored bytes, and the reader refuses a page whose bytes no longer match, naming the
/// column, row group and page — damage inside a page used to be read back as other values.
@Suite("Page checksums")
struct PageChecksumTests {
    /// Every page of the file: where its stored bytes start, how many, and its header.
    private func pages(_ bytes: [UInt8], _ path: String) throws -> [(body: Range<Int>, header: PageHeader)] {
        let reader = try ParquetReader(path: path)
        var out: [(Range<Int>, PageHeader)] = []
        try bytes.withUnsafeBytes { all in
            for group in reader.metadata.rowGroups {
                for chunk in group.columns {
                    var position = Int(chunk.startOffset)
                    let end = position + Int(chunk.compressedBytes)
                    while position < end {
                        var r = CompactReader(all, position: position)
                        let header = try PageHeader.decode(&r)
                        let body = r.position..<(r.position + Int(header.compressedSize))
                        out.append((body, header))
                        position = body.upperBound
                    }
                }
            }
        }
        return out
    }

    @Test func crcIsZlibsCRC32() {
        let check = Array("123456789".utf8).withUnsafeBytes { PageChecksum.of($0) }
        #expect(UInt32(bitPattern: check) == 0xCBF4_3926)  // the CRC-32 check value
        #expect([UInt8]().withUnsafeBytes { PageChecksum.of($0) } == 0)
    }

    /// Small row groups and pages, so a file has many pages of every kind.
    private func written(_ codec: Codec, dictionary: Bool = true, in dir: TempDir)
        throws -> (path: String, bytes: [UInt8], properties: WriterProperties) {
        let path = dir.file("t.parquet")
        var p = WriterProperties()
        p.rowGroupRowCountMax = 100
        p.dataPageRowCountMax = 40
        p.codec = codec
        p.dictionaryEnabled = dictionary
        try everyKindTable(rows: 250, .low).write(to: path, p)
        return (path, Array(try Data(contentsOf: URL(fileURLWithPath: path))), p)
    }

    @Test(arguments: [Codec.zstd, .uncompressed])
    func everyPageCarriesItsChecksum(codec: Codec) throws {
        let dir = try TempDir()
        let (path, bytes, properties) = try written(codec, in: dir)
        let all = try pages(bytes, path)
        #expect(all.count > 20)
        #expect(all.contains { $0.header.kind == .dictionaryPage })
        for page in all {
            let stored = try #require(page.header.crc)
            #expect(stored == bytes.withUnsafeBytes { PageChecksum.of(UnsafeRawBufferPointer(rebasing: $0[page.body])) })
        }
        // Without checksums: no crc field, and the file still reads.
        var p = properties
        p.pageChecksums = false
        try everyKindTable(rows: 250, .low).write(to: path, p)
        let plain = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try pages(plain, path).allSatisfy { $0.header.crc == nil })
        _ = try ParquetReader(path: path).readAll()
    }

    /// One flipped bit in any page's stored bytes is refused with the column, row group and
    /// page named (an uncompressed PLAIN page would otherwise read as another value).
    @Test(arguments: [Codec.zstd, .uncompressed])
    func aFlippedBitInAnyPageIsRefused(codec: Codec) throws {
        let dir = try TempDir()
        let (path, bytes, _) = try written(codec, dictionary: codec == .zstd, in: dir)
        let damaged = dir.file("damaged.parquet")
        var refused = 0
        for (k, page) in try pages(bytes, path).enumerated() where !page.body.isEmpty {
            var copy = bytes
            let at = page.body.lowerBound + (k * 7919) % page.body.count
            copy[at] ^= UInt8(1 << (k % 8))
            try Data(copy).write(to: URL(fileURLWithPath: damaged))
            do {
                _ = try ParquetReader(path: damaged).readAll()
                Issue.record("page \(k): a flipped bit at byte \(at) was read without an error")
            } catch let e as ParquetError {
                let text = "\(e)"
                #expect(text.contains("damaged.parquet") && text.contains("row group") && text.contains("column"), "\(text)")
                #expect(text.contains("fails its checksum"), "\(text)")
                refused += 1
            }
        }
        #expect(refused > 20)
    }
}
