/// The clean order stream of seed 000, a WooCommerce shop in Italy: orders arrive at random (a
/// Poisson process, one every 30 seconds on average) at a rate that follows the shop's local
/// day (quiet nights, an evening peak), each by a customer of the pool (regulars more often),
/// and each logged on the thank-you page with the session's duration in seconds.
///
/// The durations are bimodal, so that gold's two k-means clusters (SPEC §12) are real: quick
/// buyers take about a minute (at least 5 s), careful ones about a quarter of an hour (at most an
/// hour), and careful buyers put dear products in their baskets more often.
///
/// Timestamps are the shop's wall clock (`ShopClock`). In the hour that occurs twice when
/// summer time ends, a reader takes the earlier instant: the orders of the second pass read
/// back an hour early, and the manifest counts them late, as silver must.
///
/// Order ids count up from `firstOrderId` in the order orders are generated, late and malformed
/// ones included (they are orders of the shop too): the clean orders' contents do not depend on
/// the fault rates, their ids do.
struct OrderSource: GeneratorSource {
    static let timeZoneIdentifier = "Europe/Rome"
    static let firstOrderId: Int64 = 10_001
    static let defaultUserCount = 2000
    static let userCountMax = OrderCustomerPool.userCountMax
    static let arrivalGapMeanSeconds = 30.0
    /// A fifth of the customers are regulars who place a third of the orders.
    static let regularShare = 0.2
    static let regularOrderShare = 0.33
    /// How often a customer buys in their own style (quick or careful).
    static let styleLoyalty = 0.85
    static let quickDurationMeanSeconds = 60.0
    static let quickDurationShape = 4
    static let quickDurationSecondsMin = 5.0
    static let carefulDurationMeanSeconds = 900.0
    static let carefulDurationShape = 8
    static let carefulDurationSecondsMax = 3600.0
    /// Draws of a product not yet in the basket before the basket stays smaller.
    static let productDrawAttemptsMax = 20
    /// Candidate arrivals of the thinned process before one is taken regardless.
    static let arrivalDrawAttemptsMax = 10_000
    /// Orders are logged in whole seconds; the manifest keeps milliseconds.
    static let manifestFractionDigits = 3

    let clock: ShopClock
    let customers: OrderCustomerPool
    let serializer: OrderSerializer
    private var random: RandomSource
    private var nextOrderId = OrderSource.firstOrderId
    /// The last arrival, in microseconds (the stream's instants are whole seconds).
    private var arrivalMicros: Int64

    init(startMicros: Int64, userCount: Int, clock: ShopClock, random: RandomSource) {
        precondition((1...OrderSource.userCountMax).contains(userCount), "user count")
        self.random = random
        self.clock = clock
        customers = OrderCustomerPool(count: userCount, random: &self.random)
        serializer = OrderSerializer(customers: customers)
        arrivalMicros = startMicros
    }

    /// The next order in time order.
    mutating func next() -> Order {
        arrivalMicros = nextArrivalMicros(after: arrivalMicros)
        let id = takeOrderId()
        let customer = pickCustomer(random: &random)
        return makeOrder(id: id, customer: customer, micros: arrivalMicros, random: &random)
    }

    /// The next order id: every order the source makes, clean or not, takes one.
    mutating func takeOrderId() -> Int64 {
        defer { nextOrderId += 1 }
        return nextOrderId
    }

    func append(_ event: Order, to line: inout [UInt8]) {
        serializer.append(event, to: &line)
    }

    /// The next arrival of a Poisson process whose rate follows the local hour, by thinning:
    /// candidates at the peak rate, each kept with the share of the peak its hour has.
    private mutating func nextArrivalMicros(after micros: Int64) -> Int64 {
        let peakGapMeanMicros =
            OrderSource.arrivalGapMeanSeconds * 1e6 * OrderCatalog.hourWeightMean
            / OrderCatalog.hourWeightMax
        var candidate = micros
        for _ in 0..<OrderSource.arrivalDrawAttemptsMax {
            candidate += Int64(random.exponential(mean: peakGapMeanMicros))
            let seconds = EventTime.floorDivide(candidate, EventTime.microsPerSecond)
            let hour = Int(EventTime.floorDivide(clock.wallSeconds(at: seconds), 3600) % 24)
            if random.unit() * OrderCatalog.hourWeightMax < OrderCatalog.hourWeights[hour] {
                break
            }
        }
        return candidate
    }

    /// A customer: a regular (the first fifth of the pool) for a third of the orders.
    func pickCustomer(random: inout RandomSource) -> Int {
        let regulars = max(1, Int(Double(customers.count) * OrderSource.regularShare))
        if random.chance(OrderSource.regularOrderShare) { return random.below(regulars) }
        return random.below(customers.count)
    }

    /// Order `id` by `customer` at `micros` (floored to the second) with at least
    /// `itemCountMin` items.
    func makeOrder(
        id: Int64, customer: Int, micros: Int64, itemCountMin: Int = 1,
        random: inout RandomSource
    ) -> Order {
        let seconds = EventTime.floorDivide(micros, EventTime.microsPerSecond)
        let style = customers.customers[customer].careful
        let careful = random.chance(OrderSource.styleLoyalty) ? style : !style
        return Order(
            id: id, timeMicros: clock.readBackSeconds(at: seconds) * EventTime.microsPerSecond,
            orderMicros: seconds * EventTime.microsPerSecond,
            wallSeconds: clock.wallSeconds(at: seconds), customer: Int32(customer),
            durationSeconds: OrderSource.durationSeconds(careful: careful, random: &random),
            items: OrderSource.basket(
                careful: careful, itemCountMin: itemCountMin, random: &random))
    }

    /// Seconds from the first page view to the thank-you page: Erlang-distributed (a sum of
    /// exponentials, so no platform's `exp` or `cos` decides the bytes) around each mode.
    static func durationSeconds(careful: Bool, random: inout RandomSource) -> Int32 {
        let shape = careful ? carefulDurationShape : quickDurationShape
        let mean = careful ? carefulDurationMeanSeconds : quickDurationMeanSeconds
        var sum = 0.0
        for _ in 0..<shape { sum += random.exponential(mean: mean / Double(shape)) }
        return Int32(min(max(sum, quickDurationSecondsMin), carefulDurationSecondsMax))
    }

    /// 1–5 distinct products with a quantity each, at least `itemCountMin` when possible.
    static func basket(
        careful: Bool, itemCountMin: Int, random: inout RandomSource
    ) -> OrderItems {
        let weights =
            careful ? OrderCatalog.carefulProductWeights : OrderCatalog.quickProductWeights
        let drawn = 1 + random.weighted(OrderCatalog.itemCountWeights)
        let count = min(max(drawn, itemCountMin), OrderItems.capacity)
        var items = OrderItems()
        for _ in 0..<count {
            for _ in 0..<productDrawAttemptsMax {
                let product = random.weighted(weights)
                guard !items.contains(product: product) else { continue }
                let quantity =
                    1 + random.weighted(OrderCatalog.quantityWeightsByProduct[product])
                items.append(product: product, quantity: quantity)
                break
            }
        }
        // Baskets that must hold a damaged third item get it even if the draws kept clashing.
        for product in OrderCatalog.products.indices
        where items.count < count && !items.contains(product: product) {
            items.append(product: product, quantity: 1)
        }
        return items
    }
}
