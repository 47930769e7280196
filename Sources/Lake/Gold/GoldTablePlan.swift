/// One declared gold table, compiled (see `GoldPlan`): how rows are grouped, what each group
/// aggregates, and how an output row is computed from a group's aggregates.
final class GoldTablePlan {
    let definition: GoldTableDefinition
    /// Batch column of the time that places rows in windows and sessions.
    let timeColumn: Int
    /// Batch columns of the session key or the group_by columns, and their types.
    let keyColumns: [Int]
    let keyTypes: [GoldType]
    let filter: ((UnsafePointer<ColumnView>, Int) -> Bool?)?
    /// The conditions of the source's batches (shared by the tables of one source), and the
    /// table's `where` among them.
    let masks: BatchMasks
    let whereMask: Int?
    let aggregates: [AggregatePlan]
    /// Columns before the declared ones (keys, window or session bounds), the declared ones,
    /// and the whole row as written (with `is_closed` for windowed tables).
    let leading: [GoldColumn]
    let declared: [GoldColumn]
    let columns: [GoldColumn]
    /// Top: the order expression and the batch columns shown.
    let order: CompiledExpr?
    let topColumns: [Int]
    let topTypes: [GoldType]
    /// K-means: the declared columns as row expressions over silver, and the features.
    let rowExprs: [CompiledExpr]
    let features: [ExprEval<Double>]

    /// Output rows are computed in a one-row batch: leading values, aggregate results, then
    /// each declared column in turn (a later one may read an earlier one).
    private let outputBatch: RowBatch
    private let declaredExprs: [CompiledExpr]
    /// The declared columns' values of the output row being computed.
    private var declaredValues: [GoldValue]
    /// Leading columns, and per declared column whether it is, read by a declared column or
    /// `having` (only those are written into `outputBatch`).
    private let leadingRead: [Int]
    private let declaredRead: [Bool]
    private let having: ((UnsafePointer<ColumnView>, Int) -> Bool?)?
    let ingestColumn: Int
    /// Whether a declared column or `having` reads `window_start` or `window_end`: when not,
    /// hopping windows with the same rows have the same output apart from their bounds.
    let readsWindowBounds: Bool

    var table: String { definition.table }
    var isWindowed: Bool { definition.isWindowed }
    var windowMicros: Int64? { definition.windowSeconds.map { Int64($0) * 1_000_000 } }
    var slideMicros: Int64? { (definition.slideSeconds ?? definition.windowSeconds).map { Int64($0) * 1_000_000 } }
    var gapMicros: Int64 { Int64(definition.gapSeconds) * 1_000_000 }

    init(definition d: GoldTableDefinition, inputs: [GoldPlan.Input], scope: ExprScope, silver: SilverSettings,
         masks: BatchMasks = BatchMasks()) throws {
        definition = d
        self.masks = masks
        ingestColumn = inputs.count - 1
        func fail(_ key: String, _ message: String) -> LakeError {
            LakeError("\(d.file):\(d.line)", "key gold.\(d.key).\(key): \(message)")
        }
        func input(_ name: String, _ key: String) throws -> Int {
            guard let i = inputs.firstIndex(where: { $0.name == name && $0.silverField != nil }) else {
                let names = silver.columns.map(\.column).joined(separator: ", ")
                throw fail(key, "unknown silver column \(name); expected one of \(names)")
            }
            return i
        }
        timeColumn = try input(d.timeColumn, "time")
        guard inputs[timeColumn].type == .timestamp else {
            throw fail("time", "\(d.timeColumn) is a \(inputs[timeColumn].type.rawValue) column; expected a timestamp column")
        }
        let keyNames = d.kind == .sessions ? d.sessionKey : d.groupBy
        keyColumns = try keyNames.map { try input($0, d.kind == .sessions ? "key" : "group_by") }
        keyTypes = keyColumns.map { inputs[$0].type }
        let keyColumnsOut = keyColumns.map { GoldColumn(name: inputs[$0].name, type: inputs[$0].type,
                                                        nullable: inputs[$0].nullable) }
        if let source = d.filter {
            let expr = try GoldPlan.parse(source)
            let compiled = try GoldPlan.located(source) {
                try ExprCompiler.compile(expr, scope: scope, context: "where")
            }
            guard case .bool(let f) = compiled else {
                throw LakeError(source.location(ofOffset: 0), "where is an expression of type \(compiled.type.rawValue); "
                                + "expected a condition (a boolean expression)")
            }
            filter = f
            whereMask = masks.register(expr, f, scope: scope)
        } else {
            filter = nil
            whereMask = nil
        }
        // Leading columns by kind (SPEC §11).
        let ts = { (name: String) in GoldColumn(name: name, type: .timestamp, nullable: false) }
        var leading: [GoldColumn]
        switch d.kind {
        case .sessions: leading = keyColumnsOut + [ts("session_start"), ts("session_end"), ts("window_end")]
        case .windows, .top:
            leading = (d.windowSeconds != nil ? [ts("window_start"), ts("window_end")] : []) + keyColumnsOut
        case .kmeans: leading = []
        }
        var order: CompiledExpr?
        var topColumns: [Int] = []
        var aggregates: [AggregatePlan] = []
        var declared: [GoldColumn] = []
        var declaredExprs: [CompiledExpr] = []
        var having: ((UnsafePointer<ColumnView>, Int) -> Bool?)?
        var outputTypes: [GoldType] = []
        var namesRead: Set<String> = []
        var rowExprs: [CompiledExpr] = []
        var features: [ExprEval<Double>] = []
        if d.kind == .kmeans {
            // One output row per silver row: the columns are expressions over the row itself.
            for name in d.features {
                let i = try input(name, "features")
                guard inputs[i].type == .double || inputs[i].type == .int64 else {
                    throw fail("features", "\(name) is a \(inputs[i].type.rawValue) column; expected numeric columns")
                }
                features.append(try ExprCompiler.compile(.column(name, offset: 0), scope: scope, context: "features").doubleEval)
            }
            for c in d.columns {
                let expr = try GoldPlan.parse(c.expression)
                if let call = expr.firstAggregate {
                    throw LakeError(c.expression.location(ofOffset: call.offset), "\(call.text) is an aggregate; "
                                    + "a kmeans table has one row per silver row, so its columns are expressions "
                                    + "over that row")
                }
                let compiled = try GoldPlan.located(c.expression) {
                    try ExprCompiler.compile(expr, scope: scope, context: "a column expression")
                }
                let nullableInputs = Set(inputs.filter(\.nullable).map(\.name))
                declared.append(GoldColumn(name: c.name, type: compiled.type,
                                           nullable: ExprNullability.mayBeNull(expr) { nullableInputs.contains($0) }))
                rowExprs.append(compiled)
            }
            guard declared.contains(where: { $0.name == d.timeColumn && $0.type == .timestamp }) else {
                throw fail("columns", "expected a column \(d.timeColumn) = \"\(d.timeColumn)\" (the table's Parquet "
                           + "files are partitioned by the date of its time column)")
            }
            for extra in [d.labelColumn, "model_version"] where declared.contains(where: { $0.name == extra }) {
                throw fail("columns", "\(extra) is the column the model's label goes to; expected another name")
            }
        } else if d.kind == .top {
            guard let source = d.orderBy else { throw fail("order_by", "missing") }
            let compiled = try GoldPlan.located(source) {
                try ExprCompiler.compile(try GoldPlan.parse(source), scope: scope, context: "order_by")
            }
            if compiled.type == .bool {
                throw LakeError(source.location(ofOffset: 0), "order_by is a boolean expression; expected a "
                                + "number, text or time to order by")
            }
            order = compiled
            topColumns = try d.topColumns.map { try input($0, "columns") }
            let shown = topColumns.map { GoldColumn(name: inputs[$0].name, type: inputs[$0].type,
                                                    nullable: inputs[$0].nullable) }
            leading += shown.filter { c in !leading.contains { $0.name == c.name } }
        } else {
            // Aggregates first (shared by every column that uses the same call), then the
            // declared columns over leading columns, aggregate results and earlier columns.
            var calls: [AggregateCall] = []
            // The expression each call was first found in (its offsets are into that text).
            var callSources: [ExpressionSource] = []
            var outers: [(name: String, expr: Expr, source: ExpressionSource)] = []
            for c in d.columns {
                if leading.contains(where: { $0.name == c.name }) {
                    throw LakeError(c.expression.location(ofOffset: 0), "output column \(c.name) is also a "
                                    + "leading column of a \(d.kind.rawValue) table; expected another name")
                }
                let expr = try GoldPlan.parse(c.expression)
                let outer = try GoldPlan.located(c.expression) {
                    try expr.extractingAggregates(into: &calls) { "#\($0)" }
                }
                callSources += Array(repeating: c.expression, count: calls.count - callSources.count)
                outers.append((c.name, outer, c.expression))
                namesRead.formUnion(outer.columnNames)
            }
            aggregates = try zip(calls, callSources).map { call, source in
                try GoldTablePlan.compileAggregate(call, source: source, scope: scope, inputs: inputs, masks: masks)
            }
            var scopeColumns = leading.map { ($0.name, $0.type) }
            scopeColumns += aggregates.enumerated().map { ("#\($0.offset)", $0.element.resultType) }
            let nullableNames = Dictionary(
                leading.map { ($0.name, $0.nullable) } + aggregates.enumerated().map { ("#\($0.offset)", $0.element.nullable) },
                uniquingKeysWith: { a, _ in a })
            var nullable = nullableNames
            for o in outers {
                let columnScope = ExprScope(columns: scopeColumns)
                let compiled = try GoldPlan.located(o.source) {
                    try ExprCompiler.compile(o.expr, scope: columnScope, context: "a column expression")
                }
                let isNullable = ExprNullability.mayBeNull(o.expr) { nullable[$0] ?? true }
                nullable[o.name] = isNullable
                declared.append(GoldColumn(name: o.name, type: compiled.type, nullable: isNullable))
                declaredExprs.append(compiled)
                scopeColumns.append((o.name, compiled.type))
            }
            if let source = d.having {
                let expr = try GoldPlan.parse(source)
                var none: [AggregateCall] = []
                let outer = try GoldPlan.located(source) {
                    try expr.extractingAggregates(into: &none) { "#having\($0)" }
                }
                namesRead.formUnion(outer.columnNames)
                guard none.isEmpty else {
                    throw LakeError(source.location(ofOffset: 0), "having may only use output columns; "
                                    + "declare the aggregate as a column and compare that")
                }
                let compiled = try GoldPlan.located(source) {
                    try ExprCompiler.compile(outer, scope: ExprScope(columns: scopeColumns), context: "having")
                }
                guard case .bool(let h) = compiled else {
                    throw LakeError(source.location(ofOffset: 0), "having is an expression of type "
                                    + "\(compiled.type.rawValue); expected a condition (a boolean expression)")
                }
                having = h
            }
            outputTypes = scopeColumns.map(\.1)
        }
        self.leading = leading
        leadingRead = leading.indices.filter { namesRead.contains(leading[$0].name) }
        declaredRead = declared.map { namesRead.contains($0.name) || d.kind == .kmeans }
        readsWindowBounds = !namesRead.isDisjoint(with: ["window_start", "window_end"])
        self.declared = declared
        self.declaredExprs = declaredExprs
        declaredValues = Array(repeating: .null, count: declaredExprs.count)
        self.aggregates = aggregates
        self.having = having
        self.order = order
        self.topColumns = topColumns
        topTypes = topColumns.map { inputs[$0].type }
        self.rowExprs = rowExprs
        self.features = features
        if d.kind == .kmeans {
            columns = declared + [GoldColumn(name: d.labelColumn, type: .string, nullable: true),
                                  GoldColumn(name: "model_version", type: .int64, nullable: true)]
        } else {
            columns = leading + declared + (d.isWindowed ? [GoldColumn(name: "is_closed", type: .bool, nullable: false)] : [])
        }
        outputBatch = RowBatch(types: outputTypes, capacity: 1)
        var seen: Set<String> = []
        for c in columns where !seen.insert(c.name).inserted {
            throw LakeError("\(d.file):\(d.line)", "gold.\(d.key): column \(c.name) appears twice; "
                            + "expected distinct output column names")
        }
    }

    private static func compileAggregate(
        _ call: AggregateCall, source: ExpressionSource, scope: ExprScope, inputs: [GoldPlan.Input], masks: BatchMasks
    ) throws -> AggregatePlan {
        func compile(_ e: Expr?, _ context: String) throws -> CompiledExpr? {
            guard let e else { return nil }
            return try GoldPlan.located(source) { try ExprCompiler.compile(e, scope: scope, context: context) }
        }
        let argument = try compile(call.argument, "an aggregate's argument")
        let filter = try compile(call.filter, "filter (where …)")
        if let filter, filter.type != .bool {
            throw LakeError(source.location(ofOffset: call.offset), "the filter of \(call.text) is a "
                            + "\(filter.type.rawValue) expression; expected a condition")
        }
        let type = try GoldPlan.located(source) { try call.resultType(argumentType: argument?.type) }
        let nullableInputs = Set(inputs.filter(\.nullable).map(\.name))
        let argumentNullable = call.argument.map { ExprNullability.mayBeNull($0) { nullableInputs.contains($0) } } ?? false
        return AggregatePlan(call, argument: argument, filter: filter, resultType: type,
                             argumentNullable: argumentNullable, masks: masks, scope: scope)
    }

    // MARK: output rows

    /// Appends the output row of a group to `rows`: `leading` values, the declared columns
    /// (over the aggregates' results), then `is_closed` when given; false, with nothing
    /// appended, when `having` rejects it. The row is built only once `having` passed (most
    /// hopping windows of an alert table are rejected).
    func outputRow(
        leading values: [GoldValue], aggregates states: ArraySlice<AggState>, closed: Bool?, into rows: inout GoldRowList
    ) -> Bool {
        let views = UnsafePointer(outputBatch.views)
        // Leading values and declared columns go into the batch only when an expression reads
        // them (a session's key and bounds mostly are not); aggregate results always are.
        for c in leadingRead { values[c].write(to: outputBatch, column: c) }
        let first = values.count
        aggregates.withUnsafeBufferPointer { aggregates in
            for k in 0..<aggregates.count {
                aggregates[k].result(states[states.startIndex + k]).write(to: outputBatch, column: first + k)
            }
        }
        let declaredFirst = first + aggregates.count
        declaredExprs.withUnsafeBufferPointer { exprs in
            for k in 0..<exprs.count {
                let v = exprs[k].value(views, 0)
                if declaredRead[k] { v.write(to: outputBatch, column: declaredFirst + k) }
                declaredValues[k] = v
            }
        }
        if let having, having(views, 0) != true { return false }
        precondition(values.count + declaredValues.count + (closed == nil ? 0 : 1) == rows.width,
                     "an output row that does not fit its table's columns")
        // Value by value: `append(contentsOf:)` copied each through GoldValue's generic
        // value witness.
        for v in values { rows.values.append(v) }
        for v in declaredValues { rows.values.append(v) }
        if let closed { rows.values.append(.bool(closed)) }
        return true
    }

    /// A fresh aggregate state per aggregate (a new window or session).
    func freshStates() -> [AggState] { Array(repeating: AggState(), count: aggregates.count) }

    /// Folds one window's or session's aggregates into `states` (a hopping window's panes).
    func merge(_ other: ArraySlice<AggState>, into states: inout [AggState]) {
        for k in 0..<aggregates.count { aggregates[k].merge(other[other.startIndex + k], into: &states[k]) }
    }

    /// The batch rows the table's `where` accepts (and that have a time), into `rows`;
    /// `masks` must be prepared for the batch.
    func acceptedRows(_ batch: RowBatch, into rows: inout [Int32]) {
        rows.removeAll(keepingCapacity: true)
        let time = batch.views[timeColumn]
        if let whereMask {
            let m = masks.mask(whereMask)
            for row in 0..<batch.count where m[row] == 1 && !time.isNull(row) { rows.append(Int32(row)) }
        } else {
            for row in 0..<batch.count where !time.isNull(row) { rows.append(Int32(row)) }
        }
    }

    /// The filter (`where`) of row `row`: rows it does not accept are not aggregated.
    @inline(__always)
    func accepts(_ views: UnsafePointer<ColumnView>, _ row: Int) -> Bool {
        if views[timeColumn].isNull(row) { return false }
        guard let filter else { return true }
        return filter(views, row) == true
    }
}

extension CompiledExpr {
    /// The expression's value at a row, owned.
    func value(_ views: UnsafePointer<ColumnView>, _ row: Int) -> GoldValue {
        switch self {
        case .int64(let f): return f(views, row).map(GoldValue.int) ?? .null
        case .double(let f): return f(views, row).map(GoldValue.double) ?? .null
        case .bool(let f): return f(views, row).map(GoldValue.bool) ?? .null
        case .timestamp(let f): return f(views, row).map(GoldValue.timestamp) ?? .null
        case .string(let f):
            return f(views, row).map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        }
    }
}
