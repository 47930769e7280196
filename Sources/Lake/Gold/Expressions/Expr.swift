/// An expression of a gold job file (`where`, `having`, output columns): a subset of SQL as
/// SQLite and DuckDB spell it. Every node keeps the UTF-8 byte offset where it starts in the
/// expression text, so the job loader can turn an error into `file:line:column`.
indirect enum Expr {
    case literal(ExprLiteral, offset: Int)
    case column(String, offset: Int)
    case unary(ExprUnaryOperator, Expr, offset: Int)
    /// Starts where its left operand starts; `operatorOffset` is where type errors point.
    case binary(ExprBinaryOperator, Expr, Expr, operatorOffset: Int)
    case isNull(Expr, negated: Bool, operatorOffset: Int)
    case inList(Expr, [Expr], negated: Bool, operatorOffset: Int)
    case caseWhen(ExprCase)
    case function(ExprFunction, [Expr], offset: Int)
    case aggregate(AggregateCall)
}

enum ExprLiteral: Equatable {
    case integer(Int64)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null
}

enum ExprUnaryOperator: Equatable {
    case negate, plus, not
}

enum ExprBinaryOperator: Equatable {
    case or, and
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
    case add, subtract, multiply, divide, remainder

    /// The canonical spelling (`==` prints as `=`, `<>` as `!=`).
    var symbol: String {
        switch self {
        case .or: "or"
        case .and: "and"
        case .equal: "="
        case .notEqual: "!="
        case .less: "<"
        case .lessOrEqual: "<="
        case .greater: ">"
        case .greaterOrEqual: ">="
        case .add: "+"
        case .subtract: "-"
        case .multiply: "*"
        case .divide: "/"
        case .remainder: "%"
        }
    }

    /// Binding strength, low to high, in the order of the parser's levels; the canonical
    /// printer parenthesises by it.
    var precedence: Int {
        switch self {
        case .or: ExprPrecedence.or
        case .and: ExprPrecedence.and
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            ExprPrecedence.comparison
        case .add, .subtract: ExprPrecedence.additive
        case .multiply, .divide, .remainder: ExprPrecedence.multiplicative
        }
    }
}

enum ExprPrecedence {
    static let or = 1
    static let and = 2
    static let not = 3
    static let comparison = 4
    static let additive = 5
    static let multiplicative = 6
    static let unary = 7
    static let primary = 8
}

/// Scalar functions; aggregates are `AggregateFunction`.
enum ExprFunction: String, CaseIterable {
    case coalesce, round, abs, lower, upper
}

/// `CASE [subject] WHEN … THEN … [ELSE …] END`; with a subject, each `when` is a value
/// compared to it with `=`, otherwise a condition.
struct ExprCase {
    var subject: Expr?
    var branches: [ExprWhen]
    var otherwise: Expr?
    var offset: Int
}

struct ExprWhen {
    var when: Expr
    var then: Expr
}

/// An error in an expression: where (UTF-8 byte offset into its text) and one line saying what
/// is wrong and what is expected.
struct ExprError: Error, Equatable, CustomStringConvertible {
    var offset: Int
    var message: String

    init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }

    init(offset: Int, message: String) {
        self.init(offset: offset, message)
    }

    var description: String { "offset \(offset): \(message)" }
}

extension Expr {
    var offset: Int {
        switch self {
        case .literal(_, let offset), .column(_, let offset), .unary(_, _, let offset),
            .function(_, _, let offset):
            offset
        case .binary(_, let lhs, _, _), .isNull(let lhs, _, _), .inList(let lhs, _, _, _):
            lhs.offset
        case .caseWhen(let node): node.offset
        case .aggregate(let call): call.offset
        }
    }

    /// The direct sub-expressions, aggregate arguments and filters included.
    var children: [Expr] {
        switch self {
        case .literal, .column: []
        case .unary(_, let operand, _): [operand]
        case .binary(_, let lhs, let rhs, _): [lhs, rhs]
        case .isNull(let operand, _, _): [operand]
        case .inList(let subject, let list, _, _): [subject] + list
        case .caseWhen(let node):
            [node.subject].compactMap { $0 } + node.branches.flatMap { [$0.when, $0.then] }
                + [node.otherwise].compactMap { $0 }
        case .function(_, let arguments, _): arguments
        case .aggregate(let call): [call.argument, call.filter].compactMap { $0 }
        }
    }

    /// The same node over transformed children (an aggregate's argument and filter included).
    func mappingChildren(_ transform: (Expr) throws -> Expr) rethrows -> Expr {
        switch self {
        case .literal, .column:
            return self
        case .unary(let op, let operand, let offset):
            return .unary(op, try transform(operand), offset: offset)
        case .binary(let op, let lhs, let rhs, let at):
            return .binary(op, try transform(lhs), try transform(rhs), operatorOffset: at)
        case .isNull(let operand, let negated, let at):
            return .isNull(try transform(operand), negated: negated, operatorOffset: at)
        case .inList(let subject, let list, let negated, let at):
            return .inList(
                try transform(subject), try list.map(transform), negated: negated,
                operatorOffset: at)
        case .caseWhen(var node):
            node.subject = try node.subject.map(transform)
            node.branches = try node.branches.map {
                ExprWhen(when: try transform($0.when), then: try transform($0.then))
            }
            node.otherwise = try node.otherwise.map(transform)
            return .caseWhen(node)
        case .function(let function, let arguments, let offset):
            return .function(function, try arguments.map(transform), offset: offset)
        case .aggregate(let call):
            return .aggregate(
                AggregateCall(
                    function: call.function, argument: try call.argument.map(transform),
                    filter: try call.filter.map(transform), offset: call.offset))
        }
    }

    /// Column names referenced outside aggregate calls, each once, in order of appearance: the
    /// columns a row-level evaluation of this expression reads.
    var columnNames: [String] {
        var names: [String] = []
        collectColumnNames(into: &names)
        return names
    }

    private func collectColumnNames(into names: inout [String]) {
        switch self {
        case .column(let name, _):
            if !names.contains(name) { names.append(name) }
        case .aggregate:
            return
        default:
            for child in children { child.collectColumnNames(into: &names) }
        }
    }

    var containsAggregate: Bool { firstAggregate != nil }

    /// The first aggregate call in reading order, for errors that point at it.
    var firstAggregate: AggregateCall? {
        if case .aggregate(let call) = self { return call }
        for child in children {
            if let call = child.firstAggregate { return call }
        }
        return nil
    }

    /// A string literal (parentheses are not nodes), which comparisons with a timestamp read as
    /// a timestamp.
    var stringLiteral: String? {
        if case .literal(.string(let text), _) = self { return text }
        return nil
    }
}
