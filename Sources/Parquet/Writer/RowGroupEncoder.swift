import Dispatch

/// Encodes the column chunks of one row group and writes them to the file in column order.
///
/// With more than one lane, the columns are spread over the lanes by estimated cost (largest
/// first, each to the least loaded lane) and encoded side by side into memory buffers, which
/// are then copied into the file; the chunks' page offsets are moved by the position each
/// chunk lands at. With one lane, chunks go straight to the file.
///
/// Used by one thread at a time (the writer's thread, or the background job the writer waits
/// for before it touches the file again); that is why it may cross threads.
final class RowGroupEncoder: @unchecked Sendable {
    let sink: FileSink
    let properties: WriterProperties
    private let laneCount: Int

    init(sink: FileSink, properties: WriterProperties, columnCount: Int) {
        self.sink = sink
        self.properties = properties
        laneCount = max(1, min(properties.encodeThreads, columnCount))
    }

    func encode(_ buffers: [ColumnBuffer], rows: Int) throws -> RowGroupMetadata {
        let pool = EncoderPool.shared
        var chunks: [ColumnChunkMetadata] = []
        chunks.reserveCapacity(buffers.count)
        let plan = laneCount > 1 ? Self.plan(buffers, lanes: laneCount) : []
        if plan.count <= 1 {
            var encoder = pool.takeEncoder(properties)
            defer { pool.give(encoder) }
            for b in buffers { chunks.append(try encoder.write(b, to: sink)) }
        } else {
            var lanes = plan.map { _ in pool.takeEncoder(properties) }
            let blobs = pool.takeSinks(buffers.count)
            defer {
                for e in lanes { pool.give(e) }
                pool.give(blobs)
            }
            var results = [Result<ColumnChunkMetadata, Error>?](repeating: nil, count: buffers.count)
            let sinks = UncheckedSendable(blobs), columns = UncheckedSendable(buffers)
            results.withUnsafeMutableBufferPointer { out in
                lanes.withUnsafeMutableBufferPointer { writers in
                    // Each lane touches only its own encoder, its own columns and their slots.
                    let o = UncheckedSendable(out), w = UncheckedSendable(writers)
                    DispatchQueue.concurrentPerform(iterations: plan.count) { lane in
                        for c in plan[lane] {
                            o.value[c] = Result { try w.value[lane].write(columns.value[c], to: sinks.value[c]) }
                        }
                    }
                }
            }
            for c in buffers.indices {
                var chunk = try results[c]!.get()
                let base = sink.position
                try sink.write(blobs[c].bytes)
                chunk.dataPageOffset += base
                chunk.dictionaryPageOffset = chunk.dictionaryPageOffset.map { $0 + base }
                chunks.append(chunk)
            }
        }
        return RowGroupMetadata(
            columns: chunks, rowCount: Int64(rows),
            uncompressedBytes: chunks.reduce(0) { $0 + $1.uncompressedBytes })
    }

    /// Columns per lane: longest-processing-time-first over a cost estimate (buffered bytes;
    /// dictionary candidates weigh more because they are hashed).
    static func plan(_ buffers: [ColumnBuffer], lanes: Int) -> [[Int]] {
        func cost(_ b: ColumnBuffer) -> Int {
            switch b.column.type {
            case .byteArray: return b.bytes.count + 16 * b.valueCount + b.rowCount
            case .int64, .double: return 12 * b.valueCount + b.rowCount
            default: return 6 * b.valueCount + b.rowCount
            }
        }
        let order = buffers.indices.sorted { cost(buffers[$0]) > cost(buffers[$1]) }
        var plan = [[Int]](repeating: [], count: lanes)
        var load = [Int](repeating: 0, count: lanes)
        for c in order {
            let lane = load.indices.min { load[$0] < load[$1] }!
            plan[lane].append(c)
            load[lane] += cost(buffers[c])
        }
        return plan.filter { !$0.isEmpty }
    }
}

/// A value handed to another thread under the caller's own guarantee that the threads do not
/// race on it (disjoint slots, or a hand-off followed by a wait).
struct UncheckedSendable<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
