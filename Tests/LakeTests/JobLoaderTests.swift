import Foundation
import Testing
@testable import Lake

/// The repository's `jobs/` folder, found from this file's path.
let repositoryJobsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("jobs").path

@Suite struct JobLoaderTests {
    /// The mapping SPEC §5 gives (shared with the parser tests).
    static let expectedColumns = Clickstream.fields

    @Test func shippedJobFileLoads() throws {
        let jobs = try JobLoader.load(directory: repositoryJobsFolder)
        #expect(jobs.map(\.name).contains("clickstream"))
        let job = try #require(jobs.first { $0.name == "clickstream" })
        #expect(job.source == SourceSettings(landing: "landing/clickstream", lineBytesMax: 1_048_576))
        #expect(job.bronze == BronzeSettings(table: "bronze_clickstream", fileRowCountMax: 1_000_000))
        #expect(job.silver == SilverSettings(
            table: "silver_clickstream", quarantineTable: "quarantine_clickstream",
            columns: JobLoaderTests.expectedColumns, timestampFormat: .iso8601,
            watermarkDelaySeconds: 600, clockSkewSecondsMax: 3600, dedupKeys: ["event_id"]))
        #expect(job.schedules == [
            Schedule(name: "stream", cron: "* * * * *", command: "run all"),
            Schedule(name: "backfill", cron: "30 2 * * *", command: "backfill all --from yesterday --to yesterday"),
        ])
        #expect(job.summary == "E-commerce clickstream: sessions, purchases, abandoned carts and revenue")
        // SPEC §6 and §12: the session table and seed 003's analyses are declared, with the
        // dashboard's KPI views.
        let sessions = try #require(job.gold.first)
        #expect(sessions.table == "gold_session_stats" && sessions.kind == .sessions)
        #expect(sessions.sessionKey == ["user_id"] && sessions.gapSeconds == 1800)
        #expect(sessions.columns.map(\.name) == ["events_count", "is_purchased", "has_cart_activity",
                                                  "is_abandoned_cart", "session_revenue"])
        #expect(job.gold.map(\.table).contains("gold_category_activity"))
        #expect(job.views.map(\.name) == ["gold_kpis", "gold_funnel", "gold_hourly", "gold_top_customers",
                                          "gold_session_status", "top_viewed_products"])
        // The page: six KPI cards over gold_kpis, then the charts and tables.
        let page = try #require(job.dashboard)
        #expect(page.panels.filter { $0.kind == .card }.map(\.value) == ["total_sessions", "orders", "abandoned_carts",
                                                                        "revenue", "average_order_value", "conversion_rate_pct"])
        #expect(page.panels.filter { $0.kind != .card }.map(\.name) == ["funnel", "session_status", "hourly", "top_customers",
                                                                        "top_viewed_products"])
        #expect(page.refreshSeconds == 5 && page.panels.first { $0.name == "hourly" }?.y == ["sessions", "purchases", "abandoned_carts"])
        let hourly = try #require(page.panels.first { $0.name == "hourly" })
        #expect(hourly.from == "gold_hourly" && hourly.rangeSeconds == 48 * 3600 && hourly.time == "hour")
        #expect(page.panels.filter { $0.rangeSeconds != nil }.map(\.name) == ["hourly"])
    }

    /// The smallest valid job file; the invalid cases below break one thing each.
    static let minimal = """
        [bronze]
        table = "bronze_x"

        [silver]
        table = "silver_x"
        quarantine_table = "quarantine_x"
        watermark_delay = "10m"

        [silver.columns]
        event_id = { path = "eventId", type = "string", required = true }
        event_type = { path = "eventType", type = "string" }
        user_id = { path = "userId", type = "string" }
        event_time = { path = "timestamp", type = "timestamp" }
        total_amount = { path = "data.totalAmount", type = "double" }

        [gold.x]
        kind = "sessions"
        key = ["user_id"]
        gap = "30m"
        [gold.x.columns]
        events = "count()"
        revenue = "sum(total_amount)"
        """

    @Test func minimalFileGetsDefaults() throws {
        let job = try JobLoader.parse(JobLoaderTests.minimal, name: "x", file: "jobs/x.toml")
        #expect(job.source == SourceSettings(landing: "landing/x"))
        #expect(job.silver.clockSkewSecondsMax == 3600)
        #expect(job.silver.dedupKeys == ["event_id"])
        #expect(job.gold.map(\.table) == ["gold_x"] && job.gold[0].gapSeconds == 1800)
        #expect(job.gold[0].columns.map(\.name) == ["events", "revenue"])
        #expect(job.silver.eventTimeColumn == "event_time" && job.silver.timezone == "UTC")
        #expect(job.schedules.isEmpty && job.summary.isEmpty)
    }

    static let invalidCases: [(String, String, String)] = [
        ("watermark_delay = \"10m\"", "watermark_delay = 10",
         "jobs/x.toml:7: key silver.watermark_delay: expected a duration like \"10m\", got 10 "
             + "(a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\")"),
        ("watermark_delay = \"10m\"", "watermark_delay = \"10 minutes\"",
         "jobs/x.toml:7: key silver.watermark_delay: expected a duration like \"10m\", "
             + "got \"10 minutes\" (a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", "
             + "\"1h30m\")"),
        ("gap = \"30m\"", "gap = \"0s\"",
         "jobs/x.toml:19: key gold.x.gap: expected a positive duration like \"30m\", "
             + "got \"0s\" (a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\")"),
        ("watermark_delay = \"10m\"", "watermark_dely = \"10m\"",
         "jobs/x.toml:7: unknown key silver.watermark_dely: expected one of table, "
             + "quarantine_table, timestamp_format, watermark_delay, clock_skew_max, dedup_keys, "
             + "columns, time, timezone, children (did you mean silver.watermark_delay?)"),
        ("kind = \"sessions\"\n", "",
         "jobs/x.toml: missing key gold.x.kind: expected one of \"sessions\", \"windows\", \"top\", \"kmeans\""),
        ("table = \"bronze_x\"", "table = 7",
         "jobs/x.toml:2: key bronze.table: expected a table name (lowercase letters, digits and "
             + "_), got 7"),
        ("[gold.x]\n", "[gold.x]\ntable = \"silver_x\"\n",
         "jobs/x.toml: key gold.x: table silver_x is already used by silver.table "
             + "(every layer needs its own table)"),
        ("type = \"double\"", "type = \"decimal\"",
         "jobs/x.toml:14: key silver.columns.total_amount.type: expected one of \"string\", "
             + "\"double\", \"int64\", \"timestamp\", got \"decimal\""),
        ("path = \"data.totalAmount\"", "path = \"data..totalAmount\"",
         "jobs/x.toml:14: key silver.columns.total_amount.path: expected a JSON path like "
             + "\"data.price\", got \"data..totalAmount\""),
        ("required = true", "required = \"yes\"",
         "jobs/x.toml:10: key silver.columns.event_id.required: expected true or false, "
             + "got \"yes\""),
        ("type = \"timestamp\"", "type = \"string\"",
         "jobs/x.toml:10: key silver.columns: expected a column of type \"timestamp\" (the event "
             + "time), found none"),
        ("event_id = {", "ingest_id = {",
         "jobs/x.toml:10: key silver.columns.ingest_id: silver adds this column itself (the "
             + "lineage to bronze) (remove it from the job file)"),
        ("[bronze]", "[bronze]\nformat = \"parquet\"",
         "jobs/x.toml:2: unknown key bronze.format: expected one of table, max_file_rows, retention"),
        ("gap = \"30m\"", "gap = \"30m\"\ntime = \"user_id\"",
         "jobs/x.toml:16: key gold.x.time: user_id is a string column; expected a timestamp column"),
        ("[bronze]", "[schedules]\nnightly = { cron = \"30 2 * *\", command = \"run all\" }\n"
            + "[bronze]",
         "jobs/x.toml:2: key schedules.nightly.cron: expected a 5-field cron expression like "
             + "\"*/5 * * * *\", got \"30 2 * *\" (minute hour day-of-month month day-of-week, "
             + "in UTC)"),
        ("[bronze]", "[schedules]\nnightly = { cron = \"0 3 * * *\", command = \"rm -rf /\" }\n"
            + "[bronze]",
         "jobs/x.toml:2: key schedules.nightly.command: expected lake arguments starting with "
             + "one of run, backfill, compact, vacuum, status, report, train, got \"rm -rf /\""),
        ("[bronze]", "[source]\nmax_line_bytes = -1\n[bronze]",
         "jobs/x.toml:2: key source.max_line_bytes: expected a positive integer, got -1"),
        ("[bronze]", "[catalog]\ndelta_interval = \"0s\"\n[bronze]",
         "jobs/x.toml:2: key catalog.delta_interval: expected a positive duration like \"10s\", got \"0s\" "
             + "(a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\")"),
        ("[bronze]", "[catalog]\ndelta_retention = 7\n[bronze]",
         "jobs/x.toml:2: key catalog.delta_retention: expected a duration like \"7d\" (0s keeps no history), got 7 "
             + "(a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\")"),
        ("table = \"bronze_x\"", "table = \"bronze_x\"\nretention = \"a month\"",
         "jobs/x.toml:3: key bronze.retention: expected a positive duration like \"30d\", got \"a month\" "
             + "(a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\")"),
        ("[bronze]", "[catalog]\ncommit_wait = \"soon\"\n[bronze]",
         "jobs/x.toml:2: key catalog.commit_wait: expected a duration like \"1s\" (0s commits every pass), got \"soon\" "
             + "(a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\")"),
        ("[bronze]", "[catalog]\ncommits_per_second = 0\n[bronze]",
         "jobs/x.toml:2: key catalog.commits_per_second: expected a positive integer, got 0"),
        ("[bronze]", "[catalog]\nsnapshot_retention = \"forever\"\n[bronze]",
         "jobs/x.toml:2: key catalog.snapshot_retention: expected a positive duration like \"1d\", got \"forever\" "
             + "(a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\")"),
        ("[bronze]", "colour = \"red\"\n[bronze]",
         "jobs/x.toml:1: unknown key colour: expected one of description, source, bronze, "
             + "silver, gold, views, schedules, catalog, dashboard"),
        ("watermark_delay = \"10m\"", "watermark_delay = \"10m\"\ndedup_keys = [\"eventId\"]",
         "jobs/x.toml:8: key silver.dedup_keys: expected a non-empty array of silver column "
             + "names like [\"event_id\"], got an array"),
        ("watermark_delay = \"10m\"", "watermark_delay = \"10m\"\ntimestamp_format = \"unix\"",
         "jobs/x.toml:8: key silver.timestamp_format: expected one of \"iso8601\", \"epoch_ms\", "
             + "\"epoch_s\" or a pattern like \"%Y-%m-%d %H:%M:%S\", got \"unix\""),
        ("watermark_delay = \"10m\"", "watermark_delay = \"10m\"\ntimestamp_format = \"%Y-%m-%d %I:%M\"",
         "jobs/x.toml:8: key silver.timestamp_format: %I is not a supported directive; expected a pattern of "
             + "%Y %m %d %H %M %S %f %z %F %T and literal characters, like \"%Y-%m-%d %H:%M:%S\""),
        ("type = \"double\" }", "type = \"double\", pii = \"hash\" }", "jobs/x.toml:14: key silver.columns.total_amount.pii: only string columns can be hashed or masked; this column is double"),
        ("user_id = { path = \"userId\", type = \"string\" }", "user_id = { path = \"userId\", type = \"string\", pii = \"hide\" }", "jobs/x.toml:12: key silver.columns.user_id.pii: expected \"hash\" or \"mask\", got \"hide\""),
        ("kind = \"sessions\"\nkey = [\"user_id\"]\ngap = \"30m\"", "kind = \"kmeans\"\nfeatures = [\"total_amount\"]\nk = 2\nlabels = [\"a\"]", "jobs/x.toml:20: key gold.x.labels: expected an array of 2 distinct labels, by ascending center, got an array"),
        ("kind = \"sessions\"\nkey = [\"user_id\"]\ngap = \"30m\"", "kind = \"kmeans\"\nfeatures = [\"user_id\"]\nk = 2", "jobs/x.toml:16: key gold.x.features: user_id is a string column; expected numeric columns"),
        ("kind = \"sessions\"\nkey = [\"user_id\"]\ngap = \"30m\"", "kind = \"kmeans\"\nfeatures = [\"total_amount\"]\nk = 2", "jobs/x.toml:21:11: count() is an aggregate; a kmeans table has one row per silver row, so its columns are expressions over that row"),
        ("watermark_delay = \"10m\"", "watermark_delay = \"10m\"\ntimezone = \"Mars/Base\"",
         "jobs/x.toml:8: key silver.timezone: expected an IANA time zone name like \"Europe/Rome\", "
             + "got \"Mars/Base\""),
        ("[silver]\n", "[silver]\nwatermark_delay = \"5m\"\n",
         "jobs/x.toml:8: key silver.watermark_delay is defined twice (first on line 5)"),
        ("gap = \"30m\"", "gap = 30m",
         "jobs/x.toml:19:7: expected a value (a string, number, boolean, array or inline "
             + "table), found 30m (quote text as \"30m\")"),
    ]

    @Test(arguments: invalidCases)
    func invalidFileIsExplained(original: String, replacement: String, message: String) {
        let minimal = JobLoaderTests.minimal
        #expect(minimal.contains(original), "case does not apply: \(original)")
        let text = minimal.replacingOccurrences(of: original, with: replacement)
        do {
            _ = try JobLoader.parse(text, name: "x", file: "jobs/x.toml")
            Issue.record("no error for \(replacement)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func missingSectionsAndFoldersAreExplained() throws {
        #expect(throws: LakeError.self) { try JobLoader.parse("", name: "x", file: "x.toml") }
        do {
            _ = try JobLoader.parse("[bronze]\ntable = \"b\"\n", name: "x", file: "x.toml")
        } catch {
            #expect("\(error)".hasPrefix("x.toml: missing key silver: expected a [silver] table"))
        }
        #expect(throws: LakeError.self) {
            try JobLoader.load(directory: "/nonexistent/jobs")
        }
        #expect(throws: LakeError.self) {
            try JobLoader.parse(JobLoaderTests.minimal, name: "bad name", file: "bad name.toml")
        }
    }

    @Test func twoJobsCannotShareATable() throws {
        let folder = try makeTemporaryFolder("jobs")
        for name in ["a", "b"] {
            try JobLoaderTests.minimal.write(
                toFile: folder + "/\(name).toml", atomically: true, encoding: .utf8)
        }
        try "not a job".write(toFile: folder + "/.hidden.toml", atomically: true, encoding: .utf8)
        #expect(throws: LakeError.self) { try JobLoader.load(directory: folder) }
        try FileManager.default.removeItem(atPath: folder + "/b.toml")
        #expect(try JobLoader.load(directory: folder).map(\.name) == ["a"])
    }

    @Test(arguments: [
        ("\"10m\"", 600), ("\"1h\"", 3600), ("\"30s\"", 30), ("\"1800s\"", 1800),
        ("\"1h30m\"", 5400), ("\"2d\"", 172_800), ("\"0s\"", 0),
    ] as [(String, Int)])
    func durations(text: String, seconds: Int) throws {
        let table = try TOML.parse("d = \(text)")
        #expect(table["d"].flatMap(JobLoader.durationSeconds) == seconds)
    }

    @Test(arguments: ["10", "\"10\"", "\"m\"", "\"10 m\"", "\"10M\"", "\"-5m\"", "\"\"", "\"5ms\""])
    func badDurations(text: String) throws {
        let table = try TOML.parse("d = \(text)")
        #expect(table["d"].flatMap(JobLoader.durationSeconds) == nil)
    }

    @Test(arguments: [
        ("* * * * *", true), ("*/5 * * * *", true), ("30 2 * * *", true),
        ("0 9-17/2 1,15 1-12 1-5", true), ("0 0 * * 7", true),
        ("60 * * * *", false), ("* * * *", false), ("* * * * * *", false),
        ("5-1 * * * *", false), ("*/0 * * * *", false), ("a * * * *", false),
        ("+5 * * * *", false), ("1,,2 * * * *", false),
    ] as [(String, Bool)])
    func cronExpressions(text: String, valid: Bool) {
        #expect(CronExpression.isValid(text) == valid)
    }
}

/// Every error class of a declared gold table (SPEC §11) is one line
/// `file:line:column: what is wrong; what is expected`.
@Suite struct GoldJobFileErrorTests {
    /// A job with one windows table; each case replaces one line of it.
    static let job = """
        [bronze]
        table = "bronze_t"
        [silver]
        table = "silver_t"
        quarantine_table = "quarantine_t"
        watermark_delay = "10m"
        dedup_keys = ["id"]
        [silver.columns]
        id = { path = "id", type = "string", required = true }
        category = { path = "category", type = "string" }
        amount = { path = "amount", type = "double" }
        event_time = { path = "timestamp", type = "timestamp", required = true }
        [gold.sales]
        kind = "windows"
        window = "1m"
        group_by = ["category"]
        where = "amount > 0"
        [gold.sales.columns]
        revenue = "sum(amount)"
        transactions = "count()"
        per_row = "revenue / transactions"
        """

    static let cases: [(String, String, String)] = [
        ("revenue = \"sum(amount)\"", "revenue = \"sum(amout)\"",
         "jobs/t.toml:19:16: unknown column amout; expected a silver column such as amount"),
        ("revenue = \"sum(amount)\"", "revenue = \"summ(amount)\"",
         "jobs/t.toml:19:12: unknown function summ; expected one of"),
        ("where = \"amount > 0\"", "where = \"count() > 0\"",
         "jobs/t.toml:17:10: aggregate count() is not allowed in where"),
        ("revenue = \"sum(amount)\"", "revenue = \"sum(category)\"",
         "jobs/t.toml:19:16: sum of a string column category; expected a number"),
        ("window = \"1m\"", "window = \"5m\"\nslide = \"2m\"",
         "jobs/t.toml:16:10: key gold.sales.slide: window 300 s is not a whole number of slides of 120 s; "
             + "expected a window that is a multiple of the slide"),
        ("where = \"amount > 0\"", "where = \"amount\"",
         "jobs/t.toml:17:10: where is an expression of type double; expected a condition (a boolean expression)"),
        ("revenue = \"sum(amount)\"", "revenue = \"amount\"",
         "jobs/t.toml:19:12: unknown column amount; expected"),
        ("where = \"amount > 0\"", "where = \"category > 0\"",
         "jobs/t.toml:17:19: cannot compare string with"),
        ("kind = \"windows\"", "kind = \"cube\"",
         "jobs/t.toml:14: key gold.sales.kind: expected one of \"sessions\", \"windows\", \"top\", \"kmeans\", got \"cube\""),
        ("group_by = [\"category\"]", "group_by = [\"city\"]",
         "jobs/t.toml:13: key gold.sales.group_by: unknown silver column city; expected one of id, category, amount, event_time"),
        // A column sees only the columns declared before it.
        ("per_row = \"revenue / transactions\"", "per_row = \"revenue / later\"\nlater = \"count()\"",
         "jobs/t.toml:21:22: unknown column later"),
        ("where = \"amount > 0\"", "where = \"amount > 0\"\nhaving = \"transactions\"",
         "jobs/t.toml:18:11: having is an expression of type int64; expected a condition (a boolean expression)"),
    ]

    @Test(arguments: cases)
    func badGoldIsExplained(original: String, replacement: String, message: String) {
        #expect(Self.job.contains(original), "case does not apply: \(original)")
        let text = Self.job.replacingOccurrences(of: original, with: replacement)
        do {
            _ = try JobLoader.parse(text, name: "t", file: "jobs/t.toml")
            Issue.record("no error for \(replacement)")
        } catch {
            let line = "\(error)"
            #expect(line.hasPrefix(message), "got: \(line)")
            #expect(!line.contains("\n"))
        }
    }

    /// The job as written is valid: each case above breaks exactly one thing.
    @Test func theBaseJobLoads() throws {
        let job = try JobLoader.parse(Self.job, name: "t", file: "jobs/t.toml")
        #expect(job.gold.first?.columns.map(\.name) == ["revenue", "transactions", "per_row"])
        #expect(job.gold.first?.table == "gold_sales")
    }
}
