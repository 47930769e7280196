/// Whether an expression can yield NULL, so a gold table's Parquet columns are REQUIRED where
/// no row can be NULL (as the columns of `gold_session_stats` always were) and OPTIONAL
/// otherwise. Conservative: "may be NULL" whenever unsure.
enum ExprNullability {
    /// `columnMayBeNull` says it for a column name (silver columns, leading and output columns).
    static func mayBeNull(_ e: Expr, _ columnMayBeNull: (String) -> Bool) -> Bool {
        switch e {
        case .literal(let l, _):
            return l == .null
        case .column(let name, _):
            return columnMayBeNull(name)
        case .unary(_, let operand, _):
            return mayBeNull(operand, columnMayBeNull)
        case .binary(let op, let lhs, let rhs, _):
            switch op {
            // Division and remainder by zero, and integer overflow, are NULL.
            case .divide, .remainder, .add, .subtract, .multiply: return true
            default: return mayBeNull(lhs, columnMayBeNull) || mayBeNull(rhs, columnMayBeNull)
            }
        case .isNull:
            return false
        case .inList(let subject, let list, _, _):
            return ([subject] + list).contains { mayBeNull($0, columnMayBeNull) }
        case .caseWhen(let c):
            guard let otherwise = c.otherwise else { return true }
            return ([otherwise] + c.branches.map(\.then)).contains { mayBeNull($0, columnMayBeNull) }
        case .function(let f, let arguments, _):
            if f == .coalesce { return arguments.allSatisfy { mayBeNull($0, columnMayBeNull) } }
            return arguments.contains { mayBeNull($0, columnMayBeNull) }
        case .aggregate(let call):
            switch call.function {
            case .count, .countDistinct: return false
            default:
                // Over a non-empty group, NULL only through the filter or NULL arguments.
                return call.filter != nil || (call.argument.map { mayBeNull($0, columnMayBeNull) } ?? false)
            }
        }
    }
}
