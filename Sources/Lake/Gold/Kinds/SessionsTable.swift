/// `kind = "sessions"`: per key, rows whose times are separated by gaps of at most `gap`
/// (Spark's session_window: an event exactly one gap after the previous one continues the
/// session). An event can extend a session or bridge two, which then merge. A session is
/// final once the watermark reaches its `window_end` (= end + gap): no later accepted event
/// can reach it.
///
/// A batch's rows are placed first, in batch order (sessions made, extended and merged; each
/// row notes the state block of the session it joined), then each aggregate runs over all the
/// rows into their sessions' blocks, column at a time (`TableGroups`). Adding a row after a
/// merge gives the state adding it before would (every aggregate's merge is commutative and
/// associative: sums are exact integers, first/last are ordered by event time and ingest id).
final class SessionsTable: GoldTableState {
    struct Span {
        var start: Int64
        var end: Int64
        /// The session's aggregate states in `arena`.
        var block: Int32
    }

    let plan: GoldTablePlan
    private let groups: TableGroups
    /// Per group id: its open sessions, sorted by start and pairwise more than a gap apart (so
    /// their ends are sorted too); empty for an id not in use.
    private var spans: [[Span]] = []
    private var arena: StateArena
    /// Blocks of sessions merged into another during the batch → the block they merged into
    /// (rows placed before the merge are redirected; the blocks are freed after the batch).
    private var mergedInto: [Int32: Int32] = [:]

    init(plan: GoldTablePlan) {
        self.plan = plan
        groups = TableGroups(plan: plan)
        arena = StateArena(width: plan.aggregates.count)
    }

    var openCount: Int { spans.reduce(0) { $0 + $1.count } }

    func add(_ batch: RowBatch) {
        guard groups.start(batch) else { return }
        if spans.count < groups.idLimit {
            spans.append(contentsOf: repeatElement([], count: groups.idLimit - spans.count))
        }
        let time = batch.views[plan.timeColumn]
        let gap = plan.gapMicros
        mergedInto.removeAll(keepingCapacity: true)
        groups.slots.reserveCapacity(groups.rows.count)
        for (row, id32) in zip(groups.rows, groups.ids) {
            let id = Int(id32)
            if groups.firstTouch(id) {
                groups.markChanged(id)
                groups.markUnsaved(id)
            }
            groups.slots.append(place(time.int(Int(row)), in: id, gap: gap))
        }
        if !mergedInto.isEmpty {
            for j in groups.slots.indices {
                var b = groups.slots[j]
                while let into = mergedInto[b] { b = into }
                groups.slots[j] = b
            }
        }
        groups.aggregate(batch, into: &arena)
        for b in mergedInto.keys { arena.release(b) }
    }

    /// Puts an event at time `t` into group `id`'s sessions: it extends the session it
    /// reaches (most rows: the latest one), bridges and merges the ones it reaches, or starts
    /// one. Returns the block of the session it is in.
    @inline(__always)
    private func place(_ t: Int64, in id: Int, gap: Int64) -> Int32 {
        let count = spans[id].count
        if count > 0 {
            let last = spans[id][count - 1]
            if t >= last.start - gap && t <= last.end + gap && (count == 1 || spans[id][count - 2].end + gap < t) {
                if t > last.end { spans[id][count - 1].end = t }
                if t < last.start { spans[id][count - 1].start = t }
                return last.block
            }
        }
        // The first session that can reach t (ends are sorted), then every one it reaches.
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[id][mid].end + gap < t { lo = mid + 1 } else { hi = mid }
        }
        var end = lo
        while end < count && spans[id][end].start - gap <= t { end += 1 }
        if end == lo {
            let block = arena.allocate()
            spans[id].insert(Span(start: t, end: t, block: block), at: lo)
            return block
        }
        if end > lo + 1 {
            let into = spans[id][lo].block
            for k in (lo + 1)..<end {
                let other = spans[id][k]
                spans[id][lo].start = min(spans[id][lo].start, other.start)
                spans[id][lo].end = max(spans[id][lo].end, other.end)
                arena.merge(other.block, into: into, plan.aggregates)
                mergedInto[other.block] = into
            }
            spans[id].removeSubrange((lo + 1)..<end)
        }
        spans[id][lo].start = min(spans[id][lo].start, t)
        spans[id][lo].end = max(spans[id][lo].end, t)
        return spans[id][lo].block
    }

    func commit(watermark: Int64, everything: Bool) -> GoldRows {
        let gap = plan.gapMicros
        var rows = GoldRows(width: plan.columns.count)
        var lead: [GoldValue] = []
        for id in spans.indices where !spans[id].isEmpty && spans[id][0].end + gap <= watermark {
            leading(id, into: &lead)
            var c = 0
            while c < spans[id].count && spans[id][c].end + gap <= watermark {
                output(&lead, spans[id][c], closed: true, into: &rows.closed)
                arena.release(spans[id][c].block)
                c += 1
            }
            spans[id].removeFirst(c)
            groups.markChanged(id)
            groups.markUnsaved(id)
        }
        let keyCount = plan.keyColumns.count
        sortRows(&rows.closed, by: [keyCount] + Array(0..<keyCount))
        let ids = everything ? groups.liveIDs : groups.takeChanged()
        if everything { _ = groups.takeChanged() }
        var open = GoldRowList(width: plan.columns.count)
        var keys: [[GoldValue]] = []
        for id32 in ids {
            let id = Int(id32)
            leading(id, into: &lead)
            keys.append(Array(lead[0..<keyCount]))
            for s in spans[id] { output(&lead, s, closed: false, into: &open) }
            if spans[id].isEmpty {
                spans[id] = []
                groups.remove(id)
            }
        }
        sortRows(&open, by: [keyCount] + Array(0..<keyCount))
        rows.open = everything ? .replaceAll(open) : .replaceKeys(keys: keys, rows: open)
        return rows
    }

    /// A row's leading values: group `id`'s key, then the session's bounds (set by `output`).
    private func leading(_ id: Int, into lead: inout [GoldValue]) {
        lead.removeAll(keepingCapacity: true)
        lead.append(contentsOf: groups.values(id))
        lead.append(contentsOf: [.timestamp(0), .timestamp(0), .timestamp(0)])
    }

    private func output(_ lead: inout [GoldValue], _ s: Span, closed: Bool, into rows: inout GoldRowList) {
        let k = lead.count - 3
        lead[k] = .timestamp(s.start)
        lead[k + 1] = .timestamp(s.end)
        lead[k + 2] = .timestamp(s.end + plan.gapMicros)
        _ = plan.outputRow(leading: lead, aggregates: arena.block(s.block), closed: closed, into: &rows)
    }

    func takeUnsaved() -> Set<GroupKey> { groups.takeUnsaved() }

    var stateKeys: [GroupKey] { groups.liveKeys }

    func encode(group key: GroupKey, into w: inout StateWriter) -> Bool {
        guard let id = groups.index.find(key).map(Int.init), !spans[id].isEmpty else { return false }
        w.int(spans[id].count)
        for s in spans[id] {
            w.int(s.start)
            w.int(s.end)
            for a in arena.block(s.block) { w.aggState(a) }
        }
        return true
    }

    func decode(group key: GroupKey, from r: inout StateReader) throws {
        var decoded: [Span] = []
        for _ in 0..<(try r.count()) {
            let start = try r.int(), end = try r.int()
            let block = arena.allocate()
            arena.set(block, try r.aggStates(arena.width))
            decoded.append(Span(start: start, end: end, block: block))
        }
        guard !decoded.isEmpty else { throw StateReader.damaged() }
        let id = groups.restore(key)
        if spans.count < groups.idLimit {
            spans.append(contentsOf: repeatElement([], count: groups.idLimit - spans.count))
        }
        spans[id] = decoded
    }
}
