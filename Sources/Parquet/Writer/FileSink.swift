import Dispatch

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
///
/// A direct write returns only when the device has the data, so each full buffer is written
/// by `DirectWrites`' thread while the writer fills the next one (one write in flight per
/// file): waiting for the device left a core idle ~0.18 s of a 2-s `lake run all`.
final class FileSink: PageSink {
    let path: String
    private var fd: Int32
    /// Whether O_DIRECT is on for `fd`.
    private(set) var direct: Bool
    private var buffer: UnsafeMutableRawPointer
    private var used = 0
    private(set) var position: Int64 = 0
    /// Bytes handed to the file so far (written, or being written in the background).
    private var flushed: Int64 = 0
    /// The buffer being written in the background, if any.
    private var inFlight: DirectWrites.Job?

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
        // The background write must end before its buffer and descriptor go.
        _ = try? finishInFlight()
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

    /// Writes the full buffer (a whole number of blocks, so O_DIRECT can stay on) in the
    /// background (see the type's comment), once the previous one ended.
    private func flushBuffer() throws {
        try finishInFlight()
        var start = 0
        if direct && flushed == 0 {
            // The file's first block goes through the page cache, so that a reader checking
            // the leading magic (the Delta log reads every new file's footer) finds it there.
            try writeBuffered(UnsafeRawBufferPointer(start: buffer, count: Self.alignment))
            start = Self.alignment
        }
        let job = DirectWrites.Job(
            fd: fd, bytes: UnsafeRawBufferPointer(start: buffer + start, count: used - start), offset: flushed,
            buffer: buffer)
        DirectWrites.shared.submit(job)
        inFlight = job
        buffer = AlignedBuffers.shared.take()
        flushed += Int64(used - start)
        used = 0
    }

    /// Waits for the background write, if any, and gives its buffer back; throws its error.
    private func finishInFlight() throws {
        guard let job = inFlight else { return }
        inFlight = nil
        job.done.wait()
        AlignedBuffers.shared.give(job.buffer)
        if let failure = job.errorNumber {
            throw ParquetError(path: path, "write failed: \(String(cString: strerror(failure)))")
        }
    }

    /// Writes `bytes` at `flushed` (positioned writes: background writes move no file offset).
    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = pwrite(fd, bytes.baseAddress?.advanced(by: offset), bytes.count - offset,
                           off_t(flushed) + off_t(offset))
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

    /// Writes `bytes` at `flushed` with O_DIRECT off, and advances `flushed`; O_DIRECT stays
    /// as it was.
    private func writeBuffered(_ bytes: UnsafeRawBufferPointer) throws {
        let wasDirect = direct
        if wasDirect { try directOff() }
        try writeAll(bytes)
        flushed += Int64(bytes.count)
        if wasDirect { try directOn() }
    }

    private func directOn() throws {
        #if os(Linux)
            let flags = fcntl(fd, F_GETFL)
            if flags < 0 || fcntl(fd, F_SETFL, flags | O_DIRECT) != 0 {
                throw ParquetError(path: path, "cannot switch O_DIRECT on: \(errnoText())")
            }
            direct = true
        #endif
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
        try finishInFlight()
        if direct && flushed == 0 {
            // A file smaller than the buffer goes through the page cache whole: its footer is
            // read back at once (the Delta log's stats), and a few hundred KB cost little there.
            try writeBuffered(UnsafeRawBufferPointer(start: buffer, count: used))
            used = 0
        } else if direct {
            // Whole blocks still direct; the rest (under 4 KB) through the page cache.
            let blocks = used / Self.alignment * Self.alignment
            if blocks > 0 {
                try writeAll(UnsafeRawBufferPointer(start: buffer, count: blocks))
                flushed += Int64(blocks)
            }
            if blocks < used {
                try directOff()
                try writeAll(UnsafeRawBufferPointer(start: buffer + blocks, count: used - blocks))
                flushed += Int64(used - blocks)
            }
            used = 0
        } else if used > 0 {
            try writeAll(UnsafeRawBufferPointer(start: buffer, count: used))
            flushed += Int64(used)
            used = 0
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

/// The thread that writes `FileSink`s' full O_DIRECT buffers, in the order they come (one
/// device; at most one buffer per file at a time). A job's `done` is signalled when its bytes
/// are written or the write failed (`errorNumber`).
final class DirectWrites: @unchecked Sendable {
    static let shared = DirectWrites()

    final class Job: @unchecked Sendable {
        let fd: Int32
        let bytes: UnsafeRawBufferPointer
        let offset: Int64
        /// The aligned buffer `bytes` lie in (given back to `AlignedBuffers` afterwards).
        let buffer: UnsafeMutableRawPointer
        let done = DispatchSemaphore(value: 0)
        /// Set before `done` is signalled.
        var errorNumber: Int32?

        init(fd: Int32, bytes: UnsafeRawBufferPointer, offset: Int64, buffer: UnsafeMutableRawPointer) {
            self.fd = fd
            self.bytes = bytes
            self.offset = offset
            self.buffer = buffer
        }

        func run() {
            var written = 0
            var retried = false
            while written < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
                if n < 0 {
                    let failure = errno
                    if failure == EINTR { continue }
                    #if os(Linux)
                        // A file system may accept O_DIRECT at open and refuse the write: the
                        // file goes on buffered (the sink's own last writes switch it off too).
                        if failure == EINVAL && written == 0 && !retried {
                            retried = true
                            let flags = fcntl(fd, F_GETFL)
                            if flags >= 0 && flags & O_DIRECT != 0 && fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0 {
                                continue
                            }
                        }
                    #endif
                    errorNumber = failure  // the write's, not a later fcntl's
                    break
                }
                written += n
            }
            done.signal()
        }
    }

    private let queue = DispatchQueue(label: "lake.parquet.direct-writes")

    func submit(_ job: Job) { queue.async { job.run() } }
}

/// Page-aligned 1 MB buffers for `FileSink`, kept for the next file (a run opens hundreds of
/// files, a few at a time; a new buffer each time would fault its pages in again).
final class AlignedBuffers: @unchecked Sendable {
    static let shared = AlignedBuffers()
    private var mutex = pthread_mutex_t()
    private var free: [UnsafeMutableRawPointer] = []
    private let keptMax = 16

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
