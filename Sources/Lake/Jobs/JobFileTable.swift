/// One table of a job file being read: typed getters that name the key and what was expected
/// when a value is wrong, and a check that rejects keys the table does not know.
struct JobFileTable {
    let file: String
    /// The dotted path of this table in the file (`silver`), empty for the top level.
    let path: String
    let table: TOMLTable

    init(file: String, path: String, table: TOMLTable) {
        self.file = file
        self.path = path
        self.table = table
    }

    func keyPath(_ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    func line(of key: String) -> Int? { table.entry(key)?.line }

    /// An error about the value of `key`: `<file>:<line>: key <path>: <message>`.
    func invalid(_ key: String, _ message: String, hint: String? = nil) -> LakeError {
        let location = line(of: key).map { "\(file):\($0)" } ?? file
        return LakeError(location, "key \(keyPath(key)): \(message)", hint: hint)
    }

    /// `key <path>: expected <what>, got <value>`.
    func expected(_ key: String, _ what: String, hint: String? = nil) -> LakeError {
        let got = table[key]?.shortDescription ?? "nothing"
        return invalid(key, "expected \(what), got \(got)", hint: hint)
    }

    func missing(_ key: String, _ what: String) -> LakeError {
        LakeError(file, "missing key \(keyPath(key)): expected \(what)")
    }

    /// Reads `key` with `read`, which returns nil for a wrong value; nil when `key` is absent.
    func optional<Value>(
        _ key: String, _ what: String, hint: String? = nil, _ read: (TOMLValue) -> Value?
    ) throws -> Value? {
        guard let value = table[key] else { return nil }
        guard let result = read(value) else { throw expected(key, what, hint: hint) }
        return result
    }

    func required<Value>(
        _ key: String, _ what: String, hint: String? = nil, _ read: (TOMLValue) -> Value?
    ) throws -> Value {
        guard let value = try optional(key, what, hint: hint, read) else {
            throw missing(key, what)
        }
        return value
    }

    /// A nested table (a `[header]` or an inline table); nil when absent.
    func subtable(_ key: String, _ what: String) throws -> JobFileTable? {
        try optional(key, what) { $0.tableValue }.map {
            JobFileTable(file: file, path: keyPath(key), table: $0)
        }
    }

    func requiredSubtable(_ key: String, _ what: String) throws -> JobFileTable {
        guard let nested = try subtable(key, what) else { throw missing(key, what) }
        return nested
    }

    /// Throws for the first key not in `known`, suggesting the closest known key.
    func rejectUnknownKeys(_ known: [String]) throws {
        for entry in table.entries where !known.contains(entry.key) {
            let closest = known.min {
                JobFileTable.distance($0, entry.key) < JobFileTable.distance($1, entry.key)
            }
            let hint = closest.flatMap {
                JobFileTable.distance($0, entry.key) <= 3 ? "did you mean \(keyPath($0))?" : nil
            }
            throw LakeError(
                "\(file):\(entry.line)",
                "unknown key \(keyPath(entry.key)): expected one of "
                    + known.joined(separator: ", "),
                hint: hint)
        }
    }

    /// Levenshtein distance, for "did you mean" hints.
    static func distance(_ lhs: String, _ rhs: String) -> Int {
        let left = Array(lhs)
        let right = Array(rhs)
        var previous = Array(0...right.count)
        for (row, leftCharacter) in left.enumerated() {
            var current = [row + 1]
            for (column, rightCharacter) in right.enumerated() {
                let substitution = previous[column] + (leftCharacter == rightCharacter ? 0 : 1)
                current.append(min(substitution, previous[column + 1] + 1, current[column] + 1))
            }
            previous = current
        }
        return previous[right.count]
    }
}

extension TOMLValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var integerValue: Int64? {
        if case .integer(let number) = self { return number }
        return nil
    }

    var booleanValue: Bool? {
        if case .boolean(let flag) = self { return flag }
        return nil
    }

    var arrayValue: [TOMLValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    var tableValue: TOMLTable? {
        if case .table(let table) = self { return table }
        return nil
    }
}
