import CZstd
import Foundation

/// Streams the complete lines of a byte source from a start offset, in bounded memory (one
/// chunk plus the longest line). A last line without its newline is not returned: it waits for
/// the next run, unless `finalPartialLine` says the input is complete (standard input at EOF).
struct LineReader {
    /// 256 KB rather than 4 MB: the kernel copies each read into this buffer and the line
    /// scan and copies read it right after, so a buffer that stays in the core's L2 cache
    /// (1 MB here) halves the copy's cost — `lake run bronze` system time 0.27 → 0.10 s per
    /// 1M events (bench/NOTES.md). A line crossing chunks is carried (one in ~600 lines).
    static let chunkBytes = 256 << 10

    /// Calls `body(line, offset)` for each complete line at or after `offset`, where `line`
    /// excludes the `\n`. Returns the offset just past the last complete line. `buffer` is the
    /// read buffer (a caller reading many files passes one it keeps rather than fault a fresh
    /// buffer's pages in per file); without one, a buffer of `chunkBytes` is used.
    static func forEachLine(
        from input: ByteInput, startingAt offset: Int64, finalPartialLine: Bool,
        buffer: UnsafeMutableRawBufferPointer? = nil,
        _ body: (UnsafeRawBufferPointer, Int64) throws -> Void
    ) throws -> Int64 {
        var input = input
        try input.skip(to: offset)
        var carry: [UInt8] = []
        var carryOffset = offset
        let owned = buffer == nil ? UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16) : nil
        defer { owned?.deallocate() }
        let chunk = buffer ?? owned!
        precondition(chunk.count > 0, "empty read buffer")
        var position = offset
        while true {
            let n = try input.read(into: chunk)
            if n == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[0..<n])
            let base = bytes.baseAddress!  // n > 0
            var start = 0
            while start < n {
                guard let nl = memchr(base + start, 0x0A, n - start) else { break }
                let end = base.distance(to: UnsafeRawPointer(nl))
                if carry.isEmpty {
                    try body(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), position + Int64(start))
                } else {
                    carry.append(contentsOf: bytes[start..<end])
                    try carry.withUnsafeBytes { try body($0, carryOffset) }
                    carry.removeAll(keepingCapacity: false)
                }
                start = end + 1
            }
            if start < n {
                if carry.isEmpty { carryOffset = position + Int64(start) }
                carry.append(contentsOf: bytes[start..<n])
            }
            position += Int64(n)
        }
        if finalPartialLine && !carry.isEmpty {
            try carry.withUnsafeBytes { try body($0, carryOffset) }
            return position
        }
        return carry.isEmpty ? position : carryOffset
    }
}

/// A readable byte stream: a plain file, a zstd-compressed file, or standard input.
protocol ByteInput {
    /// Fills `buffer` from the stream; 0 at end of input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Positions the stream at `offset` (of the decompressed bytes).
    mutating func skip(to offset: Int64) throws
}

/// A plain file read from an offset up to the size it had when opened (a file that grows
/// while being read is picked up by the next run).
struct FileInput: ByteInput {
    let path: String
    let fd: Int32
    var position: Int64 = 0
    let end: Int64

    init(path: String, fd: Int32, size: Int64) {
        self.path = path
        self.fd = fd
        self.end = size
    }

    mutating func skip(to offset: Int64) throws { position = offset }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let want = Int(min(Int64(buffer.count), end - position))
        if want <= 0 { return 0 }
        while true {
            let n = pread(fd, buffer.baseAddress, want, off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                throw LakeError("read", path: path, "at byte \(position): " + String(cString: strerror(errno)),
                    hint: "check the landing file and the disk")
            }
            position += Int64(n)
            return n
        }
    }
}

/// Standard input, read to its end.
struct StandardInput: ByteInput {
    mutating func skip(to offset: Int64) throws {
        precondition(offset == 0, "standard input cannot be positioned")
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Foundation.read(0, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw LakeError("read", path: "stdin", String(cString: strerror(errno)), hint: nil)
            }
            return n
        }
    }
}

/// A zstd-compressed file, decompressed as a stream. A frame cut short (a file still being
/// written) ends the input at the last decompressed byte; damaged data is an error naming the file.
final class ZstdFileInput: ByteInput {
    let path: String
    private var file: FileInput
    private let stream: OpaquePointer
    private var compressed = [UInt8](repeating: 0, count: 1 << 20)
    private var inputStart = 0
    private var inputEnd = 0
    private(set) var position: Int64 = 0
    /// Set when `read` threw for damaged compressed data (not for an I/O error).
    private(set) var damaged = false

    init(path: String, fd: Int32, size: Int64) throws {
        self.path = path
        file = FileInput(path: path, fd: fd, size: size)
        guard let s = ZSTD_createDStream() else {
            throw LakeError("zstd", path: path, "cannot create a decompression stream", hint: nil)
        }
        stream = s
        ZSTD_initDStream(s)
    }

    deinit { ZSTD_freeDStream(stream) }

    func skip(to offset: Int64) throws {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while position < offset {
            let want = Int(min(Int64(scratch.count), offset - position))
            let n = try scratch.withUnsafeMutableBytes {
                try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]))
            }
            if n == 0 {
                throw LakeError("zstd", path: path, "ends at byte \(position), before the checkpoint at \(offset)",
                    hint: "the file shrank since the last run; move it out of the landing folder")
            }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if inputStart == inputEnd {
                inputEnd = try compressed.withUnsafeMutableBytes { try file.read(into: $0) }
                inputStart = 0
                if inputEnd == 0 { return 0 }
            }
            let produced = try compressed.withUnsafeBytes { src -> Int in
                var input = ZSTD_inBuffer(src: src.baseAddress, size: inputEnd, pos: inputStart)
                var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let rc = ZSTD_decompressStream(stream, &output, &input)
                if ZSTD_isError(rc) != 0 {
                    damaged = true
                    throw LakeError("zstd", path: path,
                        "damaged compressed data near decompressed byte \(position): "
                            + String(cString: ZSTD_getErrorName(rc)),
                        hint: "replace the file or move it out of the landing folder")
                }
                inputStart = input.pos
                return output.pos
            }
            if produced > 0 {
                position += Int64(produced)
                return produced
            }
        }
    }
}

extension ZstdFileInput {
    /// Decompresses a whole landing file without keeping anything: the bytes it holds, or the
    /// damage found (a frame cut short at the end is not damage: the file is still being
    /// written). Bronze checks a compressed file before it hands a line of it on, because a
    /// damaged block can decompress to garbage before the error shows.
    static func check(path: String, fd: Int32, size: Int64) throws -> (bytes: Int64, damage: String?) {
        let input = try ZstdFileInput(path: path, fd: fd, size: size)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { scratch.deallocate() }
        do {
            while try input.read(into: scratch) > 0 {}
        } catch let e as LakeError where input.damaged {
            return (input.position, e.message)
        }
        return (input.position, nil)
    }
}

/// Bytes already in memory (an HTTP request body).
struct MemoryInput: ByteInput {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func skip(to offset: Int64) throws { position = Int(offset) }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position)
        guard n > 0, let base = bytes.baseAddress else { return 0 }
        buffer.copyMemory(from: UnsafeRawBufferPointer(start: base + position, count: n))
        position += n
        return n
    }
}
