/// `kind = "sessions"`: per key, rows whose times are separated by gaps of at most `gap`
/// (Spark's session_window: an event exactly one gap after the previous one continues the
/// session). An event can extend a session or bridge two, which then merge. A session is
/// final once the watermark reaches its `window_end` (= end + gap): no later accepted event
/// can reach it.
///
/// A batch's rows of one key are placed first (sessions made, extended and merged; each row
/// notes the session it joined), then each aggregate runs over the rows into their sessions'
/// states, column at a time as `WindowsTable` does. Adding a row after a merge gives the state
/// adding it before would (every aggregate's merge is commutative and associative: sums are
/// exact integers, first/last are ordered by event time and ingest id).
final class SessionsTable: GoldTableState {
    struct Span {
        var start: Int64
        var end: Int64
        /// Stable while the batch is placed (indices shift as sessions are made and merged).
        var id: Int
    }

    struct Group {
        /// Open sessions, sorted by start and pairwise more than a gap apart (so their ends are
        /// sorted too).
        var spans: [Span] = []
        /// Their aggregate states, `aggregates.count` per session, in the order of `spans`.
        var states: [AggState] = []
    }

    let plan: GoldTablePlan
    private var groups: [GroupKey: Group] = [:]
    /// Keys whose open sessions differ from what the last commit wrote to SQLite.
    private var changed: Set<GroupKey> = []
    private var unsaved: Set<GroupKey> = []
    private let grouper = BatchGroups()
    private let fresh: [AggState]
    private let width: Int
    private var nextID = 0
    /// Per row of the group being placed: the id of the session it joined, then its index.
    private var rowIDs: [Int] = []
    private var slots: [Int32] = []
    /// Ids of sessions merged into another during the batch → the id they merged into.
    private var mergedInto: [Int: Int] = [:]

    init(plan: GoldTablePlan) {
        self.plan = plan
        fresh = plan.freshStates()
        width = plan.aggregates.count
    }

    var openCount: Int { groups.values.reduce(0) { $0 + $1.spans.count } }

    func add(_ batch: RowBatch) {
        let views = UnsafePointer(batch.views)
        grouper.build(batch, for: plan)
        for g in 0..<grouper.groupCount {
            let key = grouper.key(g)
            changed.insert(key)
            unsaved.insert(key)
            add(group: g, views, to: &groups[key, default: Group()])
        }
    }

    private func add(group g: Int, _ views: UnsafePointer<ColumnView>, to group: inout Group) {
        let gap = plan.gapMicros
        let time = views[plan.timeColumn]
        let width = self.width
        grouper.withRows(of: g) { rows in
            rowIDs.removeAll(keepingCapacity: true)
            mergedInto.removeAll(keepingCapacity: true)
            for row in rows {
                let t = time.int(Int(row))
                // The first session that can reach t (ends are sorted), then every one it reaches.
                var lo = 0
                var hi = group.spans.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if group.spans[mid].end + gap < t { lo = mid + 1 } else { hi = mid }
                }
                var end = lo
                while end < group.spans.count && group.spans[end].start - gap <= t { end += 1 }
                if end == lo {
                    group.spans.insert(Span(start: t, end: t, id: nextID), at: lo)
                    group.states.insert(contentsOf: fresh, at: lo * width)
                    rowIDs.append(nextID)
                    nextID += 1
                    continue
                }
                if end > lo + 1 {
                    for k in (lo + 1)..<end {
                        group.spans[lo].start = min(group.spans[lo].start, group.spans[k].start)
                        group.spans[lo].end = max(group.spans[lo].end, group.spans[k].end)
                        mergedInto[group.spans[k].id] = group.spans[lo].id
                        for j in 0..<width {
                            plan.aggregates[j].merge(group.states[k * width + j], into: &group.states[lo * width + j])
                        }
                    }
                    group.spans.removeSubrange((lo + 1)..<end)
                    group.states.removeSubrange(((lo + 1) * width)..<(end * width))
                }
                group.spans[lo].start = min(group.spans[lo].start, t)
                group.spans[lo].end = max(group.spans[lo].end, t)
                rowIDs.append(group.spans[lo].id)
            }
            // Each row's session now: follow the merges, then find it.
            // A key has a handful of open sessions and its rows mostly join the same one: a
            // scan from the last answer, not a table per batch.
            slots.removeAll(keepingCapacity: true)
            var lastID = -1
            var lastIndex = 0
            for var id in rowIDs {
                if !mergedInto.isEmpty { while let into = mergedInto[id] { id = into } }
                if id != lastID {
                    lastIndex = group.spans.firstIndex { $0.id == id }!
                    lastID = id
                }
                slots.append(Int32(lastIndex))
            }
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

    private func states(_ group: Group, _ i: Int) -> ArraySlice<AggState> {
        group.states[(i * width)..<((i + 1) * width)]
    }

    func commit(watermark: Int64, everything: Bool) -> GoldRows {
        let gap = plan.gapMicros
        var closing: [(GroupKey, Int)] = []
        for (key, group) in groups {
            var c = 0
            while c < group.spans.count && group.spans[c].end + gap <= watermark { c += 1 }
            if c > 0 { closing.append((key, c)) }
        }
        var rows = GoldRows()
        for (key, c) in closing {
            guard var group = groups.removeValue(forKey: key) else { continue }
            let values = key.values(plan.keyTypes)
            for i in 0..<c {
                if let row = output(values, group.spans[i], states(group, i), closed: true) { rows.closed.append(row) }
            }
            group.spans.removeFirst(c)
            group.states.removeFirst(c * width)
            if !group.spans.isEmpty { groups[key] = group }
            changed.insert(key)
            unsaved.insert(key)
        }
        let keyCount = plan.keyColumns.count
        sortRows(&rows.closed, by: [keyCount] + Array(0..<keyCount))
        let keys = everything ? Array(groups.keys) : Array(changed)
        var open: [[GoldValue]] = []
        for key in keys {
            guard let group = groups[key] else { continue }
            let values = key.values(plan.keyTypes)
            for (i, s) in group.spans.enumerated() {
                if let row = output(values, s, states(group, i), closed: false) { open.append(row) }
            }
        }
        sortRows(&open, by: [keyCount] + Array(0..<keyCount))
        rows.open = everything ? .replaceAll(open) : .replaceKeys(keys: keys.map { $0.values(plan.keyTypes) }, rows: open)
        changed.removeAll()
        return rows
    }

    private func output(_ key: [GoldValue], _ s: Span, _ states: ArraySlice<AggState>, closed: Bool) -> [GoldValue]? {
        plan.outputRow(leading: key + [.timestamp(s.start), .timestamp(s.end), .timestamp(s.end + plan.gapMicros)],
                       aggregates: states, closed: closed)
    }

    func takeUnsaved() -> Set<GroupKey> {
        defer { unsaved.removeAll() }
        return unsaved
    }

    var stateKeys: [GroupKey] { Array(groups.keys) }

    func encode(group key: GroupKey, into w: inout StateWriter) -> Bool {
        guard let group = groups[key] else { return false }
        w.int(group.spans.count)
        for (i, s) in group.spans.enumerated() {
            w.int(s.start)
            w.int(s.end)
            for a in states(group, i) { w.aggState(a) }
        }
        return true
    }

    func decode(group key: GroupKey, from r: inout StateReader) throws {
        let count = plan.aggregates.count
        var group = Group()
        for _ in 0..<(try r.count()) {
            let start = try r.int(), end = try r.int()
            group.spans.append(Span(start: start, end: end, id: nextID))
            nextID += 1
            group.states += try r.aggStates(count)
        }
        guard !group.spans.isEmpty else { throw StateReader.damaged() }
        groups[key] = group
    }
}
