/// The clean event stream: every user alternates visits (bursts of events seconds to a few
/// minutes apart) and idle gaps (mostly over 30 minutes, some under), and the source interleaves
/// all users in event-time order with a heap keyed by each user's next event time.
struct ClickstreamSource: GeneratorSource {
    private struct Cursor: Comparable {
        var millis: Int64
        var user: Int32

        static func < (lhs: Cursor, rhs: Cursor) -> Bool {
            (lhs.millis, lhs.user) < (rhs.millis, rhs.user)
        }
    }

    let catalog: ProductCatalog
    let users: UserPool
    let serializer: EventSerializer
    private var random: RandomSource
    private var cursors = MinHeap<Cursor>()
    /// Per user: the steps of the visit under way (empty while idle), the next step's index,
    /// the visit's session id and the cart's value in cents.
    private var visitSteps: [[VisitStep]]
    private var stepIndexes: [Int32]
    private var sessionIds: [Identifier128]
    private var cartCents: [Int64]

    /// Share of idle gaps under 30 minutes (the user comes back within one gold session).
    static let shortIdleShare = 0.15
    static let idleGapMeanMillis = 6 * EventTime.millisPerHour
    /// Clickstream timestamps carry milliseconds.
    static let manifestFractionDigits = 3

    init(startMillis: Int64, userCount: Int, random: RandomSource) {
        self.random = random
        catalog = ProductCatalog()
        users = UserPool(count: userCount, random: &self.random)
        serializer = EventSerializer(catalog: catalog, users: users)
        visitSteps = Array(repeating: [], count: userCount)
        stepIndexes = Array(repeating: 0, count: userCount)
        sessionIds = Array(repeating: Identifier128(high: 0, low: 0), count: userCount)
        cartCents = Array(repeating: 0, count: userCount)
        cursors.reserveCapacity(userCount)
        for user in 0..<userCount {
            let scale = Double(users.users[user].idleScale)
            // Uniform over two mean gaps: users join the stream spread out, not all at once.
            let spreadMillis = 2 * Double(ClickstreamSource.idleGapMeanMillis) * scale
            let first = Int64(self.random.unit() * spreadMillis)
            let millis = startMillis + quietNight(startMillis + first) + first
            cursors.push(Cursor(millis: millis, user: Int32(user)))
        }
    }

    /// The next event in event-time order.
    mutating func next() -> GeneratedEvent {
        guard let cursor = cursors.popMinimum() else {
            preconditionFailure("the source always holds one cursor per user")
        }
        let user = Int(cursor.user)
        if visitSteps[user].isEmpty {
            VisitPlanner.plan(into: &visitSteps[user], catalog: catalog, random: &random)
            stepIndexes[user] = 0
            sessionIds[user] = random.identifier()
            cartCents[user] = 0
        }
        let step = visitSteps[user][Int(stepIndexes[user])]
        stepIndexes[user] += 1
        var event = GeneratedEvent(
            timeMillis: cursor.millis, orderMillis: cursor.millis, step: step,
            user: cursor.user, eventId: random.identifier(), sessionId: sessionIds[user])
        decorate(&event)
        let next: Int64
        if Int(stepIndexes[user]) < visitSteps[user].count {
            next = cursor.millis + clickGapMillis()
        } else {
            visitSteps[user] = []
            next = cursor.millis + idleGapMillis(user: user, after: cursor.millis)
        }
        cursors.push(Cursor(millis: next, user: cursor.user))
        return event
    }

    func append(_ event: GeneratedEvent, to line: inout [UInt8]) {
        serializer.append(event, to: &line)
    }

    /// Prices, order totals and the occasional unusual (but valid) timestamp or price form.
    private mutating func decorate(_ event: inout GeneratedEvent) {
        let user = Int(event.user)
        let currency = users.users[user].currency.rawValue
        switch event.step.kind {
        case .addToCart:
            cartCents[user] += catalog.products[Int(event.step.product)].priceCents[currency]
        case .purchase:
            event.totalCents = cartCents[user]
            cartCents[user] = 0
        default: break
        }
        if event.step.product >= 0 { event.priceAsString = random.chance(0.02) }
        let form = random.unit()
        if form < 0.015 {
            event.form = .spaceNoZone
        } else if form < 0.03 {
            event.form = .plusOneHour
        } else if form < 0.045 {
            event.form = .wholeSeconds
            let second = EventTime.floorDivide(event.timeMillis, EventTime.millisPerSecond)
            event.timeMillis = second * EventTime.millisPerSecond
        }
    }

    /// Time between two clicks of one visit: seconds, sometimes a few minutes of reading.
    private mutating func clickGapMillis() -> Int64 {
        if random.chance(0.04) {
            return random.between(3 * EventTime.millisPerMinute, 10 * EventTime.millisPerMinute)
        }
        let pause = min(random.exponential(mean: 30_000), 300_000)
        return 2_000 + Int64(pause)
    }

    /// Time from a visit's last event to the user's next visit.
    private mutating func idleGapMillis(user: Int, after millis: Int64) -> Int64 {
        if random.chance(ClickstreamSource.shortIdleShare) {
            return random.between(2 * EventTime.millisPerMinute, 29 * EventTime.millisPerMinute)
        }
        let scale = Double(users.users[user].idleScale)
        let mean = Double(ClickstreamSource.idleGapMeanMillis) * scale
        let gap = 30 * EventTime.millisPerMinute + 1_000
            + Int64(min(random.exponential(mean: mean), 5 * Double(EventTime.millisPerDay)))
        return gap + quietNight(millis + gap)
    }

    /// Extra delay that moves most visits due between 01:00 and 07:00 UTC to the morning.
    private mutating func quietNight(_ due: Int64) -> Int64 {
        let hour = EventTime.hourOfDay(due)
        guard hour >= 1 && hour < 7, random.chance(0.7) else { return 0 }
        return (7 - hour) * EventTime.millisPerHour
            + random.between(0, 5 * EventTime.millisPerHour)
    }
}
