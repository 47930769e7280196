/// `kind = "windows"`: per group, tumbling windows (`window`), hopping windows (`window` and
/// a shorter `slide`: a row counts in every window that holds it), or running totals over all
/// time (no `window`). Windows are aligned on the epoch and hold [start, start + window); one is
/// final once the watermark reaches its end. Running totals never close: their rows are
/// replaced at every commit.
final class WindowsTable: GoldTableState {
    struct Window: StartedEntry {
        var start: Int64
        var states: [AggState]
    }

    let plan: GoldTablePlan
    /// Each group's open windows, sorted by start (running totals: one, start 0).
    private var groups: [GroupKey: [Window]] = [:]
    /// Groups whose windows changed since the last commit: only their open rows are rewritten.
    private var changed: Set<GroupKey> = []
    private let grouper = BatchGroups()

    init(plan: GoldTablePlan) { self.plan = plan }

    var openCount: Int { groups.values.reduce(0) { $0 + $1.count } }

    func add(_ batch: RowBatch) {
        let views = UnsafePointer(batch.views)
        grouper.build(batch, for: plan)
        for g in 0..<grouper.groupCount {
            let key = grouper.key(g)
            if plan.windowMicros != nil { changed.insert(key) }
            add(group: g, views, to: &groups[key, default: []])
        }
    }

    private func add(group g: Int, _ views: UnsafePointer<ColumnView>, to windows: inout [Window]) {
        let time = views[plan.timeColumn]
        let plan = self.plan
        grouper.forEachRow(of: g) { row in
            let t = time.int(row)
            for start in plan.windowStarts(of: t) {
                let w = windows.index(of: start) { Window(start: start, states: plan.freshStates()) }
                plan.add(views, row, time: t, to: &windows[w].states)
            }
        }
    }

    func commit(watermark: Int64, everything: Bool) -> GoldRows {
        var rows = GoldRows()
        let keyCount = plan.keyColumns.count
        guard let length = plan.windowMicros else {
            var all: [[GoldValue]] = []
            for (key, windows) in groups {
                if let row = plan.outputRow(leading: key.values(plan.keyTypes), aggregates: windows[0].states,
                                            closed: nil) {
                    all.append(row)
                }
            }
            sortRows(&all, by: Array(0..<keyCount))
            rows.open = .replaceAll(all)
            return rows
        }
        // Groups with windows to close: their windows start one window before the watermark.
        for (key, windows) in groups where windows.closedPrefix(length: length, watermark: watermark) > 0 {
            changed.insert(key)
        }
        let keys = everything ? Array(groups.keys) : Array(changed)
        var open: [[GoldValue]] = []
        for key in keys {
            let values = key.values(plan.keyTypes)
            var windows = groups[key] ?? []
            let c = windows.closedPrefix(length: length, watermark: watermark)
            for w in windows[0..<c] {
                if let row = output(values, w, length, closed: true) { rows.closed.append(row) }
            }
            windows.removeFirst(c)
            for w in windows {
                if let row = output(values, w, length, closed: false) { open.append(row) }
            }
            groups[key] = windows.isEmpty ? nil : windows
        }
        let order = [0] + Array(2..<(2 + keyCount))
        sortRows(&rows.closed, by: order)
        sortRows(&open, by: order)
        rows.open = everything ? .replaceAll(open) : .replaceKeys(keys: keys.map { $0.values(plan.keyTypes) }, rows: open)
        changed.removeAll()
        return rows
    }

    private func output(_ key: [GoldValue], _ w: Window, _ length: Int64, closed: Bool) -> [GoldValue]? {
        plan.outputRow(leading: [.timestamp(w.start), .timestamp(w.start + length)] + key,
                       aggregates: w.states, closed: closed)
    }

    func encode(into w: inout StateWriter) {
        w.groups(groups) { w, x in
            w.int(x.start)
            for a in x.states { w.aggState(a) }
        }
    }

    func decode(from r: inout StateReader) throws {
        let count = plan.aggregates.count
        groups = try r.groups { r in
            let start = try r.int()
            return Window(start: start, states: try r.aggStates(count))
        }
    }
}
