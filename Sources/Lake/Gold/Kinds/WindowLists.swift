/// A group's windows kept in a list sorted by start (`WindowsTable`, `TopTable`).
protocol StartedEntry {
    var start: Int64 { get }
}

extension Array where Element: StartedEntry {
    /// The index of the entry starting at `start`, inserted (`make`) when new; rows mostly land
    /// in the latest windows, so the search starts from the end.
    mutating func index(of start: Int64, make: () -> Element) -> Int {
        var i = count
        while i > 0 && self[i - 1].start > start { i -= 1 }
        if i > 0 && self[i - 1].start == start { return i - 1 }
        insert(make(), at: i)
        return i
    }

    /// How many entries, from the first, end at or before `watermark` (the closed prefix).
    func closedPrefix(length: Int64, watermark: Int64) -> Int {
        var c = 0
        while c < count && self[c].start + length <= watermark { c += 1 }
        return c
    }
}

extension GoldTablePlan {
    /// The starts of the windows that hold time `t`: every multiple of the slide in
    /// (t − window, t]; one start (0) for a table without a window.
    @inline(__always)
    func windowStarts(of t: Int64) -> StrideThrough<Int64> {
        guard let length = windowMicros, let slide = slideMicros else { return stride(from: 0, through: 0, by: 1) }
        let last = Timestamps.floorDivide(t, slide).0 * slide
        return stride(from: last - length + slide, through: last, by: Int(slide))
    }
}

extension BatchGroups {
    /// Groups the batch's rows that `plan`'s table accepts by its key columns.
    func build(_ batch: RowBatch, for plan: GoldTablePlan) {
        let views = UnsafePointer(batch.views)
        build(batch: batch, columns: plan.keyColumns, types: plan.keyTypes) { plan.accepts(views, $0) }
    }
}
