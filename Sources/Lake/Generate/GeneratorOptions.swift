/// What `lake generate` is asked for. The same options always give byte-identical files.
public struct GeneratorOptions: Sendable, Equatable {
    public static let defaultStart = "2026-01-29T00:00:00Z"

    public var job: GeneratorJob
    /// Clean events; duplicates, late and malformed lines come on top of these.
    public var eventCount = 100_000
    public var userCount: Int
    public var seed: UInt64 = 42
    /// The `--start` text, kept for the manifest.
    public var start = GeneratorOptions.defaultStart
    public var fileCount = 1
    /// Each line is delayed by up to this much (uniformly) behind its event time.
    public var jitterSeconds = 30.0
    /// Per clean event, the chance that an exact copy follows a few lines later.
    public var duplicateRate = 0.0
    /// Per clean event, the chance that a late event (behind the watermark) follows it.
    public var lateRate = 0.0
    /// Per clean event, the chance that a malformed line follows it.
    public var malformedRate = 0.0
    public var outputDirectory: String
    /// Where the manifest goes; nil means `<out>/.manifest.json`.
    public var manifestPath: String?
    /// Replace `events-*.jsonl` files already in the output folder instead of refusing.
    public var replaceExisting = false

    /// The watermark delay and clock skew the manifest's outcomes assume (the job defaults).
    public var watermarkDelaySeconds = 600
    public var clockSkewSecondsMax = 3600

    public init(job: GeneratorJob = .clickstream, outputDirectory: String) {
        self.job = job
        self.outputDirectory = outputDirectory
        userCount = job.defaultUserCount
    }

    public var resolvedManifestPath: String {
        manifestPath ?? outputDirectory + "/.manifest.json"
    }

    /// The start instant, or nil when `start` does not parse.
    public var startMillis: Int64? { EventTime.parse(start) }

    /// Why these options cannot run, in words fit for a usage error; nil when they can.
    public var problem: String? {
        if eventCount < 0 || eventCount > 1_000_000_000 {
            return "--events must be between 0 and 1000000000, got \(eventCount)"
        }
        if userCount < 1 || userCount > job.userCountMax {
            return "--users must be between 1 and \(job.userCountMax) for --job \(job.rawValue), "
                + "got \(userCount)"
        }
        if fileCount < 1 || fileCount > max(1, eventCount) || fileCount > 99_999 {
            return "--files must be between 1 and the number of events, got \(fileCount)"
        }
        if !(0..<Double(watermarkDelaySeconds)).contains(jitterSeconds) {
            return "--jitter must be at least 0 and below the \(watermarkDelaySeconds) s "
                + "watermark delay, got \(jitterSeconds) (use --late for late events)"
        }
        for (flag, rate) in [("duplicates", duplicateRate), ("late", lateRate),
                             ("malformed", malformedRate)] where !(0...1).contains(rate) {
            return "--\(flag) must be a rate between 0 and 1, got \(rate)"
        }
        guard let startMillis else {
            return "--start must be an ISO-8601 time like \(GeneratorOptions.defaultStart), "
                + "got \"\(start)\""
        }
        if startMillis < 0 || startMillis >= EventTime.days(year: 2090, month: 1, day: 1)
            * EventTime.millisPerDay {
            return "--start must be between 1970 and 2089, got \(start)"
        }
        return nil
    }
}
