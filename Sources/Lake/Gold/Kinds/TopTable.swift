/// `kind = "top"`: the `n` silver rows with the highest (or, `asc`, lowest) `order_by` value,
/// over all time, or per window and group. Ties go to the earlier silver row (lower
/// `ingest_id`), so the rows kept do not depend on how the input was split into runs. Rows
/// whose order value is NULL never enter. A row is copied out of its batch only when it
/// enters a top list.
final class TopTable: GoldTableState {
    struct Candidate {
        var order: GoldValue
        var ingest: Int64
        var values: [GoldValue]
    }

    struct Window: StartedEntry {
        var start: Int64
        /// Best first, at most `n`.
        var rows: [Candidate]
    }

    let plan: GoldTablePlan
    private var groups: [GroupKey: [Window]] = [:]
    private var unsaved: Set<GroupKey> = []
    private let grouper = BatchGroups()
    private let n: Int
    private let descending: Bool
    /// The shown columns that are not group columns (those lead the row already).
    private let shown: [Int]

    init(plan: GoldTablePlan) {
        self.plan = plan
        n = plan.definition.topCount
        descending = plan.definition.orderDescending
        let keyNames = Set(plan.definition.groupBy)
        shown = plan.topColumns.indices.filter { !keyNames.contains(plan.definition.topColumns[$0]) }
    }

    var openCount: Int { groups.values.reduce(0) { $0 + $1.count } }

    func add(_ batch: RowBatch) {
        let views = UnsafePointer(batch.views)
        grouper.build(batch, for: plan)
        for g in 0..<grouper.groupCount {
            let key = grouper.key(g)
            unsaved.insert(key)
            add(group: g, views, to: &groups[key, default: []])
        }
    }

    private func add(group g: Int, _ views: UnsafePointer<ColumnView>, to windows: inout [Window]) {
        guard let order = plan.order else { return }
        let time = views[plan.timeColumn]
        grouper.forEachRow(of: g) { row in
            let value = order.value(views, row)
            if value.isNull { return }
            let ingest = views[plan.ingestColumn].int(row)
            for start in plan.windowStarts(of: time.int(row)) {
                let w = windows.index(of: start) { Window(start: start, rows: []) }
                offer(value, ingest, views, row, to: &windows[w].rows)
            }
        }
    }

    private func better(_ v: GoldValue, _ ingest: Int64, than c: Candidate) -> Bool {
        let order = GoldValue.compare(v, c.order)
        if order != 0 { return descending ? order > 0 : order < 0 }
        return ingest < c.ingest
    }

    private func offer(
        _ value: GoldValue, _ ingest: Int64, _ views: UnsafePointer<ColumnView>, _ row: Int,
        to rows: inout [Candidate]
    ) {
        if rows.count == n, let worst = rows.last, !better(value, ingest, than: worst) { return }
        var position = rows.count
        while position > 0 && better(value, ingest, than: rows[position - 1]) { position -= 1 }
        let values = plan.topColumns.indices.map { k in
            GoldValue.read(views[plan.topColumns[k]], row, plan.topTypes[k])
        }
        rows.insert(Candidate(order: value, ingest: ingest, values: values), at: position)
        if rows.count > n { rows.removeLast() }
    }

    func commit(watermark: Int64, everything: Bool) -> GoldRows {
        var rows = GoldRows(width: plan.columns.count)
        var open = GoldRowList(width: plan.columns.count)
        let length = plan.windowMicros
        for key in groups.keys.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            let values = key.values(plan.keyTypes)
            var windows = groups[key] ?? []
            let c = length.map { windows.closedPrefix(length: $0, watermark: watermark) } ?? 0
            for (k, w) in windows.enumerated() {
                let leading: [GoldValue] = length.map { [.timestamp(w.start), .timestamp(w.start + $0)] } ?? []
                for candidate in w.rows {
                    var row = leading + values + shown.map { candidate.values[$0] }
                    if length != nil { row.append(.bool(k < c)) }
                    if k < c { rows.closed.append(row) } else { open.append(row) }
                }
            }
            windows.removeFirst(c)
            if c > 0 { unsaved.insert(key) }
            groups[key] = windows.isEmpty ? nil : windows
        }
        rows.open = .replaceAll(open)
        return rows
    }

    func takeUnsaved() -> Set<GroupKey> {
        defer { unsaved.removeAll() }
        return unsaved
    }

    var stateKeys: [GroupKey] { Array(groups.keys) }

    func encode(group key: GroupKey, into w: inout StateWriter) -> Bool {
        guard let windows = groups[key] else { return false }
        w.int(windows.count)
        for x in windows {
            w.int(x.start)
            w.int(x.rows.count)
            for c in x.rows {
                w.value(c.order)
                w.int(c.ingest)
                for v in c.values { w.value(v) }
            }
        }
        return true
    }

    func decode(group key: GroupKey, from r: inout StateReader) throws {
        let columns = plan.topColumns.count
        var windows: [Window] = []
        for _ in 0..<(try r.count()) {
            let start = try r.int()
            var rows: [Candidate] = []
            for _ in 0..<(try r.count()) {
                let order = try r.value()
                let ingest = try r.int()
                let values = try (0..<columns).map { _ in try r.value() }
                rows.append(Candidate(order: order, ingest: ingest, values: values))
            }
            windows.append(Window(start: start, rows: rows))
        }
        guard !windows.isEmpty else { throw StateReader.damaged() }
        groups[key] = windows
    }
}
