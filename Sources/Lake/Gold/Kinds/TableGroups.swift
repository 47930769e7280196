/// What a sessions or windows table keeps about its groups besides their windows: the group
/// index (key → id), the batch being added (its accepted rows, their group ids and the state
/// block each row goes to), and which groups changed since the last commit and since the
/// last save of their state. A batch is added in two passes over its rows in batch order:
/// the table places each row (`slots`), then every aggregate runs over all of them at once
/// (`aggregate`), column at a time.
final class TableGroups {
    let plan: GoldTablePlan
    let index: GroupIndex
    /// The batch's accepted rows, their group ids, and the block each one adds to.
    private(set) var rows: [Int32] = []
    private(set) var ids: [Int32] = []
    var slots: [Int32] = []

    private var changedFlag: [Bool] = []
    private var changedIDs: [Int32] = []
    private var unsavedFlag: [Bool] = []
    private var unsavedIDs: [Int32] = []
    /// Keys of groups removed since the last save (their saved state is deleted).
    private var unsavedGone: Set<GroupKey> = []
    private var touched: [Int] = []
    private var batchNumber = 0

    init(plan: GoldTablePlan) {
        self.plan = plan
        index = GroupIndex(columns: plan.keyColumns, types: plan.keyTypes)
    }

    /// Ids in use are below this; a table sizes its per-group arrays by it after `start`.
    var idLimit: Int { index.idLimit }

    /// Starts adding `batch`: its rows the table accepts and their group ids. False when it
    /// has none.
    func start(_ batch: RowBatch) -> Bool {
        plan.masks.prepare(batch)
        plan.acceptedRows(batch, into: &rows)
        slots.removeAll(keepingCapacity: true)
        guard !rows.isEmpty else { return false }
        let views = UnsafePointer(batch.views)
        rows.withUnsafeBufferPointer { index.assign(views, rows: $0, into: &ids) }
        growFlags()
        batchNumber += 1
        return true
    }

    /// True the first time group `id` is met in the batch being added.
    @inline(__always)
    func firstTouch(_ id: Int) -> Bool {
        if touched[id] == batchNumber { return false }
        touched[id] = batchNumber
        return true
    }

    /// Runs every aggregate over the batch's rows into their blocks of `arena`.
    func aggregate(_ batch: RowBatch, into arena: inout StateArena) {
        let views = UnsafePointer(batch.views)
        let width = arena.width
        guard width > 0, !rows.isEmpty else { return }
        arena.withStates { states in
            rows.withUnsafeBufferPointer { rows in
                slots.withUnsafeBufferPointer { slots in
                    for k in 0..<width {
                        plan.aggregates[k].add(views, rows: rows, slots: slots, time: plan.timeColumn,
                                               ingest: plan.ingestColumn, states: states + k, stride: width,
                                               masks: plan.masks)
                    }
                }
            }
        }
    }

    // MARK: what changed

    /// Group `id`'s open rows are to be rewritten at the next commit.
    @inline(__always)
    func markChanged(_ id: Int) {
        if changedFlag[id] { return }
        changedFlag[id] = true
        changedIDs.append(Int32(id))
    }

    /// Group `id`'s state is to be saved at the next commit.
    @inline(__always)
    func markUnsaved(_ id: Int) {
        if unsavedFlag[id] { return }
        unsavedFlag[id] = true
        unsavedIDs.append(Int32(id))
    }

    /// The groups marked changed since the last call (live ones only).
    func takeChanged() -> [Int32] {
        defer { changedIDs.removeAll(keepingCapacity: true) }
        return changedIDs.filter { id in
            changedFlag[Int(id)] = false
            return index.isLive(Int(id))
        }
    }

    func takeUnsaved() -> Set<GroupKey> {
        var keys = unsavedGone
        for id in unsavedIDs where unsavedFlag[Int(id)] {
            unsavedFlag[Int(id)] = false
            keys.insert(index.keys[Int(id)])
        }
        unsavedIDs.removeAll(keepingCapacity: true)
        unsavedGone.removeAll()
        return keys
    }

    /// Group `id` holds no state any more: its id goes back to the index (its saved state is
    /// deleted at the next save).
    func remove(_ id: Int) {
        unsavedGone.insert(index.keys[id])
        unsavedFlag[id] = false
        changedFlag[id] = false
        index.remove(Int32(id))
    }

    var liveIDs: [Int32] { (0..<index.idLimit).filter { index.isLive($0) }.map(Int32.init) }

    var liveKeys: [GroupKey] { liveIDs.map { index.keys[Int($0)] } }

    /// The id of a group being restored from saved state, made when new (per-group arrays must
    /// then be grown to `idLimit`).
    func restore(_ key: GroupKey) -> Int {
        let id = Int(index.id(of: key))
        growFlags()
        return id
    }

    private func growFlags() {
        let more = index.idLimit - changedFlag.count
        guard more > 0 else { return }
        changedFlag.append(contentsOf: repeatElement(false, count: more))
        unsavedFlag.append(contentsOf: repeatElement(false, count: more))
        touched.append(contentsOf: repeatElement(0, count: more))
    }

    /// Group `id`'s key values, in key column order.
    func values(_ id: Int) -> [GoldValue] { index.keys[id].values(plan.keyTypes) }
}
