/// Builds a TOML table from headers and key/value lines, enforcing TOML 1.0's rules on what
/// may be defined where: no key twice, no table twice, inline tables closed, tables made by
/// dotted keys extended only by dotted keys.
struct TOMLTableBuilder {
    /// A rule broken; the parser adds the file and line.
    struct Violation: Error {
        var message: String
    }

    /// How a table came to exist, which decides what may still be added to it.
    enum Origin {
        /// Created as the prefix of a header (`a` for `[a.b]`): may still get its own header.
        case implicit
        /// Defined by its own `[header]`.
        case header
        /// Created by a dotted key (`a.b = 1` creates `a`): only dotted keys may extend it.
        case dotted
        /// An inline table `{ … }`: complete as written.
        case inline
    }

    private(set) var root = TOMLTable()
    private var origins: [[String]: Origin] = [:]

    /// Applies a `[path]` header: creates missing parents and the table itself.
    mutating func defineHeader(_ path: [String], line: Int) throws {
        for length in 1...path.count {
            let prefix = Array(path[0..<length])
            let isLast = length == path.count
            guard let existing = try origin(of: prefix) else {
                root.withTable(at: prefix.dropLast()[...]) {
                    $0.append(prefix[prefix.count - 1], .table(TOMLTable()), line: line)
                }
                origins[prefix] = isLast ? .header : .implicit
                continue
            }
            if existing == .inline {
                throw Violation(message: "table \(TOMLTableBuilder.display(prefix)) is an "
                                + "inline table and cannot be extended")
            }
            guard isLast else { continue }
            switch existing {
            case .implicit:
                origins[prefix] = .header
            case .header:
                throw Violation(
                    message: "table [\(TOMLTableBuilder.display(path))] is defined twice")
            case .dotted, .inline:
                throw Violation(message: "table [\(TOMLTableBuilder.display(path))] was "
                                + "already defined by dotted keys")
            }
        }
    }

    /// Inserts `value` at `base + keys`, creating the tables of a dotted key on the way.
    mutating func insert(
        _ value: TOMLValue, base: [String], keys: [String], line: Int,
        content: (line: Int, column: Int) = (0, 0)
    ) throws {
        var path = base
        for key in keys.dropLast() {
            path.append(key)
            if let existing = try origin(of: path) {
                guard existing == .dotted else {
                    let how = existing == .inline ? "an inline table" : "defined by a [header]"
                    throw Violation(message: "table \(TOMLTableBuilder.display(path)) is \(how) "
                                    + "and cannot be extended with dotted keys")
                }
            } else {
                root.withTable(at: path.dropLast()[...]) {
                    $0.append(key, .table(TOMLTable()), line: line)
                }
                origins[path] = .dotted
            }
        }
        let last = keys[keys.count - 1]
        try root.withTable(at: path[...]) { table in
            if let first = table.entry(last) {
                let full = TOMLTableBuilder.display(path + [last])
                throw Violation(
                    message: "key \(full) is defined twice (first on line \(first.line))")
            }
            table.append(last, value, line: line, contentLine: content.line,
                         contentColumn: content.column)
        }
        if case .table(let inline) = value { markInline(inline, at: path + [last]) }
    }

    /// The origin of the table at `path`; nil if nothing is there; throws if a value is.
    private func origin(of path: [String]) throws -> Origin? {
        var table = root
        for (depth, key) in path.enumerated() {
            guard let value = table[key] else { return nil }
            guard case .table(let nested) = value else {
                let prefix = TOMLTableBuilder.display(Array(path[0...depth]))
                throw Violation(message: "key \(prefix) already holds a value, not a table")
            }
            table = nested
        }
        return origins[path] ?? .implicit
    }

    private mutating func markInline(_ table: TOMLTable, at path: [String]) {
        origins[path] = .inline
        for entry in table.entries {
            if case .table(let nested) = entry.value { markInline(nested, at: path + [entry.key]) }
        }
    }

    /// A key path as TOML writes it: bare keys as they are, others quoted.
    static func display(_ path: [String]) -> String {
        path.map { key in
            !key.isEmpty && key.utf8.allSatisfy(TOMLParser.isBareKeyByte)
                ? key : TOMLValue.quoted(key)
        }.joined(separator: ".")
    }
}
