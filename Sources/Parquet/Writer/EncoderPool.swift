#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Process-wide free lists of column chunk encoders (scratch buffers and a zstd context each)
/// and of the memory buffers chunks are encoded into. A lake run writes many files one after
/// another (one per partition and commit); without the pool each file would allocate, fault
/// in and zero these again. Bounded: a few encoders per core, and buffers up to a byte budget.
final class EncoderPool: @unchecked Sendable {
    static let shared = EncoderPool()

    private var mutex = pthread_mutex_t()
    private var encoders: [ColumnChunkWriter] = []
    private var sinks: [MemorySink] = []
    private let encodersMax = 16
    private let sinksMax = 128
    /// A buffer larger than this is not kept (one huge chunk must not pin its memory).
    private let sinkBytesMax = 32 << 20

    private init() { pthread_mutex_init(&mutex, nil) }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// An encoder last used with the same page size if there is one: its scratch buffers are
    /// the right size already. Taking any made the writers trade encoders (bronze's 4 MB
    /// pages, silver's 1 MB ones), so each kept growing fresh scratch memory: ~10k page faults
    /// (40 MB) in a 1M-event `run all`.
    func takeEncoder(_ properties: WriterProperties) -> ColumnChunkWriter {
        let found = locked { () -> ColumnChunkWriter? in
            if let i = encoders.lastIndex(where: { $0.properties.dataPageBytesMax == properties.dataPageBytesMax }) {
                return encoders.remove(at: i)
            }
            return encoders.popLast()
        }
        if var e = found {
            e.properties = properties
            return e
        }
        return ColumnChunkWriter(properties: properties)
    }

    func give(_ encoder: ColumnChunkWriter) {
        locked { if encoders.count < encodersMax { encoders.append(encoder) } }
    }

    func takeSinks(_ count: Int) -> [MemorySink] {
        var taken = locked { () -> [MemorySink] in
            let n = min(count, sinks.count)
            defer { sinks.removeLast(n) }
            return Array(sinks.suffix(n))
        }
        while taken.count < count { taken.append(MemorySink()) }
        for s in taken { s.reset() }
        return taken
    }

    func give(_ returned: [MemorySink]) {
        locked {
            for s in returned where sinks.count < sinksMax && s.capacity <= sinkBytesMax { sinks.append(s) }
        }
    }
}

/// Process-wide free list of column buffer sets, by schema: a lake run writes file after file of
/// the same tables (bronze every commit, silver every partition), and each new writer would
/// otherwise grow fresh buffers (allocation, page faults) while glibc kept the freed ones in
/// its heap — bronze's peak RSS crept from 52 MB at 1M events to 67 MB at 5M that way. Sets
/// come back reset (capacity kept); the pool keeps at most `bytesMax` of them.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    private var mutex = pthread_mutex_t()
    private var sets: [(schema: Schema, buffers: [ColumnBuffer], bytes: Int)] = []
    private var bytes = 0
    private let bytesMax = 96 << 20

    private init() { pthread_mutex_init(&mutex, nil) }

    /// A set for `schema`, reused when one is free, else new.
    func take(_ schema: Schema) -> [ColumnBuffer] {
        pthread_mutex_lock(&mutex)
        let found = sets.lastIndex { $0.schema == schema }.map { i -> [ColumnBuffer] in
            bytes -= sets[i].bytes
            return sets.remove(at: i).buffers
        }
        pthread_mutex_unlock(&mutex)
        return found ?? schema.columns.map { ColumnBuffer(column: $0) }
    }

    /// Gives a set back (its values are dropped); too large a set, or a full pool, frees it.
    func give(_ buffers: [ColumnBuffer], schema: Schema) {
        for b in buffers { b.reset() }
        let size = buffers.reduce(0) { $0 + $1.capacityBytes }
        pthread_mutex_lock(&mutex)
        if bytes + size <= bytesMax {
            sets.append((schema, buffers, size))
            bytes += size
        }
        pthread_mutex_unlock(&mutex)
    }
}
