/// Canonical text: lower-case keywords, one spelling per operator, only the parentheses that
/// precedence needs. Two spellings of one expression print alike, which is what makes equal
/// aggregate calls share one accumulator, and the text reparses to the same tree.
extension Expr: CustomStringConvertible {
    var description: String {
        switch self {
        case .literal(let literal, _):
            return literal.text
        case .column(let name, _):
            return ExprLexer.quotedIfNeeded(name)
        case .unary(let op, let operand, _):
            return unaryText(op, operand)
        case .binary(let op, let lhs, let rhs, _):
            let left = lhs.text(parenthesisedBelow: op.precedence)
            // Left associative: an equal-precedence right operand was parenthesised in the source.
            let right = rhs.text(parenthesisedBelow: op.precedence + 1)
            return "\(left) \(op.symbol) \(right)"
        case .isNull(let operand, let negated, _):
            let left = operand.text(parenthesisedBelow: ExprPrecedence.comparison)
            return left + (negated ? " is not null" : " is null")
        case .inList(let subject, let list, let negated, _):
            let left = subject.text(parenthesisedBelow: ExprPrecedence.comparison)
            let items = list.map(\.description).joined(separator: ", ")
            return "\(left)\(negated ? " not" : "") in (\(items))"
        case .caseWhen(let node):
            return node.text
        case .function(let function, let arguments, _):
            return "\(function.rawValue)(\(arguments.map(\.description).joined(separator: ", ")))"
        case .aggregate(let call):
            return call.text
        }
    }

    var precedence: Int {
        switch self {
        case .literal, .column, .caseWhen, .function, .aggregate: ExprPrecedence.primary
        case .unary(.not, _, _): ExprPrecedence.not
        case .unary: ExprPrecedence.unary
        case .binary(let op, _, _, _): op.precedence
        case .isNull, .inList: ExprPrecedence.comparison
        }
    }

    private func text(parenthesisedBelow minimum: Int) -> String {
        precedence < minimum ? "(\(description))" : description
    }

    private func unaryText(_ op: ExprUnaryOperator, _ operand: Expr) -> String {
        switch op {
        case .not:
            return "not " + operand.text(parenthesisedBelow: ExprPrecedence.not)
        case .negate, .plus:
            // `- -x` would read as the start of a comment in SQL; a nested sign gets parentheses.
            let nested: Bool
            if case .unary(let inner, _, _) = operand, inner != .not {
                nested = true
            } else {
                nested = false
            }
            let text =
                nested ? "(\(operand))" : operand.text(parenthesisedBelow: ExprPrecedence.unary)
            return (op == .negate ? "-" : "+") + text
        }
    }
}

extension ExprLiteral {
    var text: String {
        switch self {
        case .integer(let value): "\(value)"
        case .double(let value): "\(value)"
        case .string(let value): ExprLexer.quoted(value, by: "'")
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }
}

extension ExprCase {
    var text: String {
        var parts = ["case"]
        if let subject { parts.append(subject.description) }
        for branch in branches {
            parts.append("when \(branch.when) then \(branch.then)")
        }
        if let otherwise { parts.append("else \(otherwise)") }
        parts.append("end")
        return parts.joined(separator: " ")
    }
}
