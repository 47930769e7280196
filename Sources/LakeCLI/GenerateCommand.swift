import ArgumentParser
import Foundation
import Lake

/// `lake generate`: synthetic input files for demos, tests and benchmarks.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write realistic, deterministic input for a job as NDJSON landing files.",
        discussion: """
            Writes events-00000.jsonl, events-00001.jsonl, … (consecutive pieces of one stream) \
            and a manifest (.manifest.json) with the exact counts silver must report: accepted \
            events, duplicates and quarantined lines by reason. The same arguments always give \
            the same bytes. Fault rates are per clean event: the lines they add come on top of \
            --events. Silver quarantines events more than an hour ahead of the time it ingests \
            them, so keep --start in the past.

            --job clickstream: e-commerce events (seed 001). --job transactions: card \
            transactions as a Python producer writes them (seed 004), one a second on average, \
            some users buying in bursts of 4–6 within minutes. --job orders: WooCommerce \
            orders of an Italian shop as its PHP hook logs them (seed 000), one every 30 \
            seconds on average following the shop's day, 1–5 items each, timestamps in \
            Europe/Rome local time without a zone (--start is still an instant, UTC unless it \
            names a zone), session durations of about a minute or about a quarter of an hour; \
            --malformed adds orders with a broken item, quarantined whole.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The job to write input for.")
    var job: GeneratorJob = .clickstream

    @Option(help: "Clean events to generate.")
    var events = 100_000

    @Option(help: """
        Distinct users (clickstream: user_1 … user_<U>, default 1000; transactions: \
        USER_100 onwards, default and at most 900; orders: customers with a stable name and \
        e-mail, default 2000, at most 100000).
        """)
    var users: Int?

    @Option(help: "Seed of the pseudo-random generator.")
    var seed: UInt64 = 42

    @Option(help: "Time of the stream's start, ISO-8601.")
    var start = GeneratorOptions.defaultStart

    @Option(help: "Number of files the stream is split into.")
    var files = 1

    @Option(help: "Each line is delayed by up to this many seconds (below the watermark delay).")
    var jitter = 30.0

    @Option(help: "Rate of exact copies of recent lines, re-emitted a few lines later.")
    var duplicates = 0.0

    @Option(help: "Rate of late events (behind the 10-minute watermark, fresh ids).")
    var late = 0.0

    @Option(help: "Rate of malformed lines, spread over every quarantine reason.")
    var malformed = 0.0

    @Option(help: "Output folder (default: <lake>/landing/<job>).")
    var out: String?

    @Option(help: "Manifest path (default: <out>/.manifest.json).")
    var manifest: String?

    @Flag(help: "Replace events-*.jsonl files already in the output folder.")
    var force = false

    var options: GeneratorOptions {
        var options = GeneratorOptions(
            job: job,
            outputDirectory: out.map(LakePaths.absolute)
                ?? global.paths.landing(job: job.rawValue))
        options.eventCount = events
        options.userCount = users ?? job.defaultUserCount
        options.seed = seed
        options.start = start
        options.fileCount = files
        options.jitterSeconds = jitter
        options.duplicateRate = duplicates
        options.lateRate = late
        options.malformedRate = malformed
        options.manifestPath = manifest.map(LakePaths.absolute)
        options.replaceExisting = force
        return options
    }

    func validate() throws {
        if let problem = options.problem { throw ValidationError(problem) }
    }

    func run() throws {
        let clock = ContinuousClock()
        let began = clock.now
        let options = self.options
        let manifest = try EventGenerator(options: options).run()
        let elapsed = clock.now - began
        let seconds = Double(elapsed.components.seconds)
            + Double(elapsed.components.attoseconds) / 1e18
        let quarantined = manifest.quarantined.values.reduce(0, +)
        let megabytes = Double(manifest.bytes) / 1_000_000
        var summary = "generated \(manifest.lines) lines (\(manifest.accepted) accepted, "
        summary += "\(manifest.duplicates) duplicates, \(quarantined) quarantined) in "
        summary += "\(manifest.files.count) file(s), \(String(format: "%.1f", megabytes)) MB, "
        summary += "into \(options.outputDirectory) in \(String(format: "%.2f", seconds)) s"
        FileHandle.standardError.write(Data((summary + "\n").utf8))
        warnIfInFuture(manifest)
    }

    /// Silver quarantines events over an hour ahead of their ingestion: say so now, not later.
    private func warnIfInFuture(_ manifest: GeneratorManifest) {
        guard let last = manifest.eventTimeMax,
            let lastDate = ISO8601DateFormatter.withFraction.date(from: last),
            lastDate.timeIntervalSinceNow > 3600
        else { return }
        let warning = "warning: events run until \(last), ahead of this machine's clock; "
            + "silver quarantines events more than 1 h in the future (pass an earlier --start)"
        FileHandle.standardError.write(Data((warning + "\n").utf8))
    }
}

extension GeneratorJob: ExpressibleByArgument {}

extension ISO8601DateFormatter {
    fileprivate static var withFraction: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
