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

    /// A silver table gold tables read: the job's silver table (source 0, which `run all`
    /// hands over in memory) or a child table (`from = "silver_order_items"`, read from its
    /// Parquet files as silver commits them). Its batch layout: the columns its tables name,
    /// in table order, then `ingest_id`.
    struct Source {
        var table: String
        var inputs: [Input]
        var inputTypes: [GoldType] { inputs.map(\.type) }
    }

    let job: JobDefinition
    let sources: [Source]
    /// The main source's inputs (silver's feed carries these).
    var inputs: [Input] { sources[0].inputs }
    /// Batch column of `ingest_id` (always read: first/last and top break ties with it).
    var ingestColumn: Int { inputs.count - 1 }
    let tables: [GoldTablePlan]
    /// Per table, the index of its source in `sources`.
    let tableSources: [Int]

    var inputTypes: [GoldType] { inputs.map(\.type) }

    init(job: JobDefinition) throws {
        self.job = job
        let silver = job.silver
        // Every silver table gold can read, with its columns as silver settings (for names
        // and messages).
        var readable: [(table: String, settings: SilverSettings)] = [(silver.table, silver)]
        for child in silver.children {
            var s = silver
            s.table = child.table
            s.columns = silver.childParentFields.map { silver.columns[$0] } + child.columns
            s.children = []
            readable.append((child.table, s))
        }
        for d in job.gold where !readable.contains(where: { $0.table == d.from }) {
            throw LakeError("\(d.file):\(d.line)", "key gold.\(d.key).from: unknown silver table \(d.from); "
                            + "expected one of \(readable.map(\.table).joined(separator: ", "))")
        }
        var sources: [Source] = []
        var tableSources: [Int] = []
        var tables: [GoldTablePlan] = []
        for (k, r) in readable.enumerated() {
            let definitions = job.gold.filter { $0.from == r.table }
            guard k == 0 || !definitions.isEmpty else { continue }
            // Every silver column any table names, in silver order, then ingest_id.
            let referenced = try GoldPlan.referencedColumns(definitions, names: Set(r.settings.columns.map(\.column)))
            var inputs: [Input] = []
            for (i, f) in r.settings.columns.enumerated() where referenced.contains(f.column) {
                inputs.append(Input(name: f.column, type: GoldPlan.type(of: f.type), silverField: i,
                                    nullable: !f.required))
            }
            inputs.append(Input(name: "ingest_id", type: .int64, silverField: nil, nullable: false))
            let scope = ExprScope(columns: inputs.map { ($0.name, $0.type) })
            let masks = BatchMasks()
            for d in definitions {
                tables.append(try GoldTablePlan(definition: d, inputs: inputs, scope: scope, silver: r.settings,
                                                masks: masks))
                tableSources.append(sources.count)
            }
            sources.append(Source(table: r.table, inputs: inputs))
        }
        // Tables in the job file's order.
        let order = job.gold.map { d in tables.firstIndex { $0.table == d.table }! }
        self.tables = order.map { tables[$0] }
        self.tableSources = order.map { tableSources[$0] }
        self.sources = sources
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
    private static func referencedColumns(_ definitions: [GoldTableDefinition], names silverNames: Set<String>) throws -> Set<String> {
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
        for d in definitions {
            names.insert(d.timeColumn)
            names.formUnion(d.features)
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
