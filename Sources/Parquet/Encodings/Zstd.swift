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

    deinit { ZSTD_freeCCtx(context) }

    /// Reused output buffer; its size only grows, so pages cause no allocation or page faults.
    private var buffer: [UInt8] = []

    /// Compresses `input`; `body` gets the compressed bytes (valid only during the call).
    func compress<R>(_ input: UnsafeRawBufferPointer, level: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let bound = ZSTD_compressBound(input.count)
        if buffer.count < bound { buffer = [UInt8](repeating: 0, count: bound) }
        return try buffer.withUnsafeMutableBytes { out in
            let written = ZSTD_compressCCtx(context, out.baseAddress, bound, input.baseAddress, input.count, level)
            // Compression into a buffer of ZSTD_compressBound bytes cannot fail.
            precondition(ZSTD_isError(written) == 0, "zstd compress failed")
            return try body(UnsafeRawBufferPointer(rebasing: out[0..<written]))
        }
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
