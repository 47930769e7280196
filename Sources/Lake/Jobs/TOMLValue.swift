import Parquet

/// A TOML value as `TOML.parse` reads it. Dates and times are not supported (job files quote
/// them as strings).
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    /// How error messages show a value: scalars as written, containers by kind.
    public var shortDescription: String {
        switch self {
        case .string(let text): return TOMLValue.quoted(text)
        case .integer(let number): return String(number)
        case .float(let number): return String(number)
        case .boolean(let flag): return String(flag)
        case .array: return "an array"
        case .table: return "a table"
        }
    }

    /// `text` as a TOML basic string.
    public static func quoted(_ text: String) -> String { quotedText(text) }
}

/// A TOML table: its keys in the order the file defines them, each with the line that
/// defined it, so that messages about a value can name its line.
public struct TOMLTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: TOMLValue
        /// The 1-based line that defined the key (for a table: its header or first key).
        public var line: Int
        /// Where a string value's contents begin (1-based line and byte column, after the
        /// opening quotes and a multi-line string's first newline), so that messages about a
        /// position inside the string (an expression) can name its line and column; 0 when
        /// unknown.
        public var contentLine = 0
        public var contentColumn = 0

        /// Entries are equal when key and value are; lines are where, not what.
        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.key == rhs.key && lhs.value == rhs.value
        }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public var keys: [String] { entries.map(\.key) }
    public var isEmpty: Bool { entries.isEmpty }

    public subscript(key: String) -> TOMLValue? {
        entry(key)?.value
    }

    public func entry(_ key: String) -> Entry? {
        entries.first { $0.key == key }
    }

    /// Adds a key that is not in the table yet.
    mutating func append(
        _ key: String, _ value: TOMLValue, line: Int, contentLine: Int = 0, contentColumn: Int = 0
    ) {
        precondition(entry(key) == nil, "append of an existing key \(key)")
        entries.append(Entry(key: key, value: value, line: line, contentLine: contentLine,
                             contentColumn: contentColumn))
    }

    /// Runs `body` on the nested table at `path` (which must exist), in place.
    mutating func withTable<Result>(
        at path: ArraySlice<String>, _ body: (inout TOMLTable) throws -> Result
    ) rethrows -> Result {
        guard let first = path.first else { return try body(&self) }
        guard let index = entries.firstIndex(where: { $0.key == first }),
            case .table(var nested) = entries[index].value
        else { preconditionFailure("no table at \(path)") }
        // Take the nested table out so that it is mutated without a copy, then put it back.
        entries[index].value = .boolean(false)
        defer { entries[index].value = .table(nested) }
        return try nested.withTable(at: path.dropFirst(), body)
    }
}
