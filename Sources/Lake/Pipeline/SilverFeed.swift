import Foundation

/// Silver's accepted rows handed to gold in memory during `lake run all`
/// (`Pipeline.runOverlapped`), so gold does not read back and decompress the Parquet files
/// silver has just written, and aggregates each row while silver is still working on the
/// rest of its batch instead of after silver's commit.
///
/// Only what gold reads goes through: the silver columns the job's gold tables name, for all
/// of them at once (`GoldPlan.inputs`), as `RowBatch`es. After each commit silver queues a
/// marker with the snapshot it committed and that snapshot's watermark. Gold adds rows to its
/// tables as they come but commits only at a marker, with that snapshot as its checkpoint:
/// what gold commits is exactly what it would have read from the files of the snapshots up to
/// the marker, so the crash behaviour is that of the Parquet path.
///
/// Before its first row silver names the last silver snapshot committed before this run
/// (`start(after:)`): gold reads the snapshots up to that one from Parquet, then takes the feed.
///
/// The queue is a `HandOff`, as `BronzeFeed`'s. Memory is bounded: batches are recycled, at
/// most `queuedChunksMax` wait, and silver blocks when gold is behind (gold never waits for
/// silver's commits). When gold stops reading (`stopConsuming`), silver's later rows are
/// dropped and silver never blocks again.
final class SilverFeed: @unchecked Sendable {
    typealias Chunk = RowBatch

    enum Item {
        case rows(Chunk)
        /// Silver committed `snapshot` (every row queued before this marker), whose watermark
        /// is `watermark` (nil: none yet).
        case committed(snapshot: Int64, watermark: Int64?)
    }

    let chunkRowCountMax: Int
    var queuedChunksMax: Int { queue.queuedChunksMax }
    private let queue: HandOff<Chunk, (snapshot: Int64, watermark: Int64?)>
    /// Silver's chunk being filled (touched by the silver thread only).
    private var filling: Chunk { didSet { fillingRef = Unmanaged.passUnretained(filling) } }
    /// `filling` without a reference count: `append` runs once per accepted row.
    private var fillingRef: Unmanaged<Chunk>

    /// The batch layout (gold's input columns).
    let types: [GoldType]

    /// 8k rows a chunk, 6 queued (~50k rows: silver's work of ~40 ms, more than a gold
    /// commit takes). Not more: on two cores gold is the longest stage of a `run all`, and
    /// every row queued when silver ends is gold working alone; with 32 queued the last
    /// ~0.5 s of a 1M-transaction run had one core idle (and RSS was 40 MB higher).
    init(types: [GoldType], chunkRowCountMax: Int = 8192, queuedChunksMax: Int = 6) {
        self.types = types
        self.chunkRowCountMax = chunkRowCountMax
        queue = HandOff(queuedChunksMax: queuedChunksMax, producer: "silver", rows: "rows", consumer: "gold")
        let first = Chunk(types: types, capacity: chunkRowCountMax)
        filling = first
        fillingRef = Unmanaged.passUnretained(first)
    }

    // MARK: silver's side

    /// Silver is about to process rows; the last silver snapshot committed before is
    /// `snapshot` (0: none).
    func start(after snapshot: Int64) { queue.start(snapshot) }

    /// Calls `body` with the batch being filled; `body` sets every column of one row and ends
    /// it (silver thread only).
    @inline(__always)
    func appendRow(_ body: (RowBatch) -> Void) {
        let full = fillingRef._withUnsafeGuaranteedRef { c in
            body(c)
            return c.isFull
        }
        if full { pushFilling() }
    }

    /// Silver's commit of `snapshot`, holding every row appended so far, succeeded.
    func committed(snapshot: Int64, watermark: Int64?) {
        pushFilling()
        queue.mark((snapshot, watermark))
    }

    /// Silver hands over no more rows; gold must go on from the files.
    func abandon() {
        filling.removeAll()
        queue.abandon()
    }

    /// Silver ended: `succeeded` false means rows after its last marker will never be committed.
    func finish(succeeded: Bool) { queue.finish(succeeded: succeeded) }

    private func pushFilling() {
        guard filling.count > 0 else { return }
        switch queue.push(filling) {
        case .queued(let spare?): filling = spare
        case .queued(nil): filling = Chunk(types: types, capacity: chunkRowCountMax)
        case .dropped: filling.removeAll()
        }
    }

    // MARK: gold's side

    /// Waits until silver has started (the snapshot the feed follows), or abandoned the feed or
    /// ended without starting it (nil).
    func waitForStart() -> Int64? { queue.waitForStart() }

    /// The next item, waiting for silver; nil once silver has ended (or abandoned the feed) and
    /// every item before was read. Throws when silver ended without committing rows handed out.
    func next() throws -> Item? {
        switch try queue.next() {
        case .rows(let chunk)?: return .rows(chunk)
        case .marker(let m)?: return .committed(snapshot: m.snapshot, watermark: m.watermark)
        case nil: return nil
        }
    }

    /// Gives a chunk back for silver to fill again (one whose string bytes grew large is dropped).
    func recycle(_ chunk: Chunk) {
        guard chunk.largestByteCapacity <= 64 * chunkRowCountMax else { return }
        chunk.removeAll()
        queue.recycle(chunk)
    }

    /// Gold will read no more: silver stops queuing (and never blocks).
    func stopConsuming() { queue.stopConsuming() }
}
