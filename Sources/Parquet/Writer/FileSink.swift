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
final class FileSink: PageSink {
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferBytesMax = 1 << 20
    private(set) var position: Int64 = 0

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw ParquetError(path: path, "cannot create: \(errnoText())") }
        buffer.reserveCapacity(bufferBytesMax)
    }

    deinit { if fd >= 0 { _ = Glibc.close(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > bufferBytesMax { try flush() }
        if bytes.count >= bufferBytesMax {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        position += Int64(bytes.count)
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress?.advanced(by: offset), bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ParquetError(path: path, "write failed: \(errnoText())")
            }
            offset += n
        }
    }

    /// Flushes, optionally fsyncs, and closes the file.
    func close(sync: Bool) throws {
        try flush()
        if sync && fsync(fd) != 0 { throw ParquetError(path: path, "fsync failed: \(errnoText())") }
        let result = Glibc.close(fd)
        fd = -1
        if result != 0 { throw ParquetError(path: path, "close failed: \(errnoText())") }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
