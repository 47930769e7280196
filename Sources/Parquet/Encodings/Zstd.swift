import CZstd

/// ZSTD page compression with a reused context (no allocation per page after warm-up).
final class ZstdCompressor {
    private let context: OpaquePointer

    init() {
        guard let context = ZSTD_createCCtx() else {
            fatalError("ZSTD_createCCtx failed: out of memory")
        }
        self.context = context
    }

    deinit {
        ZSTD_freeCCtx(context)
        buffer.deallocate()
    }

    /// Reused output buffer; it only grows, and without zeroing: zstd writes what it returns,
    /// and pages never written are never faulted in. (A zero-filled `[UInt8]` zeroed the whole
    /// bound at each growth, and encoders move between bronze's and silver's lanes through the
    /// pool, so bronze's 4 MB pages grew buffer after buffer.)
    private var buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
    private var capacity = 1 << 16

    /// Compresses `input`; `body` gets the compressed bytes (valid only during the call).
    func compress<R>(_ input: UnsafeRawBufferPointer, level: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let bound = ZSTD_compressBound(input.count)
        if capacity < bound {
            buffer.deallocate()
            capacity = max(bound, capacity * 2)
            buffer = .allocate(byteCount: capacity, alignment: 16)
        }
        let written = ZSTD_compressCCtx(context, buffer, capacity, input.baseAddress, input.count, level)
        // Compression into a buffer of at least ZSTD_compressBound bytes cannot fail.
        precondition(ZSTD_isError(written) == 0, "zstd compress failed")
        return try body(UnsafeRawBufferPointer(start: buffer, count: written))
    }
}

/// ZSTD page decompression of untrusted data into a buffer of the size the page header states.
/// The buffer is the decompressor's own and only grows, so pages of varying sizes cost no
/// allocation and no zeroing; what `decompress` returns is valid until its next call.
final class ZstdDecompressor {
    private let context: OpaquePointer
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int

    init() {
        guard let context = ZSTD_createDCtx() else {
            fatalError("ZSTD_createDCtx failed: out of memory")
        }
        self.context = context
        capacity = 1 << 16
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        buffer.deallocate()
    }

    func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws -> UnsafeRawBufferPointer {
        if expectedSize > capacity {
            buffer.deallocate()
            capacity = max(expectedSize, capacity * 2)
            buffer = .allocate(byteCount: capacity, alignment: 16)
        }
        let written = ZSTD_decompressDCtx(context, buffer, expectedSize, input.baseAddress, input.count)
        if ZSTD_isError(written) != 0 {
            let name = String(cString: ZSTD_getErrorName(written))
            throw DecodeError("zstd: \(name)")
        }
        guard written == expectedSize else {
            throw DecodeError("zstd page decompressed to \(written) bytes, header says \(expectedSize)")
        }
        return UnsafeRawBufferPointer(start: buffer, count: expectedSize)
    }
}
