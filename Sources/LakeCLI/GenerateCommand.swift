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

    @Option(help: """
        Also produce every generated line, in order, as a message to a Kafka topic at these \
        brokers (host:port,…), keyed by the event's id; with --topic. The files go to a \
        temporary folder unless --out is given.
        """)
    var kafka: String?

    @Option(help: "The topic --kafka produces to.")
    var topic: String?

    /// With --kafka and no --out: a folder of our own, removed after producing.
    private static let scratch = NSTemporaryDirectory() + "lake-generate-\(getpid())"

    var options: GeneratorOptions {
        var options = GeneratorOptions(
            job: job,
            outputDirectory: out.map(LakePaths.absolute)
                ?? (kafka != nil ? Self.scratch : global.paths.landing(job: job.rawValue)))
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
        if (kafka == nil) != (topic == nil) { throw ValidationError("--kafka and --topic go together") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let began = clock.now
        let options = self.options
        if kafka != nil && out == nil {
            try? FileManager.default.removeItem(atPath: Self.scratch)
            try FileManager.default.createDirectory(atPath: Self.scratch, withIntermediateDirectories: true)
        }
        defer { if kafka != nil && out == nil { try? FileManager.default.removeItem(atPath: Self.scratch) } }
        let manifest = try EventGenerator(options: options).run()
        if let kafka, let topic {
            let n = try produce(manifest, from: options.outputDirectory, brokers: kafka, topic: topic)
            FileHandle.standardError.write(Data("produced \(n) messages to \(topic) at \(kafka)\n".utf8))
        }
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

    /// Every line of the generated files, in order, as one message keyed by the event's id
    /// (lines without one, malformed on purpose, get no key).
    private func produce(_ manifest: GeneratorManifest, from folder: String, brokers: String, topic: String) throws -> Int {
        let producer = try KafkaProducer(brokers: brokers, topic: topic)
        let marker = Array("\"\(job.idField)\":\"".utf8)
        var count = 0
        for file in manifest.files {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + file.name)))
            try bytes.withUnsafeBytes { all in
                var start = 0
                while start < all.count {
                    let end = all[start...].firstIndex(of: UInt8(ascii: "\n")) ?? all.count
                    let line = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    if let key = Self.value(after: marker, in: line) {
                        try producer.produce(line, key: key)
                    } else {
                        try producer.produce(line, key: nil)
                    }
                    count += 1
                    start = end + 1
                }
            }
        }
        try producer.flush()
        return count
    }

    /// The string after `marker` up to the next quote.
    private static func value(after marker: [UInt8], in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard line.count > marker.count else { return nil }
        var i = 0
        while i + marker.count <= line.count {
            if line[i] == marker[0] && marker.indices.allSatisfy({ line[i + $0] == marker[$0] }) {
                let from = i + marker.count
                guard let to = line[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return UnsafeRawBufferPointer(rebasing: line[from..<to])
            }
            i += 1
        }
        return nil
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
