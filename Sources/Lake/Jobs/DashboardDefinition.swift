/// A job's declared dashboard (`[dashboard]`, SPEC §15): cards, charts and tables over the job's
/// views and gold tables, in file order, refreshed every `refreshSeconds` by `lake serve`.
public struct DashboardDefinition: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// One value: column `value` of the first row of `from` (a one-row view).
        case card
        /// One or more series (`y`) over `x`, in the rows' order.
        case line
        /// Horizontal bars: label `x`, length `y` (its first column).
        case bar
        case pie
        case donut
        /// The rows of `from` (its `columns`, or all), up to `limit`.
        case table
    }

    /// How a value is shown; `auto` is a grouped integer or a number with two decimals.
    public enum Format: String, Sendable, CaseIterable {
        case auto, integer, number, money, percent, text
    }

    public struct Panel: Sendable, Equatable {
        /// The key of `[dashboard.<name>]`: the panel's id on the page.
        public var name: String
        public var kind: Kind
        public var title: String
        /// A view or gold table the job declares.
        public var from: String
        /// card: the column shown.
        public var value: String?
        /// Charts: the label column and the value columns.
        public var x: String?
        public var y: [String] = []
        /// table: the columns shown (empty: every column).
        public var columns: [String] = []
        /// Rows read from `from` (tables default to 10, charts to 1,000).
        public var limit: Int
        /// Only rows whose `time` column is within this many seconds of the newest one (the
        /// data's own time, not the clock: a lake replaying last month shows last month's
        /// final hours). `time` defaults to the chart's `x`.
        public var rangeSeconds: Int?
        public var time: String?
        public var format: Format = .auto

        public init(name: String, kind: Kind, title: String, from: String, limit: Int) {
            self.name = name
            self.kind = kind
            self.title = title
            self.from = from
            self.limit = limit
        }
    }

    public var title: String
    public var refreshSeconds: Double
    public var panels: [Panel]

    public init(title: String, refreshSeconds: Double, panels: [Panel]) {
        self.title = title
        self.refreshSeconds = refreshSeconds
        self.panels = panels
    }

    /// What a job without `[dashboard]` gets: a table of every gold table and view.
    public static func fallback(for job: JobDefinition) -> DashboardDefinition {
        let names = job.goldTableNames + job.views.map(\.name)
        return DashboardDefinition(
            title: job.summary.isEmpty ? job.name : job.summary, refreshSeconds: 10,
            panels: names.map { Panel(name: $0, kind: .table, title: $0, from: $0, limit: 20) })
    }
}

extension JobDefinition {
    /// Every table gold writes into catalog.db: the declared tables and the k-means model tables.
    public var goldTableNames: [String] {
        gold.flatMap { $0.kind == .kmeans ? [$0.table, $0.modelTable] : [$0.table] }
    }

    /// The declared dashboard, or the default one.
    public var page: DashboardDefinition { dashboard ?? .fallback(for: self) }
}
