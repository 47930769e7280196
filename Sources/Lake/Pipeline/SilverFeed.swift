import Foundation

/// Silver's accepted rows handed to gold in memory during `lake run all`
/// (`Pipeline.runOverlapped`), so gold does not read back and decompress the Parquet files
/// silver has just written, and sessionizes each row while silver is still working on the
/// rest of its batch instead of after silver's commit.
///
/// Only what gold reads goes through: the user's bytes, the event time, the event type as two
/// flags (purchase, cart activity) and the revenue column. After each commit silver queues a
/// marker with the snapshot it committed and that snapshot's watermark. Gold adds rows to its
/// sessions as they come but commits only at a marker, with that snapshot as its checkpoint:
/// what gold commits is exactly what it would have read from the files of the snapshots up to
/// the marker, so the crash behaviour is that of the Parquet path.
///
/// Before its first row silver names the last silver snapshot committed before this run
/// (`start(after:)`): gold reads the snapshots up to that one from Parquet, then takes the feed.
/// If silver cannot hand a row over (a null user, event type or time, which the Parquet path
/// handles its own way), it stops the feed (`abandon`); gold then drops what it added since
/// its last commit and goes on from the files.
///
/// The queue is a `HandOff`, as `BronzeFeed`'s. Memory is bounded: chunks are recycled, at
/// most `queuedChunksMax` wait, and silver blocks
/// when gold is behind (gold never waits for silver's commits). When gold stops reading
/// (`stopConsuming`), silver's later rows are dropped and silver never blocks again.
final class SilverFeed: @unchecked Sendable {
    /// Rows in silver's order: per row the user's bytes (back to back), event time, flags
    /// (`purchase`, `cart`, `hasRevenue`) and the revenue column's value (0 when null). Storage
    /// of a fixed row capacity, allocated once: silver appends per accepted row.
    final class Chunk {
        static let purchase: UInt8 = 1
        static let cart: UInt8 = 2
        static let hasRevenue: UInt8 = 4

        let capacity: Int
        private(set) var count = 0
        let times: UnsafeMutablePointer<Int64>
        let flags: UnsafeMutablePointer<UInt8>
        let revenue: UnsafeMutablePointer<Double>
        /// Where each row's user ends in `userBytes`.
        let userEnds: UnsafeMutablePointer<Int>
        private(set) var userBytes: UnsafeMutableRawPointer
        private(set) var userBytesCapacity: Int

        init(rows: Int) {
            capacity = max(1, rows)
            times = .allocate(capacity: capacity)
            flags = .allocate(capacity: capacity)
            revenue = .allocate(capacity: capacity)
            userEnds = .allocate(capacity: capacity)
            userBytesCapacity = 16 * capacity
            userBytes = .allocate(byteCount: userBytesCapacity, alignment: 8)
        }

        deinit {
            times.deallocate()
            flags.deallocate()
            revenue.deallocate()
            userEnds.deallocate()
            userBytes.deallocate()
        }

        var isFull: Bool { count == capacity }
        var userByteCount: Int { count == 0 ? 0 : userEnds[count - 1] }

        @inline(__always)
        func append(user: UnsafeRawBufferPointer, time: Int64, flags f: UInt8, revenue r: Double) {
            precondition(count < capacity, "append to a full chunk")
            let start = userByteCount
            let n = user.count
            if start + n > userBytesCapacity { growUserBytes(to: start + n) }
            if n > 0 { (userBytes + start).copyMemory(from: user.baseAddress!, byteCount: n) }
            userEnds[count] = start + n
            times[count] = time
            flags[count] = f
            revenue[count] = r
            count += 1
        }

        private func growUserBytes(to needed: Int) {
            var c = userBytesCapacity
            while c < needed { c *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 8)
            grown.copyMemory(from: userBytes, byteCount: userByteCount)
            userBytes.deallocate()
            userBytes = grown
            userBytesCapacity = c
        }

        func removeAll() { count = 0 }

        /// Byte range of row `i`'s user in `userBytes`.
        @inline(__always) func userRange(_ i: Int) -> Range<Int> {
            (i == 0 ? 0 : userEnds[i - 1])..<userEnds[i]
        }

        /// Row `i`'s user bytes (valid until the chunk is next appended to).
        @inline(__always) func user(_ i: Int) -> UnsafeRawBufferPointer {
            let r = userRange(i)
            return UnsafeRawBufferPointer(start: userBytes + r.lowerBound, count: r.count)
        }
    }

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

    /// 8k rows a chunk (~40 bytes a row), 32 queued: a whole silver commit of the overlapped run
    /// (256k rows, ~8 MB) can wait while gold commits.
    init(chunkRowCountMax: Int = 8192, queuedChunksMax: Int = 32) {
        self.chunkRowCountMax = chunkRowCountMax
        queue = HandOff(queuedChunksMax: queuedChunksMax, producer: "silver", rows: "rows", consumer: "gold")
        let first = Chunk(rows: chunkRowCountMax)
        filling = first
        fillingRef = Unmanaged.passUnretained(first)
    }

    // MARK: silver's side

    /// Silver is about to process rows; the last silver snapshot committed before is
    /// `snapshot` (0: none).
    func start(after snapshot: Int64) { queue.start(snapshot) }

    /// One accepted row (silver thread only).
    @inline(__always)
    func append(user: UnsafeRawBufferPointer, time: Int64, flags: UInt8, revenue: Double) {
        let full = fillingRef._withUnsafeGuaranteedRef { c in
            c.append(user: user, time: time, flags: flags, revenue: revenue)
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
        case .queued(nil): filling = Chunk(rows: chunkRowCountMax)
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

    /// Gives a chunk back for silver to fill again (one whose user bytes grew large is dropped).
    func recycle(_ chunk: Chunk) {
        guard chunk.userBytesCapacity <= 64 * chunkRowCountMax else { return }
        chunk.removeAll()
        queue.recycle(chunk)
    }

    /// Gold will read no more: silver stops queuing (and never blocks).
    func stopConsuming() { queue.stopConsuming() }
}
