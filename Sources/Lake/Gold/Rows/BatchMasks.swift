#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The conditions a source's gold tables test per row — `where`, `filter (where …)`, and
/// boolean aggregate arguments such as `any(event_type = 'PURCHASE')` — each evaluated once
/// per batch into a byte per row (0 false, 1 true, 2 NULL), shared by every aggregate and
/// table that spells it the same way. The clickstream job tests three event types in eight
/// places; per aggregate and row that was eight closure calls and string compares a row.
/// A column compared with a string literal and `column is [not] null` are evaluated straight
/// from the column; anything else through its compiled closure.
final class BatchMasks {
    private enum Evaluation {
        case closure(ExprEval<Bool>)
        case stringEquals(column: Int, literal: ExprBytes, equal: Bool)
        case isNull(column: Int, negated: Bool)
    }

    private var texts: [String] = []
    private var evaluations: [Evaluation] = []
    private var storage: UnsafeMutablePointer<UInt8>?
    private var rowCapacity = 0
    private var batch: RowBatch?
    private var version = -1

    var count: Int { evaluations.count }

    /// The id of condition `expr` (compiled as `eval` in `scope`), registered once per text.
    func register(_ expr: Expr, _ eval: @escaping ExprEval<Bool>, scope: ExprScope) -> Int {
        let text = expr.description
        if let id = texts.firstIndex(of: text) { return id }
        texts.append(text)
        evaluations.append(Self.evaluation(expr, eval, scope))
        return evaluations.count - 1
    }

    private static func evaluation(_ expr: Expr, _ eval: @escaping ExprEval<Bool>, _ scope: ExprScope) -> Evaluation {
        func stringColumn(_ e: Expr) -> Int? {
            guard case .column(let name, _) = e, let c = scope.lookup(name), c.type == .string else { return nil }
            return c.index
        }
        func text(_ e: Expr) -> String? {
            guard case .literal(.string(let s), _) = e else { return nil }
            return s
        }
        switch expr {
        case .binary(let op, let l, let r, _) where op == .equal || op == .notEqual:
            if let c = stringColumn(l), let s = text(r) {
                return .stringEquals(column: c, literal: ExprBytes(s), equal: op == .equal)
            }
            if let c = stringColumn(r), let s = text(l) {
                return .stringEquals(column: c, literal: ExprBytes(s), equal: op == .equal)
            }
        case .isNull(.column(let name, _), let negated, _):
            if let c = scope.lookup(name) { return .isNull(column: c.index, negated: negated) }
        default:
            break
        }
        return .closure(eval)
    }

    deinit { storage?.deallocate() }

    /// Evaluates every condition over `batch`, unless that was done since it last changed.
    func prepare(_ batch: RowBatch) {
        guard !evaluations.isEmpty, batch !== self.batch || batch.version != version else { return }
        self.batch = batch
        version = batch.version
        if rowCapacity < batch.capacity {
            storage?.deallocate()
            rowCapacity = batch.capacity
            storage = .allocate(capacity: rowCapacity * evaluations.count)
        }
        let views = UnsafePointer(batch.views)
        let n = batch.count
        for (id, e) in evaluations.enumerated() {
            let out = storage! + id * rowCapacity
            switch e {
            case .closure(let eval):
                for row in 0..<n {
                    switch eval(views, row) {
                    case true?: out[row] = 1
                    case false?: out[row] = 0
                    case nil: out[row] = 2
                    }
                }
            case .isNull(let column, let negated):
                let valid = views[column].valid
                for row in 0..<n { out[row] = (valid[row] == 0) != negated ? 1 : 0 }
            case .stringEquals(let column, let literal, let equal):
                let v = views[column]
                let want = literal.buffer
                let hit: UInt8 = equal ? 1 : 0, miss: UInt8 = equal ? 0 : 1
                var start = 0
                for row in 0..<n {
                    let end = v.ends[row]
                    if v.valid[row] == 0 {
                        out[row] = 2
                    } else if end - start == want.count
                        && (want.count == 0 || memcmp(v.bytes + start, want.baseAddress!, want.count) == 0) {
                        out[row] = hit
                    } else {
                        out[row] = miss
                    }
                    start = end
                }
            }
        }
    }

    /// Condition `id`'s byte per row of the batch last prepared.
    @inline(__always)
    func mask(_ id: Int) -> UnsafePointer<UInt8> { UnsafePointer(storage! + id * rowCapacity) }
}
