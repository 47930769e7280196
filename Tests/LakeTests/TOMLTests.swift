import Testing
@testable import Lake

@Suite struct TOMLTests {
    @Test func keepsOrderAndReadsEveryValueKind() throws {
        let table = try TOML.parse("""
            # a comment
            title = "lake"   # trailing comment
            zeta = 1
            alpha = -2_000
            ratio = 0.5
            big = 6.02e23
            small = -1E-3
            on = true
            off = false
            "quoted key" = 'C:\\path'
            list = [1, "two", [3.0], { four = 4 }]
            empty = []
            inline = {}

            [server]
            host = "127.0.0.1"
            """)
        #expect(table.keys == [
            "title", "zeta", "alpha", "ratio", "big", "small", "on", "off", "quoted key",
            "list", "empty", "inline", "server",
        ])
        #expect(table["title"] == .string("lake"))
        #expect(table["alpha"] == .integer(-2000))
        #expect(table["ratio"] == .float(0.5))
        #expect(table["big"] == .float(6.02e23))
        #expect(table["small"] == .float(-0.001))
        #expect(table["on"] == .boolean(true) && table["off"] == .boolean(false))
        #expect(table["quoted key"] == .string("C:\\path"))
        var inner = TOMLTable()
        inner.append("four", .integer(4), line: 11)
        #expect(table["list"] == .array([
            .integer(1), .string("two"), .array([.float(3)]), .table(inner),
        ]))
        #expect(table["empty"] == .array([]) && table["inline"] == .table(TOMLTable()))
        #expect(table.entry("server")?.line == 15)
        #expect(table["server"]?.tableValue?["host"] == .string("127.0.0.1"))
    }

    @Test func stringEscapes() throws {
        let table = try TOML.parse(#"""
            a = "tab\there \"quoted\" back\\slash \u00e9 \U0001F600 nl\n"
            b = 'no \escapes "here"'
            c = """
            first
              second \
                continued"""
            d = '''
            raw \n "x" '' '''
            e = """two quotes at the end"\""""
            """#)
        #expect(table["a"] == .string("tab\there \"quoted\" back\\slash é 😀 nl\n"))
        #expect(table["b"] == .string(#"no \escapes "here""#))
        #expect(table["c"] == .string("first\n  second continued"))
        #expect(table["d"] == .string(#"raw \n "x" '' "#))
        #expect(table["e"] == .string("two quotes at the end\"\""))
    }

    @Test func dottedKeysAndHeadersBuildNestedTables() throws {
        let table = try TOML.parse("""
            a.b.c = 1
            a.b.d = 2
            "x.y" = 3
            site."google.com" = true
            [t.u]
            v = 1
            [t]
            w = 2
            [t.u.deeper]
            z = 3
            [a.b.sub]
            k = 4
            multi = [
              1,  # one
              2,

              3,
            ]
            """)
        let b = table["a"]?.tableValue?["b"]?.tableValue
        #expect(b?.keys == ["c", "d", "sub"])
        #expect(table["x.y"] == .integer(3))
        #expect(table["site"]?.tableValue?["google.com"] == .boolean(true))
        let t = try #require(table["t"]?.tableValue)
        #expect(t.keys == ["u", "w"])
        #expect(t["u"]?.tableValue?.keys == ["v", "deeper"])
        #expect(b?["sub"]?.tableValue?["multi"] == .array([.integer(1), .integer(2), .integer(3)]))
    }

    @Test func windowsLineEndingsAndByteOrderMark() throws {
        let table = try TOML.parse("\u{FEFF}a = 1\r\n[b]\r\nc = \"x\" # note\r\n")
        #expect(table["a"] == .integer(1))
        #expect(table["b"]?.tableValue?["c"] == .string("x"))
    }

    static let errors: [(String, String)] = [
        ("a = 1\na = 2", "t.toml:2: key a is defined twice (first on line 1)"),
        ("[a]\nx = 1\n[a]", "t.toml:3: table [a] is defined twice"),
        ("a = 1\n[a]", "t.toml:2: key a already holds a value, not a table"),
        ("a.b = 1\n[a]", "t.toml:2: table [a] was already defined by dotted keys"),
        ("a = { b = 1 }\na.c = 2",
         "t.toml:2: table a is an inline table and cannot be extended with dotted keys"),
        ("a = { b = 1 }\n[a.c]", "t.toml:2: table a is an inline table and cannot be extended"),
        ("[a.b]\n[a]\nb.c = 1",
         "t.toml:3: table a.b is defined by a [header] and cannot be extended with dotted keys"),
        ("a = \"open", "t.toml:1:10: unterminated string: expected a closing '\"'"),
        ("a = 'open\n", "t.toml:1:10: unterminated string: expected a closing \"'\""),
        ("a = \"\"\"never closed", "t.toml:1:20: unterminated multi-line string: expected a "
            + "closing '\"\"\"'"),
        ("a = \"bad \\q escape\"",
         "t.toml:1:11: invalid escape in a string (use \\\\ for a backslash), found 'q'"),
        ("a = \"\\u12\"", "t.toml:1:8: expected 4 hex digits of a Unicode scalar value"),
        ("a = \"\\uD800\"", "t.toml:1:8: expected 4 hex digits of a Unicode scalar value"),
        ("a = 1 b = 2", "t.toml:1:7: expected a newline or a comment, found 'b'"),
        ("a 1", "t.toml:1:3: expected '=' after the key, found '1'"),
        ("a =", "t.toml:1:4: expected a value (a string, number, boolean, array or inline "
            + "table), found the end of the file"),
        ("= 1", "t.toml:1:1: expected a key (letters, digits, '_', '-' or a quoted string), "
            + "found '='"),
        ("[a", "t.toml:1:3: expected ']', found the end of the file"),
        ("[[a]]", "t.toml:1:2: arrays of tables ([[...]]) are not supported in job files"),
        ("a = [1 2]", "t.toml:1:8: expected ',' or ']' in the array, found '2'"),
        ("a = { b = 1, }", "t.toml:1:14: a trailing comma is not allowed in an inline table"),
        ("a = { b = 1\n}", "t.toml:1:12: expected ',' or '}' in the inline table (an inline "
            + "table must fit on one line), found the end of the line"),
        ("a = { b = 1, b = 2 }",
         "t.toml:1:19: key b is defined twice (first on line 1) in the inline table"),
        ("a = 1979-05-27", "t.toml:1:5: dates and times are not supported; write them as a "
            + "quoted string"),
        ("a = 07:32:00", "t.toml:1:5: dates and times are not supported; write them as a "
            + "quoted string"),
        ("a = 0x1F", "t.toml:1:5: only decimal integers are supported, found 0x1F"),
        ("a = 012", "t.toml:1:5: expected a value (a string, number, boolean, array or inline "
            + "table), found 012 (quote text as \"012\")"),
        ("a = 1__0", "t.toml:1:5: expected a value (a string, number, boolean, array or inline "
            + "table), found 1__0 (quote text as \"1__0\")"),
        ("a = 1.", "t.toml:1:5: expected a value (a string, number, boolean, array or inline "
            + "table), found 1. (quote text as \"1.\")"),
        ("a = 99999999999999999999", "t.toml:1:5: expected a value (a string, number, boolean, "
            + "array or inline table), found 99999999999999999999 (quote text as "
            + "\"99999999999999999999\")"),
        ("a = True", "t.toml:1:5: expected a value (a string, number, boolean, array or inline "
            + "table), found True (quote text as \"True\")"),
        ("a = \"x\u{1}\"", "t.toml:1:7: control characters must be escaped in strings"),
        ("a = 1 # ok\u{7}", "t.toml:1:11: control characters are not allowed in comments"),
        ("a = 1\rb = 2", "t.toml:1:6: expected a newline or a comment, found the end of the line"),
        ("a.\"\"\"b\"\"\" = 1", "t.toml:1:3: a key cannot be a multi-line string"),
    ]

    @Test(arguments: errors)
    func errorsNameLineAndExpectation(text: String, message: String) {
        do {
            let table = try TOML.parse(text, file: "t.toml")
            Issue.record("parsed \(text) as \(table)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func deepNestingIsBounded() {
        let text = "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: LakeError.self) { try TOML.parse(text) }
    }
}
