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
        #expect(jobs.map(\.name) == ["clickstream"])
        var expected = JobDefinition(
            name: "clickstream",
            source: SourceSettings(landing: "landing/clickstream", lineBytesMax: 1_048_576),
            bronze: BronzeSettings(table: "bronze_clickstream", fileRowCountMax: 1_000_000),
            silver: SilverSettings(
                table: "silver_clickstream", quarantineTable: "quarantine_clickstream",
                columns: JobLoaderTests.expectedColumns, timestampFormat: .iso8601,
                watermarkDelaySeconds: 600, clockSkewSecondsMax: 3600, dedupKeys: ["event_id"]),
            gold: GoldSettings(table: "gold_session_stats", sessionGapSeconds: 1800),
            schedules: [
                Schedule(name: "stream", cron: "* * * * *", command: "run all"),
                Schedule(name: "backfill", cron: "30 2 * * *",
                         command: "backfill all --from yesterday --to yesterday"),
            ])
        expected.summary =
            "E-commerce clickstream: sessions, purchases, abandoned carts and revenue"
        let job = try #require(jobs.first)
        #expect(job.silver.columns == expected.silver.columns)
        #expect(job == expected)
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

        [gold]
        table = "gold_x"
        session_gap = "30m"
        """

    @Test func minimalFileGetsDefaults() throws {
        let job = try JobLoader.parse(JobLoaderTests.minimal, name: "x", file: "jobs/x.toml")
        #expect(job.source == SourceSettings(landing: "landing/x"))
        #expect(job.silver.clockSkewSecondsMax == 3600)
        #expect(job.silver.dedupKeys == ["event_id"])
        #expect(job.gold.revenueColumn == "total_amount")
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
        ("session_gap = \"30m\"", "session_gap = \"0s\"",
         "jobs/x.toml:18: key gold.session_gap: expected a positive duration like \"30m\", "
             + "got \"0s\" (a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\")"),
        ("watermark_delay = \"10m\"", "watermark_dely = \"10m\"",
         "jobs/x.toml:7: unknown key silver.watermark_dely: expected one of table, "
             + "quarantine_table, timestamp_format, watermark_delay, clock_skew_max, dedup_keys, "
             + "columns (did you mean silver.watermark_delay?)"),
        ("[gold]\ntable = \"gold_x\"\n", "[gold]\n",
         "jobs/x.toml: missing key gold.table: expected a table name (lowercase letters, "
             + "digits and _)"),
        ("table = \"bronze_x\"", "table = 7",
         "jobs/x.toml:2: key bronze.table: expected a table name (lowercase letters, digits and "
             + "_), got 7"),
        ("table = \"gold_x\"", "table = \"silver_x\"",
         "jobs/x.toml: key gold.table: table silver_x is already used by silver.table "
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
         "jobs/x.toml:10: key silver.columns: expected exactly one column of type \"timestamp\" "
             + "(the event time), found 0"),
        ("event_id = {", "ingest_id = {",
         "jobs/x.toml:10: key silver.columns.ingest_id: silver adds this column itself (the "
             + "lineage to bronze) (remove it from the job file)"),
        ("[bronze]", "[bronze]\nformat = \"parquet\"",
         "jobs/x.toml:2: unknown key bronze.format: expected one of table, max_file_rows"),
        ("session_gap = \"30m\"", "session_gap = \"30m\"\ntime_column = \"user_id\"",
         "jobs/x.toml:19: key gold.time_column: expected the name of a silver column of type "
             + "\"timestamp\", got \"user_id\""),
        ("[bronze]", "[schedules]\nnightly = { cron = \"30 2 * *\", command = \"run all\" }\n"
            + "[bronze]",
         "jobs/x.toml:2: key schedules.nightly.cron: expected a 5-field cron expression like "
             + "\"*/5 * * * *\", got \"30 2 * *\" (minute hour day-of-month month day-of-week, "
             + "in UTC)"),
        ("[bronze]", "[schedules]\nnightly = { cron = \"0 3 * * *\", command = \"rm -rf /\" }\n"
            + "[bronze]",
         "jobs/x.toml:2: key schedules.nightly.command: expected lake arguments starting with "
             + "one of run, backfill, compact, vacuum, status, report, got \"rm -rf /\""),
        ("[bronze]", "[source]\nmax_line_bytes = -1\n[bronze]",
         "jobs/x.toml:2: key source.max_line_bytes: expected a positive integer, got -1"),
        ("[bronze]", "colour = \"red\"\n[bronze]",
         "jobs/x.toml:1: unknown key colour: expected one of description, source, bronze, "
             + "silver, gold, schedules"),
        ("watermark_delay = \"10m\"", "watermark_delay = \"10m\"\ndedup_keys = [\"eventId\"]",
         "jobs/x.toml:8: key silver.dedup_keys: expected a non-empty array of silver column "
             + "names like [\"event_id\"], got an array"),
        ("watermark_delay = \"10m\"", "watermark_delay = \"10m\"\ntimestamp_format = \"unix\"",
         "jobs/x.toml:8: key silver.timestamp_format: expected one of \"iso8601\", \"epoch_ms\", "
             + "\"epoch_s\", got \"unix\""),
        ("[silver]\n", "[silver]\nwatermark_delay = \"5m\"\n",
         "jobs/x.toml:8: key silver.watermark_delay is defined twice (first on line 5)"),
        ("session_gap = \"30m\"", "session_gap = 30m",
         "jobs/x.toml:18:15: expected a value (a string, number, boolean, array or inline "
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
