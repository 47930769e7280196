/// A pipeline as its job file (`jobs/<name>.toml`) defines it. Every parameter of the pipeline
/// lives here, not in code; `JobLoader` reads it and validates every key.
public struct JobDefinition: Sendable, Equatable {
    public var name: String
    /// The job file's `description`: one line for humans (`lake cron`, `lake status`).
    public var summary: String = ""
    public var source: SourceSettings
    public var bronze: BronzeSettings
    public var silver: SilverSettings
    /// The declared gold tables (`[gold.<key>]`), in file order.
    public var gold: [GoldTableDefinition]
    /// SQLite views over the gold tables (`[views]`), created in catalog.db.
    public var views: [ViewDefinition] = []
    public var schedules: [Schedule]
    /// How the job's history is kept in the catalog (`[catalog]`).
    public var catalog = CatalogSettings()
    /// The page `lake serve` shows for the job (`[dashboard]`); nil: a table per gold table and view.
    public var dashboard: DashboardDefinition?

    public init(
        name: String, source: SourceSettings, bronze: BronzeSettings, silver: SilverSettings,
        gold: [GoldTableDefinition], schedules: [Schedule]
    ) {
        self.name = name
        self.source = source
        self.bronze = bronze
        self.silver = silver
        self.gold = gold
        self.schedules = schedules
    }
}

public struct SourceSettings: Sendable, Equatable {
    /// Landing folder, relative to the lake root (default `landing/<job>`).
    public var landing: String
    /// A line longer than this is still kept in bronze; silver quarantines it as `too_long`.
    public var lineBytesMax: Int
    /// `kind = "kafka"`: bronze consumes this topic instead of the landing folder.
    public var kafka: KafkaSourceSettings?

    public init(landing: String, lineBytesMax: Int = 1 << 20) {
        self.landing = landing
        self.lineBytesMax = lineBytesMax
    }
}

/// `[source] kind = "kafka"` (SPEC §14).
public struct KafkaSourceSettings: Sendable, Equatable {
    /// `bootstrap.servers`: `host:port[,host:port…]`.
    public var brokers: String
    public var topic: String
    /// The consumer group the consumed offsets are also committed to, for monitoring tools
    /// (lake's own offsets live in the catalog). Default `lake-<job>`.
    public var group: String
    /// Client settings passed to librdkafka as they are (`[source.kafka]`: security, SASL,
    /// timeouts), checked by librdkafka when the job loads.
    public var properties: [String: String]
    /// A partition that has delivered nothing for this long stops holding gold's watermark
    /// back (Flink's `withIdleness`). Default 1 minute.
    public var idleTimeoutSeconds: Int

    public init(brokers: String, topic: String, group: String, properties: [String: String] = [:],
                idleTimeoutSeconds: Int = 60) {
        self.brokers = brokers
        self.topic = topic
        self.group = group
        self.properties = properties
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}

/// `[catalog]`: how often the job commits under `--follow` and how long its snapshot history is
/// kept (SPEC §7, §10).
public struct CatalogSettings: Sendable, Equatable {
    /// Committed snapshots older than this are folded away by `lake vacuum` and the follow
    /// loop's maintenance (the files they added stay as long as they are live), and run rows
    /// older than it pruned. Default one day.
    public var snapshotRetentionSeconds = 86_400
    /// Committed snapshots younger than this are kept one per commit; older ones are merged
    /// into the last one of their minute (`Catalog.thin`: the files they added or retired are
    /// re-pointed to it), so a day of history is about 1,440 snapshots rather than three per
    /// pass (up to 15 a second under load). The Delta log keeps its own 10-s versions for time
    /// travel; catalog snapshots only serve restarts and the stage after. Default 10 minutes.
    public var snapshotDetailSeconds = 600
    /// Under `--follow`, at most this many passes (so commits per stage) per second: a pass
    /// gathers what arrived since the last one, so at high rates commits grow instead of
    /// multiplying files and snapshots. Default 5 (a pass every 200 ms at most).
    public var commitsPerSecondMax = 5
    /// Under `--follow`, new landing input smaller than `FollowLoop.smallInputBytes` waits up
    /// to this long for more before a pass commits it: at low rates a commit then carries a
    /// second of events instead of a fifth (5× fewer snapshots and small files at 300
    /// events/s), while at high rates every pass has more than that and nothing waits.
    /// 0 commits every pass. Default 1 s.
    public var commitWaitSeconds = 1
    /// Under `--follow`, one Delta version gathers the commits of at most this many seconds
    /// (each command outside `--follow` writes one version per commit). Default 10 s.
    public var deltaIntervalSeconds = 10
    /// `lake vacuum` keeps a retired file while a Delta version younger than this still lists
    /// it (Delta's `delta.deletedFileRetentionDuration`, default 7 days).
    public var deltaRetentionSeconds = 7 * 86_400

    public init() {}
}

public struct BronzeSettings: Sendable, Equatable {
    public var table: String
    /// Rows per bronze Parquet file before a new file is started (bounds memory and file size).
    public var fileRowCountMax: Int
    /// How long raw lines are kept (`retention`): `lake vacuum` deletes bronze files ingested
    /// longer ago than this once silver has read them (nil: kept forever).
    public var retentionSeconds: Int?

    public init(table: String, fileRowCountMax: Int = 1_000_000) {
        self.table = table
        self.fileRowCountMax = fileRowCountMax
    }
}

/// How an event's timestamp field is read. Epoch numbers are ambiguous, so they are opt-in.
public enum TimestampFormat: Sendable, Equatable {
    case iso8601
    case epochMillis
    case epochSeconds
    /// A strftime-style pattern (`"%Y-%m-%d %H:%M:%S"`).
    case pattern(TimestampPattern)

    /// The named formats as a job file spells them.
    public init?(name: String) {
        switch name {
        case "iso8601": self = .iso8601
        case "epoch_ms": self = .epochMillis
        case "epoch_s": self = .epochSeconds
        default: return nil
        }
    }
}

/// The type of a silver column and so the JSON values it accepts.
public enum FieldType: String, Sendable, Equatable {
    /// A JSON string.
    case string
    /// A JSON number or a numeric string.
    case double
    /// A JSON integer or an integral numeric string.
    case int64
    /// A timestamp string (or an epoch number when the job opts in), stored as UTC micros.
    case timestamp
}

/// One silver column and where it comes from in the event JSON.
public struct FieldMapping: Sendable, Equatable {
    /// The silver column name (snake_case), e.g. `device_type`.
    public var column: String
    /// The JSON path, one key per level, e.g. `["device", "type"]`.
    public var path: [String]
    public var type: FieldType
    /// A record without this field (or with `null`) is quarantined as `missing_field:<path>`.
    public var required: Bool
    /// Personal data: hashed or masked before silver stores it (string columns only).
    public var pii: PIIMode?

    public init(column: String, path: [String], type: FieldType, required: Bool = false, pii: PIIMode? = nil) {
        self.column = column
        self.path = path
        self.type = type
        self.required = required
        self.pii = pii
    }

    /// The dotted JSON path as quarantine reasons name it (`data.price`).
    public var dottedPath: String { path.joined(separator: ".") }
}

public struct SilverSettings: Sendable, Equatable {
    public var table: String
    public var quarantineTable: String
    public var columns: [FieldMapping]
    public var timestampFormat: TimestampFormat
    public var watermarkDelaySeconds: Int
    public var clockSkewSecondsMax: Int
    /// Silver column names whose values together identify an event (default `event_id`).
    public var dedupKeys: [String]
    /// The timestamp column that drives the watermark (`time`, default `event_time`).
    public var eventTimeColumn: String = "event_time"
    /// The IANA time zone naive timestamps (without a zone) are read in (`timezone`).
    public var timezone: String = "UTC"
    /// Tables that explode an array of each accepted record (`[silver.children.<key>]`).
    public var children: [ChildTableSettings] = []

    public init(
        table: String, quarantineTable: String, columns: [FieldMapping],
        timestampFormat: TimestampFormat = .iso8601, watermarkDelaySeconds: Int = 600,
        clockSkewSecondsMax: Int = 3600, dedupKeys: [String] = ["event_id"]
    ) {
        self.table = table
        self.quarantineTable = quarantineTable
        self.columns = columns
        self.timestampFormat = timestampFormat
        self.watermarkDelaySeconds = watermarkDelaySeconds
        self.clockSkewSecondsMax = clockSkewSecondsMax
        self.dedupKeys = dedupKeys
    }
}

/// A silver child table (`[silver.children.<key>]`): one row per element of an array of each
/// accepted record (an order's items), with the parent's dedup key and event time copied in
/// front. A child row exists exactly when its parent row is accepted: an element of the wrong
/// shape quarantines the whole record (`bad_type:items[2].quantity`).
public struct ChildTableSettings: Sendable, Equatable {
    public var key: String
    public var table: String
    /// The JSON path of the array in the parent record.
    public var path: [String]
    /// The element's columns, paths relative to the element.
    public var columns: [FieldMapping]

    public init(key: String, table: String, path: [String], columns: [FieldMapping]) {
        self.key = key
        self.table = table
        self.path = path
        self.columns = columns
    }
}

extension SilverSettings {
    /// The parent columns a child table starts with: the dedup key, then the event time.
    var childParentFields: [Int] {
        let names = dedupKeys.filter { $0 != eventTimeColumn } + [eventTimeColumn]
        return names.compactMap { n in columns.firstIndex { $0.column == n } }
    }

    /// The lake's PII key when a column is hashed; nil otherwise (no key file is made).
    func piiKey(lake root: String) throws -> [UInt8]? {
        columns.contains { $0.pii == .hash } || children.contains { $0.columns.contains { $0.pii == .hash } }
            ? try PIIKey.load(lake: root) : nil
    }
}

/// A cron schedule of the job: what `lake cron` prints one line for.
public struct Schedule: Sendable, Equatable {
    /// A name for the line (`stream`, `backfill`).
    public var name: String
    /// A 5-field cron expression in UTC.
    public var cron: String
    /// The `lake` arguments to run, e.g. `run all` or `backfill gold --yesterday`.
    public var command: String

    public init(name: String, cron: String, command: String) {
        self.name = name
        self.cron = cron
        self.command = command
    }
}
