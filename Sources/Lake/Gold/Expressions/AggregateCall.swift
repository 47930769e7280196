/// The aggregates an output column may call; each takes an optional `filter (where p)`.
enum AggregateFunction: String, CaseIterable {
    case count, sum, avg, min, max
    case countDistinct = "count_distinct"
    case any, all, first, last
}

/// One aggregate call of an output column, with canonical text so that `sum(amount)` written in
/// two columns is computed once.
struct AggregateCall: Equatable {
    var function: AggregateFunction
    /// nil for `count()` and `count(*)`.
    var argument: Expr?
    /// From `filter (where p)`.
    var filter: Expr?
    var offset: Int
    /// Canonical text, e.g. `sum(amount) filter (where event_type = 'PURCHASE')`.
    var text: String

    /// Equal calls compute the same value wherever they are written.
    static func == (lhs: AggregateCall, rhs: AggregateCall) -> Bool {
        lhs.function == rhs.function && lhs.text == rhs.text
    }

    /// Result type given the argument's type (nil for `count()`); throws for an argument the
    /// function cannot take.
    func resultType(argumentType: GoldType?) throws -> GoldType {
        switch function {
        case .count, .countDistinct:
            return .int64
        case .sum:
            return try requireArgument(argumentType, expected: "a number") { $0.isNumeric }
        case .avg:
            _ = try requireArgument(argumentType, expected: "a number") { $0.isNumeric }
            return .double
        case .min, .max, .first, .last:
            return try requireArgument(argumentType, expected: "a value") { _ in true }
        case .any, .all:
            _ = try requireArgument(argumentType, expected: "a boolean condition") { $0 == .bool }
            return .bool
        }
    }

    private func requireArgument(
        _ type: GoldType?, expected: String, accepts: (GoldType) -> Bool
    ) throws(ExprError) -> GoldType {
        guard let type else {
            throw ExprError(
                offset: offset, "\(function.rawValue)() without an argument; expected \(expected)")
        }
        guard accepts(type) else {
            let what = argument.map { ExprTypeChecker.describe($0, type: type) } ?? type.rawValue
            throw ExprError(
                offset: argument?.offset ?? offset,
                "\(function.rawValue) of \(what); expected \(expected)")
        }
        return type
    }
}

extension AggregateCall {
    /// A call with its canonical text, which prints the argument and filter canonically.
    init(function: AggregateFunction, argument: Expr?, filter: Expr?, offset: Int) {
        var text = "\(function.rawValue)(\(argument?.description ?? ""))"
        if let filter { text += " filter (where \(filter))" }
        self.init(
            function: function, argument: argument, filter: filter, offset: offset, text: text)
    }
}

extension Expr {
    /// Replaces every aggregate call by a column reference named `name(i)`, `i` being the call's
    /// index in `calls` (equal calls share one index; new calls are appended). An aggregate
    /// inside another's argument or filter is an error: SQL computes aggregates over rows, and
    /// an aggregate is not a row value.
    func extractingAggregates(
        into calls: inout [AggregateCall], name: (Int) -> String
    ) throws -> Expr {
        guard case .aggregate(let call) = self else {
            return try mappingChildren { try $0.extractingAggregates(into: &calls, name: name) }
        }
        for inner in [call.argument, call.filter].compactMap({ $0 }) {
            if let nested = inner.firstAggregate {
                let outer = call.function.rawValue
                throw ExprError(
                    offset: nested.offset,
                    "aggregate \(nested.function.rawValue)() inside \(outer)(); "
                        + "expected a row expression such as a column")
            }
        }
        if let index = calls.firstIndex(of: call) {
            return .column(name(index), offset: call.offset)
        }
        calls.append(call)
        return .column(name(calls.count - 1), offset: call.offset)
    }
}
