/// `kind = "kmeans"`: one row per silver row, its declared columns (expressions over the row)
/// and the label of the segment the job's current k-means model puts it in, with that model's
/// version. Rows are final as soon as they are labelled: each commit appends the rows added
/// since the last one (Parquet by the date of the time column, and SQLite), and nothing is
/// held between commits. A row whose features are missing or not finite is labelled
/// "unknown". The model is fitted by `lake train` (or by the first gold commit that finds
/// none, on the silver rows committed so far) and kept versioned in the catalog (`ModelStore`);
/// `lake backfill gold` relabels every row with the current one.
final class KMeansTable: GoldTableState {
    let plan: GoldTablePlan
    /// The model new rows are labelled with, and its version (nil: none fitted yet).
    var model: (version: Int64, model: KMeansModel)?
    /// The declared columns of the rows added since the last commit, one list (no array per row).
    private var pending: GoldRowList
    /// The pending rows' features, row-major; NaN where a feature is NULL.
    private var pendingFeatures: [Double] = []
    static let unknown = "unknown"

    init(plan: GoldTablePlan) {
        self.plan = plan
        pending = GoldRowList(width: plan.rowExprs.count)
    }

    var openCount: Int { 0 }
    var hasPending: Bool { !pending.isEmpty }

    func add(_ batch: RowBatch) {
        let views = UnsafePointer(batch.views)
        for row in 0..<batch.count where plan.accepts(views, row) {
            for e in plan.rowExprs { pending.values.append(e.value(views, row)) }
            for f in plan.features { pendingFeatures.append(f(views, row) ?? .nan) }
        }
    }

    func commit(watermark: Int64, everything: Bool) -> GoldRows {
        var rows = GoldRows(width: plan.columns.count)
        rows.open = .none
        let width = plan.features.count
        pendingFeatures.withUnsafeBufferPointer { features in
            for i in 0..<pending.count {
                let x = UnsafeBufferPointer(rebasing: features[(i * width)..<((i + 1) * width)])
                for v in pending.row(i) { rows.closed.values.append(v) }
                if let (version, m) = model {
                    let label = m.label(x).map { plan.definition.labels[$0] } ?? Self.unknown
                    rows.closed.values.append(.string(label))
                    rows.closed.values.append(.int(version))
                } else {
                    rows.closed.values.append(.string(Self.unknown))
                    rows.closed.values.append(.null)
                }
            }
        }
        pending.values.removeAll(keepingCapacity: true)
        pendingFeatures.removeAll(keepingCapacity: true)
        return rows
    }

    // Nothing is held between commits, so there is no state to save.
    func takeUnsaved() -> Set<GroupKey> { [] }
    var stateKeys: [GroupKey] { [] }
    func encode(group: GroupKey, into w: inout StateWriter) -> Bool { false }
    func decode(group: GroupKey, from r: inout StateReader) throws { throw StateReader.damaged() }
}
