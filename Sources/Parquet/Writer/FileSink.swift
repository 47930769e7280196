#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a column chunk's pages go: the file, or a memory buffer when columns are encoded in
/// parallel and copied into the file in column order afterwards.
protocol PageSink: AnyObject {
    /// Bytes written so far (page offsets in the chunk metadata are positions).
    var position: Int64 { get }
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension PageSink {
    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// A column chunk encoded in memory; keeps its capacity between row groups.
final class MemorySink: PageSink {
    private(set) var bytes: [UInt8] = []
    var position: Int64 { Int64(bytes.count) }

    func write(_ data: UnsafeRawBufferPointer) { bytes.append(contentsOf: data) }

    var capacity: Int { bytes.capacity }

    func reset() { bytes.removeAll(keepingCapacity: true) }
}

/// A buffered, append-only file. Tracks the write position for page offsets.
///
/// With `direct` (the default), the file is opened with O_DIRECT: the aligned buffer goes
/// straight to the device and the page cache is skipped. A lake file is written once, fsynced
/// and not read back by the writer, so the page cache only costs a copy and a fresh page per
/// 4 KB written; on a VM that hands freed memory back to its host (virtio-balloon free page
/// reporting) each such page is also faulted in by the host: 117 MB written and fsynced took
/// 0.39–0.49 s of system time buffered against 0.06–0.07 s wall with O_DIRECT here
/// (bench/NOTES.md item 51). Only the last partial 4 KB block is written with O_DIRECT
/// switched off. A file system that refuses O_DIRECT (tmpfs before Linux 6.6, some FUSE
/// mounts) gets buffered writes.
final class FileSink: PageSink {
    let path: String
    private var fd: Int32
    /// Whether O_DIRECT is on for `fd`.
    private(set) var direct: Bool
    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    private(set) var position: Int64 = 0

    /// Buffer size: a multiple of every block size O_DIRECT may ask for.
    static let bufferBytes = 1 << 20
    static let alignment = 4096

    init(path: String, direct: Bool = true) throws {
        self.path = path
        let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
        var fd: Int32 = -1
        self.direct = false
        #if os(Linux)
            if direct {
                fd = open(path, flags | O_DIRECT, 0o644)
                self.direct = fd >= 0
            }
        #endif
        if fd < 0 { fd = open(path, flags, 0o644) }
        if fd < 0 { throw ParquetError(path: path, "cannot create: \(errnoText())") }
        self.fd = fd
        buffer = AlignedBuffers.shared.take()
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
        AlignedBuffers.shared.give(buffer)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var from = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = min(left, Self.bufferBytes - used)
            (buffer + used).copyMemory(from: from, byteCount: n)
            used += n
            from += n
            left -= n
            if used == Self.bufferBytes { try flushBuffer() }
        }
        position += Int64(bytes.count)
    }

    /// Writes the full buffer (a whole number of blocks, so O_DIRECT can stay on).
    private func flushBuffer() throws {
        try writeAll(UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress?.advanced(by: offset), bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                // A file system may accept O_DIRECT at open and refuse the write: go on buffered.
                if errno == EINVAL && direct && offset == 0 {
                    try directOff()
                    continue
                }
                throw ParquetError(path: path, "write failed: \(errnoText())")
            }
            offset += n
        }
    }

    private func directOff() throws {
        #if os(Linux)
            let flags = fcntl(fd, F_GETFL)
            if flags < 0 || fcntl(fd, F_SETFL, flags & ~O_DIRECT) != 0 {
                throw ParquetError(path: path, "cannot switch O_DIRECT off: \(errnoText())")
            }
        #endif
        direct = false
    }

    /// Writes what is buffered (its last partial 4 KB block with O_DIRECT off), optionally
    /// fsyncs, and closes the file.
    func close(sync: Bool) throws {
        if direct {
            // Whole blocks still direct; the rest (under 4 KB) through the page cache.
            let blocks = used / Self.alignment * Self.alignment
            if blocks > 0 { try writeAll(UnsafeRawBufferPointer(start: buffer, count: blocks)) }
            if blocks < used {
                try directOff()
                try writeAll(UnsafeRawBufferPointer(start: buffer + blocks, count: used - blocks))
            }
            used = 0
        } else if used > 0 {
            try flushBuffer()
        }
        if sync && fsync(fd) != 0 { throw ParquetError(path: path, "fsync failed: \(errnoText())") }
        let result = Glibc.close(fd)
        fd = -1
        if result != 0 { throw ParquetError(path: path, "close failed: \(errnoText())") }
    }
}

#if os(Linux)
    // Glibc's Swift module leaves out the _GNU_SOURCE flags; the values are Linux's own
    // (arch/*/include/uapi/asm/fcntl.h; the generic value serves x86, riscv64, s390x, loongarch).
    #if arch(arm64) || arch(arm)
        let O_DIRECT: Int32 = 0o200000
    #elseif arch(powerpc64) || arch(powerpc64le)
        let O_DIRECT: Int32 = 0o400000
    #else
        let O_DIRECT: Int32 = 0o40000
    #endif
#endif

/// Page-aligned 1 MB buffers for `FileSink`, kept for the next file (a run opens hundreds of
/// files, a few at a time; a new buffer each time would fault its pages in again).
final class AlignedBuffers: @unchecked Sendable {
    static let shared = AlignedBuffers()
    private var mutex = pthread_mutex_t()
    private var free: [UnsafeMutableRawPointer] = []
    private let keptMax = 8

    private init() { pthread_mutex_init(&mutex, nil) }

    func take() -> UnsafeMutableRawPointer {
        pthread_mutex_lock(&mutex)
        let found = free.popLast()
        pthread_mutex_unlock(&mutex)
        if let found { return found }
        return UnsafeMutableRawPointer.allocate(byteCount: FileSink.bufferBytes, alignment: FileSink.alignment)
    }

    func give(_ buffer: UnsafeMutableRawPointer) {
        pthread_mutex_lock(&mutex)
        let keep = free.count < keptMax
        if keep { free.append(buffer) }
        pthread_mutex_unlock(&mutex)
        if !keep { buffer.deallocate() }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
