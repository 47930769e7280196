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
/// The queue is a `HandOff`. Memory is bounded: chunks are allocated at their full size once
/// and recycled, at most `queuedChunksMax` wait; bronze blocks when silver is behind
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
    var queuedChunksMax: Int { queue.queuedChunksMax }
    /// Bytes a chunk is allocated with: its limit plus room for the line that crosses it.
    private let chunkBytesReserved: Int
    private let queue: HandOff<Chunk, Int64>
    /// Bronze's chunk being filled (touched by the bronze thread only).
    private var filling: Chunk { didSet { fillingRef = Unmanaged.passUnretained(filling) } }
    /// `filling` without a reference count, so `append` does not retain and release the chunk
    /// once per line (~7% of bronze's thread in `perf`).
    private var fillingRef: Unmanaged<Chunk>

    /// 4k rows / 2 MB chunks (16k / 8 MB chunks held ~50 MB with doubling growth, for the
    /// same speed), 8 queued: up to ~32k lines (~14 MB of NDJSON) ahead of silver. Silver
    /// must have work queued for as long as bronze is busy with something else than reading:
    /// compressing a 16k-row group (~15 ms) or finishing a commit (15–60 ms with its fsync).
    /// With 4 queued (~25 ms of silver's work) silver waited ~300 ms per 1M-event `run all`
    /// in ~30 waits, while the other core often had nothing to do: `run all` 2.48 s against
    /// 2.16 s with 16 (medians of 8 alternating runs; peak RSS 150 → 169 MB). 32 queued gained
    /// ~3% more for another 28 MB (bench/NOTES.md). Since silver and gold got faster, 8 queued
    /// (~32k lines) run as fast as 16 — 8 alternating pairs: wall medians 1.165 against
    /// 1.160 s — with 20 MB less peak RSS (180 → 160 MB) and ~4k fewer pages to fault in.
    init(chunkRowCountMax: Int = 4096, chunkBytesMax: Int = 2 << 20, queuedChunksMax: Int = 8) {
        self.chunkRowCountMax = chunkRowCountMax
        self.chunkBytesMax = chunkBytesMax
        chunkBytesReserved = chunkBytesMax + chunkBytesMax / 16
        queue = HandOff(queuedChunksMax: queuedChunksMax, producer: "bronze", rows: "lines", consumer: "silver")
        let first = Chunk(rows: chunkRowCountMax, bytes: chunkBytesReserved)
        filling = first
        fillingRef = Unmanaged.passUnretained(first)
    }

    // MARK: bronze's side

    /// Bronze is about to ingest; its first line will get `firstID`.
    func start(firstID: Int64) { queue.start(firstID) }

    /// One ingested line (bronze thread only).
    @inline(__always)
    func append(id: Int64, ingestedAt: Int64, line: UnsafeRawBufferPointer) {
        let full = fillingRef._withUnsafeGuaranteedRef { c in
            c.ids.append(id)
            c.ingestedAt.append(ingestedAt)
            c.data.append(contentsOf: line)
            c.ends.append(c.data.count)
            return c.count >= chunkRowCountMax || c.data.count >= chunkBytesMax
        }
        if full { pushFilling() }
    }

    /// Bronze's commit of every line appended so far succeeded; its last `ingest_id` is `id`.
    func committed(throughID id: Int64) {
        pushFilling()
        queue.mark(id)
    }

    /// Bronze ended: `succeeded` false means its uncommitted lines will never be committed.
    func finish(succeeded: Bool) { queue.finish(succeeded: succeeded) }

    private func pushFilling() {
        guard filling.count > 0 else { return }
        switch queue.push(filling) {
        case .queued(let spare?): filling = spare
        // A chunk sized for a full load (lines are appended whole, so one long line can still grow it).
        case .queued(nil): filling = Chunk(rows: chunkRowCountMax, bytes: chunkBytesReserved)
        case .dropped: filling.removeAll()  // nobody reads: reuse the chunk
        }
    }

    // MARK: silver's side

    /// Waits until bronze has started (its first `ingest_id`) or ended without starting (nil).
    func waitForStart() -> Int64? { queue.waitForStart() }

    /// The next item, waiting for bronze; nil once bronze has ended and everything was read.
    /// Throws when bronze ended without committing lines already handed out.
    func next() throws -> Item? {
        switch try queue.next() {
        case .rows(let chunk)?: return .rows(chunk)
        case .marker(let id)?: return .committed(throughID: id)
        case nil: return nil
        }
    }

    /// Gives a chunk back for bronze to fill again.
    func recycle(_ chunk: Chunk) {
        // A chunk a very long line grew is dropped rather than kept at that size.
        guard chunk.data.capacity <= 2 * chunkBytesReserved else { return }
        chunk.removeAll()
        queue.recycle(chunk)
    }

    /// Silver will read no more: bronze stops queuing (and never blocks).
    func stopConsuming() { queue.stopConsuming() }
}
