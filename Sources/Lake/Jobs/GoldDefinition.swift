/// An expression as a job file wrote it, with where its text starts in the file, so that an
/// error at an offset inside it can be reported as `file:line:column`.
public struct ExpressionSource: Sendable, Equatable {
    public var text: String
    /// The job file, and the 1-based line and byte column where `text` begins (0: unknown).
    public var file: String
    public var line: Int
    public var column: Int

    public init(_ text: String, file: String = "<job>", line: Int = 0, column: Int = 0) {
        self.text = text
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column` of the byte at `offset` in `text` (lines inside a multi-line
    /// string counted).
    public func location(ofOffset offset: Int) -> String {
        guard line > 0 else { return file }
        var l = line
        var c = column
        for byte in text.utf8.prefix(max(0, offset)) {
            if byte == UInt8(ascii: "\n") {
                l += 1
                c = 1
            } else {
                c += 1
            }
        }
        return "\(file):\(l):\(c)"
    }
}

/// One gold table as its job file declares it (`[gold.<key>]`, SPEC §11). Nothing about a
/// table's columns or meaning is written in code: the kind says how silver rows are grouped,
/// the expressions what is computed.
public struct GoldTableDefinition: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Per key, events separated by gaps of at most `gap` (Spark's session_window).
        case sessions
        /// Tumbling or hopping windows by group, or running totals without a window.
        case windows
        /// The n silver rows with the highest `order_by` (per window and group when given).
        case top
        /// One row per silver row, labelled with the segment a k-means model puts it in.
        case kmeans
    }

    /// The `[gold.<key>]` key.
    public var key: String
    /// The table's name: `gold_<key>` unless `table = "..."` says otherwise.
    public var table: String
    public var kind: Kind
    /// The silver table read (the job's main silver table unless `from` names another).
    public var from: String
    /// The silver timestamp column that places rows in windows and sessions.
    public var timeColumn: String
    /// Sessions: the key columns and the gap.
    public var sessionKey: [String] = []
    public var gapSeconds = 0
    /// Windows and top: the window length (nil: no window) and the slide (nil: tumbling).
    public var windowSeconds: Int?
    public var slideSeconds: Int?
    public var groupBy: [String] = []
    public var filter: ExpressionSource?
    public var having: ExpressionSource?
    /// Declared output columns, in order (sessions and windows).
    public var columns: [(name: String, expression: ExpressionSource)] = []
    /// Top: how many rows, ordered by which expression, and the silver columns shown.
    public var topCount = 0
    public var orderBy: ExpressionSource?
    public var orderDescending = true
    public var topColumns: [String] = []
    /// K-means: the numeric silver columns clustered on, the number of clusters, their labels
    /// (by ascending center of the first feature), the output column of the label, the seed of
    /// k-means++, how many silver rows training samples at most (nil: all), and the SQLite
    /// table of the model (one row per label) with the name of its count column.
    public var features: [String] = []
    public var clusterCount = 0
    public var labels: [String] = []
    public var labelColumn = "segment"
    public var seed: UInt64 = 42
    public var sampleRows: Int?
    public var modelTable = ""
    public var modelCountColumn = "rows"
    /// The job file and the line of the table's header, for messages about the whole table.
    public var file = "<job>"
    public var line = 0

    public init(key: String, table: String, kind: Kind, from: String, timeColumn: String) {
        self.key = key
        self.table = table
        self.kind = kind
        self.from = from
        self.timeColumn = timeColumn
    }

    public static func == (lhs: GoldTableDefinition, rhs: GoldTableDefinition) -> Bool {
        lhs.fingerprint == rhs.fingerprint
    }

    /// Everything that decides the table's rows, as text: gold's saved state records it, so a
    /// changed definition is noticed instead of mixing two definitions in one table.
    public var fingerprint: String {
        var parts = [kind.rawValue, table, from, timeColumn, sessionKey.joined(separator: ","),
                     String(gapSeconds), windowSeconds.map(String.init) ?? "-",
                     slideSeconds.map(String.init) ?? "-", groupBy.joined(separator: ","),
                     filter?.text ?? "-", having?.text ?? "-", String(topCount),
                     orderBy?.text ?? "-", orderDescending ? "desc" : "asc",
                     topColumns.joined(separator: ",")]
        if kind == .kmeans {
            parts += [features.joined(separator: ","), String(clusterCount), labels.joined(separator: ","),
                      labelColumn, String(seed), modelTable, modelCountColumn]
        }
        parts += columns.map { $0.name + "=" + $0.expression.text }
        return parts.joined(separator: "\u{1F}")
    }

    /// Rows are windowed (and so closed by the watermark): sessions, and windows or top with a
    /// window. Running totals and top without a window are replaced whole at every commit.
    public var isWindowed: Bool { kind == .sessions || windowSeconds != nil }
}

/// A SQLite view over gold tables, created in catalog.db (`[views]`).
public struct ViewDefinition: Sendable, Equatable {
    public var name: String
    public var sql: String
    public var file: String
    public var line: Int

    public init(name: String, sql: String, file: String = "<job>", line: Int = 0) {
        self.name = name
        self.sql = sql
        self.file = file
        self.line = line
    }
}
