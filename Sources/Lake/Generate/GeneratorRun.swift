import Foundation

/// One generation in progress: a job's clean source, the jitter buffer, the fault injection,
/// the files and the outcome model, driven line by line.
struct GeneratorRun<Source: GeneratorSource> {
    typealias Event = Source.Event

    /// A clean event waiting in the jitter buffer until its delayed emission time.
    private struct Delayed: Comparable {
        var emitMicros: Int64
        var sequence: Int
        var event: Event

        static func < (lhs: Delayed, rhs: Delayed) -> Bool {
            (lhs.emitMicros, lhs.sequence) < (rhs.emitMicros, rhs.sequence)
        }

        static func == (lhs: Delayed, rhs: Delayed) -> Bool {
            (lhs.emitMicros, lhs.sequence) == (rhs.emitMicros, rhs.sequence)
        }
    }

    /// An exact copy of a written line, re-emitted after `linesToWait` more clean lines.
    private struct PendingCopy {
        var line: [UInt8]
        var event: Event
        var linesToWait: Int
    }

    /// How far behind the watermark a late event lands, at least: no jitter can save it.
    /// Drawn in milliseconds: the clickstream's files depend on these draws.
    static var lateMarginMillis: Int64 { 60_000 }
    static var lateSpreadMillis: Int64 { 3_600_000 }
    static var duplicateDistanceMax: Int64 { 8 }

    let options: GeneratorOptions
    private var source: Source
    private var jitterRandom: RandomSource
    private var faultRandom: RandomSource
    private var delayed = MinHeap<Delayed>()
    private var pendingCopies: [PendingCopy] = []
    private var model: OutcomeModel<Identifier128>
    private var sink: LineFileSink
    private var line: [UInt8] = []
    /// The latest event time the source has produced: the ingestion clock the model assumes
    /// (bronze cannot read a line before the stream has written it).
    private var streamClockMicros: Int64
    private var cleanLinesWritten = 0
    private let jitterMillisMax: Int64

    /// `source` must start at `options.startMillis`; jitter and faults draw from streams 2
    /// and 3 of the seed, so the source may use any other.
    init(options: GeneratorOptions, source: Source) {
        self.options = options
        self.source = source
        jitterRandom = RandomSource(seed: options.seed, stream: 2)
        faultRandom = RandomSource(seed: options.seed, stream: 3)
        model = OutcomeModel(
            watermarkDelayMicros: Int64(options.watermarkDelaySeconds) * EventTime.microsPerSecond,
            clockSkewMicrosMax: Int64(options.clockSkewSecondsMax) * EventTime.microsPerSecond)
        sink = LineFileSink(directory: options.outputDirectory)
        streamClockMicros = (options.startMillis ?? 0) * EventTime.microsPerMilli
        jitterMillisMax = Int64(options.jitterSeconds * 1000)
        line.reserveCapacity(1024)
    }

    mutating func generate() throws {
        try sink.startNextFile()
        let progress = Progress("generated events")
        defer { progress.finish() }
        for sequence in 0..<options.eventCount {
            progress.add()
            let event = source.next()
            streamClockMicros = max(streamClockMicros, event.orderMicros)
            let delayMillis = jitterMillisMax > 0 ? jitterRandom.between(0, jitterMillisMax) : 0
            delayed.push(
                Delayed(
                    emitMicros: event.orderMicros + delayMillis * EventTime.microsPerMilli,
                    sequence: sequence, event: event))
            // Every later event is emitted at or after its own time, which is at least this one.
            while let first = delayed.minimum, first.emitMicros <= event.orderMicros {
                _ = delayed.popMinimum()
                try writeClean(first.event)
            }
        }
        while let first = delayed.popMinimum() {
            try writeClean(first.event)
        }
        for copy in pendingCopies {
            try emit(copy.event, copy.line)
        }
        pendingCopies = []
        try sink.finish()
    }

    private mutating func writeClean(_ event: Event) throws {
        let fileIndex = cleanLinesWritten * options.fileCount / max(1, options.eventCount)
        while sink.fileIndex < fileIndex { try sink.startNextFile() }
        cleanLinesWritten += 1
        line.removeAll(keepingCapacity: true)
        source.append(event, to: &line)
        try emit(event, line)
        try releaseDueCopies()
        if faultRandom.chance(options.duplicateRate) {
            let wait = Int(faultRandom.between(1, Self.duplicateDistanceMax))
            pendingCopies.append(PendingCopy(line: line, event: event, linesToWait: wait))
        }
        if faultRandom.chance(options.lateRate) { try writeLate() }
        if faultRandom.chance(options.malformedRate) { try writeMalformed() }
    }

    /// Writes `bytes`, the serialized `event`, and tells the model.
    private mutating func emit(_ event: Event, _ bytes: [UInt8]) throws {
        model.record(
            key: event.key, eventMicros: event.timeMicros, eventType: event.typeName,
            ingestedMicros: streamClockMicros)
        try sink.write(bytes)
    }

    private mutating func releaseDueCopies() throws {
        guard !pendingCopies.isEmpty else { return }
        var waiting: [PendingCopy] = []
        for var copy in pendingCopies {
            copy.linesToWait -= 1
            if copy.linesToWait > 0 {
                waiting.append(copy)
            } else {
                try emit(copy.event, copy.line)
            }
        }
        pendingCopies = waiting
    }

    /// An event with a fresh id whose time is behind the watermark by more than the margin.
    private mutating func writeLate() throws {
        guard let watermark = model.watermarkMicros else { return }
        let behindMillis = Self.lateMarginMillis + faultRandom.between(0, Self.lateSpreadMillis)
        let event = source.syntheticEvent(
            atMicros: watermark - behindMillis * EventTime.microsPerMilli, random: &faultRandom)
        line.removeAll(keepingCapacity: true)
        source.append(event, to: &line)
        try emit(event, line)
    }

    private mutating func writeMalformed() throws {
        line.removeAll(keepingCapacity: true)
        let outcome = source.appendMalformed(
            nearMicros: streamClockMicros, random: &faultRandom, to: &line)
        switch outcome {
        case .parsed(let event):
            try emit(event, line)
        case .unparseable(let reason):
            model.malformed(reason: reason)
            try sink.write(line)
        }
    }

    func manifest() -> GeneratorManifest {
        let arguments = GeneratorManifest.Arguments(
            events: options.eventCount, users: options.userCount, start: options.start,
            files: options.fileCount, jitterSeconds: options.jitterSeconds,
            duplicates: options.duplicateRate, late: options.lateRate,
            malformed: options.malformedRate,
            watermarkDelaySeconds: options.watermarkDelaySeconds,
            clockSkewSecondsMax: options.clockSkewSecondsMax)
        let iso = { (micros: Int64) in
            EventTime.iso(micros: micros, fractionDigits: Source.manifestFractionDigits)
        }
        var manifest = GeneratorManifest(
            job: options.job.rawValue, seed: options.seed, arguments: arguments,
            lines: sink.files.reduce(0) { $0 + $1.lines },
            bytes: sink.files.reduce(0) { $0 + $1.bytes },
            files: sink.files,
            accepted: model.acceptedCount, duplicates: model.duplicateCount,
            late: model.quarantined["late"] ?? 0,
            quarantined: model.quarantined, eventTypes: model.eventTypes,
            eventTimeMin: model.minAcceptedMicros.map(iso),
            eventTimeMax: model.maxAcceptedMicros.map(iso))
        manifest.lateDuplicates = model.lateDuplicateCount
        return manifest
    }
}
