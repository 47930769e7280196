import Foundation
import Testing

@testable import Parquet

/// The file sink writes with O_DIRECT in whole 1 MB blocks and switches it off for a last
/// partial block: whatever the sizes of the writes, the file holds exactly the bytes written,
/// in order, with or without O_DIRECT.
@Suite("File sink (O_DIRECT)")
struct FileSinkTests {
    /// Bytes that differ at every offset (a lost or repeated block shows).
    private func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var x = seed | 1
        return (0..<count).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }

    private static let block = FileSink.bufferBytes

    /// Total sizes around the 4 KB and 1 MB boundaries, written in pieces of `piece` bytes.
    @Test(arguments: [
        (0, 1), (1, 1), (4095, 1000), (4096, 4096), (4097, 3000), (block - 1, 70_000), (block, block),
        (block + 1, 333_333), (3 * block + 4096, 5 * block), (2 * block + 12345, 1),
    ])
    func fileHoldsExactlyWhatWasWritten(total: Int, piece: Int) throws {
        let dir = try TempDir()
        for direct in [true, false] {
            let path = dir.file("f-\(direct)")
            let data = pattern(total, seed: UInt64(total * 31 + piece))
            let sink = try FileSink(path: path, direct: direct)
            if !direct { #expect(!sink.direct) }
            // Pieces of varying size so writes start at every alignment.
            var at = 0
            var step = max(1, piece)
            while at < total {
                let n = min(step, total - at)
                try data.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[at..<(at + n)])) }
                at += n
                step = step == 1 ? 1 : max(1, (step * 7) / 5 % (2 * max(1, piece)) + 1)
            }
            #expect(sink.position == Int64(total))
            try sink.close(sync: true)
            let back = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(back.count == total)
            #expect(back == data)
        }
    }

    /// Where the file system takes O_DIRECT (ext4, xfs, tmpfs on Linux 6.6+), the sink uses it.
    @Test func directIsUsedWhereTheFileSystemTakesIt() throws {
        #if os(Linux)
            let dir = try TempDir()
            let probe = dir.file("probe")
            let fd = open(probe, O_WRONLY | O_CREAT | O_CLOEXEC | O_DIRECT, 0o644)
            let supported = fd >= 0
            if fd >= 0 { close(fd) }
            let sink = try FileSink(path: dir.file("f"))
            #expect(sink.direct == supported)
            try sink.close(sync: false)
        #endif
    }
}
