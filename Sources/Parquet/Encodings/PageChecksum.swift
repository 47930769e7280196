import CZlib

/// The `crc` of a page header (parquet.thrift): CRC-32 (the IEEE polynomial of zlib and gzip)
/// of the page's bytes as stored — everything after the header, compressed — as parquet-mr and
/// Arrow write it. Stored as a signed i32 with the same bits.
enum PageChecksum {
    static func of(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        var crc = crc32(0, nil, 0)
        var rest = bytes
        // zlib takes a 32-bit length: pages are far smaller, but do not assume it.
        while !rest.isEmpty {
            let n = min(rest.count, 1 << 30)
            crc = crc32(crc, rest.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(n))
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        return Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: crc))
    }
}
