import Foundation

/// Bronze's lines handed to silver in memory during `lake run all` (`Pipeline.runOverlapped`),
/// so silver does not read back and decompress the Parquet files bronze has just written.
///
/// Bronze appends every line it ingests (`ingest_id`, `ingested_at`, body) to a chunk and
/// queues full chunks; after each commit it queues a marker with the last `ingest_id` that
/// commit made durable. Silver parses rows as they come but commits only at a marker, so its
/// checkpoint never passes what bronze has committed: the crash behaviour is that of the
/// Parquet path, and the rows are the same bytes the files hold.
///
/// Memory is bounded: chunks are allocated at their full size once and recycled, at most
/// `queuedChunksMax` wait; bronze blocks when silver is behind
/// (it never waits for a commit of silver's, so the two cannot deadlock). When silver stops
/// reading (it failed, or could not use the feed), `stopConsuming` drops whatever bronze queues
/// afterwards and bronze never blocks again.
final class BronzeFeed: @unchecked Sendable {
    /// Rows of consecutive `ingest_id`s, with their bodies back to back.
    final class Chunk {
        var ids: [Int64] = []
        var ingestedAt: [Int64] = []
        var data: [UInt8] = []
        var ends: [Int] = []

        init(rows: Int = 0, bytes: Int = 0) {
            ids.reserveCapacity(rows)
            ingestedAt.reserveCapacity(rows)
            ends.reserveCapacity(rows)
            data.reserveCapacity(bytes)
        }

        var count: Int { ids.count }

        func removeAll() {
            ids.removeAll(keepingCapacity: true)
            ingestedAt.removeAll(keepingCapacity: true)
            data.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
        }

        /// Calls `body(id, ingestedAt, line)` for each row in order.
        func forEach(_ body: (Int64, Int64, UnsafeRawBufferPointer) throws -> Void) rethrows {
            try data.withUnsafeBytes { all in
                var start = 0
                for row in 0..<ids.count {
                    let end = ends[row]
                    try body(ids[row], ingestedAt[row], UnsafeRawBufferPointer(rebasing: all[start..<end]))
                    start = end
                }
            }
        }
    }

    enum Item {
        case rows(Chunk)
        /// Bronze committed every row up to and including this `ingest_id`.
        case committed(throughID: Int64)
    }

    let chunkRowCountMax: Int
    let chunkBytesMax: Int
    let queuedChunksMax: Int
    /// Bytes a chunk is allocated with: its limit plus room for the line that crosses it.
    private let chunkBytesReserved: Int

    private let condition = NSCondition()
    private var items: [Item] = []
    private var head = 0
    private var queuedChunks = 0
    private var spare: [Chunk] = []
    private var firstIDValue: Int64?
    private var started = false
    private var finished = false
    private var failed = false
    private var consuming = true
    /// Bronze's chunk being filled (touched by the bronze thread only).
    private var filling: Chunk

    /// 4k rows / 2 MB chunks (16k / 8 MB chunks held ~50 MB with doubling growth, for the
    /// same speed), 16 queued: up to ~64k lines (~27 MB of NDJSON) ahead of silver. Silver
    /// must have work queued for as long as bronze is busy with something else than reading:
    /// compressing a 32k-row group (~30 ms) or finishing a commit (15–60 ms with its fsync).
    /// With 4 queued (~25 ms of silver's work) silver waited ~300 ms per 1M-event `run all`
    /// in ~30 waits, while the other core often had nothing to do: `run all` 2.48 s against
    /// 2.16 s with 16 (medians of 8 alternating runs; peak RSS 150 → 169 MB). 32 queued gained
    /// ~3% more for another 28 MB (bench/NOTES.md).
    init(chunkRowCountMax: Int = 4096, chunkBytesMax: Int = 2 << 20, queuedChunksMax: Int = 16) {
        self.chunkRowCountMax = chunkRowCountMax
        self.chunkBytesMax = chunkBytesMax
        self.queuedChunksMax = queuedChunksMax
        chunkBytesReserved = chunkBytesMax + chunkBytesMax / 16
        filling = Chunk(rows: chunkRowCountMax, bytes: chunkBytesReserved)
    }

    /// A chunk sized for a full load (lines are appended whole, so one long line can still grow it).
    private func newChunk() -> Chunk { Chunk(rows: chunkRowCountMax, bytes: chunkBytesReserved) }

    // MARK: bronze's side

    /// Bronze is about to ingest; its first line will get `firstID`.
    func start(firstID: Int64) {
        condition.withLock {
            firstIDValue = firstID
            started = true
            condition.broadcast()
        }
    }

    /// One ingested line (bronze thread only).
    @inline(__always)
    func append(id: Int64, ingestedAt: Int64, line: UnsafeRawBufferPointer) {
        let c = filling
        c.ids.append(id)
        c.ingestedAt.append(ingestedAt)
        c.data.append(contentsOf: line)
        c.ends.append(c.data.count)
        if c.count >= chunkRowCountMax || c.data.count >= chunkBytesMax { pushFilling() }
    }

    /// Bronze's commit of every line appended so far succeeded; its last `ingest_id` is `id`.
    func committed(throughID id: Int64) {
        pushFilling()
        condition.withLock {
            guard consuming else { return }
            items.append(.committed(throughID: id))
            condition.broadcast()
        }
    }

    /// Bronze ended: `succeeded` false means its uncommitted lines will never be committed.
    func finish(succeeded: Bool) {
        condition.withLock {
            if !finished {
                finished = true
                failed = !succeeded
            }
            started = true
            condition.broadcast()
        }
    }

    private func pushFilling() {
        guard filling.count > 0 else { return }
        let full = filling
        // nil: nobody reads any more; .some(nil): queued, no spare chunk to fill next.
        let next: Chunk?? = condition.withLock {
            while consuming && queuedChunks >= queuedChunksMax { condition.wait() }
            guard consuming else { return nil }
            items.append(.rows(full))
            queuedChunks += 1
            condition.broadcast()
            return .some(spare.popLast())
        }
        switch next {
        case .some(let spare?): filling = spare
        case .some(nil): filling = newChunk()
        case nil: full.removeAll()  // nobody reads: reuse the chunk
        }
    }

    // MARK: silver's side

    /// Waits until bronze has started (its first `ingest_id`) or ended without starting (nil).
    func waitForStart() -> Int64? {
        condition.withLock {
            while !started { condition.wait() }
            return firstIDValue
        }
    }

    /// The next item, waiting for bronze; nil once bronze has ended and everything was read.
    /// Throws when bronze ended without committing lines already handed out.
    func next() throws -> Item? {
        try condition.withLock {
            while head == items.count && !finished { condition.wait() }
            if head == items.count {
                if failed {
                    throw LakeError("run all", "bronze stopped before committing the lines silver was reading",
                        hint: "see bronze's error; run `lake run all` again")
                }
                return nil
            }
            let item = items[head]
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            }
            if case .rows = item {
                queuedChunks -= 1
                condition.broadcast()
            }
            return item
        }
    }

    /// Gives a chunk back for bronze to fill again.
    func recycle(_ chunk: Chunk) {
        // A chunk a very long line grew is dropped rather than kept at that size.
        guard chunk.data.capacity <= 2 * chunkBytesReserved else { return }
        chunk.removeAll()
        condition.withLock { if spare.count < queuedChunksMax { spare.append(chunk) } }
    }

    /// Silver will read no more: bronze stops queuing (and never blocks).
    func stopConsuming() {
        condition.withLock {
            consuming = false
            items.removeAll()
            head = 0
            queuedChunks = 0
            condition.broadcast()
        }
    }
}
