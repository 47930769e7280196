#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a checked expression into closures (`CompiledExpr`), once per job load.
enum ExprCompiler {
    /// Compiles a scalar expression; an aggregate call anywhere in it is an error naming
    /// `context` ("aggregate sum() is not allowed in where").
    static func compile(_ expr: Expr, scope: ExprScope, context: String) throws -> CompiledExpr {
        let checker = ExprTypeChecker(scope: scope, context: context)
        let type = try rootType(expr, checker)
        return try ExprClosureBuilder(checker: checker).compile(expr, as: type)
    }

    /// Type of an expression without compiling (same errors).
    static func type(of expr: Expr, scope: ExprScope, context: String) throws -> GoldType {
        try rootType(expr, ExprTypeChecker(scope: scope, context: context))
    }

    /// An expression that is only ever NULL (`null`, `coalesce(null)`) has no type of its own;
    /// it is read as int64, the type DuckDB casts a bare NULL to (an integer), and stays NULL.
    private static func rootType(_ expr: Expr, _ checker: ExprTypeChecker) throws(ExprError)
        -> GoldType
    {
        try checker.type(of: expr) ?? .int64
    }
}

/// Builds the closures of an expression the checker accepted; it asks the checker for the
/// types of sub-expressions (expressions are short, so re-typing a subtree costs nothing).
struct ExprClosureBuilder {
    let checker: ExprTypeChecker

    /// `expr` compiled and read as `target`: an int64 widened to double, a string literal read
    /// as a timestamp, `null` as a NULL of `target`.
    func compile(_ expr: Expr, as target: GoldType) throws(ExprError) -> CompiledExpr {
        guard let natural = try checker.type(of: expr) else { return .null(target) }
        if natural == target { return try compileNatural(expr, natural) }
        switch (natural, target) {
        case (.int64, .double):
            return .double(try compileNatural(expr, .int64).doubleEval)
        case (.string, .timestamp):
            guard let text = expr.stringLiteral else { break }
            let micros = try ExprTypeChecker.timestamp(text, at: expr.offset)
            return .timestamp { _, _ in micros }
        default:
            break
        }
        preconditionFailure("the checker let \(natural) through where \(target) is read")
    }

    /// `expr` compiled as its own (non-null) type.
    private func compileNatural(_ expr: Expr, _ type: GoldType) throws(ExprError) -> CompiledExpr {
        switch expr {
        case .literal(let literal, _):
            return Self.literal(literal, type)
        case .column(let name, let offset):
            guard let column = checker.scope.lookup(name) else {
                throw checker.scope.unknownColumn(name, at: offset)
            }
            return Self.column(column.index, column.type)
        case .unary(let op, let operand, _):
            return try unary(op, operand, type)
        case .binary(let op, let lhs, let rhs, let at):
            return try binary(op, lhs, rhs, type, at: at)
        case .isNull(let operand, let negated, _):
            return try isNull(operand, negated: negated)
        case .inList(let subject, let list, let negated, _):
            return try inList(subject, list, negated: negated)
        case .caseWhen(let node):
            return try caseWhen(node, type)
        case .function(let function, let arguments, _):
            return try call(function, arguments, type)
        case .aggregate:
            // The checker rejects an aggregate in a scalar expression before anything compiles.
            _ = try checker.type(of: expr)
            preconditionFailure("aggregate reached the scalar compiler")
        }
    }

    private static func literal(_ literal: ExprLiteral, _ type: GoldType) -> CompiledExpr {
        switch literal {
        case .integer(let value): return .int64 { _, _ in value }
        case .double(let value): return .double { _, _ in value }
        case .bool(let value): return .bool { _, _ in value }
        case .string(let text):
            let bytes = ExprBytes(text)
            return .string { _, _ in bytes.buffer }
        case .null: return .null(type)
        }
    }

    private static func column(_ index: Int, _ type: GoldType) -> CompiledExpr {
        switch type {
        case .int64:
            .int64 { columns, row in columns[index].isNull(row) ? nil : columns[index].int(row) }
        case .timestamp:
            .timestamp { columns, row in columns[index].isNull(row) ? nil : columns[index].int(row)
            }
        case .double:
            .double { columns, row in columns[index].isNull(row) ? nil : columns[index].double(row)
            }
        case .bool:
            .bool { columns, row in columns[index].isNull(row) ? nil : columns[index].bool(row) }
        case .string:
            .string { columns, row in columns[index].isNull(row) ? nil : columns[index].string(row)
            }
        }
    }

    private func unary(_ op: ExprUnaryOperator, _ operand: Expr, _ type: GoldType) throws(ExprError)
        -> CompiledExpr
    {
        let inner = try compile(operand, as: type)
        switch (op, inner) {
        case (.not, .bool(let eval)):
            return .bool { columns, row in eval(columns, row).map { !$0 } }
        case (.negate, .int64(let eval)):
            return .int64 { columns, row in
                guard let value = eval(columns, row) else { return nil }
                let (negated, overflow) = Int64(0).subtractingReportingOverflow(value)
                return overflow ? nil : negated
            }
        case (.negate, .double(let eval)):
            return .double { columns, row in eval(columns, row).map { -$0 } }
        default:
            return inner
        }
    }

    private func binary(
        _ op: ExprBinaryOperator, _ lhs: Expr, _ rhs: Expr, _ type: GoldType, at offset: Int
    ) throws(ExprError) -> CompiledExpr {
        switch op {
        case .and, .or:
            let left = try compile(lhs, as: .bool).boolEval
            let right = try compile(rhs, as: .bool).boolEval
            return .bool(op == .and ? Self.and(left, right) : Self.or(left, right))
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            return try comparison(op, lhs, rhs, at: offset)
        case .add, .subtract, .multiply, .divide, .remainder:
            if type == .int64 {
                return .int64(
                    Self.integerArithmetic(
                        op, try compile(lhs, as: .int64).int64Eval,
                        try compile(rhs, as: .int64).int64Eval))
            }
            return .double(
                Self.doubleArithmetic(
                    op, try compile(lhs, as: .double).doubleEval,
                    try compile(rhs, as: .double).doubleEval))
        }
    }

    // SQL's three-valued logic: false AND NULL is false, true OR NULL is true, else NULL wins.

    private static func and(_ lhs: @escaping ExprEval<Bool>, _ rhs: @escaping ExprEval<Bool>)
        -> ExprEval<Bool>
    {
        { columns, row in
            let left = lhs(columns, row)
            if left == false { return false }
            let right = rhs(columns, row)
            if right == false { return false }
            return left == nil || right == nil ? nil : true
        }
    }

    private static func or(_ lhs: @escaping ExprEval<Bool>, _ rhs: @escaping ExprEval<Bool>)
        -> ExprEval<Bool>
    {
        { columns, row in
            let left = lhs(columns, row)
            if left == true { return true }
            let right = rhs(columns, row)
            if right == true { return true }
            return left == nil || right == nil ? nil : false
        }
    }

    /// Overflow, division and remainder by zero are NULL rather than a trap: one bad row must
    /// not stop a pipeline.
    private static func integerArithmetic(
        _ op: ExprBinaryOperator, _ lhs: @escaping ExprEval<Int64>, _ rhs: @escaping ExprEval<Int64>
    ) -> ExprEval<Int64> {
        let apply: (Int64, Int64) -> (partialValue: Int64, overflow: Bool)
        switch op {
        case .add: apply = { $0.addingReportingOverflow($1) }
        case .subtract: apply = { $0.subtractingReportingOverflow($1) }
        case .multiply: apply = { $0.multipliedReportingOverflow(by: $1) }
        default: apply = { $1 == 0 ? (0, true) : $0.remainderReportingOverflow(dividingBy: $1) }
        }
        return { columns, row in
            guard let left = lhs(columns, row), let right = rhs(columns, row) else { return nil }
            let result = apply(left, right)
            return result.overflow ? nil : result.partialValue
        }
    }

    private static func doubleArithmetic(
        _ op: ExprBinaryOperator, _ lhs: @escaping ExprEval<Double>,
        _ rhs: @escaping ExprEval<Double>
    ) -> ExprEval<Double> {
        switch op {
        case .add:
            return { columns, row in
                lhs(columns, row).flatMap { a in rhs(columns, row).map { a + $0 } }
            }
        case .subtract:
            return { columns, row in
                lhs(columns, row).flatMap { a in rhs(columns, row).map { a - $0 } }
            }
        case .multiply:
            return { columns, row in
                lhs(columns, row).flatMap { a in rhs(columns, row).map { a * $0 } }
            }
        case .divide:
            return { columns, row in
                guard let left = lhs(columns, row), let right = rhs(columns, row), right != 0 else {
                    return nil
                }
                return left / right
            }
        default:
            // fmod's sign rule (the dividend's), as SQLite and DuckDB compute a double remainder.
            return { columns, row in
                guard let left = lhs(columns, row), let right = rhs(columns, row), right != 0 else {
                    return nil
                }
                return left.truncatingRemainder(dividingBy: right)
            }
        }
    }

    private func isNull(_ operand: Expr, negated: Bool) throws(ExprError) -> CompiledExpr {
        guard let type = try checker.type(of: operand) else { return .bool { _, _ in !negated } }
        let test: (UnsafePointer<ColumnView>, Int) -> Bool
        switch try compile(operand, as: type) {
        case .int64(let eval), .timestamp(let eval): test = { eval($0, $1) == nil }
        case .double(let eval): test = { eval($0, $1) == nil }
        case .bool(let eval): test = { eval($0, $1) == nil }
        case .string(let eval): test = { eval($0, $1) == nil }
        }
        return .bool { columns, row in test(columns, row) != negated }
    }

    // MARK: comparisons

    private func comparison(
        _ op: ExprBinaryOperator, _ lhs: Expr, _ rhs: Expr, at offset: Int
    ) throws(ExprError) -> CompiledExpr {
        let type = try checker.comparisonType(
            lhs, try checker.type(of: lhs), rhs, try checker.type(of: rhs), at: offset)
        guard let type else { return .bool { _, _ in nil } }
        let left = try compile(lhs, as: type)
        switch type {
        case .double:
            return .bool(Self.compare(op, left.doubleEval, try compile(rhs, as: type).doubleEval))
        case .string:
            if let text = rhs.stringLiteral {
                return .bool(Self.compare(op, left.stringEval, literal: ExprBytes(text)))
            }
            return .bool(Self.compare(op, left.stringEval, try compile(rhs, as: type).stringEval))
        case .int64, .timestamp, .bool:
            return .bool(Self.compare(op, left.int64Eval, try compile(rhs, as: type).int64Eval))
        }
    }

    private static func compare<Value: Comparable>(
        _ op: ExprBinaryOperator, _ lhs: @escaping ExprEval<Value>, _ rhs: @escaping ExprEval<Value>
    ) -> ExprEval<Bool> {
        let test = Self.test(op)
        return { columns, row in
            guard let left = lhs(columns, row), let right = rhs(columns, row) else { return nil }
            return test(left < right ? -1 : (left == right ? 0 : 1))
        }
    }

    private static func compare(
        _ op: ExprBinaryOperator, _ lhs: @escaping ExprEval<UnsafeRawBufferPointer>,
        _ rhs: @escaping ExprEval<UnsafeRawBufferPointer>
    ) -> ExprEval<Bool> {
        if op == .equal || op == .notEqual {
            let equal = op == .equal
            return { columns, row in
                guard let left = lhs(columns, row), let right = rhs(columns, row) else {
                    return nil
                }
                return bytesEqual(left, right) == equal
            }
        }
        let test = Self.test(op)
        return { columns, row in
            guard let left = lhs(columns, row), let right = rhs(columns, row) else { return nil }
            return test(bytesOrder(left, right))
        }
    }

    /// `column = 'LITERAL'`, the commonest predicate of a job file, without a call for the literal.
    private static func compare(
        _ op: ExprBinaryOperator, _ lhs: @escaping ExprEval<UnsafeRawBufferPointer>,
        literal: ExprBytes
    ) -> ExprEval<Bool> {
        if op == .equal || op == .notEqual {
            let equal = op == .equal
            return { columns, row in
                lhs(columns, row).map { bytesEqual($0, literal.buffer) == equal }
            }
        }
        let test = Self.test(op)
        return { columns, row in lhs(columns, row).map { test(bytesOrder($0, literal.buffer)) } }
    }

    /// Maps an ordering (negative, zero, positive) to the comparison's result.
    private static func test(_ op: ExprBinaryOperator) -> (Int) -> Bool {
        switch op {
        case .equal: { $0 == 0 }
        case .notEqual: { $0 != 0 }
        case .less: { $0 < 0 }
        case .lessOrEqual: { $0 <= 0 }
        case .greater: { $0 > 0 }
        default: { $0 >= 0 }
        }
    }

    /// Byte equality: lengths first, then memcmp.
    @inline(__always) static func bytesEqual(
        _ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer
    ) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard lhs.count > 0, let left = lhs.baseAddress, let right = rhs.baseAddress else {
            return true
        }
        return memcmp(left, right, lhs.count) == 0
    }

    /// memcmp order, a prefix before the longer string (SQLite's BINARY collation, DuckDB's).
    @inline(__always) static func bytesOrder(
        _ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer
    ) -> Int {
        let count = Swift.min(lhs.count, rhs.count)
        if count > 0, let left = lhs.baseAddress, let right = rhs.baseAddress {
            let order = memcmp(left, right, count)
            if order != 0 { return Int(order) }
        }
        return lhs.count - rhs.count
    }
}
