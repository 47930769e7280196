/// The clickstream's late and malformed lines. The order of the draws from `random` is part of
/// the output: changing it changes every generated file after the first fault.
extension ClickstreamSource {
    /// A plausible event of a random user, with fresh ids, to be made late or malformed.
    func syntheticEvent(atMicros micros: Int64, random: inout RandomSource) -> GeneratedEvent {
        let millis = EventTime.floorDivide(micros, EventTime.microsPerMilli)
        let product = Int32(catalog.popularProduct(random: &random))
        let kinds: [EventKind] = [.productView, .productView, .addToCart]
        let step = VisitStep(kind: kinds[random.below(kinds.count)], product: product)
        return GeneratedEvent(
            timeMillis: millis, orderMillis: millis, step: step,
            user: Int32(random.below(users.count)),
            eventId: random.identifier(), sessionId: random.identifier())
    }

    func appendMalformed(
        nearMicros micros: Int64, random: inout RandomSource, to line: inout [UInt8]
    ) -> MalformedLine<GeneratedEvent> {
        let kind = MalformedKind.allCases[random.below(MalformedKind.allCases.count)]
        var event = syntheticEvent(atMicros: micros, random: &random)
        if kind == .futureTimestamp {
            let inDay =
                event.timeMillis
                - EventTime.floorDivide(event.timeMillis, EventTime.millisPerDay)
                * EventTime.millisPerDay
            event.timeMillis =
                EventTime.days(year: 2099, month: 1, day: 29)
                * EventTime.millisPerDay + inDay
            event.form = .canonical
        }
        var damage = kind.damage
        if kind == .unreadableTimestamp {
            let texts = MalformedKind.unreadableTimestamps
            damage = .timestampText(texts[random.below(texts.count)])
        }
        serializer.append(event, damage: damage, to: &line)
        reshape(&line, kind, random: &random)
        return kind == .futureTimestamp ? .parsed(event) : .unparseable(reason: kind.reason)
    }

    /// Turns the serialized line into the broken JSON that `kind` calls for.
    private func reshape(_ line: inout [UInt8], _ kind: MalformedKind, random: inout RandomSource) {
        switch kind {
        case .truncatedObject: BrokenLine.truncate(&line)
        case .garbageText: BrokenLine.garbage(&line, from: MalformedKind.garbage, random: &random)
        case .jsonArray: BrokenLine.wrapInArray(&line)
        default:
            break
        }
    }
}
