import Parquet

/// A job's gold tables compiled from their declarations (SPEC §11): which silver columns gold
/// reads (the batch layout both the Parquet path and silver's in-memory feed fill), and per
/// table its grouping, aggregates and output columns as closures. Built when the job loads, so
/// every mistake in a job file is reported then, as `file:line:column: …`.
struct GoldPlan {
    /// A silver column gold reads: its batch column is its position in `inputs`.
    struct Input: Equatable, Sendable {
        var name: String
        var type: GoldType
        /// Index in the job's silver columns; nil for `ingest_id`.
        var silverField: Int?
        var nullable: Bool
    }

    let job: JobDefinition
    let inputs: [Input]
    /// Batch column of `ingest_id` (always read: first/last and top break ties with it).
    let ingestColumn: Int
    let tables: [GoldTablePlan]

    var inputTypes: [GoldType] { inputs.map(\.type) }

    init(job: JobDefinition) throws {
        self.job = job
        let silver = job.silver
        for d in job.gold where d.from != silver.table {
            throw LakeError("\(d.file):\(d.line)", "key gold.\(d.key).from: unknown silver table \(d.from); "
                            + "expected \(silver.table) (the job's silver table)")
        }
        // Every silver column any table names, in silver order, then ingest_id.
        let referenced = try GoldPlan.referencedColumns(job)
        var inputs: [Input] = []
        for (i, f) in silver.columns.enumerated() where referenced.contains(f.column) {
            inputs.append(Input(name: f.column, type: GoldPlan.type(of: f.type), silverField: i,
                                nullable: !f.required))
        }
        ingestColumn = inputs.count
        inputs.append(Input(name: "ingest_id", type: .int64, silverField: nil, nullable: false))
        self.inputs = inputs
        let scope = ExprScope(columns: inputs.map { ($0.name, $0.type) })
        tables = try job.gold.map { try GoldTablePlan(definition: $0, inputs: inputs, scope: scope, silver: silver) }
    }

    static func type(of field: FieldType) -> GoldType {
        switch field {
        case .string: .string
        case .double: .double
        case .int64: .int64
        case .timestamp: .timestamp
        }
    }

    /// The silver columns the gold tables read (names that are not silver columns are left to
    /// the compiler, which reports them with their position).
    private static func referencedColumns(_ job: JobDefinition) throws -> Set<String> {
        let silverNames = Set(job.silver.columns.map(\.column))
        var names: Set<String> = []
        func scan(_ source: ExpressionSource?) throws {
            guard let source else { return }
            let expr = try parse(source)
            var calls: [AggregateCall] = []
            let outer = try located(source) { try expr.extractingAggregates(into: &calls) { "#\($0)" } }
            names.formUnion(outer.columnNames)
            for c in calls {
                if let a = c.argument { names.formUnion(a.columnNames) }
                if let f = c.filter { names.formUnion(f.columnNames) }
            }
        }
        for d in job.gold {
            names.insert(d.timeColumn)
            names.formUnion(d.sessionKey)
            names.formUnion(d.groupBy)
            names.formUnion(d.topColumns)
            try scan(d.filter)
            try scan(d.orderBy)
            for c in d.columns { try scan(c.expression) }
        }
        return names.intersection(silverNames)
    }

    static func parse(_ source: ExpressionSource) throws -> Expr {
        try located(source) { try ExprParser.parse(source.text) }
    }

    /// Runs `body`, turning an `ExprError` into the job file's `file:line:column: …` error.
    static func located<T>(_ source: ExpressionSource, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as ExprError {
            throw LakeError(source.location(ofOffset: e.offset), e.message)
        }
    }
}

/// One output column of a gold table: its name, type and whether it can be NULL.
struct GoldColumn: Equatable {
    var name: String
    var type: GoldType
    var nullable: Bool
}
