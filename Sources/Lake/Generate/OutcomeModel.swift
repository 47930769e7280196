/// Silver's rules for one record (SPEC §5), reduced to what decides a line's outcome, so the
/// generator's manifest states exactly what silver must report: the test oracle for silver.
///
/// Feed it every line in bronze order. A line silver cannot parse and type is `malformed` with
/// its reason and touches no state. A parsed record, in order:
/// 1. `future_timestamp` if its event time is more than `clockSkewMillisMax` after its ingestion;
/// 2. `late` if its event time is at or below the watermark W = max accepted event time before
///    it − `watermarkDelayMillis` (no watermark before the first accepted record);
/// 3. a duplicate if its key was accepted with an event time still above W;
/// 4. otherwise accepted: it may raise the max event time and its key is remembered.
public struct OutcomeModel<Key: Hashable> {
    public enum Outcome: Equatable, Sendable {
        case accepted
        case duplicate
        case quarantined(String)
    }

    public let watermarkDelayMillis: Int64
    public let clockSkewMillisMax: Int64
    public private(set) var maxAcceptedMillis: Int64?
    public private(set) var minAcceptedMillis: Int64?
    public private(set) var acceptedCount = 0
    public private(set) var duplicateCount = 0
    /// Reason → count, `late` included.
    public private(set) var quarantined: [String: Int] = [:]
    /// Event type → count, over accepted records.
    public private(set) var eventTypes: [String: Int] = [:]

    /// Accepted keys and the event time each was accepted with. Keys at or below the watermark
    /// are forgotten in batches; until then the lookup treats them as absent, as silver does.
    private var remembered: [Key: Int64] = [:]
    private var pruneAtCount = 1 << 16

    public init(watermarkDelayMillis: Int64 = 600_000, clockSkewMillisMax: Int64 = 3_600_000) {
        self.watermarkDelayMillis = watermarkDelayMillis
        self.clockSkewMillisMax = clockSkewMillisMax
    }

    /// W before the next record, or nil while nothing has been accepted.
    public var watermarkMillis: Int64? { maxAcceptedMillis.map { $0 - watermarkDelayMillis } }

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
        key: Key, eventMillis: Int64, eventType: String, ingestedMillis: Int64
    ) -> Outcome {
        if eventMillis > ingestedMillis + clockSkewMillisMax {
            return malformed(reason: "future_timestamp")
        }
        let watermark = watermarkMillis
        if let watermark, eventMillis <= watermark {
            return malformed(reason: "late")
        }
        if let seen = remembered[key], watermark.map({ seen > $0 }) ?? true {
            duplicateCount += 1
            return .duplicate
        }
        accept(key: key, eventMillis: eventMillis, eventType: eventType)
        return .accepted
    }

    private mutating func accept(key: Key, eventMillis: Int64, eventType: String) {
        let previous = maxAcceptedMillis ?? eventMillis
        assert(watermarkMillis.map { eventMillis > $0 } ?? true, "accepted at the watermark")
        maxAcceptedMillis = max(previous, eventMillis)
        minAcceptedMillis = min(minAcceptedMillis ?? eventMillis, eventMillis)
        acceptedCount += 1
        eventTypes[eventType, default: 0] += 1
        remembered[key] = eventMillis
        if remembered.count >= pruneAtCount { prune() }
    }

    /// Forgets keys whose event time the watermark has passed: they can never match again.
    private mutating func prune() {
        guard let watermark = watermarkMillis else { return }
        remembered = remembered.filter { $0.value > watermark }
        pruneAtCount = max(1 << 16, 2 * remembered.count)
    }
}
