import Foundation

/// One generation in progress: the clean source, the jitter buffer, the fault injection, the
/// files and the outcome model, driven line by line.
struct GeneratorRun {
    /// A clean event waiting in the jitter buffer until its delayed emission time.
    private struct Delayed: Comparable {
        var emitMillis: Int64
        var sequence: Int
        var event: GeneratedEvent

        static func < (lhs: Delayed, rhs: Delayed) -> Bool {
            (lhs.emitMillis, lhs.sequence) < (rhs.emitMillis, rhs.sequence)
        }

        static func == (lhs: Delayed, rhs: Delayed) -> Bool {
            (lhs.emitMillis, lhs.sequence) == (rhs.emitMillis, rhs.sequence)
        }
    }

    /// An exact copy of a written line, re-emitted after `linesToWait` more clean lines.
    private struct PendingCopy {
        var line: [UInt8]
        var event: GeneratedEvent
        var linesToWait: Int
    }

    /// How far behind the watermark a late event lands, at least: no jitter can save it.
    static let lateMarginMillis: Int64 = 60_000
    static let lateSpreadMillis: Int64 = 3_600_000
    static let duplicateDistanceMax: Int64 = 8

    let options: GeneratorOptions
    private var source: ClickstreamSource
    private let serializer: EventSerializer
    private var jitterRandom: RandomSource
    private var faultRandom: RandomSource
    private var delayed = MinHeap<Delayed>()
    private var pendingCopies: [PendingCopy] = []
    private var model: OutcomeModel<Identifier128>
    private var sink: LineFileSink
    private var line: [UInt8] = []
    /// The latest event time the source has produced: the ingestion clock the model assumes
    /// (bronze cannot read a line before the stream has written it).
    private var streamClockMillis: Int64
    private var cleanLinesWritten = 0
    private let jitterMillisMax: Int64

    init(options: GeneratorOptions) {
        self.options = options
        let startMillis = options.startMillis ?? 0
        source = ClickstreamSource(
            startMillis: startMillis, userCount: options.userCount,
            random: RandomSource(seed: options.seed, stream: 1))
        serializer = EventSerializer(catalog: source.catalog, users: source.users)
        jitterRandom = RandomSource(seed: options.seed, stream: 2)
        faultRandom = RandomSource(seed: options.seed, stream: 3)
        model = OutcomeModel(
            watermarkDelayMillis: Int64(options.watermarkDelaySeconds) * 1000,
            clockSkewMillisMax: Int64(options.clockSkewSecondsMax) * 1000)
        sink = LineFileSink(directory: options.outputDirectory)
        streamClockMillis = startMillis
        jitterMillisMax = Int64(options.jitterSeconds * 1000)
        line.reserveCapacity(1024)
    }

    mutating func generate() throws {
        try sink.startNextFile()
        for sequence in 0..<options.eventCount {
            let event = source.next()
            streamClockMillis = max(streamClockMillis, event.orderMillis)
            let delay = jitterMillisMax > 0 ? jitterRandom.between(0, jitterMillisMax) : 0
            delayed.push(Delayed(
                emitMillis: event.orderMillis + delay, sequence: sequence, event: event))
            // Every later event is emitted at or after its own time, which is at least this one.
            while let first = delayed.minimum, first.emitMillis <= event.orderMillis {
                _ = delayed.popMinimum()
                try writeClean(first.event)
            }
        }
        while let first = delayed.popMinimum() {
            try writeClean(first.event)
        }
        for copy in pendingCopies {
            try writeCopy(copy)
        }
        pendingCopies = []
        try sink.finish()
    }

    private mutating func writeClean(_ event: GeneratedEvent) throws {
        let fileIndex = cleanLinesWritten * options.fileCount / max(1, options.eventCount)
        while sink.fileIndex < fileIndex { try sink.startNextFile() }
        cleanLinesWritten += 1
        line.removeAll(keepingCapacity: true)
        serializer.append(event, to: &line)
        try emit(event, line)
        try releaseDueCopies()
        if faultRandom.chance(options.duplicateRate) {
            let wait = Int(faultRandom.between(1, GeneratorRun.duplicateDistanceMax))
            pendingCopies.append(PendingCopy(line: line, event: event, linesToWait: wait))
        }
        if faultRandom.chance(options.lateRate) { try writeLate() }
        if faultRandom.chance(options.malformedRate) { try writeMalformed() }
    }

    /// Writes `bytes`, the serialized `event`, and tells the model.
    private mutating func emit(_ event: GeneratedEvent, _ bytes: [UInt8]) throws {
        model.record(
            key: event.eventId, eventMillis: event.timeMillis, eventType: event.step.kind.name,
            ingestedMillis: streamClockMillis)
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
                try writeCopy(copy)
            }
        }
        pendingCopies = waiting
    }

    private mutating func writeCopy(_ copy: PendingCopy) throws {
        try emit(copy.event, copy.line)
    }

    /// An event with a fresh id whose time is behind the watermark by more than the margin.
    private mutating func writeLate() throws {
        guard let watermark = model.watermarkMillis else { return }
        let behind = GeneratorRun.lateMarginMillis
            + faultRandom.between(0, GeneratorRun.lateSpreadMillis)
        let event = syntheticEvent(at: watermark - behind)
        line.removeAll(keepingCapacity: true)
        serializer.append(event, to: &line)
        try emit(event, line)
    }

    private mutating func writeMalformed() throws {
        let kind = MalformedKind.allCases[faultRandom.below(MalformedKind.allCases.count)]
        var event = syntheticEvent(at: streamClockMillis)
        if kind == .futureTimestamp {
            let inDay = streamClockMillis
                - EventTime.floorDivide(streamClockMillis, EventTime.millisPerDay)
                * EventTime.millisPerDay
            event.timeMillis = EventTime.days(year: 2099, month: 1, day: 29)
                * EventTime.millisPerDay + inDay
            event.form = .canonical
        }
        var damage = kind.damage
        if kind == .unreadableTimestamp {
            let texts = MalformedKind.unreadableTimestamps
            damage = .timestampText(texts[faultRandom.below(texts.count)])
        }
        line.removeAll(keepingCapacity: true)
        serializer.append(event, damage: damage, to: &line)
        reshape(kind)
        if kind == .futureTimestamp {
            try emit(event, line)
        } else {
            model.malformed(reason: kind.reason)
            try sink.write(line)
        }
    }

    /// Turns the serialized line into the broken JSON that `kind` calls for.
    private mutating func reshape(_ kind: MalformedKind) {
        switch kind {
        case .truncatedObject:
            line.removeLast(line.count - line.count / 2)
            line.append(UInt8(ascii: "\n"))
        case .garbageText:
            let texts = MalformedKind.garbage
            line = Array((texts[faultRandom.below(texts.count)] + "\n").utf8)
        case .jsonArray:
            line.removeLast()
            line.insert(UInt8(ascii: "["), at: 0)
            line.append(contentsOf: "]\n".utf8)
        default:
            break
        }
    }

    /// A plausible event of a random user, with fresh ids, to be made late or malformed.
    private mutating func syntheticEvent(at millis: Int64) -> GeneratedEvent {
        let catalog = source.catalog
        let product = Int32(catalog.popularProduct(random: &faultRandom))
        let kinds: [EventKind] = [.productView, .productView, .addToCart]
        let step = VisitStep(kind: kinds[faultRandom.below(kinds.count)], product: product)
        return GeneratedEvent(
            timeMillis: millis, orderMillis: millis, step: step,
            user: Int32(faultRandom.below(options.userCount)),
            eventId: faultRandom.identifier(), sessionId: faultRandom.identifier())
    }

    func manifest() -> GeneratorManifest {
        let arguments = GeneratorManifest.Arguments(
            events: options.eventCount, users: options.userCount, start: options.start,
            files: options.fileCount, jitterSeconds: options.jitterSeconds,
            duplicates: options.duplicateRate, late: options.lateRate,
            malformed: options.malformedRate,
            watermarkDelaySeconds: options.watermarkDelaySeconds,
            clockSkewSecondsMax: options.clockSkewSecondsMax)
        return GeneratorManifest(
            seed: options.seed, arguments: arguments,
            lines: sink.files.reduce(0) { $0 + $1.lines },
            bytes: sink.files.reduce(0) { $0 + $1.bytes },
            files: sink.files,
            accepted: model.acceptedCount, duplicates: model.duplicateCount,
            late: model.quarantined["late"] ?? 0,
            quarantined: model.quarantined, eventTypes: model.eventTypes,
            eventTimeMin: model.minAcceptedMillis.map(EventTime.iso),
            eventTimeMax: model.maxAcceptedMillis.map(EventTime.iso))
    }
}
