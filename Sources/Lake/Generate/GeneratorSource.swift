/// A clean event as `GeneratorRun` sees it, whatever the job: a key, two instants and a type.
protocol GeneratorEvent {
    /// Silver's dedup key.
    var key: Identifier128 { get }
    /// The instant written in the line, in microseconds since 1970: what silver reads.
    var timeMicros: Int64 { get }
    /// When the simulated user acted: orders the stream. Equals `timeMicros` unless the
    /// written form drops digits (whole-second clickstream timestamps).
    var orderMicros: Int64 { get }
    /// What the manifest's `event_types` counts accepted events by.
    var typeName: String { get }
}

/// What a malformed line is to silver.
enum MalformedLine<Event: GeneratorEvent> {
    /// Silver cannot parse or type the line: quarantined with this reason, no state touched.
    case unparseable(reason: String)
    /// Silver parses the line (a timestamp far in the future): its rules decide the outcome.
    case parsed(Event)
}

/// One job's input: a stream of clean events in `orderMicros` order, how each is written as a
/// line, and the job's own faults (late events need a plausible event; malformed lines break
/// the job's schema). `GeneratorRun` adds the jitter, the duplicates and the manifest.
///
/// Sources draw their clean events from their own `RandomSource`; the faults draw from the
/// `random` passed in, so the clean stream stays the same whatever fault rates are asked for.
/// A fault may still advance a source's own counter (the orders' ids: a late order is an order
/// of the shop too, with the next id).
protocol GeneratorSource {
    associatedtype Event: GeneratorEvent

    /// Fraction digits of the manifest's event times: 3 when the job writes milliseconds.
    static var manifestFractionDigits: Int { get }

    /// The next clean event; never ends.
    mutating func next() -> Event

    /// Appends `event` as one line, newline included.
    func append(_ event: Event, to line: inout [UInt8])

    /// A plausible event at `micros` with fresh ids, to be written late.
    mutating func syntheticEvent(atMicros micros: Int64, random: inout RandomSource) -> Event

    /// Appends one malformed line (newline included) about an event at `micros`.
    mutating func appendMalformed(
        nearMicros micros: Int64, random: inout RandomSource, to line: inout [UInt8]
    ) -> MalformedLine<Event>
}
