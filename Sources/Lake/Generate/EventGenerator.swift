import Foundation

/// `lake generate`: realistic, deterministic input for a job in NDJSON files, with optional
/// duplicates, late events and malformed lines, and a manifest of what silver must make of it.
///
/// The pipeline: the job's source (`ClickstreamSource`, `TransactionSource`, `OrderSource`)
/// emits clean events in event-time order; a jitter buffer delays each by up to `--jitter`;
/// faults are injected after clean lines; every line goes to the files and, in the same order,
/// through `OutcomeModel`, which yields the manifest's counts.
public struct EventGenerator {
    public let options: GeneratorOptions

    public init(options: GeneratorOptions) {
        self.options = options
    }

    /// Writes the files and the manifest, and returns the manifest.
    public func run() throws -> GeneratorManifest {
        if let problem = options.problem {
            throw LakeError("generate", problem)
        }
        try prepareDirectory()
        let manifest = try generate()
        let path = options.resolvedManifestPath
        do {
            try manifest.encoded().write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LakeError("generate", path: path, "cannot write the manifest: \(error)")
        }
        return manifest
    }

    private func generate() throws -> GeneratorManifest {
        // The clean events draw from stream 1 of the seed; GeneratorRun uses streams 2 and 3.
        let random = RandomSource(seed: options.seed, stream: 1)
        let startMillis = options.startMillis ?? 0
        switch options.job {
        case .clickstream:
            let source = ClickstreamSource(
                startMillis: startMillis, userCount: options.userCount, random: random)
            var run = GeneratorRun(options: options, source: source)
            try run.generate()
            return run.manifest()
        case .transactions:
            let source = TransactionSource(
                startMicros: startMillis * EventTime.microsPerMilli, userCount: options.userCount,
                random: random)
            var run = GeneratorRun(options: options, source: source)
            try run.generate()
            return run.manifest()
        case .orders:
            let source = OrderSource(
                startMicros: startMillis * EventTime.microsPerMilli, userCount: options.userCount,
                clock: try shopClock(), random: random)
            var run = GeneratorRun(options: options, source: source)
            try run.generate()
            return run.manifest()
        }
    }

    private func shopClock() throws -> ShopClock {
        let identifier = OrderSource.timeZoneIdentifier
        guard let clock = ShopClock(identifier: identifier) else {
            throw LakeError(
                "generate", "this machine's time zone database does not know \(identifier)",
                hint: "install the tzdata package (apt-get install tzdata)")
        }
        return clock
    }

    private func prepareDirectory() throws {
        let directory = options.outputDirectory
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LakeError("generate", path: directory, "cannot create the folder: \(error)")
        }
        let existing = LineFileSink.existingFiles(in: directory)
        guard let first = existing.first else { return }
        guard options.replaceExisting else {
            throw LakeError(
                "generate", path: directory,
                "the folder already holds \(existing.count) generated file(s) (\(first), …)",
                hint: "pass --force to replace them, or --out another folder")
        }
        for name in existing {
            do {
                try FileManager.default.removeItem(atPath: directory + "/" + name)
            } catch {
                throw LakeError("generate", path: directory + "/" + name,
                                "cannot remove the old file: \(error)")
            }
        }
    }
}
