/// The rows one gold commit writes for one table.
struct GoldRows {
    /// Rows that became final (Parquet, append-only, and SQLite), in key order.
    var closed: GoldRowList
    var open: OpenRows

    /// No rows yet, for a table of `width` columns.
    init(width: Int) {
        closed = GoldRowList(width: width)
        open = .replaceAll(GoldRowList(width: width))
    }

    /// What happens to the table's other SQLite rows (open windows and sessions, running
    /// totals, top rows).
    enum OpenRows {
        /// Delete every row not closed (every row, for a table without windows), insert these.
        case replaceAll(GoldRowList)
        /// Delete the open rows of these keys (the key columns' values), insert these rows.
        case replaceKeys(keys: [[GoldValue]], rows: GoldRowList)
        /// Nothing but the closed rows (a table of final rows only: k-means).
        case none
    }
}

/// A gold table being computed: its state (open windows, sessions, running totals, top rows)
/// grows with the rows added and shrinks as the watermark closes what it has passed. One
/// kind per file (`SessionsTable`, `WindowsTable`, `TopTable`).
protocol GoldTableState: AnyObject {
    var plan: GoldTablePlan { get }
    /// Adds the batch's rows that the table's `where` accepts.
    func add(_ batch: RowBatch)
    /// Every row added from now on is above `watermark` (silver's watermark when the rows
    /// added so far were accepted): what it has passed will be closed by the next commit
    /// whatever comes, so a table may close it now and keep only the rows to commit.
    func advance(watermark: Int64)
    /// Closes every window or session whose end is at or before `watermark` and returns the
    /// rows to commit: the closed ones and the changed open ones (all of them with `everything`).
    func commit(watermark: Int64, everything: Bool) -> GoldRows
    /// Open windows or sessions, or groups (reported in run results).
    var openCount: Int { get }
    /// The groups whose state changed since the last call (added to, closed, merged,
    /// emptied): a commit saves only those (`GoldStage.saveState`), so its cost follows what
    /// changed, not everything open.
    func takeUnsaved() -> Set<GroupKey>
    /// Every group the table holds state for.
    var stateKeys: [GroupKey] { get }
    /// Writes one group's state; false when the table holds none for it (then its saved
    /// state is deleted).
    func encode(group: GroupKey, into w: inout StateWriter) -> Bool
    /// Restores one group's state as `encode(group:into:)` wrote it.
    func decode(group: GroupKey, from r: inout StateReader) throws
}

extension GoldTableState {
    func advance(watermark: Int64) {}
}

extension GoldTablePlan {
    /// A fresh state of the table's kind.
    func makeState() -> GoldTableState {
        switch definition.kind {
        case .sessions: SessionsTable(plan: self)
        case .windows: WindowsTable(plan: self)
        case .top: TopTable(plan: self)
        case .kmeans: KMeansTable(plan: self)
        }
    }
}

extension GoldValue {
    /// SQL order: NULL first, then values of one type by value (strings bytewise).
    static func compare(_ x: GoldValue, _ y: GoldValue) -> Int {
        switch (x, y) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        case let (.int(a), .int(b)), let (.timestamp(a), .timestamp(b)): return a < b ? -1 : (a > b ? 1 : 0)
        case let (.double(a), .double(b)): return a < b ? -1 : (a > b ? 1 : 0)
        case let (.int(a), .double(b)): return Double(a) < b ? -1 : (Double(a) > b ? 1 : 0)
        case let (.double(a), .int(b)): return a < Double(b) ? -1 : (a > Double(b) ? 1 : 0)
        case let (.bool(a), .bool(b)): return a == b ? 0 : (!a ? -1 : 1)
        case let (.string(a), .string(b)):
            // In place: native strings (small ones included) have contiguous UTF-8.
            let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
                b.utf8.withContiguousStorageIfAvailable { y in
                    AggState.compare(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y))
                }
            }
            if let inPlace, let result = inPlace { return result }
            return AggState.compare(Array(a.utf8), Array(b.utf8))
        default: return 0
        }
    }
}
