#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every writer default in one place (as arrow-rs keeps them in its properties file).
public struct WriterProperties: Sendable {
    /// Rows buffered per row group; the writer's memory is bounded by one row group.
    public var rowGroupRowCountMax = 128 * 1024
    /// Target uncompressed size of a data page.
    public var dataPageBytesMax = 1 << 20
    /// Upper bound on rows per data page (keeps dictionary-index pages small).
    public var dataPageRowCountMax = 20_000
    /// A dictionary larger than this falls back to PLAIN for the column chunk.
    public var dictionaryBytesMax = 1 << 20
    /// Whether low-cardinality columns are dictionary-encoded (never BOOLEAN columns).
    public var dictionaryEnabled = true
    /// Byte-array chunks without a dictionary (unique ids, raw lines) are written
    /// DELTA_LENGTH_BYTE_ARRAY: the lengths DELTA_BINARY_PACKED, then the values back to back.
    /// PLAIN puts a 4-byte length before each value, which zstd then has to compress: on
    /// random UUIDs level 1 ran at 380 MB/s over PLAIN and 674 MB/s over the bare values, and
    /// the output was 6% smaller; on raw JSON lines 4.5% smaller (bench/NOTES.md item 53).
    /// Off: PLAIN (what readers older than ~2022 expect).
    public var deltaLengthByteArrays = true
    public var codec: Codec = .zstd
    /// Each page header carries the CRC-32 of the page (parquet.thrift `crc`), which readers
    /// check: damage inside a page is found instead of read back as other values.
    public var pageChecksums = true
    /// Level 1 compresses NDJSON-like data as well as level 3 at twice the speed (MACHINE-NOTES).
    public var zstdLevel: Int32 = 1
    public var createdBy = "lake parquet writer version 0.1.0"
    public var keyValues: [KeyValue] = []
    /// fsync the file in `finish()` (the lake's commit protocol needs it).
    public var syncOnFinish = false
    /// Threads that encode and compress a row group's column chunks side by side (columns are
    /// independent; the chunks are written to the file in column order). 1 encodes on the
    /// calling thread only. Default: the machine's cores, at most 4, or `LAKE_ENCODE_THREADS`.
    public var encodeThreads = WriterProperties.defaultEncodeThreads
    /// Encode a full row group in the background while the next one is being filled (the
    /// writer then holds two row groups of buffers). `finish()` always waits for everything.
    public var encodeInBackground = true

    public static let defaultEncodeThreads: Int = {
        #if canImport(Glibc)
            let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
            let cores = Int(sysconf(_SC_NPROCESSORS_ONLN))
        #endif
        if let v = getenv("LAKE_ENCODE_THREADS"), let n = Int(String(cString: v)), n >= 1 { return min(n, 64) }
        return max(1, min(4, cores))
    }()

    public init() {}
}
