import Foundation

/// Reads job files (`jobs/<name>.toml`) into `JobDefinition`s, validating every key: unknown
/// keys, wrong types, bad durations and missing required keys are `LakeError`s that name the
/// file, the line, the key and what is expected, e.g.
/// `jobs/clickstream.toml:21: key silver.watermark_delay: expected a duration like "10m", got 10`.
public enum JobLoader {
    /// Every `*.toml` file in `directory` (dot-files skipped), in name order.
    public static func load(directory: String) throws -> [JobDefinition] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw LakeError("load jobs", path: directory, "no such folder",
                            hint: "pass --jobs DIR, or run lake from the folder that holds jobs/")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }.sorted()
        } catch {
            throw LakeError("load jobs", path: directory, "cannot list the folder: \(error)")
        }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        var jobs: [JobDefinition] = []
        var owners: [String: (job: String, file: String)] = [:]
        for name in names {
            let file = prefix + name
            let job = try load(file: file)
            for table in job.tableNames {
                if let owner = owners[table] {
                    throw LakeError(
                        file, "table \(table) is also written by job \(owner.job) "
                            + "(\(owner.file))", hint: "give each job its own table names")
                }
                owners[table] = (job.name, file)
            }
            jobs.append(job)
        }
        return jobs
    }

    /// One job file; the job's name is the file name without `.toml`.
    public static func load(file: String) throws -> JobDefinition {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw LakeError("load job", path: file, "cannot read the file: \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LakeError(file, "the file is not valid UTF-8")
        }
        let stem = (URL(fileURLWithPath: file).lastPathComponent as NSString)
            .deletingPathExtension
        return try parse(text, name: stem, file: file)
    }

    /// A job file's text; `file` is only used in messages.
    public static func parse(_ text: String, name: String, file: String) throws -> JobDefinition {
        guard !name.isEmpty, name.utf8.allSatisfy(isJobNameByte) else {
            throw LakeError(file, "the job name \"\(name)\" (the file name) may only hold "
                            + "letters, digits, - and _")
        }
        let top = JobFileTable(file: file, path: "", table: try TOML.parse(text, file: file))
        try top.rejectUnknownKeys(["description", "source", "bronze", "silver", "gold",
                                   "views", "schedules", "catalog", "dashboard"])
        let source = try readSource(top.subtable("source", "a [source] table"), job: name)
        let bronze = try readBronze(
            top.requiredSubtable("bronze", "a [bronze] table with the bronze table name"))
        let silver = try readSilver(top.requiredSubtable(
            "silver", "a [silver] table with its tables, watermark and [silver.columns]"))
        let gold = try readGold(top.subtable(
            "gold", "[gold.<name>] tables, one per gold table"), silver: silver)
        let schedules = try readSchedules(top.subtable("schedules", "a [schedules] table"))
        var job = JobDefinition(
            name: name, source: source, bronze: bronze, silver: silver, gold: gold,
            schedules: schedules)
        job.catalog = try readCatalog(top.subtable("catalog", "a [catalog] table"))
        job.views = try readViews(top.subtable("views", "a [views] table of name = \"SELECT …\""))
        job.summary = try top.optional("description", "a string") { $0.stringValue } ?? ""
        try checkTableNames(job, top: top)
        job.dashboard = try readDashboard(top.subtable("dashboard", "a [dashboard] table"), job: job)
        // Every expression is parsed and type-checked now, so a mistake is reported when the
        // job loads, with its line and column, not when gold first meets a row.
        _ = try GoldPlan(job: job)
        return job
    }

    static func isJobNameByte(_ byte: UInt8) -> Bool {
        TOMLParser.isBareKeyByte(byte)
    }

    // MARK: - Sections

    private static func readSource(_ table: JobFileTable?, job: String) throws -> SourceSettings {
        var settings = SourceSettings(landing: "landing/" + job)
        guard let table else { return settings }
        let kind = try table.optional("kind", "\"landing\" or \"kafka\"") { v in
            v.stringValue.flatMap { ["landing", "kafka"].contains($0) ? $0 : nil }
        } ?? "landing"
        if kind == "kafka" {
            try table.rejectUnknownKeys(["kind", "brokers", "topic", "group", "idle_timeout", "kafka", "max_line_bytes"])
            let nonEmpty: (TOMLValue) -> String? = { $0.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
            var kafka = KafkaSourceSettings(
                brokers: try table.required("brokers", "a string like \"host1:9092,host2:9092\"", nonEmpty),
                topic: try table.required("topic", "a topic name", nonEmpty),
                group: try table.optional("group", "a consumer group name", nonEmpty) ?? "lake-" + job)
            if let seconds = try table.optional("idle_timeout", "a positive duration like \"1m\"", hint: durationHint, {
                durationSeconds($0).flatMap { $0 > 0 ? $0 : nil }
            }) {
                kafka.idleTimeoutSeconds = seconds
            }
            if let client = try table.subtable("kafka", "a [source.kafka] table of librdkafka settings") {
                for (name, value, line) in flatten(client.table, prefix: "") {
                    let location = "\(table.file):\(line)"
                    guard let text = value else {
                        throw LakeError(location, "key source.kafka.\(name): expected a string, number or boolean")
                    }
                    if let problem = KafkaClient.check(name, text) {
                        throw LakeError(location, "key source.kafka.\(name): \(problem)",
                                        hint: "see librdkafka's CONFIGURATION.md for the settings it knows")
                    }
                    kafka.properties[name] = text
                }
            }
            settings.kafka = kafka
        } else {
            try table.rejectUnknownKeys(["kind", "landing", "max_line_bytes"])
        }
        if let landing = try table.optional("landing", "a folder relative to the lake root", {
            $0.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }) {
            settings.landing = landing
        }
        if let bytes = try table.optional("max_line_bytes", "a positive integer", positiveInt) {
            settings.lineBytesMax = bytes
        }
        return settings
    }

    /// `[source.kafka]` as librdkafka's dotted names: `"security.protocol" = …` and
    /// `security.protocol = …` (a nested table in TOML) both give `security.protocol`.
    private static func flatten(_ table: TOMLTable, prefix: String) -> [(String, String?, Int)] {
        table.entries.flatMap { entry -> [(String, String?, Int)] in
            let name = prefix + entry.key
            switch entry.value {
            case .table(let nested): return flatten(nested, prefix: name + ".")
            case .string(let s): return [(name, s, entry.line)]
            case .integer(let n): return [(name, String(n), entry.line)]
            case .boolean(let b): return [(name, b ? "true" : "false", entry.line)]
            default: return [(name, nil, entry.line)]
            }
        }
    }

    private static func readBronze(_ table: JobFileTable) throws -> BronzeSettings {
        try table.rejectUnknownKeys(["table", "max_file_rows", "retention"])
        var settings = BronzeSettings(table: try table.required("table", tableNameExpected) {
            tableName($0)
        })
        if let rows = try table.optional("max_file_rows", "a positive integer", positiveInt) {
            settings.fileRowCountMax = rows
        }
        settings.retentionSeconds = try table.optional("retention", "a positive duration like \"30d\"",
                                                       hint: durationHint) { durationSeconds($0).flatMap { $0 > 0 ? $0 : nil } }
        return settings
    }

    private static func readCatalog(_ table: JobFileTable?) throws -> CatalogSettings {
        var settings = CatalogSettings()
        guard let table else { return settings }
        try table.rejectUnknownKeys(["snapshot_retention", "snapshot_detail", "commits_per_second", "commit_wait", "delta_interval",
                                     "delta_retention"])
        if let seconds = try table.optional("snapshot_retention", "a positive duration like \"1d\"", hint: durationHint, {
            durationSeconds($0).flatMap { $0 > 0 ? $0 : nil }
        }) {
            settings.snapshotRetentionSeconds = seconds
        }
        if let seconds = try table.optional("snapshot_detail", "a duration like \"10m\"", hint: durationHint, {
            durationSeconds($0).flatMap { $0 >= 0 ? $0 : nil }
        }) {
            settings.snapshotDetailSeconds = seconds
        }
        if let n = try table.optional("commits_per_second", "a positive integer", positiveInt) {
            settings.commitsPerSecondMax = n
        }
        if let seconds = try table.optional("commit_wait", "a duration like \"1s\" (0s commits every pass)",
                                            hint: durationHint, durationSeconds) {
            settings.commitWaitSeconds = seconds
        }
        if let seconds = try table.optional("delta_interval", "a positive duration like \"10s\"", hint: durationHint, {
            durationSeconds($0).flatMap { $0 > 0 ? $0 : nil }
        }) {
            settings.deltaIntervalSeconds = seconds
        }
        if let seconds = try table.optional("delta_retention", "a duration like \"7d\" (0s keeps no history)", hint: durationHint, {
            durationSeconds($0).flatMap { $0 >= 0 ? $0 : nil }
        }) {
            settings.deltaRetentionSeconds = seconds
        }
        return settings
    }

    private static func readSchedules(_ table: JobFileTable?) throws -> [Schedule] {
        guard let table else { return [] }
        return try table.table.entries.map { entry in
            let what = "an inline table like { cron = \"* * * * *\", command = \"run all\" }"
            guard let schedule = try table.subtable(entry.key, what) else {
                throw table.missing(entry.key, what)
            }
            try schedule.rejectUnknownKeys(["cron", "command"])
            let cron = try schedule.required(
                "cron", "a 5-field cron expression like \"*/5 * * * *\"",
                hint: "minute hour day-of-month month day-of-week, in UTC"
            ) { $0.stringValue.flatMap { CronExpression.isValid($0) ? $0 : nil } }
            let command = try schedule.required(
                "command", "lake arguments starting with one of "
                    + scheduledCommands.joined(separator: ", ")
            ) { value in
                value.stringValue.flatMap { command in
                    let first = command.split(separator: " ").first.map(String.init)
                    return first.map(scheduledCommands.contains) == true ? command : nil
                }
            }
            return Schedule(name: entry.key, cron: cron, command: command)
        }
    }

    /// Subcommands a schedule may run.
    static let scheduledCommands = ["run", "backfill", "compact", "vacuum", "status", "report", "train"]

    private static func checkTableNames(_ job: JobDefinition, top: JobFileTable) throws {
        var seen: [String: String] = [:]
        let keys = [("bronze.table", job.bronze.table), ("silver.table", job.silver.table),
                    ("silver.quarantine_table", job.silver.quarantineTable)]
            + job.gold.map { ("gold.\($0.key)", $0.table) }
            + job.views.map { ("views.\($0.name)", $0.name) }
        for (key, name) in keys {
            if let other = seen[name] {
                throw LakeError(top.file, "key \(key): table \(name) is already used by \(other)",
                                hint: "every layer needs its own table")
            }
            seen[name] = key
        }
    }

    // MARK: - Values

    static let tableNameExpected = "a table name (lowercase letters, digits and _)"
    static let durationExpected = "a duration like \"10m\""
    static let durationHint = "a number and a unit: s, m, h or d, e.g. \"30s\", \"10m\", \"1h30m\""

    static func positiveInt(_ value: TOMLValue) -> Int? {
        value.integerValue.flatMap { $0 > 0 && $0 <= Int64(Int32.max) ? Int($0) : nil }
    }

    static func tableName(_ value: TOMLValue) -> String? {
        value.stringValue.flatMap { isIdentifier($0) ? $0 : nil }
    }

    /// snake_case: a lowercase letter or `_`, then lowercase letters, digits or `_`.
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first,
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || first == UInt8(ascii: "_")
        else { return false }
        return text.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
    }

    /// Seconds of a duration string: numbers with units s, m, h, d (`"10m"`, `"1h30m"`).
    static func durationSeconds(_ value: TOMLValue) -> Int? {
        guard let text = value.stringValue, !text.isEmpty else { return nil }
        var total = 0
        var number: Int?
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                let (shifted, overflow) = (number ?? 0).multipliedReportingOverflow(by: 10)
                guard !overflow, shifted <= Int(Int32.max) else { return nil }
                number = shifted + digit
                continue
            }
            let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            guard let amount = number, let unit = units[character] else { return nil }
            total += amount * unit
            guard total <= Int(Int32.max) else { return nil }
            number = nil
        }
        return number == nil ? total : nil
    }
}

extension JobDefinition {
    /// The tables the job writes, bronze to gold.
    public var tableNames: [String] {
        [bronze.table, silver.table, silver.quarantineTable] + gold.map(\.table)
    }
}
