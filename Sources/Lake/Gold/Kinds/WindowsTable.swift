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
        /// Starts of the non-empty panes, ascending (running totals: one, start 0).
        var starts: [Int64] = []
        /// The panes' aggregate states, `aggregates.count` per pane, in the order of `starts`
        /// (one array, so a new pane is not an array of its own).
        var states: [AggState] = []
        /// The start of the earliest window not emitted as closed yet (windows before it
        /// were, and the panes only they hold are gone).
        var nextStart = Int64.min
    }

    let plan: GoldTablePlan
    private let length: Int64?
    private let slide: Int64
    private let pane: Int64
    private var groups: [GroupKey: Group] = [:]
    /// Groups whose windows changed since the last commit: only their open rows are rewritten.
    private var changed: Set<GroupKey> = []
    private var unsaved: Set<GroupKey> = []
    private let grouper = BatchGroups()
    /// Every row added from now on is above this (`advance`): a group's windows that end at
    /// or before it are closed when the group is next touched, and their rows that pass
    /// `having` wait in `closedEarly` for the commit, instead of every window of a commit
    /// being held until then.
    private var early = Int64.min
    private var closedEarly: [[GoldValue]] = []
    /// A hopping window's merged aggregates.
    private var merged: [AggState]
    private let fresh: [AggState]
    private let width: Int
    /// Per row of the group being added: its pane's start, then its pane's index.
    private var rowStarts: [Int64] = []
    private var slots: [Int32] = []

    init(plan: GoldTablePlan) {
        self.plan = plan
        length = plan.windowMicros
        slide = plan.slideMicros ?? 1
        pane = slide
        merged = plan.freshStates()
        fresh = plan.freshStates()
        width = plan.aggregates.count
    }

    var openCount: Int { groups.values.reduce(0) { $0 + $1.starts.count } }

    // MARK: adding rows

    func add(_ batch: RowBatch) {
        let views = UnsafePointer(batch.views)
        grouper.build(batch, for: plan)
        for g in 0..<grouper.groupCount {
            let key = grouper.key(g)
            if length != nil { changed.insert(key) }
            unsaved.insert(key)
            add(group: g, key, views, to: &groups[key, default: Group()])
        }
    }

    private func add(group g: Int, _ key: GroupKey, _ views: UnsafePointer<ColumnView>, to group: inout Group) {
        if let length, hasClosed(group, length, watermark: early) {
            close(key, &group, watermark: early, into: &closedEarly)
        }
        let time = views[plan.timeColumn]
        let pane = self.pane
        let windowed = length != nil
        grouper.withRows(of: g) { rows in
            // Each row's pane, made when new; then its index (panes made for later rows may
            // sit before an earlier row's); then each aggregate over the rows.
            rowStarts.removeAll(keepingCapacity: true)
            var last = Int64.min
            for row in rows {
                let start = windowed ? Timestamps.floorDivide(time.int(Int(row)), pane).0 * pane : 0
                rowStarts.append(start)
                if start != last {
                    makePane(start, in: &group)
                    last = start
                }
            }
            slots.removeAll(keepingCapacity: true)
            last = Int64.min
            var index = 0
            for start in rowStarts {
                if start != last {
                    index = paneIndex(start, in: group)
                    last = start
                }
                slots.append(Int32(index))
            }
            let width = self.width
            group.states.withUnsafeMutableBufferPointer { states in
                slots.withUnsafeBufferPointer { slots in
                    for k in 0..<width {
                        plan.aggregates[k].add(views, rows: rows, slots: slots, time: plan.timeColumn,
                                               ingest: plan.ingestColumn, states: states.baseAddress! + k, stride: width)
                    }
                }
            }
        }
    }

    /// Inserts an empty pane at `start` unless there is one; rows mostly land in the latest
    /// pane, so the search starts from the end.
    private func makePane(_ start: Int64, in group: inout Group) {
        var i = group.starts.count
        while i > 0 && group.starts[i - 1] > start { i -= 1 }
        if i > 0 && group.starts[i - 1] == start { return }
        group.starts.insert(start, at: i)
        group.states.insert(contentsOf: fresh, at: i * width)
    }

    private func paneIndex(_ start: Int64, in group: Group) -> Int {
        var i = group.starts.count - 1
        while group.starts[i] != start { i -= 1 }
        return i
    }

    /// Pane i's aggregate states.
    private func states(_ group: Group, _ i: Int) -> ArraySlice<AggState> {
        group.states[(i * width)..<((i + 1) * width)]
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
                body(start, states(group, i))
            } else {
                for k in merged.indices { merged[k] = AggState() }
                for p in i..<j { plan.merge(states(group, p), into: &merged) }
                body(start, merged[...])
            }
            previous = i..<j
            start += slide
        }
        return start
    }

    /// Appends to `rows` the rows of the group's windows from `from` that end by `limit` (nil:
    /// every one); returns the start after the last one.
    private func emit(_ key: GroupKey, _ group: Group, from: Int64, endingBy limit: Int64?, closed: Bool,
                      into rows: inout [[GoldValue]]) -> Int64 {
        guard let length else { return from }
        var lead = leading(key)
        var last: [GoldValue]?
        return forEachWindow(group, from: from, endingBy: limit) { start, states in
            if let states {
                last = output(&lead, start, length, states, closed: closed)
            } else {
                last?[0] = .timestamp(start)
                last?[1] = .timestamp(start + length)
            }
            if let last { rows.append(last) }
        }
    }

    /// Emits the group's windows that end at or before `watermark` as closed rows and drops
    /// the panes no later window holds.
    private func close(_ key: GroupKey, _ group: inout Group, watermark: Int64, into rows: inout [[GoldValue]]) {
        let next = emit(key, group, from: group.nextStart, endingBy: watermark, closed: true, into: &rows)
        group.nextStart = next
        let gone = group.starts.prefix { $0 < next }.count
        group.starts.removeFirst(gone)
        group.states.removeFirst(gone * width)
    }

    // MARK: committing

    func commit(watermark: Int64, everything: Bool) -> GoldRows {
        var rows = GoldRows()
        let keyCount = plan.keyColumns.count
        guard let length else {
            var all: [[GoldValue]] = []
            for (key, group) in groups {
                if let row = plan.outputRow(leading: key.values(plan.keyTypes), aggregates: states(group, 0),
                                            closed: nil) {
                    all.append(row)
                }
            }
            sortRows(&all, by: Array(0..<keyCount))
            rows.open = .replaceAll(all)
            return rows
        }
        for (key, group) in groups where hasClosed(group, length, watermark: watermark) {
            changed.insert(key)
        }
        let keys = everything ? Array(groups.keys) : Array(changed)
        var open: [[GoldValue]] = []
        swap(&rows.closed, &closedEarly)
        for key in keys {
            unsaved.insert(key)
            guard var group = groups.removeValue(forKey: key) else { continue }
            close(key, &group, watermark: watermark, into: &rows.closed)
            _ = emit(key, group, from: group.nextStart, endingBy: nil, closed: false, into: &open)
            if !group.starts.isEmpty { groups[key] = group }
        }
        let order = [0] + Array(2..<(2 + keyCount))
        sortRows(&rows.closed, by: order)
        sortRows(&open, by: order)
        rows.open = everything ? .replaceAll(open) : .replaceKeys(keys: keys.map { $0.values(plan.keyTypes) }, rows: open)
        changed.removeAll()
        return rows
    }

    /// A window row's leading values (start, end, then the key's), set per window by `output`.
    private func leading(_ key: GroupKey) -> [GoldValue] {
        [.timestamp(0), .timestamp(0)] + key.values(plan.keyTypes)
    }

    private func output(_ lead: inout [GoldValue], _ start: Int64, _ length: Int64, _ states: ArraySlice<AggState>,
                        closed: Bool) -> [GoldValue]? {
        lead[0] = .timestamp(start)
        lead[1] = .timestamp(start + length)
        return plan.outputRow(leading: lead, aggregates: states, closed: closed)
    }

    // MARK: state

    func takeUnsaved() -> Set<GroupKey> {
        defer { unsaved.removeAll() }
        return unsaved
    }

    var stateKeys: [GroupKey] { Array(groups.keys) }

    func encode(group key: GroupKey, into w: inout StateWriter) -> Bool {
        guard let group = groups[key] else { return false }
        w.int(group.nextStart)
        w.int(group.starts.count)
        for (i, start) in group.starts.enumerated() {
            w.int(start)
            for a in states(group, i) { w.aggState(a) }
        }
        return true
    }

    func decode(group key: GroupKey, from r: inout StateReader) throws {
        let count = plan.aggregates.count
        var group = Group()
        group.nextStart = try r.int()
        for _ in 0..<(try r.count()) {
            group.starts.append(try r.int())
            group.states += try r.aggStates(count)
        }
        guard !group.starts.isEmpty else { throw StateReader.damaged() }
        groups[key] = group
    }
}
