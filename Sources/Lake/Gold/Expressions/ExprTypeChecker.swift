/// Types an expression against a scope, raising every error a job file can hold before anything
/// runs. A nil type is the type of `null`: it unifies with anything.
struct ExprTypeChecker {
    let scope: ExprScope
    /// Where the expression sits (`where`, `having`, a column), for the aggregate error.
    let context: String

    func type(of expr: Expr) throws(ExprError) -> GoldType? {
        switch expr {
        case .literal(let literal, _):
            return literal.type
        case .column(let name, let offset):
            guard let column = scope.lookup(name) else {
                throw scope.unknownColumn(name, at: offset)
            }
            return column.type
        case .unary(let op, let operand, let offset):
            return try unaryType(op, operand, at: offset)
        case .binary(let op, let lhs, let rhs, let at):
            return try binaryType(op, lhs, rhs, at: at)
        case .isNull(let operand, _, _):
            _ = try type(of: operand)
            return .bool
        case .inList(let subject, let list, _, _):
            let subjectType = try type(of: subject)
            for item in list {
                _ = try comparisonType(
                    subject, subjectType, item, try type(of: item), at: item.offset)
            }
            return .bool
        case .caseWhen(let node):
            return try caseType(node)
        case .function(let function, let arguments, _):
            return try functionType(function, arguments)
        case .aggregate(let call):
            throw ExprError(
                offset: call.offset,
                "aggregate \(call.function.rawValue)() is not allowed in \(context)")
        }
    }

    private func unaryType(_ op: ExprUnaryOperator, _ operand: Expr, at offset: Int)
        throws(ExprError) -> GoldType?
    {
        let operandType = try type(of: operand)
        switch op {
        case .not:
            try requireBool(operand, operandType, what: "NOT of")
            return .bool
        case .negate, .plus:
            guard operandType?.isNumeric ?? true else {
                let sign = op == .negate ? "-" : "+"
                let what = Self.describe(operand, type: operandType)
                throw ExprError(offset: offset, "unary \(sign) of \(what); expected a number")
            }
            return operandType
        }
    }

    private func binaryType(
        _ op: ExprBinaryOperator, _ lhs: Expr, _ rhs: Expr, at offset: Int
    ) throws(ExprError) -> GoldType? {
        let left = try type(of: lhs)
        let right = try type(of: rhs)
        switch op {
        case .and, .or:
            let name = op == .and ? "AND" : "OR"
            try requireBool(lhs, left, what: "\(name) of")
            try requireBool(rhs, right, what: "\(name) of")
            return .bool
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            _ = try comparisonType(lhs, left, rhs, right, at: offset)
            return .bool
        case .add, .subtract, .multiply, .divide, .remainder:
            guard left?.isNumeric ?? true, right?.isNumeric ?? true else {
                throw ExprError(
                    offset: offset,
                    "cannot apply \(op.symbol) to \(Self.name(left)) and \(Self.name(right)); "
                        + "expected numbers")
            }
            // DuckDB's rule: `/` always divides as doubles (7 / 2 = 3.5); SQLite would truncate.
            if op == .divide { return .double }
            if left == .double || right == .double { return .double }
            return left ?? right
        }
    }

    /// The type both sides of a comparison are read as: numbers as int64 when both are, else as
    /// double; a string literal compared with a timestamp as that timestamp.
    func comparisonType(
        _ lhs: Expr, _ left: GoldType?, _ rhs: Expr, _ right: GoldType?, at offset: Int
    ) throws(ExprError) -> GoldType? {
        guard let left, let right else { return left ?? right }
        if left == right { return left }
        if left.isNumeric, right.isNumeric { return .double }
        if left == .timestamp, right == .string, let text = rhs.stringLiteral {
            _ = try Self.timestamp(text, at: rhs.offset)
            return .timestamp
        }
        if right == .timestamp, left == .string, let text = lhs.stringLiteral {
            _ = try Self.timestamp(text, at: lhs.offset)
            return .timestamp
        }
        if left == .timestamp || right == .timestamp {
            throw ExprError(
                offset: offset,
                "cannot compare \(left.rawValue) with \(right.rawValue); "
                    + "expected a timestamp or a literal like '2026-01-29 10:15:00'")
        }
        throw ExprError(
            offset: offset,
            "cannot compare \(left.rawValue) with \(right.rawValue); "
                + "expected two values of one type")
    }

    /// A string literal read as a timestamp, at compile time: a bad one is the job's error.
    static func timestamp(_ text: String, at offset: Int) throws(ExprError) -> Int64 {
        guard let micros = ExprTimestamp.micros(text) else {
            throw ExprError(
                offset: offset,
                "bad timestamp '\(text)'; expected YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|±HH:MM]")
        }
        return micros
    }

    private func caseType(_ node: ExprCase) throws(ExprError) -> GoldType? {
        let subjectType =
            try node.subject.map { (subject) throws(ExprError) in try type(of: subject) } ?? nil
        var result: GoldType?
        for branch in node.branches {
            let whenType = try type(of: branch.when)
            if let subject = node.subject {
                _ = try comparisonType(
                    subject, subjectType, branch.when, whenType, at: branch.when.offset)
            } else {
                try requireBool(branch.when, whenType, what: "WHEN of")
            }
            result = try unify(result, branch.then, what: "CASE mixes")
        }
        if let otherwise = node.otherwise {
            result = try unify(result, otherwise, what: "CASE mixes")
        }
        return result
    }

    private func functionType(_ function: ExprFunction, _ arguments: [Expr]) throws(ExprError)
        -> GoldType?
    {
        let name = function.rawValue
        switch function {
        case .coalesce:
            var result: GoldType?
            for argument in arguments {
                result = try unify(result, argument, what: "coalesce mixes")
            }
            return result
        case .round, .abs:
            if function == .round, arguments.count == 2 { _ = try Self.roundDigits(arguments[1]) }
            let argumentType = try type(of: arguments[0])
            guard argumentType?.isNumeric ?? true else {
                let what = Self.describe(arguments[0], type: argumentType)
                throw ExprError(
                    offset: arguments[0].offset, "\(name) of \(what); expected a number")
            }
            return argumentType
        case .lower, .upper:
            let argumentType = try type(of: arguments[0])
            guard argumentType == nil || argumentType == .string else {
                let what = Self.describe(arguments[0], type: argumentType)
                throw ExprError(
                    offset: arguments[0].offset, "\(name) of \(what); expected a string")
            }
            return .string
        }
    }

    /// round's digits: an integer literal, so the scale is fixed when the job loads.
    static func roundDigits(_ expr: Expr) throws(ExprError) -> Int {
        guard case .literal(.integer(let digits), _) = expr, (0...15).contains(digits) else {
            throw ExprError(
                offset: expr.offset,
                "round's digits must be an integer literal from 0 to 15; expected e.g. round(x, 2)")
        }
        return Int(digits)
    }

    /// The type of branches or arguments that must agree: one type, int64 with double as double,
    /// null with anything.
    private func unify(_ current: GoldType?, _ expr: Expr, what: String) throws(ExprError)
        -> GoldType?
    {
        guard let next = try type(of: expr) else { return current }
        guard let current else { return next }
        if current == next { return current }
        if current.isNumeric, next.isNumeric { return .double }
        throw ExprError(
            offset: expr.offset,
            "\(what) \(current.rawValue) and \(next.rawValue); expected values of one type")
    }

    private func requireBool(_ expr: Expr, _ type: GoldType?, what: String) throws(ExprError) {
        guard type == nil || type == .bool else {
            throw ExprError(
                offset: expr.offset,
                "\(what) \(Self.describe(expr, type: type)); expected a boolean")
        }
    }

    /// "a string column category", "an int64 expression": how errors name an operand.
    static func describe(_ expr: Expr, type: GoldType?) -> String {
        guard let type else { return "null" }
        let article = type == .int64 ? "an" : "a"
        if case .column(let name, _) = expr {
            return "\(article) \(type.rawValue) column \(ExprLexer.quotedIfNeeded(name))"
        }
        return "\(article) \(type.rawValue) expression"
    }

    private static func name(_ type: GoldType?) -> String { type?.rawValue ?? "null" }
}

extension ExprLiteral {
    var type: GoldType? {
        switch self {
        case .integer: .int64
        case .double: .double
        case .string: .string
        case .bool: .bool
        case .null: nil
        }
    }
}
