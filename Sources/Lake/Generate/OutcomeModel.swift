/// Silver's rules for one record (SPEC §5), reduced to what decides a line's outcome, so the
/// generator's manifest states exactly what silver must report: the test oracle for silver.
///
/// Times are microseconds since 1970, silver's resolution, so that a record exactly at the
/// watermark is judged as silver judges it. Feed it every line in bronze order. A line silver
/// cannot parse and type is `malformed` with its reason and touches no state. A parsed record,
/// in order:
/// 1. `future_timestamp` if its event time is more than `clockSkewMicrosMax` after its ingestion;
/// 2. `late` if its event time is at or below the watermark W = max accepted event time before
///    it − `watermarkDelayMicros` (no watermark before the first accepted record);
/// 3. a duplicate if its key was accepted with an event time still above W;
/// 4. otherwise accepted: it may raise the max event time and its key is remembered.
public struct OutcomeModel<Key: Hashable> {
    public enum Outcome: Equatable, Sendable {
        case accepted
        case duplicate
        case quarantined(String)
    }

    public let watermarkDelayMicros: Int64
    public let clockSkewMicrosMax: Int64
    public private(set) var maxAcceptedMicros: Int64?
    public private(set) var minAcceptedMicros: Int64?
    public private(set) var acceptedCount = 0
    public private(set) var duplicateCount = 0
    /// Reason → count, `late` included.
    public private(set) var quarantined: [String: Int] = [:]
    /// Late records whose key was accepted before (a backfill counts them as duplicates).
    public private(set) var lateDuplicateCount = 0
    /// Every key ever accepted, for `lateDuplicateCount` (16–40 bytes a key: the generator's
    /// own memory, not silver's).
    private var everAccepted: Set<Key> = []
    /// Event type → count, over accepted records.
    public private(set) var eventTypes: [String: Int] = [:]

    /// Accepted keys and the event time each was accepted with. Keys at or below the watermark
    /// are forgotten in batches; until then the lookup treats them as absent, as silver does.
    private var remembered: [Key: Int64] = [:]
    private var pruneAtCount = 1 << 16

    public init(
        watermarkDelayMicros: Int64 = 600_000_000, clockSkewMicrosMax: Int64 = 3_600_000_000
    ) {
        self.watermarkDelayMicros = watermarkDelayMicros
        self.clockSkewMicrosMax = clockSkewMicrosMax
    }

    /// W before the next record, or nil while nothing has been accepted.
    public var watermarkMicros: Int64? { maxAcceptedMicros.map { $0 - watermarkDelayMicros } }

    public var quarantinedCount: Int { quarantined.values.reduce(0, +) }

    /// A line silver cannot parse and type (`bad_json`, `missing_field:…`, `bad_type:…`, …).
    @discardableResult
    public mutating func malformed(reason: String) -> Outcome {
        quarantined[reason, default: 0] += 1
        return .quarantined(reason)
    }

    /// A parsed record with its dedup key, event time, event type and bronze ingestion time.
    @discardableResult
    public mutating func record(
        key: Key, eventMicros: Int64, eventType: String, ingestedMicros: Int64
    ) -> Outcome {
        if eventMicros > ingestedMicros + clockSkewMicrosMax {
            return malformed(reason: "future_timestamp")
        }
        let watermark = watermarkMicros
        if let watermark, eventMicros <= watermark {
            if everAccepted.contains(key) { lateDuplicateCount += 1 }
            return malformed(reason: "late")
        }
        if let seen = remembered[key], watermark.map({ seen > $0 }) ?? true {
            duplicateCount += 1
            return .duplicate
        }
        accept(key: key, eventMicros: eventMicros, eventType: eventType)
        return .accepted
    }

    private mutating func accept(key: Key, eventMicros: Int64, eventType: String) {
        let previous = maxAcceptedMicros ?? eventMicros
        assert(watermarkMicros.map { eventMicros > $0 } ?? true, "accepted at the watermark")
        maxAcceptedMicros = max(previous, eventMicros)
        minAcceptedMicros = min(minAcceptedMicros ?? eventMicros, eventMicros)
        acceptedCount += 1
        eventTypes[eventType, default: 0] += 1
        remembered[key] = eventMicros
        everAccepted.insert(key)
        if remembered.count >= pruneAtCount { prune() }
    }

    /// Forgets keys whose event time the watermark has passed: they can never match again.
    private mutating func prune() {
        guard let watermark = watermarkMicros else { return }
        remembered = remembered.filter { $0.value > watermark }
        pruneAtCount = max(1 << 16, 2 * remembered.count)
    }
}
