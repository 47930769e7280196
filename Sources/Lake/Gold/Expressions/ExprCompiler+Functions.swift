/// Which branch of a CASE a row takes: its index, or -1 for none (the ELSE).
typealias ExprMatch = (UnsafePointer<ColumnView>, Int) -> Int

/// IN, CASE and the scalar functions: the nodes with lists of operands, held in contiguous
/// arrays built at compile time so a row walks them without allocating. The row loops index
/// the arrays: a for-in over closures boxes its iterator in unspecialised (debug) generic code.
extension ExprClosureBuilder {
    func inList(_ subject: Expr, _ list: [Expr], negated: Bool) throws(ExprError) -> CompiledExpr {
        guard let type = try listComparisonType(subject, list) else { return .bool { _, _ in nil } }
        let value = try compile(subject, as: type)
        var items: [CompiledExpr] = []
        for item in list { items.append(try compile(item, as: type)) }
        switch type {
        case .double:
            return .bool(
                Self.membership(
                    value.doubleEval, items.map(\.doubleEval), negated: negated, equal: ==))
        case .string:
            return .bool(
                Self.membership(
                    value.stringEval, items.map(\.stringEval), negated: negated,
                    equal: ExprClosureBuilder.bytesEqual))
        case .int64, .timestamp, .bool:
            return .bool(
                Self.membership(
                    value.int64Eval, items.map(\.int64Eval), negated: negated, equal: ==))
        }
    }

    /// The one type a subject and its candidates (IN items, simple CASE values) are compared as;
    /// nil when every side is `null`.
    private func listComparisonType(_ subject: Expr, _ candidates: [Expr]) throws(ExprError)
        -> GoldType?
    {
        let subjectType = try checker.type(of: subject)
        var types: [GoldType] = []
        for candidate in candidates {
            let candidateType = try checker.type(of: candidate)
            if let type = try checker.comparisonType(
                subject, subjectType, candidate, candidateType, at: candidate.offset)
            {
                types.append(type)
            }
        }
        if types.contains(.double) { return .double }
        if types.contains(.timestamp) { return .timestamp }
        return types.first
    }

    /// SQL's IN: true on a match; otherwise NULL when the subject or a candidate was NULL.
    private static func membership<Value>(
        _ subject: @escaping ExprEval<Value>, _ candidates: [ExprEval<Value>], negated: Bool,
        equal: @escaping (Value, Value) -> Bool
    ) -> ExprEval<Bool> {
        let candidates = ContiguousArray(candidates)
        return { columns, row in
            guard let value = subject(columns, row) else { return nil }
            var sawNull = false
            for index in candidates.indices {
                guard let other = candidates[index](columns, row) else {
                    sawNull = true
                    continue
                }
                if equal(value, other) { return !negated }
            }
            return sawNull ? nil : negated
        }
    }

    // MARK: CASE

    func caseWhen(_ node: ExprCase, _ type: GoldType) throws(ExprError) -> CompiledExpr {
        let match = try caseMatch(node)
        var results: [CompiledExpr] = []
        for branch in node.branches { results.append(try compile(branch.then, as: type)) }
        let otherwise = try node.otherwise.map { (expr) throws(ExprError) in
            try compile(expr, as: type)
        }
        switch type {
        case .int64:
            return .int64(Self.choose(match, results.map(\.int64Eval), otherwise?.int64Eval))
        case .timestamp:
            return .timestamp(Self.choose(match, results.map(\.int64Eval), otherwise?.int64Eval))
        case .double:
            return .double(Self.choose(match, results.map(\.doubleEval), otherwise?.doubleEval))
        case .bool: return .bool(Self.choose(match, results.map(\.boolEval), otherwise?.boolEval))
        case .string:
            return .string(Self.choose(match, results.map(\.stringEval), otherwise?.stringEval))
        }
    }

    /// The first WHEN that is true (NULL is not), or, with a subject, the first value equal to it
    /// (a NULL subject equals nothing, as in SQL).
    private func caseMatch(_ node: ExprCase) throws(ExprError) -> ExprMatch {
        let whens = node.branches.map(\.when)
        guard let subject = node.subject else {
            var conditions = ContiguousArray<ExprEval<Bool>>()
            for when in whens { conditions.append(try compile(when, as: .bool).boolEval) }
            return { columns, row in
                for index in conditions.indices where conditions[index](columns, row) == true {
                    return index
                }
                return -1
            }
        }
        guard let type = try listComparisonType(subject, whens) else { return { _, _ in -1 } }
        let value = try compile(subject, as: type)
        var candidates: [CompiledExpr] = []
        for when in whens { candidates.append(try compile(when, as: type)) }
        switch type {
        case .double:
            return Self.firstEqual(value.doubleEval, candidates.map(\.doubleEval), equal: ==)
        case .string:
            return Self.firstEqual(
                value.stringEval, candidates.map(\.stringEval), equal: ExprClosureBuilder.bytesEqual
            )
        case .int64, .timestamp, .bool:
            return Self.firstEqual(value.int64Eval, candidates.map(\.int64Eval), equal: ==)
        }
    }

    private static func firstEqual<Value>(
        _ subject: @escaping ExprEval<Value>, _ candidates: [ExprEval<Value>],
        equal: @escaping (Value, Value) -> Bool
    ) -> ExprMatch {
        let candidates = ContiguousArray(candidates)
        return { columns, row in
            guard let value = subject(columns, row) else { return -1 }
            for index in candidates.indices {
                if let other = candidates[index](columns, row), equal(value, other) { return index }
            }
            return -1
        }
    }

    private static func choose<Value>(
        _ match: @escaping ExprMatch, _ results: [ExprEval<Value>], _ otherwise: ExprEval<Value>?
    ) -> ExprEval<Value> {
        let results = ContiguousArray(results)
        return { columns, row in
            let index = match(columns, row)
            return index >= 0 ? results[index](columns, row) : otherwise?(columns, row)
        }
    }

    // MARK: functions

    func call(_ function: ExprFunction, _ arguments: [Expr], _ type: GoldType) throws(ExprError)
        -> CompiledExpr
    {
        switch function {
        case .coalesce:
            var values: [CompiledExpr] = []
            for argument in arguments { values.append(try compile(argument, as: type)) }
            return Self.coalesce(values, type)
        case .round:
            let digits = arguments.count == 2 ? try ExprTypeChecker.roundDigits(arguments[1]) : 0
            // round of an int64 is that int64: there is no fraction to round.
            let value = try compile(arguments[0], as: type)
            guard case .double(let eval) = value else { return value }
            return .double(Self.round(eval, digits: digits))
        case .abs:
            switch try compile(arguments[0], as: type) {
            case .int64(let eval):
                // |Int64.min| does not fit: NULL, like any other overflow.
                return .int64 { columns, row in
                    eval(columns, row).flatMap { $0 == .min ? nil : Swift.abs($0) }
                }
            case .double(let eval):
                return .double { columns, row in eval(columns, row).map { Swift.abs($0) } }
            case let other:
                return other
            }
        case .lower, .upper:
            let eval = try compile(arguments[0], as: .string).stringEval
            return .string(Self.asciiCase(eval, upper: function == .upper))
        }
    }

    private static func coalesce(_ values: [CompiledExpr], _ type: GoldType) -> CompiledExpr {
        switch type {
        case .int64: .int64(firstValue(values.map(\.int64Eval)))
        case .timestamp: .timestamp(firstValue(values.map(\.int64Eval)))
        case .double: .double(firstValue(values.map(\.doubleEval)))
        case .bool: .bool(firstValue(values.map(\.boolEval)))
        case .string: .string(firstValue(values.map(\.stringEval)))
        }
    }

    private static func firstValue<Value>(_ evals: [ExprEval<Value>]) -> ExprEval<Value> {
        let evals = ContiguousArray(evals)
        return { columns, row in
            for index in evals.indices {
                if let value = evals[index](columns, row) { return value }
            }
            return nil
        }
    }

    /// Half away from zero at `digits` decimals, as SQLite and DuckDB round: scale, round,
    /// unscale, so the result is the double nearest that decimal only as far as the scaled
    /// product is exact (`round(1.005, 2)` is 1.0, since 1.005 is stored as 1.00499…).
    private static func round(_ eval: @escaping ExprEval<Double>, digits: Int) -> ExprEval<Double> {
        guard digits > 0 else {
            return { columns, row in eval(columns, row).map { $0.rounded(.toNearestOrAwayFromZero) }
            }
        }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return { columns, row in
            guard let value = eval(columns, row) else { return nil }
            let scaled = value * scale
            // From 2^52 on a double holds no fraction to round (and NaN and infinities stay).
            guard Swift.abs(scaled) < 4_503_599_627_370_496 else { return value }
            return scaled.rounded(.toNearestOrAwayFromZero) / scale
        }
    }

    /// lower/upper of ASCII letters only, like SQLite's built-ins: other bytes (UTF-8 included)
    /// pass unchanged. The result lives in this closure's scratch buffer until its next call.
    private static func asciiCase(_ eval: @escaping ExprEval<UnsafeRawBufferPointer>, upper: Bool)
        -> ExprEval<UnsafeRawBufferPointer>
    {
        let scratch = ExprScratch()
        let first: UInt8 = upper ? UInt8(ascii: "a") : UInt8(ascii: "A")
        let last: UInt8 = upper ? UInt8(ascii: "z") : UInt8(ascii: "Z")
        return { columns, row in
            guard let text = eval(columns, row) else { return nil }
            let output = scratch.reserve(text.count)
            for index in 0..<text.count {
                let byte = text[index]
                // ASCII upper and lower case differ only in bit 0x20.
                let mapped = byte >= first && byte <= last ? byte ^ 0x20 : byte
                output.storeBytes(of: mapped, toByteOffset: index, as: UInt8.self)
            }
            return UnsafeRawBufferPointer(start: output, count: text.count)
        }
    }
}
