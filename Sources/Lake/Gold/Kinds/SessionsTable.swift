/// `kind = "sessions"`: per key, rows whose times are separated by gaps of at most `gap`
/// (Spark's session_window: an event exactly one gap after the previous one continues the
/// session). An event can extend a session or bridge two, which then merge. A session is
/// final once the watermark reaches its `window_end` (= end + gap): no later accepted event
/// can reach it.
final class SessionsTable: GoldTableState {
    struct Open {
        var start: Int64
        var end: Int64
        var states: [AggState]
    }

    let plan: GoldTablePlan
    /// Each key's open sessions, sorted by start and pairwise more than a gap apart (so their
    /// ends are sorted too).
    private var groups: [GroupKey: [Open]] = [:]
    /// Keys whose open sessions differ from what the last commit wrote to SQLite.
    private var changed: Set<GroupKey> = []
    private var unsaved: Set<GroupKey> = []
    private let grouper = BatchGroups()

    init(plan: GoldTablePlan) { self.plan = plan }

    var openCount: Int { groups.values.reduce(0) { $0 + $1.count } }

    func add(_ batch: RowBatch) {
        let views = UnsafePointer(batch.views)
        grouper.build(batch, for: plan)
        for g in 0..<grouper.groupCount {
            let key = grouper.key(g)
            changed.insert(key)
            unsaved.insert(key)
            add(group: g, views, to: &groups[key, default: []])
        }
    }

    private func add(group g: Int, _ views: UnsafePointer<ColumnView>, to sessions: inout [Open]) {
        let gap = plan.gapMicros
        let time = views[plan.timeColumn]
        grouper.forEachRow(of: g) { row in
            let t = time.int(row)
            // The first session that can reach t (ends are sorted), then every one it reaches.
            var lo = 0
            var hi = sessions.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if sessions[mid].end + gap < t { lo = mid + 1 } else { hi = mid }
            }
            var end = lo
            while end < sessions.count && sessions[end].start - gap <= t { end += 1 }
            if end == lo {
                var s = Open(start: t, end: t, states: plan.freshStates())
                plan.add(views, row, time: t, to: &s.states)
                sessions.insert(s, at: lo)
                return
            }
            if end > lo + 1 {
                for k in (lo + 1)..<end {
                    sessions[lo].start = min(sessions[lo].start, sessions[k].start)
                    sessions[lo].end = max(sessions[lo].end, sessions[k].end)
                    plan.merge(sessions[k].states, into: &sessions[lo].states)
                }
                sessions.removeSubrange((lo + 1)..<end)
            }
            sessions[lo].start = min(sessions[lo].start, t)
            sessions[lo].end = max(sessions[lo].end, t)
            plan.add(views, row, time: t, to: &sessions[lo].states)
        }
    }

    func commit(watermark: Int64, everything: Bool) -> GoldRows {
        let gap = plan.gapMicros
        var closing: [(GroupKey, Int)] = []
        for (key, sessions) in groups {
            var c = 0
            while c < sessions.count && sessions[c].end + gap <= watermark { c += 1 }
            if c > 0 { closing.append((key, c)) }
        }
        var rows = GoldRows()
        for (key, c) in closing {
            let values = key.values(plan.keyTypes)
            for s in groups[key, default: []][0..<c] {
                if let row = output(values, s, closed: true) { rows.closed.append(row) }
            }
            groups[key]?.removeFirst(c)
            if groups[key]?.isEmpty == true { groups[key] = nil }
            changed.insert(key)
            unsaved.insert(key)
        }
        let keyCount = plan.keyColumns.count
        sortRows(&rows.closed, by: [keyCount] + Array(0..<keyCount))
        let keys = everything ? Array(groups.keys) : Array(changed)
        var open: [[GoldValue]] = []
        for key in keys {
            let values = key.values(plan.keyTypes)
            for s in groups[key] ?? [] {
                if let row = output(values, s, closed: false) { open.append(row) }
            }
        }
        sortRows(&open, by: [keyCount] + Array(0..<keyCount))
        rows.open = everything ? .replaceAll(open) : .replaceKeys(keys: keys.map { $0.values(plan.keyTypes) }, rows: open)
        changed.removeAll()
        return rows
    }

    private func output(_ key: [GoldValue], _ s: Open, closed: Bool) -> [GoldValue]? {
        plan.outputRow(leading: key + [.timestamp(s.start), .timestamp(s.end), .timestamp(s.end + plan.gapMicros)],
                       aggregates: s.states, closed: closed)
    }

    func takeUnsaved() -> Set<GroupKey> {
        defer { unsaved.removeAll() }
        return unsaved
    }

    var stateKeys: [GroupKey] { Array(groups.keys) }

    func encode(group key: GroupKey, into w: inout StateWriter) -> Bool {
        guard let sessions = groups[key] else { return false }
        w.int(sessions.count)
        for s in sessions {
            w.int(s.start)
            w.int(s.end)
            for a in s.states { w.aggState(a) }
        }
        return true
    }

    func decode(group key: GroupKey, from r: inout StateReader) throws {
        let count = plan.aggregates.count
        var sessions: [Open] = []
        for _ in 0..<(try r.count()) {
            let start = try r.int(), end = try r.int()
            sessions.append(Open(start: start, end: end, states: try r.aggStates(count)))
        }
        guard !sessions.isEmpty else { throw StateReader.damaged() }
        groups[key] = sessions
    }
}
