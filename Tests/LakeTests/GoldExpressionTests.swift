import Testing

@testable import Lake

/// A value read back from a compiled expression, for `#expect` comparisons.
enum ExprTestValue: Equatable, CustomStringConvertible {
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case timestamp(Int64)

    var description: String {
        switch self {
        case .int(let value): "int(\(value))"
        case .double(let value): "double(\(value))"
        case .bool(let value): "bool(\(value))"
        case .string(let value): "string(\(value))"
        case .timestamp(let value): "timestamp(\(value))"
        }
    }
}

/// Silver-like rows: row 0 a purchase, row 1 a view with NULL quantity, row 2 mostly NULL.
final class ExprFixture {
    static let columns: [(name: String, type: GoldType)] = [
        ("amount", .double), ("quantity", .int64), ("category", .string), ("event_type", .string),
        ("event_time", .timestamp), ("flag", .bool), ("user_id", .string),
        ("total_amount", .double),
        ("order date", .string), ("big", .int64), ("end", .int64),
    ]
    /// 2026-01-29T00:00:00Z in UTC microseconds (Python's datetime gives 1769644800 s).
    static let midnightMicros: Int64 = 1_769_644_800_000_000
    static let purchaseMicros: Int64 =
        midnightMicros + (10 * 3600 + 15 * 60 + 2) * 1_000_000 + 123_456

    let batch = RowBatch(types: ExprFixture.columns.map(\.type), capacity: 8)
    let scope = ExprScope(columns: ExprFixture.columns)

    init() {
        append(
            amount: 12.5, quantity: 3, category: "Books", eventType: "PURCHASE",
            time: Self.purchaseMicros,
            flag: true, user: "USER_1", total: 40, orderDate: "2026-01-29", big: .max)
        append(
            amount: -2.5, quantity: nil, category: "electronics", eventType: "PRODUCT_VIEW",
            time: Self.midnightMicros,
            flag: false, user: "école", total: nil, orderDate: "x", big: .min)
        append(
            amount: 0, quantity: 0, category: "", eventType: nil, time: nil, flag: nil,
            user: String(repeating: "ab", count: 100),
            total: 7, orderDate: "", big: 0)
    }

    private func append(
        amount: Double, quantity: Int64?, category: String, eventType: String?, time: Int64?,
        flag: Bool?,
        user: String, total: Double?, orderDate: String, big: Int64
    ) {
        batch.set(0, double: amount)
        if let quantity { batch.set(1, int: quantity) } else { batch.setNull(1) }
        setString(2, category)
        setString(3, eventType)
        if let time { batch.set(4, int: time) } else { batch.setNull(4) }
        if let flag { batch.set(5, bool: flag) } else { batch.setNull(5) }
        setString(6, user)
        if let total { batch.set(7, double: total) } else { batch.setNull(7) }
        setString(8, orderDate)
        batch.set(9, int: big)
        batch.set(10, int: 1)
        batch.endRow()
    }

    private func setString(_ column: Int, _ text: String?) {
        guard let text else { return batch.setNull(column) }
        Array(text.utf8).withUnsafeBytes { batch.set(column, string: $0) }
    }

    func compile(_ text: String, context: String = "a column") throws -> CompiledExpr {
        try ExprCompiler.compile(try ExprParser.parse(text), scope: scope, context: context)
    }

    func value(_ text: String, row: Int = 0) throws -> ExprTestValue? {
        Self.read(try compile(text), batch.views, row)
    }

    func values(_ text: String) throws -> [ExprTestValue?] {
        let compiled = try compile(text)
        return (0..<batch.count).map { Self.read(compiled, batch.views, $0) }
    }

    static func read(
        _ compiled: CompiledExpr, _ views: UnsafeMutablePointer<ColumnView>, _ row: Int
    ) -> ExprTestValue? {
        let columns = UnsafePointer(views)
        switch compiled {
        case .int64(let eval): return eval(columns, row).map(ExprTestValue.int)
        case .double(let eval): return eval(columns, row).map(ExprTestValue.double)
        case .bool(let eval): return eval(columns, row).map(ExprTestValue.bool)
        case .timestamp(let eval): return eval(columns, row).map(ExprTestValue.timestamp)
        case .string(let eval):
            return eval(columns, row).map { .string(String(decoding: $0, as: UTF8.self)) }
        }
    }

    /// The error `text` raises when parsed and compiled (or nil when it compiles).
    func error(_ text: String, context: String = "a column") -> ExprError? {
        do {
            _ = try compile(text, context: context)
            return nil
        } catch let error as ExprError {
            return error
        } catch {
            return ExprError(offset: -1, message: "unexpected error \(error)")
        }
    }
}

@Suite struct ExprEvaluationTests {
    let fixture = ExprFixture()

    @Test func arithmeticPromotesIntToDouble() throws {
        #expect(try fixture.value("quantity + 2") == .int(5))
        #expect(try fixture.value("quantity * amount") == .double(37.5))
        #expect(try fixture.value("amount - 1") == .double(11.5))
        #expect(try fixture.value("-quantity + +2") == .int(-1))
        #expect(try fixture.value("2 + 3 * 4 - 6 / 3") == .double(12))
        #expect(try fixture.value("(2 + 3) * 4") == .int(20))
        #expect(try fixture.value("7 % 3") == .int(1))
        #expect(try fixture.value("-7 % 3") == .int(-1))
        #expect(try fixture.value("7.5 % 2") == .double(1.5))
        #expect(try fixture.value("1e3 + .5") == .double(1000.5))
        #expect(try fixture.values("quantity + 1") == [.int(4), nil, .int(1)])
        #expect(
            try ExprCompiler.type(
                of: ExprParser.parse("quantity - 1"), scope: fixture.scope, context: "x") == .int64)
        #expect(
            try ExprCompiler.type(
                of: ExprParser.parse("quantity + 0.5"), scope: fixture.scope, context: "x")
                == .double)
    }

    @Test func divisionAlwaysYieldsDoubleAndByZeroIsNull() throws {
        #expect(try fixture.value("7 / 2") == .double(3.5))
        #expect(try fixture.value("quantity / 2") == .double(1.5))
        #expect(
            try ExprCompiler.type(of: ExprParser.parse("4 / 2"), scope: fixture.scope, context: "x")
                == .double)
        #expect(try fixture.value("quantity / 0") == nil)
        #expect(try fixture.value("amount / 0.0") == nil)
        #expect(try fixture.value("quantity % 0") == nil)
        #expect(try fixture.value("amount % 0") == nil)
        #expect(try fixture.values("10 / quantity") == [.double(10.0 / 3), nil, nil])
    }

    @Test func integerOverflowIsNull() throws {
        #expect(try fixture.value("big + 1", row: 0) == nil)
        #expect(try fixture.value("big - 1", row: 0) == .int(Int64.max - 1))
        #expect(try fixture.value("big * 2", row: 0) == nil)
        #expect(try fixture.value("big - 1", row: 1) == nil)
        #expect(try fixture.value("-big", row: 1) == nil)
        #expect(try fixture.value("abs(big)", row: 1) == nil)
        #expect(try fixture.value("big % -1", row: 1) == nil)
        #expect(try fixture.value("-big", row: 0) == .int(-Int64.max))
    }

    static let truth: [(String, Bool?)] = [("true", true), ("false", false), ("null", nil)]

    @Test(arguments: truth, truth)
    func threeValuedLogic(lhs: (String, Bool?), rhs: (String, Bool?)) throws {
        let and: Bool? =
            lhs.1 == false || rhs.1 == false ? false : (lhs.1 == nil || rhs.1 == nil ? nil : true)
        let or: Bool? =
            lhs.1 == true || rhs.1 == true ? true : (lhs.1 == nil || rhs.1 == nil ? nil : false)
        #expect(try fixture.value("\(lhs.0) and \(rhs.0)") == and.map(ExprTestValue.bool))
        #expect(try fixture.value("\(lhs.0) OR \(rhs.0)") == or.map(ExprTestValue.bool))
        #expect(try fixture.value("not \(lhs.0)") == lhs.1.map { .bool(!$0) })
    }

    @Test func logicOverNullableColumns() throws {
        #expect(
            try fixture.values("flag and quantity > 1") == [
                .bool(true), .bool(false), .bool(false),
            ])
        #expect(try fixture.values("flag or quantity > 1") == [.bool(true), nil, nil])
        #expect(try fixture.values("not flag") == [.bool(false), .bool(true), nil])
        #expect(try fixture.value("not quantity = 3 and amount > 0") == .bool(false))
    }

    @Test func inListFollowsSqlNullRules() throws {
        #expect(try fixture.values("quantity in (1, 3)") == [.bool(true), nil, .bool(false)])
        #expect(try fixture.value("quantity in (1, null)") == nil)
        #expect(try fixture.value("quantity in (3, null)") == .bool(true))
        #expect(try fixture.value("quantity not in (1, 2)") == .bool(true))
        #expect(try fixture.value("quantity not in (1, null)") == nil)
        #expect(try fixture.value("quantity not in (3)") == .bool(false))
        #expect(
            try fixture.values("category in ('Books', 'Toys')") == [
                .bool(true), .bool(false), .bool(false),
            ])
        #expect(try fixture.value("quantity in (3.0, 7)") == .bool(true))
        #expect(try fixture.value("amount in (quantity * 4 + 0.5)") == .bool(true))
        #expect(try fixture.value("null in (1, 2)") == nil)
    }

    @Test func isNullNeverYieldsNull() throws {
        #expect(
            try fixture.values("quantity is null") == [.bool(false), .bool(true), .bool(false)])
        #expect(
            try fixture.values("quantity IS NOT NULL") == [.bool(true), .bool(false), .bool(true)])
        #expect(
            try fixture.values("event_type is null") == [.bool(false), .bool(false), .bool(true)])
        #expect(
            try fixture.values("(quantity + 1) is null") == [
                .bool(false), .bool(true), .bool(false),
            ])
        #expect(try fixture.value("null is null") == .bool(true))
        #expect(try fixture.value("null is not null") == .bool(false))
    }

    @Test func searchedCase() throws {
        let text = "case when amount > 100 then 'big' when amount > 10 then 'mid' else 'small' end"
        #expect(try fixture.values(text) == [.string("mid"), .string("small"), .string("small")])
        #expect(try fixture.values("case when amount > 10 then 1 end") == [.int(1), nil, nil])
        #expect(
            try fixture.values("case when flag then 'y' else 'n' end") == [
                .string("y"), .string("n"), .string("n"),
            ])
        #expect(try fixture.value("case when flag then 1 else 2.5 end") == .double(1))
        #expect(try fixture.value("case when flag then null else 2 end") == nil)
    }

    @Test func simpleCase() throws {
        let text = "CASE event_type WHEN 'PURCHASE' THEN 1 WHEN 'PRODUCT_VIEW' THEN 2 ELSE 0 END"
        #expect(try fixture.values(text) == [.int(1), .int(2), .int(0)])
        #expect(
            try fixture.values("case quantity when 3 then 'three' when 0.0 then 'zero' end") == [
                .string("three"), nil, .string("zero"),
            ])
    }

    @Test func coalescePicksTheFirstValue() throws {
        #expect(try fixture.values("coalesce(quantity, 0)") == [.int(3), .int(0), .int(0)])
        #expect(
            try fixture.values("coalesce(quantity, amount)") == [
                .double(3), .double(-2.5), .double(0),
            ])
        #expect(
            try fixture.values("coalesce(event_type, 'none')") == [
                .string("PURCHASE"), .string("PRODUCT_VIEW"), .string("none"),
            ])
        #expect(try fixture.value("coalesce(null, null)") == nil)
        #expect(
            try fixture.values("coalesce(total_amount, 0)") == [
                .double(40), .double(0), .double(7),
            ])
    }

    @Test func roundIsHalfAwayFromZero() throws {
        #expect(try fixture.value("round(2.5)") == .double(3))
        #expect(try fixture.value("round(-2.5)") == .double(-3))
        #expect(try fixture.value("round(2.4999)") == .double(2))
        #expect(try fixture.value("round(0.125, 2)") == .double(0.13))
        #expect(try fixture.value("round(-0.125, 2)") == .double(-0.13))
        // 1.005 * 1000 is 1004.9999999999999 in binary; round takes it to 1005.
        #expect(try fixture.value("round(1.005 * 1000) / 1000") == .double(1.005))
        // 1.005 * 100 is 100.49999999999999: the scaled product decides, as in Swift.
        #expect(try fixture.value("round(1.005, 2)") == .double(1.0))
        #expect(try fixture.value("round(quantity)") == .int(3))
        #expect(try fixture.value("round(quantity, 2)") == .int(3))
        #expect(try fixture.value("round(amount / 3, 3)") == .double(4.167))
        #expect(try fixture.value("round(1e300, 2)") == .double(1e300))
        #expect(try fixture.values("round(quantity * 1.0, 1)") == [.double(3), nil, .double(0)])
        #expect(try fixture.value("abs(-4)") == .int(4))
        #expect(try fixture.values("abs(amount)") == [.double(12.5), .double(2.5), .double(0)])
    }

    @Test func lowerAndUpperMapAsciiOnly() throws {
        #expect(
            try fixture.values("lower(category)") == [
                .string("books"), .string("electronics"), .string(""),
            ])
        #expect(try fixture.value("upper(user_id)", row: 1) == .string("éCOLE"))
        #expect(try fixture.value("upper('abc-Éé_z')") == .string("ABC-Éé_Z"))
        // One closure across rows: its scratch buffer grows for row 2 (200 bytes) and is reused.
        let compiled = try fixture.compile("upper(user_id)")
        let rows = [0, 2, 1, 0].map { ExprFixture.read(compiled, fixture.batch.views, $0) }
        #expect(
            rows == [
                .string("USER_1"), .string(String(repeating: "AB", count: 100)), .string("éCOLE"),
                .string("USER_1"),
            ])
        #expect(try fixture.value("upper(lower(category)) = upper(category)") == .bool(true))
    }

    @Test func stringsCompareBytewise() throws {
        #expect(try fixture.values("category < 'C'") == [.bool(true), .bool(false), .bool(true)])
        #expect(
            try fixture.values("category = 'Books'") == [.bool(true), .bool(false), .bool(false)])
        #expect(try fixture.value("'Books' = category") == .bool(true))
        #expect(try fixture.value("category != 'books'") == .bool(true))
        #expect(try fixture.value("category <> category") == .bool(false))
        #expect(try fixture.value("'ab' < 'abc'") == .bool(true))
        #expect(try fixture.value("'' < 'a'") == .bool(true))
        #expect(try fixture.value("'b' >= 'abc'") == .bool(true))
        #expect(try fixture.value("upper('it''s')") == .string("IT'S"))
    }

    @Test func timestampsCompareWithLiterals() throws {
        #expect(
            try fixture.values("event_time > '2026-01-29'") == [.bool(true), .bool(false), nil])
        #expect(try fixture.value("event_time >= '2026-01-29T00:00:00Z'", row: 1) == .bool(true))
        #expect(try fixture.value("event_time = '2026-01-29 10:15:02.123456'") == .bool(true))
        #expect(try fixture.value("event_time = '2026-01-29T10:15:02.12345'") == .bool(false))
        #expect(try fixture.value("event_time < '2026-01-29T11:15:02+01:00'") == .bool(false))
        #expect(try fixture.value("event_time > '2026-01-29T05:15:02-05:00'") == .bool(true))
        #expect(try fixture.value("'2026-01-30' > event_time") == .bool(true))
        #expect(
            try fixture.value("event_time in ('2026-01-29', '2026-01-29T10:15:02.123456Z')")
                == .bool(true))
        #expect(try fixture.value("event_time", row: 1) == .timestamp(ExprFixture.midnightMicros))
        #expect(ExprTimestamp.micros("2000-02-29T23:59:59Z") == 951_868_799_000_000)
        #expect(ExprTimestamp.micros("1969-12-31 23:59:59") == -1_000_000)
        #expect(ExprTimestamp.micros("2001-02-29") == nil)
        #expect(ExprTimestamp.micros("2026-01-29 24:00:00") == nil)
    }

    @Test func keywordsAndFunctionsAreCaseInsensitive() throws {
        #expect(try fixture.value("NOT flag AND amount > 0 OR TRUE") == .bool(true))
        #expect(try fixture.value("Case When flag Then 1 Else 0 End") == .int(1))
        #expect(try fixture.value("COALESCE(quantity, 0) + Round(2.5) + ABS(-1)") == .double(7))
        #expect(try fixture.value("quantity Is Not Null And quantity Not In (1)") == .bool(true))
        #expect(try fixture.value("NULL Is Null") == .bool(true))
        let call = try #require(
            ExprParser.parse("SUM(amount) FILTER (WHERE Flag = False)").firstAggregate)
        #expect(call.text == "sum(amount) filter (where Flag = false)")
        #expect(
            fixture.error("QUANTITY > 1")?.message
                == "unknown column QUANTITY; expected a silver column such as quantity")
    }

    @Test func quotedIdentifiers() throws {
        #expect(
            try fixture.values("\"order date\" = '2026-01-29'") == [
                .bool(true), .bool(false), .bool(false),
            ])
        #expect(try fixture.value("\"amount\" + \"end\"") == .double(13.5))
        #expect(
            fixture.error("end + 1")
                == ExprError(offset: 0, message: "unexpected 'end'; expected an expression"))
        #expect(
            try ExprParser.parse("\"end\" + \"a\"\"b\" + amount").description
                == "\"end\" + \"a\"\"b\" + amount")
    }

    @Test func longChainsStayWithinTheTokenBound() throws {
        // 499 additions: 999 tokens, a tree 499 levels deep on its left side.
        let chain = Array(repeating: "quantity", count: 500).joined(separator: " + ")
        #expect(try fixture.values(chain) == [.int(1500), nil, .int(0)])
        let tooLong = chain + " + 1"  // token 1001 is the 1
        #expect(fixture.error(tooLong)?.offset == chain.utf8.count + 3)
    }

    @Test func scopeShadowsRepeatedNames() throws {
        let scope = ExprScope(columns: [("amount", .double), ("amount", .int64)])
        #expect(scope.lookup("amount")?.index == 1)
        #expect(scope.lookup("amount")?.type == .int64)
        #expect(scope.names == ["amount", "amount"])
        #expect(scope.lookup("missing") == nil)
        #expect(
            try ExprCompiler.type(of: ExprParser.parse("null"), scope: scope, context: "x")
                == .int64)
    }
}

@Suite struct ExprAggregateTests {
    let fixture = ExprFixture()
    static func name(_ index: Int) -> String { "__agg\(index)" }

    @Test func extractionRewritesNestedExpressions() throws {
        var calls: [AggregateCall] = []
        let expr = try ExprParser.parse("round(sum(amount) / count_distinct(user_id), 2)")
        #expect(expr.containsAggregate)
        #expect(expr.columnNames == [])
        let rewritten = try expr.extractingAggregates(into: &calls, name: Self.name)
        #expect(calls.map(\.text) == ["sum(amount)", "count_distinct(user_id)"])
        #expect(calls.map(\.function) == [.sum, .countDistinct])
        #expect(calls.map(\.offset) == [6, 20])
        #expect(rewritten.description == "round(__agg0 / __agg1, 2)")
        #expect(!rewritten.containsAggregate)
        #expect(rewritten.columnNames == ["__agg0", "__agg1"])

        // The rewritten expression compiles over the aggregates' outputs.
        let scope = ExprScope(columns: [("__agg0", .double), ("__agg1", .int64)])
        let compiled = try ExprCompiler.compile(
            rewritten, scope: scope, context: "revenue_per_user")
        let batch = RowBatch(types: [.double, .int64], capacity: 1)
        batch.set(0, double: 100)
        batch.set(1, int: 3)
        batch.endRow()
        #expect(ExprFixture.read(compiled, batch.views, 0) == .double(33.33))
    }

    @Test func extractionSharesEqualCalls() throws {
        var calls: [AggregateCall] = []
        let first = try ExprParser.parse(
            "coalesce(sum(total_amount) filter (where event_type = 'PURCHASE'), 0)"
        )
        .extractingAggregates(into: &calls, name: Self.name)
        #expect(first.description == "coalesce(__agg0, 0)")
        #expect(calls.map(\.text) == ["sum(total_amount) filter (where event_type = 'PURCHASE')"])
        #expect(calls[0].filter?.columnNames == ["event_type"])

        let second = try ExprParser.parse(
            "SUM( total_amount ) FILTER (WHERE (event_type == 'PURCHASE'))"
                + " > sum(total_amount) + count(*) * COUNT()"
        ).extractingAggregates(into: &calls, name: Self.name)
        #expect(second.description == "__agg0 > __agg1 + __agg2 * __agg2")
        #expect(
            calls.map(\.text) == [
                "sum(total_amount) filter (where event_type = 'PURCHASE')", "sum(total_amount)",
                "count()",
            ])
        #expect(calls[2].argument == nil)
        #expect(
            try ExprParser.parse("count(distinct user_id)").firstAggregate?.text
                == "count_distinct(user_id)")
        #expect(
            try ExprParser.parse("sum(amount) + quantity * quantity").columnNames == ["quantity"])
    }

    @Test func aggregateResultTypes() throws {
        func type(_ text: String, _ argument: GoldType?) throws -> GoldType {
            try #require(try ExprParser.parse(text).firstAggregate).resultType(
                argumentType: argument)
        }
        #expect(try type("count()", nil) == .int64)
        #expect(try type("count(category)", .string) == .int64)
        #expect(try type("count_distinct(user_id)", .string) == .int64)
        #expect(try type("sum(quantity)", .int64) == .int64)
        #expect(try type("sum(amount)", .double) == .double)
        #expect(try type("avg(quantity)", .int64) == .double)
        #expect(try type("min(category)", .string) == .string)
        #expect(try type("max(event_time)", .timestamp) == .timestamp)
        #expect(try type("first(flag)", .bool) == .bool)
        #expect(try type("last(amount)", .double) == .double)
        #expect(try type("any(event_type = 'PURCHASE')", .bool) == .bool)
        #expect(try type("all(flag)", .bool) == .bool)
    }
}

@Suite struct ExprErrorTests {
    let fixture = ExprFixture()

    private func parseError(_ text: String) -> ExprError? {
        do {
            _ = try ExprParser.parse(text)
            return nil
        } catch {
            return error as? ExprError
        }
    }

    private func resultTypeError(_ text: String, _ argument: GoldType) throws -> ExprError? {
        let call = try #require(try ExprParser.parse(text).firstAggregate)
        do {
            _ = try call.resultType(argumentType: argument)
            return nil
        } catch {
            return error as? ExprError
        }
    }

    private func extractionError(_ text: String) throws -> ExprError? {
        var calls: [AggregateCall] = []
        do {
            _ = try ExprParser.parse(text).extractingAggregates(into: &calls) { "a\($0)" }
            return nil
        } catch {
            return error as? ExprError
        }
    }

    @Test func unknownColumnSuggestsTheClosestName() {
        #expect(
            fixture.error("quantity + amout")
                == ExprError(
                    offset: 11,
                    message: "unknown column amout; expected a silver column such as amount"))
        #expect(
            fixture.error("zzzzzzzzz > 1")
                == ExprError(
                    offset: 0,
                    message:
                        "unknown column zzzzzzzzz; expected one of amount, quantity, category, "
                        + "event_type, event_time, flag, user_id, total_amount, "
                        + "\"order date\", big, \"end\""
                ))
    }

    @Test func unknownFunctionListsTheKnownOnes() {
        #expect(
            parseError("1 + sume(amount)")
                == ExprError(
                    offset: 4,
                    message:
                        "unknown function sume; expected one of abs, all, any, avg, coalesce, "
                        + "count, count_distinct, first, last, lower, max, min, round, sum, upper"))
    }

    @Test func aggregateInScalarContext() {
        #expect(
            fixture.error("amount > 0 and count() > 1", context: "where")
                == ExprError(
                    offset: 15, message: "aggregate count() is not allowed in where"))
        #expect(
            fixture.error("coalesce(sum(amount), 0)", context: "having")
                == ExprError(
                    offset: 9, message: "aggregate sum() is not allowed in having"))
    }

    @Test func nestedAggregate() throws {
        #expect(
            try extractionError("1 + sum(count(amount))")
                == ExprError(
                    offset: 8,
                    message:
                        "aggregate count() inside sum(); expected a row expression such as a column"
                ))
        #expect(
            try extractionError("count() filter (where any(flag))")
                == ExprError(
                    offset: 22,
                    message:
                        "aggregate any() inside count(); expected a row expression such as a column"
                ))
    }

    @Test func aggregateArgumentTypes() throws {
        #expect(
            try resultTypeError("sum(category)", .string)
                == ExprError(
                    offset: 4, message: "sum of a string column category; expected a number"))
        #expect(
            try resultTypeError("avg(lower(category))", .string)
                == ExprError(
                    offset: 4, message: "avg of a string expression; expected a number"))
        #expect(
            try resultTypeError("any(quantity)", .int64)
                == ExprError(
                    offset: 4,
                    message: "any of an int64 column quantity; expected a boolean condition"))
        #expect(
            try resultTypeError("all(amount)", .double)
                == ExprError(
                    offset: 4,
                    message: "all of a double column amount; expected a boolean condition"))
    }

    @Test func typeMismatches() {
        #expect(
            fixture.error("category = amount")
                == ExprError(
                    offset: 9,
                    message: "cannot compare string with double; expected two values of one type"))
        #expect(
            fixture.error("flag in (1, 2)")
                == ExprError(
                    offset: 9,
                    message: "cannot compare bool with int64; expected two values of one type"))
        #expect(
            fixture.error("case when flag then 1 else 'x' end")
                == ExprError(
                    offset: 27, message: "CASE mixes int64 and string; expected values of one type")
        )
        #expect(
            fixture.error("case when quantity then 1 end")
                == ExprError(
                    offset: 10, message: "WHEN of an int64 column quantity; expected a boolean"))
        #expect(
            fixture.error("coalesce(quantity, 'none')")
                == ExprError(
                    offset: 19,
                    message: "coalesce mixes int64 and string; expected values of one type"))
        #expect(
            fixture.error("quantity and flag")
                == ExprError(
                    offset: 0, message: "AND of an int64 column quantity; expected a boolean"))
        #expect(
            fixture.error("category + 1")
                == ExprError(
                    offset: 9, message: "cannot apply + to string and int64; expected numbers"))
        #expect(
            fixture.error("lower(quantity)")
                == ExprError(
                    offset: 6, message: "lower of an int64 column quantity; expected a string"))
        #expect(
            fixture.error("round(amount, quantity)")
                == ExprError(
                    offset: 14,
                    message:
                        "round's digits must be an integer literal from 0 to 15; "
                        + "expected e.g. round(x, 2)"
                ))
        #expect(
            fixture.error("event_time > category")
                == ExprError(
                    offset: 11,
                    message:
                        "cannot compare timestamp with string; "
                        + "expected a timestamp or a literal like '2026-01-29 10:15:00'"
                ))
    }

    @Test func badTimestampLiteral() {
        #expect(
            fixture.error("event_time > '2026-13-01'")
                == ExprError(
                    offset: 13,
                    message:
                        "bad timestamp '2026-13-01'; "
                        + "expected YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|±HH:MM]"
                ))
        #expect(fixture.error("quantity > 0 and '2026-01-29 25:00' < event_time")?.offset == 17)
    }

    @Test func syntaxErrors() {
        #expect(
            parseError("category = 'Books")
                == ExprError(
                    offset: 11, message: "unterminated string; expected a closing '"))
        #expect(
            parseError("amount 1")
                == ExprError(offset: 7, message: "unexpected '1' after the expression"))
        #expect(parseError("") == ExprError(offset: 0, message: "expected an expression"))
        #expect(parseError("  ") == ExprError(offset: 2, message: "expected an expression"))
        #expect(
            parseError("amount +")
                == ExprError(offset: 8, message: "expected an expression after '+'"))
        #expect(
            parseError("round(amount 2)")
                == ExprError(
                    offset: 13, message: "expected ')' after the arguments of round"))
        #expect(
            parseError("abs(amount, 1)")
                == ExprError(
                    offset: 0, message: "abs takes 1 argument, not 2; expected abs(x)"))
        #expect(
            parseError("quantity is 3")
                == ExprError(
                    offset: 12, message: "unexpected '3'; expected NULL or NOT NULL after IS"))
        #expect(
            parseError("case when flag 1 end")
                == ExprError(
                    offset: 15, message: "unexpected '1'; expected THEN after the WHEN condition"))
        #expect(
            parseError("amount # 2")
                == ExprError(
                    offset: 7,
                    message:
                        "unexpected character '#'; "
                        + "expected a column, a literal, an operator or a function"
                ))
        #expect(
            parseError("sum(amount) filter (amount > 1)")
                == ExprError(
                    offset: 20, message: "unexpected 'amount'; expected WHERE after 'filter ('"))
        #expect(
            parseError("sum()")
                == ExprError(offset: 0, message: "sum() without an argument; expected sum(x)"))
        #expect(parseError("9223372036854775808")?.offset == 0)
        #expect(
            parseError("\"unterminated")?.message
                == "unterminated quoted name; expected a closing \"")
        let deep = String(repeating: "(", count: 150) + "1" + String(repeating: ")", count: 150)
        #expect(
            parseError(deep)?.message == "expression nested too deeply; expected at most 100 levels"
        )
    }

    @Test(arguments: [
        "a - (b - c)", "a - b - c", "not (a and b)", "-(-quantity)", "x not in (1, 2.5, 'z')",
        "(a or b) and c", "a = b is null", "case x when 1 then 'a''b' else null end", "(not a) = b",
        "-(a + b) * c % d", "\"order date\" >= '2026-01-29'",
        "sum(x * 2) filter (where y != 0) / count()",
    ])
    func canonicalTextReparsesToItself(text: String) throws {
        let printed = try ExprParser.parse(text).description
        #expect(printed == text)
        #expect(try ExprParser.parse(printed).description == printed)
    }

    @Test func canonicalTextNormalisesSpelling() throws {
        #expect(
            try ExprParser.parse("((a))  <>  B AND NOT(c == 1) OR d IS NOT NULL").description
                == "a != B and not c = 1 or d is not null")
        #expect(
            try ExprParser.parse("COUNT(*) FILTER (WHERE x IN (1,2))").description
                == "count() filter (where x in (1, 2))")
    }
}
