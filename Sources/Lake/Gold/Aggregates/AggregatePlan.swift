/// One aggregate of a gold table, compiled: its function, the argument and the `filter (where
/// …)` predicate as closures over a batch row, and the result type.
struct AggregatePlan {
    let function: AggregateFunction
    let argument: CompiledExpr?
    /// The `filter (where …)` condition and a boolean argument as `BatchMasks` ids.
    let filterMask: Int?
    let argumentMask: Int?
    let resultType: GoldType
    /// Sums and averages of doubles are kept in integer micro-units (see `AggState`).
    let sumsDoubles: Bool
    /// The result can be NULL (no row passed the filter, or every argument was NULL).
    let nullable: Bool

    init(_ call: AggregateCall, argument: CompiledExpr?, filter: CompiledExpr?, resultType: GoldType,
         argumentNullable: Bool, masks: BatchMasks, scope: ExprScope) {
        function = call.function
        self.argument = argument
        if case .bool(let f)? = filter, let expr = call.filter {
            filterMask = masks.register(expr, f, scope: scope)
        } else {
            filterMask = nil
        }
        if case .bool(let f)? = argument, let expr = call.argument {
            argumentMask = masks.register(expr, f, scope: scope)
        } else {
            argumentMask = nil
        }
        self.resultType = resultType
        sumsDoubles = argument?.type == .double
        switch call.function {
        case .count, .countDistinct: nullable = false
        default: nullable = filter != nil || argumentNullable
        }
    }

    /// Adds batch rows `rows[j]` to `states[slots[j] * stride]` for every j, the state of
    /// this aggregate for row j's window or group. Column at a time: the argument is unwrapped
    /// once per call, not once per row (a retain and release of its closure each time), and
    /// the row loop is one aggregate's code.
    /// `masks` holds the batch's conditions (`BatchMasks.prepare`).
    func add(_ views: UnsafePointer<ColumnView>, rows: UnsafeBufferPointer<Int32>, slots: UnsafeBufferPointer<Int32>,
             time timeColumn: Int, ingest ingestColumn: Int, states: UnsafeMutablePointer<AggState>, stride: Int,
             masks: BatchMasks) {
        let ordered = function == .first || function == .last
        let times = views[timeColumn], ingests = views[ingestColumn]
        let filter = filterMask.map { masks.mask($0) }
        @inline(__always) func each(_ body: (Int, Int64, Int64, inout AggState) -> Void) {
            for j in 0..<rows.count {
                let row = Int(rows[j])
                if let filter, filter[row] != 1 { continue }
                body(row, ordered ? times.int(row) : 0, ordered ? ingests.int(row) : 0,
                     &states[Int(slots[j]) * stride])
            }
        }
        guard let argument else {
            each { _, _, _, s in s.n += 1 }  // count()
            return
        }
        if let argumentMask {
            let values = masks.mask(argumentMask)
            each { row, t, i, s in
                let v = values[row]
                guard v != 2 else { return nullArgument(t, i, &s) }
                addBool(v == 1, time: t, ingest: i, &s)
            }
            return
        }
        switch argument {
        case .int64(let f), .timestamp(let f):
            each { row, t, i, s in
                guard let v = f(views, row) else { return nullArgument(t, i, &s) }
                addWord(UInt64(bitPattern: v), signed: v, time: t, ingest: i, &s)
            }
        case .double(let f):
            each { row, t, i, s in
                guard let v = f(views, row) else { return nullArgument(t, i, &s) }
                addDouble(v, time: t, ingest: i, &s)
            }
        case .bool(let f):
            each { row, t, i, s in
                guard let v = f(views, row) else { return nullArgument(t, i, &s) }
                addBool(v, time: t, ingest: i, &s)
            }
        case .string(let f):
            each { row, t, i, s in
                guard let v = f(views, row) else { return nullArgument(t, i, &s) }
                addString(v, time: t, ingest: i, &s)
            }
        }
    }

    /// first/last keep the value at the earliest/latest row even when it is NULL.
    @inline(__always)
    private func nullArgument(_ time: Int64, _ ingest: Int64, _ s: inout AggState) {
        guard function == .first || function == .last, takes(time, ingest, s) else { return }
        s.n = 1
        s.t = time
        s.i = ingest
        s.isNullValue = true
        s.a = 0
        s.text.removeAll()
    }

    /// first: an earlier (time, ingest_id) replaces the kept row; last: a later one.
    @inline(__always)
    private func takes(_ time: Int64, _ ingest: Int64, _ s: AggState) -> Bool {
        if s.n == 0 { return true }
        return function == .first ? (time, ingest) < (s.t, s.i) : (time, ingest) > (s.t, s.i)
    }

    @inline(__always)
    private func addWord(_ w: UInt64, signed v: Int64, time: Int64, ingest: Int64, _ s: inout AggState) {
        switch function {
        case .count: s.n += 1
        case .sum, .avg:
            s.n += 1
            s.a = AggState.saturatingAdd(s.a, v)
        case .min:
            if s.n == 0 || v < s.a { s.a = v }
            s.n = 1
        case .max:
            if s.n == 0 || v > s.a { s.a = v }
            s.n = 1
        case .countDistinct: s.insertDistinct(AggState.hash(word: w))
        case .first, .last:
            guard takes(time, ingest, s) else { return }
            (s.n, s.t, s.i, s.a, s.isNullValue) = (1, time, ingest, v, false)
        case .any, .all: break
        }
    }

    @inline(__always)
    private func addDouble(_ v: Double, time: Int64, ingest: Int64, _ s: inout AggState) {
        switch function {
        case .count: s.n += 1
        case .sum, .avg:
            s.n += 1
            s.a = AggState.saturatingAdd(s.a, AggState.micros(v))
        case .min:
            if s.n == 0 || v < Double(bitPattern: UInt64(bitPattern: s.a)) { s.a = Int64(bitPattern: v.bitPattern) }
            s.n = 1
        case .max:
            if s.n == 0 || v > Double(bitPattern: UInt64(bitPattern: s.a)) { s.a = Int64(bitPattern: v.bitPattern) }
            s.n = 1
        case .countDistinct: s.insertDistinct(AggState.hash(word: (v == 0 ? 0.0 : v).bitPattern))
        case .first, .last:
            guard takes(time, ingest, s) else { return }
            (s.n, s.t, s.i, s.a, s.isNullValue) = (1, time, ingest, Int64(bitPattern: v.bitPattern), false)
        case .any, .all: break
        }
    }

    @inline(__always)
    private func addBool(_ v: Bool, time: Int64, ingest: Int64, _ s: inout AggState) {
        switch function {
        case .count: s.n += 1
        case .any:
            s.n += 1
            if v { s.a = 1 }
        case .all:
            // `a` counts the false values: all() is true while there is none.
            s.n += 1
            if !v { s.a += 1 }
        case .min:
            if s.n == 0 || (v ? 1 : 0) < s.a { s.a = v ? 1 : 0 }
            s.n = 1
        case .max:
            if s.n == 0 || (v ? 1 : 0) > s.a { s.a = v ? 1 : 0 }
            s.n = 1
        case .countDistinct: s.insertDistinct(AggState.hash(word: v ? 1 : 0))
        case .first, .last:
            guard takes(time, ingest, s) else { return }
            (s.n, s.t, s.i, s.a, s.isNullValue) = (1, time, ingest, v ? 1 : 0, false)
        case .sum, .avg: break
        }
    }

    @inline(__always)
    private func addString(_ v: UnsafeRawBufferPointer, time: Int64, ingest: Int64, _ s: inout AggState) {
        switch function {
        case .count: s.n += 1
        case .countDistinct: s.insertDistinct(AggState.hash(bytes: v))
        case .min:
            if s.n == 0 || AggState.compare(v, s.text) < 0 { s.setText(v) }
            s.n = 1
        case .max:
            if s.n == 0 || AggState.compare(v, s.text) > 0 { s.setText(v) }
            s.n = 1
        case .first, .last:
            guard takes(time, ingest, s) else { return }
            (s.n, s.t, s.i, s.isNullValue) = (1, time, ingest, false)
            s.setText(v)
        case .sum, .avg, .any, .all: break
        }
    }

    /// Folds `other` (the same aggregate over other rows) into `s`: sessions merge when an
    /// event bridges two of them. Every merge is commutative, so any order of rows and merges
    /// gives the same state.
    func merge(_ other: AggState, into s: inout AggState) {
        guard other.n > 0 || !other.distinct.isEmpty else { return }
        switch function {
        case .count:
            s.n += other.n
        case .sum, .avg:
            s.n += other.n
            s.a = AggState.saturatingAdd(s.a, other.a)
        case .any:
            s.n += other.n
            s.a = max(s.a, other.a)
        case .all:
            s.n += other.n
            s.a += other.a
        case .countDistinct:
            s.distinct.formUnion(other.distinct)
        case .min, .max:
            if s.n == 0 {
                s = other
                return
            }
            let c = compareValues(other, s)
            if (function == .min && c < 0) || (function == .max && c > 0) {
                s.a = other.a
                s.text = other.text
            }
        case .first, .last:
            if takes(other.t, other.i, s) { s = other }
        }
    }

    private func compareValues(_ x: AggState, _ y: AggState) -> Int {
        switch argument?.type {
        case .string?: return AggState.compare(x.text, y.text)
        case .double?:
            let a = Double(bitPattern: UInt64(bitPattern: x.a)), b = Double(bitPattern: UInt64(bitPattern: y.a))
            return a < b ? -1 : (a > b ? 1 : 0)
        default: return x.a < y.a ? -1 : (x.a > y.a ? 1 : 0)
        }
    }

    /// The aggregate's value over the rows added.
    func result(_ s: AggState) -> GoldValue {
        switch function {
        case .count: return .int(s.n)
        case .countDistinct: return .int(Int64(s.distinct.count))
        case .sum:
            guard s.n > 0 else { return .null }
            return sumsDoubles ? .double(Double(s.a) / 1_000_000) : .int(s.a)
        case .avg:
            guard s.n > 0 else { return .null }
            return .double((sumsDoubles ? Double(s.a) / 1_000_000 : Double(s.a)) / Double(s.n))
        case .any: return s.n == 0 ? .null : .bool(s.a != 0)
        case .all: return s.n == 0 ? .null : .bool(s.a == 0)
        case .min, .max, .first, .last:
            guard s.n > 0, !s.isNullValue else { return .null }
            switch argument?.type ?? .int64 {
            case .int64: return .int(s.a)
            case .timestamp: return .timestamp(s.a)
            case .double: return .double(Double(bitPattern: UInt64(bitPattern: s.a)))
            case .bool: return .bool(s.a != 0)
            case .string: return .string(String(decoding: s.text, as: UTF8.self))
            }
        }
    }
}
