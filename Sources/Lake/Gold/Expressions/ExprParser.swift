/// Parses an expression by recursive descent, one function per precedence level (low → high):
/// OR; AND; NOT; comparisons, IS [NOT] NULL, [NOT] IN; + -; * / %; unary - +; primary.
enum ExprParser {
    /// Nesting bound (parentheses, calls, signs): keeps the recursive descent, the type checker
    /// and the compiled closures far from the stack's end on any input.
    static let depthMax = 100

    static func parse(_ text: String) throws -> Expr {
        var state = State(tokens: try ExprLexer.tokens(text), bytes: Array(text.utf8))
        return try state.parseAll()
    }

    /// Every function name, for the unknown-function error.
    static var functionNames: [String] {
        (ExprFunction.allCases.map(\.rawValue) + AggregateFunction.allCases.map(\.rawValue))
            .sorted()
    }

    private struct State {
        let tokens: [ExprToken]
        let bytes: [UInt8]
        var index = 0
        var depth = 0

        init(tokens: [ExprToken], bytes: [UInt8]) {
            self.tokens = tokens
            self.bytes = bytes
        }

        var current: ExprToken { tokens[index] }

        mutating func advance() {
            if index < tokens.count - 1 { index += 1 }
        }

        mutating func parseAll() throws(ExprError) -> Expr {
            if current.kind == .end {
                throw ExprError(offset: current.start, "expected an expression")
            }
            let expr = try expression()
            guard current.kind == .end else {
                throw ExprError(
                    offset: current.start, "unexpected \(quoted(current)) after the expression")
            }
            return expr
        }

        mutating func expression() throws(ExprError) -> Expr {
            try nested { (state) throws(ExprError) in try state.or() }
        }

        private mutating func or() throws(ExprError) -> Expr {
            var lhs = try and()
            while current.isKeyword("or") {
                let at = current.start
                advance()
                lhs = .binary(.or, lhs, try and(), operatorOffset: at)
            }
            return lhs
        }

        private mutating func and() throws(ExprError) -> Expr {
            var lhs = try not()
            while current.isKeyword("and") {
                let at = current.start
                advance()
                lhs = .binary(.and, lhs, try not(), operatorOffset: at)
            }
            return lhs
        }

        private mutating func not() throws(ExprError) -> Expr {
            guard current.isKeyword("not") else { return try comparison() }
            let at = current.start
            advance()
            return .unary(
                .not, try nested { (state) throws(ExprError) in try state.not() }, offset: at)
        }

        private static let comparisons: [String: ExprBinaryOperator] = [
            "=": .equal, "==": .equal, "!=": .notEqual, "<>": .notEqual,
            "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
        ]

        private mutating func comparison() throws(ExprError) -> Expr {
            var lhs = try additive()
            while true {
                let at = current.start
                if case .symbol(let symbol) = current.kind, let op = Self.comparisons[symbol] {
                    advance()
                    lhs = .binary(op, lhs, try additive(), operatorOffset: at)
                } else if current.isKeyword("is") {
                    advance()
                    let negated = current.isKeyword("not")
                    if negated { advance() }
                    guard current.isKeyword("null") else {
                        throw ExprError(
                            offset: current.start,
                            "unexpected \(quoted(current)); expected NULL or NOT NULL after IS")
                    }
                    advance()
                    lhs = .isNull(lhs, negated: negated, operatorOffset: at)
                } else if current.isKeyword("in")
                    || (current.isKeyword("not") && tokens[index + 1].isKeyword("in"))
                {
                    let negated = current.isKeyword("not")
                    advance()
                    if negated { advance() }
                    lhs = .inList(lhs, try inList(), negated: negated, operatorOffset: at)
                } else {
                    return lhs
                }
            }
        }

        private mutating func inList() throws(ExprError) -> [Expr] {
            guard current.isSymbol("(") else {
                throw ExprError(
                    offset: current.start, "unexpected \(quoted(current)); expected '(' after IN")
            }
            advance()
            if current.isSymbol(")") {
                throw ExprError(offset: current.start, "empty IN list; expected at least one value")
            }
            var items: [Expr] = []
            while true {
                items.append(try expression())
                if current.isSymbol(")") { break }
                guard current.isSymbol(",") else {
                    throw ExprError(
                        offset: current.start,
                        "unexpected \(quoted(current)); expected ',' or ')' in the IN list")
                }
                advance()
            }
            advance()
            return items
        }

        private mutating func additive() throws(ExprError) -> Expr {
            var lhs = try multiplicative()
            while true {
                let op: ExprBinaryOperator
                if current.isSymbol("+") {
                    op = .add
                } else if current.isSymbol("-") {
                    op = .subtract
                } else {
                    return lhs
                }
                let at = current.start
                advance()
                lhs = .binary(op, lhs, try multiplicative(), operatorOffset: at)
            }
        }

        private mutating func multiplicative() throws(ExprError) -> Expr {
            var lhs = try unary()
            while true {
                let op: ExprBinaryOperator
                switch current.kind {
                case .symbol("*"): op = .multiply
                case .symbol("/"): op = .divide
                case .symbol("%"): op = .remainder
                default: return lhs
                }
                let at = current.start
                advance()
                lhs = .binary(op, lhs, try unary(), operatorOffset: at)
            }
        }

        private mutating func unary() throws(ExprError) -> Expr {
            guard current.isSymbol("-") || current.isSymbol("+") else { return try primary() }
            let negate = current.isSymbol("-")
            let at = current.start
            advance()
            let operand = try nested { (state) throws(ExprError) in try state.unary() }
            // A negative number is one literal, so `round(x, -1)` and the canonical text see it.
            switch (negate, operand) {
            case (true, .literal(.integer(let value), _)):
                return .literal(.integer(-value), offset: at)
            case (true, .literal(.double(let value), _)):
                return .literal(.double(-value), offset: at)
            default: return .unary(negate ? .negate : .plus, operand, offset: at)
            }
        }

        private mutating func primary() throws(ExprError) -> Expr {
            let token = current
            switch token.kind {
            case .integer(let value):
                advance()
                return .literal(.integer(value), offset: token.start)
            case .number(let value):
                advance()
                return .literal(.double(value), offset: token.start)
            case .string(let value):
                advance()
                return .literal(.string(value), offset: token.start)
            case .quotedName(let name):
                advance()
                return .column(name, offset: token.start)
            case .word(let word):
                return try wordPrimary(word, token)
            case .symbol("("):
                advance()
                let inner = try expression()
                guard current.isSymbol(")") else {
                    throw ExprError(
                        offset: current.start,
                        "unexpected \(quoted(current)); "
                            + "expected ')' to close the '(' at offset \(token.start)")
                }
                advance()
                return inner
            default:
                throw expectedExpression()
            }
        }

        private mutating func wordPrimary(_ word: String, _ token: ExprToken) throws(ExprError)
            -> Expr
        {
            let keyword = word.lowercased()
            switch keyword {
            case "true", "false":
                advance()
                return .literal(.bool(keyword == "true"), offset: token.start)
            case "null":
                advance()
                return .literal(.null, offset: token.start)
            case "case":
                return try caseWhen()
            default:
                break
            }
            if ExprLexer.keywords.contains(keyword) { throw expectedExpression() }
            if tokens[index + 1].isSymbol("(") { return try call(keyword, token) }
            advance()
            return .column(word, offset: token.start)
        }

        private mutating func caseWhen() throws(ExprError) -> Expr {
            var node = ExprCase(subject: nil, branches: [], otherwise: nil, offset: current.start)
            advance()
            if !current.isKeyword("when") { node.subject = try expression() }
            guard current.isKeyword("when") else {
                throw ExprError(
                    offset: current.start, "unexpected \(quoted(current)); expected WHEN in CASE")
            }
            while current.isKeyword("when") {
                advance()
                let when = try expression()
                guard current.isKeyword("then") else {
                    let what = node.subject == nil ? "condition" : "value"
                    throw ExprError(
                        offset: current.start,
                        "unexpected \(quoted(current)); expected THEN after the WHEN \(what)")
                }
                advance()
                node.branches.append(ExprWhen(when: when, then: try expression()))
            }
            if current.isKeyword("else") {
                advance()
                node.otherwise = try expression()
                guard current.isKeyword("end") else {
                    throw ExprError(
                        offset: current.start,
                        "unexpected \(quoted(current)); expected END to close CASE")
                }
            }
            guard current.isKeyword("end") else {
                throw ExprError(
                    offset: current.start,
                    "unexpected \(quoted(current)); expected WHEN, ELSE or END in CASE")
            }
            advance()
            return .caseWhen(node)
        }

        /// `name(` … with `current` at the name.
        private mutating func call(_ name: String, _ token: ExprToken) throws(ExprError) -> Expr {
            advance()
            advance()
            if let function = AggregateFunction(rawValue: name) {
                return try aggregate(function, token)
            }
            guard let function = ExprFunction(rawValue: name) else {
                throw ExprError(
                    offset: token.start,
                    "unknown function \(name); expected one of "
                        + ExprParser.functionNames.joined(separator: ", "))
            }
            let arguments = try arguments(of: name)
            try Self.checkArity(function, arguments.count, at: token.start)
            if current.isKeyword("filter") {
                throw ExprError(
                    offset: current.start,
                    "filter (where …) after \(name)(); "
                        + "expected it after an aggregate such as sum")
            }
            return .function(function, arguments, offset: token.start)
        }

        private mutating func arguments(of name: String) throws(ExprError) -> [Expr] {
            var arguments: [Expr] = []
            if current.isSymbol(")") {
                advance()
                return arguments
            }
            while true {
                arguments.append(try expression())
                if current.isSymbol(")") { break }
                guard current.isSymbol(",") else {
                    throw ExprError(
                        offset: current.start, "expected ')' after the arguments of \(name)")
                }
                advance()
            }
            advance()
            return arguments
        }

        private static func checkArity(_ function: ExprFunction, _ count: Int, at offset: Int)
            throws(ExprError)
        {
            let name = function.rawValue
            switch function {
            case .coalesce where count == 0:
                throw ExprError(
                    offset: offset, "coalesce() without arguments; expected coalesce(x, fallback)")
            case .round where count == 0 || count > 2:
                throw ExprError(
                    offset: offset,
                    "round takes 1 or 2 arguments, not \(count); "
                        + "expected round(x) or round(x, digits)")
            case .abs, .lower, .upper:
                if count != 1 {
                    throw ExprError(
                        offset: offset,
                        "\(name) takes 1 argument, not \(count); expected \(name)(x)")
                }
            default:
                break
            }
        }

        /// The rest of an aggregate call after `name(`, then an optional `filter (where p)`.
        private mutating func aggregate(_ function: AggregateFunction, _ token: ExprToken)
            throws(ExprError) -> Expr
        {
            var function = function
            var argument: Expr?
            let name = function.rawValue
            if function == .count, current.isSymbol("*"), tokens[index + 1].isSymbol(")") {
                advance()
            } else if current.isSymbol(")") {
                guard function == .count else {
                    throw ExprError(
                        offset: token.start, "\(name)() without an argument; expected \(name)(x)")
                }
            } else {
                // `count(distinct x)` is how SQL spells count_distinct(x).
                if function == .count, current.isKeyword("distinct"),
                    !tokens[index + 1].isSymbol(")"), !tokens[index + 1].isSymbol(",")
                {
                    function = .countDistinct
                    advance()
                }
                argument = try expression()
                if current.isSymbol(",") {
                    throw ExprError(
                        offset: current.start, "\(name) takes one argument; expected \(name)(x)")
                }
            }
            guard current.isSymbol(")") else {
                throw ExprError(offset: current.start, "expected ')' after the argument of \(name)")
            }
            advance()
            return .aggregate(
                AggregateCall(
                    function: function, argument: argument, filter: try filter(),
                    offset: token.start))
        }

        private mutating func filter() throws(ExprError) -> Expr? {
            guard current.isKeyword("filter") else { return nil }
            advance()
            guard current.isSymbol("(") else {
                throw ExprError(
                    offset: current.start,
                    "unexpected \(quoted(current)); expected '(' after FILTER")
            }
            advance()
            guard current.isKeyword("where") else {
                throw ExprError(
                    offset: current.start,
                    "unexpected \(quoted(current)); expected WHERE after 'filter ('")
            }
            advance()
            let condition = try expression()
            guard current.isSymbol(")") else {
                throw ExprError(
                    offset: current.start,
                    "unexpected \(quoted(current)); expected ')' after the filter condition")
            }
            advance()
            return condition
        }

        private mutating func nested(_ parse: (inout State) throws(ExprError) -> Expr)
            throws(ExprError) -> Expr
        {
            depth += 1
            defer { depth -= 1 }
            guard depth <= ExprParser.depthMax else {
                throw ExprError(
                    offset: current.start,
                    "expression nested too deeply; expected at most \(ExprParser.depthMax) levels")
            }
            return try parse(&self)
        }

        private func expectedExpression() -> ExprError {
            if current.kind == .end {
                guard index > 0 else {
                    return ExprError(offset: current.start, "expected an expression")
                }
                return ExprError(
                    offset: current.start,
                    "expected an expression after \(quoted(tokens[index - 1]))")
            }
            return ExprError(
                offset: current.start, "unexpected \(quoted(current)); expected an expression")
        }

        /// A token as the user wrote it, for messages.
        private func quoted(_ token: ExprToken) -> String {
            if token.kind == .end { return "end of the expression" }
            return "'" + String(decoding: bytes[token.start..<token.end], as: UTF8.self) + "'"
        }
    }
}
