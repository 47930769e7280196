/// `kind = "windows"`: per group, tumbling windows (`window`), hopping windows (`window` and
/// a shorter `slide`: a row counts in every window that holds it), or running totals over all
/// time (no `window`). Windows are aligned on the epoch and hold [start, start + window); one is
/// final once the watermark reaches its end. Running totals never close: their rows are
/// replaced at every commit.
///
/// Rows are aggregated into panes of one slide (the job loader checks that a window is a whole
/// number of slides): a tumbling window is one pane, a hopping window the merge of the panes
/// it spans. A row so costs one pane, not one window per
/// window holding it (5 at 5m sliding by 1m), and a window is merged only when its row is
/// emitted; a window holding a single non-empty pane is that pane's aggregates as they are.
final class WindowsTable: GoldTableState {
    struct Group {
        /// Starts of the non-empty panes, ascending (running totals: one, start 0), and each
        /// pane's block of aggregate states in `arena`.
        var starts: [Int64] = []
        var blocks: [Int32] = []
        /// The start of the earliest window not emitted as closed yet (windows before it
        /// were, and the panes only they hold are gone).
        var nextStart = Int64.min
    }

    let plan: GoldTablePlan
    private let length: Int64?
    private let slide: Int64
    private let pane: Int64
    private let groups: TableGroups
    /// Per group id (empty for an id not in use).
    private var windows: [Group] = []
    private var arena: StateArena
    /// Every row added from now on is above this (`advance`): a group's windows that end at
    /// or before it are closed when the group is next touched, and their rows that pass
    /// `having` wait in `closedEarly` for the commit, instead of every window of a commit
    /// being held until then.
    private var early = Int64.min
    private var closedEarly: GoldRowList
    /// A hopping window's merged aggregates.
    private var merged: [AggState]

    init(plan: GoldTablePlan) {
        self.plan = plan
        length = plan.windowMicros
        slide = plan.slideMicros ?? 1
        pane = slide
        merged = plan.freshStates()
        groups = TableGroups(plan: plan)
        arena = StateArena(width: plan.aggregates.count)
        closedEarly = GoldRowList(width: plan.columns.count)
    }

    var openCount: Int { windows.reduce(0) { $0 + $1.starts.count } }

    // MARK: adding rows

    func add(_ batch: RowBatch) {
        guard groups.start(batch) else { return }
        if windows.count < groups.idLimit {
            windows.append(contentsOf: repeatElement(Group(), count: groups.idLimit - windows.count))
        }
        let time = batch.views[plan.timeColumn]
        let pane = self.pane
        groups.slots.reserveCapacity(groups.rows.count)
        for (row, id32) in zip(groups.rows, groups.ids) {
            let id = Int(id32)
            if groups.firstTouch(id) {
                if let length {
                    groups.markChanged(id)
                    if hasClosed(windows[id], length, watermark: early) {
                        close(id, watermark: early, into: &closedEarly)
                    }
                }
                groups.markUnsaved(id)
            }
            let start = length != nil ? Timestamps.floorDivide(time.int(Int(row)), pane).0 * pane : 0
            groups.slots.append(paneBlock(start, in: id))
        }
        groups.aggregate(batch, into: &arena)
    }

    /// The block of group `id`'s pane at `start`, made when new; rows mostly land in the
    /// latest pane, so the search starts from the end.
    @inline(__always)
    private func paneBlock(_ start: Int64, in id: Int) -> Int32 {
        var i = windows[id].starts.count
        if i > 0 && windows[id].starts[i - 1] == start { return windows[id].blocks[i - 1] }
        while i > 0 && windows[id].starts[i - 1] > start { i -= 1 }
        if i > 0 && windows[id].starts[i - 1] == start { return windows[id].blocks[i - 1] }
        let block = arena.allocate()
        windows[id].starts.insert(start, at: i)
        windows[id].blocks.insert(block, at: i)
        return block
    }

    func advance(watermark: Int64) { early = max(early, watermark) }

    // MARK: windows

    /// The start of the group's first window that holds a row and is not emitted yet.
    private func firstStart(_ group: Group, from start: Int64, pane index: Int) -> Int64 {
        guard let length, index < group.starts.count else { return start }
        // The earliest window holding the pane: the first multiple of the slide after pane − window.
        let earliest = (Timestamps.floorDivide(group.starts[index] - length, slide).0 + 1) * slide
        return max(start, earliest)
    }

    private func hasClosed(_ group: Group, _ length: Int64, watermark: Int64) -> Bool {
        !group.starts.isEmpty && firstStart(group, from: group.nextStart, pane: 0) + length <= watermark
    }

    /// Calls `body` with the start and aggregates of each window of `group` that holds a row,
    /// starting at or after `from` and ending at or before `limit` (nil: every one), in order;
    /// returns the start after the last one. The aggregates are nil when the window holds the
    /// same panes as the one before and the output does not read the window's bounds: its row
    /// is the one before's with other bounds (a row alone in its panes is in 5 such windows at
    /// 5m sliding by 1m).
    private func forEachWindow(
        _ group: Group, from: Int64, endingBy limit: Int64?, _ body: (Int64, ArraySlice<AggState>?) -> Void
    ) -> Int64 {
        guard let length else { return from }
        var start = from
        var i = 0
        var previous = -1..<(-1)
        let starts = group.starts
        while true {
            while i < starts.count && starts[i] < start { i += 1 }
            guard i < starts.count else { break }
            start = firstStart(group, from: start, pane: i)
            if let limit, start + length > limit { break }
            var j = i + 1
            while j < starts.count && starts[j] < start + length { j += 1 }
            if i..<j == previous && !plan.readsWindowBounds {
                body(start, nil)
            } else if j == i + 1 {
                body(start, arena.block(group.blocks[i]))
            } else {
                for k in merged.indices { merged[k] = AggState() }
                for p in i..<j { plan.merge(arena.block(group.blocks[p]), into: &merged) }
                body(start, merged[...])
            }
            previous = i..<j
            start += slide
        }
        return start
    }

    /// Appends to `rows` the rows of group `id`'s windows from `from` that end by `limit` (nil:
    /// every one); returns the start after the last one.
    private func emit(_ id: Int, from: Int64, endingBy limit: Int64?, closed: Bool,
                      into rows: inout GoldRowList) -> Int64 {
        guard let length else { return from }
        var lead = [.timestamp(0), .timestamp(0)] + groups.values(id)
        // The row of the last window that had states: a window without (`states` nil) repeats
        // it with its own bounds, or is rejected as it was.
        var last: Int?
        return forEachWindow(windows[id], from: from, endingBy: limit) { start, states in
            if let states {
                lead[0] = .timestamp(start)
                lead[1] = .timestamp(start + length)
                last = plan.outputRow(leading: lead, aggregates: states, closed: closed, into: &rows)
                    ? rows.count - 1 : nil
            } else if let row = last {
                rows.appendCopy(ofRow: row)
                last = rows.count - 1
                rows[rows.count - 1, 0] = .timestamp(start)
                rows[rows.count - 1, 1] = .timestamp(start + length)
            }
        }
    }

    /// Emits group `id`'s windows that end at or before `watermark` as closed rows and frees
    /// the panes no later window holds.
    private func close(_ id: Int, watermark: Int64, into rows: inout GoldRowList) {
        guard let length else { return }
        let from = windows[id].nextStart
        let emitted = emit(id, from: from, endingBy: watermark, closed: true, into: &rows)
        // `emitted` is the first window holding a row that is still open; an earlier window
        // that is still open but holds no row yet can get one (any row above the watermark),
        // so the group goes on from the first window the watermark has not closed.
        let firstOpen = watermark <= Int64.min + length
            ? Int64.min : (Timestamps.floorDivide(watermark - length, slide).0 + 1) * slide
        let next = max(from, min(emitted, firstOpen))
        windows[id].nextStart = next
        let gone = windows[id].starts.prefix { $0 < next }.count
        for b in windows[id].blocks.prefix(gone) { arena.release(b) }
        windows[id].starts.removeFirst(gone)
        windows[id].blocks.removeFirst(gone)
    }

    // MARK: committing

    func commit(watermark: Int64, everything: Bool) -> GoldRows {
        var rows = GoldRows(width: plan.columns.count)
        let keyCount = plan.keyColumns.count
        guard let length else {
            var all = GoldRowList(width: plan.columns.count)
            for id in groups.liveIDs.map(Int.init) {
                _ = plan.outputRow(leading: groups.values(id), aggregates: arena.block(windows[id].blocks[0]),
                                   closed: nil, into: &all)
            }
            sortRows(&all, by: Array(0..<keyCount))
            rows.open = .replaceAll(all)
            return rows
        }
        for id in windows.indices where hasClosed(windows[id], length, watermark: watermark) {
            groups.markChanged(id)
        }
        let ids = everything ? groups.liveIDs : groups.takeChanged()
        if everything { _ = groups.takeChanged() }
        var open = GoldRowList(width: plan.columns.count)
        var keys: [[GoldValue]] = []
        swap(&rows.closed, &closedEarly)
        for id32 in ids {
            let id = Int(id32)
            groups.markUnsaved(id)
            keys.append(groups.values(id))
            close(id, watermark: watermark, into: &rows.closed)
            _ = emit(id, from: windows[id].nextStart, endingBy: nil, closed: false, into: &open)
            if windows[id].starts.isEmpty {
                windows[id] = Group()
                groups.remove(id)
            }
        }
        let order = [0] + Array(2..<(2 + keyCount))
        sortRows(&rows.closed, by: order)
        sortRows(&open, by: order)
        rows.open = everything ? .replaceAll(open) : .replaceKeys(keys: keys, rows: open)
        return rows
    }

    // MARK: state

    func takeUnsaved() -> Set<GroupKey> { groups.takeUnsaved() }

    var stateKeys: [GroupKey] { groups.liveKeys }

    func encode(group key: GroupKey, into w: inout StateWriter) -> Bool {
        guard let id = groups.index.find(key).map(Int.init), !windows[id].starts.isEmpty else { return false }
        let group = windows[id]
        w.int(group.nextStart)
        w.int(group.starts.count)
        for (start, block) in zip(group.starts, group.blocks) {
            w.int(start)
            for a in arena.block(block) { w.aggState(a) }
        }
        return true
    }

    func decode(group key: GroupKey, from r: inout StateReader) throws {
        var group = Group()
        group.nextStart = try r.int()
        for _ in 0..<(try r.count()) {
            group.starts.append(try r.int())
            let block = arena.allocate()
            arena.set(block, try r.aggStates(arena.width))
            group.blocks.append(block)
        }
        guard !group.starts.isEmpty else { throw StateReader.damaged() }
        let id = groups.restore(key)
        if windows.count < groups.idLimit {
            windows.append(contentsOf: repeatElement(Group(), count: groups.idLimit - windows.count))
        }
        windows[id] = group
    }
}
