import Foundation

/// The bounded queue one stage's thread hands its rows through to the next stage's thread in
/// `lake run all`: chunks of rows and, after each of the producer's commits, a marker. Shared by
/// `BronzeFeed` (bronze → silver) and `SilverFeed` (silver → gold), which own the chunk being
/// filled and what a chunk and a marker hold.
///
/// - The producer names where the feed starts (`start`), queues full chunks (`push`, which
///   waits while `queuedChunksMax` are queued and hands back a recycled chunk to fill next),
///   queues a marker after each commit (`mark`), and ends with `finish`; or it gives up
///   handing over (`abandon`): what it queued before stays readable.
/// - The consumer reads items in order (`next`), gives chunks back (`recycle`), and when it
///   stops reading for any reason calls `stopConsuming`: the producer's later chunks and
///   markers are dropped and it never blocks again (it never waits for a reader that is gone).
/// - The consumer never waits for the producer's commits, only for items, so the two cannot
///   deadlock; `next` throws when the producer failed, since the rows after its last marker
///   will never be committed.
final class HandOff<Chunk: AnyObject, Marker>: @unchecked Sendable {
    enum Item {
        case rows(Chunk)
        case marker(Marker)
    }

    let queuedChunksMax: Int
    /// Who hands over what to whom, for the error when the producer fails ("bronze", "lines",
    /// "silver").
    private let names: (producer: String, rows: String, consumer: String)

    private let condition = NSCondition()
    private var items: [Item] = []
    private var head = 0
    private var queuedChunks = 0
    private var spare: [Chunk] = []
    private var startValue: Int64?
    private var started = false
    private var finished = false
    private var failed = false
    private var abandoned = false
    private var consuming = true

    init(queuedChunksMax: Int, producer: String, rows: String, consumer: String) {
        self.queuedChunksMax = queuedChunksMax
        names = (producer, rows, consumer)
    }

    // MARK: the producer's side

    /// The producer is about to hand over rows; `value` says where they start.
    func start(_ value: Int64) {
        condition.withLock {
            startValue = value
            started = true
            condition.broadcast()
        }
    }

    /// What `push` did with a chunk.
    enum Pushed {
        /// Queued; fill `next` (a recycled chunk) or, when nil, a new one.
        case queued(next: Chunk?)
        /// Nobody reads (or the producer abandoned the feed): the chunk can be refilled.
        case dropped
    }

    /// Queues a full chunk, waiting while the queue is full and someone reads.
    func push(_ chunk: Chunk) -> Pushed {
        condition.withLock {
            while consuming && !abandoned && queuedChunks >= queuedChunksMax { condition.wait() }
            guard consuming && !abandoned else { return .dropped }
            items.append(.rows(chunk))
            queuedChunks += 1
            condition.broadcast()
            return .queued(next: spare.popLast())
        }
    }

    /// Queues a marker after the chunks pushed so far (dropped when nobody reads).
    func mark(_ marker: Marker) {
        condition.withLock {
            guard consuming && !abandoned else { return }
            items.append(.marker(marker))
            condition.broadcast()
        }
    }

    /// The producer hands over nothing more: `next` returns what was queued, then nil.
    func abandon() {
        condition.withLock {
            abandoned = true
            condition.broadcast()
        }
    }

    /// The producer ended: `succeeded` false means what it queued after its last marker will
    /// never be committed.
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

    // MARK: the consumer's side

    /// Waits until the producer has started (where its rows start), or abandoned the feed or
    /// ended without starting it (nil).
    func waitForStart() -> Int64? {
        condition.withLock {
            while !started && !abandoned { condition.wait() }
            return abandoned ? nil : startValue
        }
    }

    /// The next item, waiting for the producer; nil once it has ended (or abandoned the feed)
    /// and every item before was read. Throws when it failed after handing out rows.
    func next() throws -> Item? {
        try condition.withLock {
            while head == items.count && !finished && !abandoned { condition.wait() }
            if head == items.count {
                if failed && !abandoned {
                    throw LakeError("run all",
                        "\(names.producer) stopped before committing the \(names.rows) \(names.consumer) was reading",
                        hint: "see \(names.producer)'s error; run `lake run all` again")
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

    /// Gives a chunk back for the producer to fill again (at most `queuedChunksMax` are kept).
    func recycle(_ chunk: Chunk) {
        condition.withLock { if spare.count < queuedChunksMax { spare.append(chunk) } }
    }

    /// The consumer will read no more: the producer stops queuing (and never blocks).
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
