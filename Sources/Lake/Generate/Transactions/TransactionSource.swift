/// The clean card-transaction stream of seed 004: purchases arrive at random (a Poisson process
/// at the seed producer's rate of one a second), each by a random user, and 2% of them start a
/// burst: the same user buys 3–5 more times within 2–4 minutes, as a card being emptied or a
/// shopper on a spree does, so the job's 5-minute "4 or more transactions" alert has something
/// to find.
///
/// The rate is the seed's own and not faster on purpose: with 900 users, a user then buys about
/// once every 15 minutes, so four purchases within 5 minutes by chance alone are rare (about 4
/// in 10,000 of a user's 5-minute windows) and the alerts are mostly the bursts. At 20 a second
/// every user would buy every 45 seconds and nearly every user would be alerted all the time.
struct TransactionSource: GeneratorSource {
    /// Where a user lives and how they usually pay: most of their purchases say so.
    struct Customer {
        var city: UInt8
        var paymentMethod: UInt8
    }

    /// A purchase of a burst already planned, waiting for its time.
    private struct BurstPurchase: Comparable {
        var micros: Int64
        var sequence: Int
        var user: Int32

        static func < (lhs: BurstPurchase, rhs: BurstPurchase) -> Bool {
            (lhs.micros, lhs.sequence) < (rhs.micros, rhs.sequence)
        }
    }

    /// Users are `USER_100` … `USER_999`, as in the seed's producer.
    static let firstUserNumber = 100
    static let userCountMax = 900
    static let arrivalGapMeanMicros = 1_000_000.0
    static let burstShare = 0.02
    static let burstFollowUpCountMin: Int64 = 3
    static let burstFollowUpCountMax: Int64 = 5
    static let burstSpanMicrosMin = 2 * EventTime.microsPerMinute
    static let burstSpanMicrosMax = 4 * EventTime.microsPerMinute
    /// The rest of a user's purchases are in another city (travel) or with another method.
    static let homeCityShare = 0.9
    static let usualPaymentShare = 0.75
    /// Python's `datetime` has microseconds.
    static let manifestFractionDigits = 6

    let customers: [Customer]
    let serializer = TransactionSerializer()
    private var random: RandomSource
    private var nextArrivalMicros: Int64
    private var bursts = MinHeap<BurstPurchase>()
    private var burstSequence = 0

    init(startMicros: Int64, userCount: Int, random: RandomSource) {
        precondition((1...TransactionSource.userCountMax).contains(userCount), "user count")
        self.random = random
        var customers: [Customer] = []
        customers.reserveCapacity(userCount)
        for _ in 0..<userCount {
            let city = self.random.weighted(TransactionCatalog.cityWeights)
            let method = self.random.weighted(TransactionCatalog.paymentMethodWeights)
            customers.append(Customer(city: UInt8(city), paymentMethod: UInt8(method)))
        }
        self.customers = customers
        nextArrivalMicros = startMicros
        nextArrivalMicros += arrivalGapMicros()
    }

    /// The next transaction in time order: a planned burst purchase if one is due first.
    mutating func next() -> Transaction {
        if let planned = bursts.minimum, planned.micros < nextArrivalMicros {
            _ = bursts.popMinimum()
            return TransactionSource.purchase(
                user: Int(planned.user), customer: customers[Int(planned.user)],
                micros: planned.micros, random: &random)
        }
        let micros = nextArrivalMicros
        nextArrivalMicros += arrivalGapMicros()
        let user = random.below(customers.count)
        if random.chance(TransactionSource.burstShare) { planBurst(user: user, after: micros) }
        return TransactionSource.purchase(
            user: user, customer: customers[user], micros: micros, random: &random)
    }

    func append(_ event: Transaction, to line: inout [UInt8]) {
        serializer.append(event, to: &line)
    }

    private mutating func arrivalGapMicros() -> Int64 {
        Int64(random.exponential(mean: TransactionSource.arrivalGapMeanMicros))
    }

    /// Schedules the burst's further purchases at random instants within its span.
    private mutating func planBurst(user: Int, after micros: Int64) {
        let count = random.between(
            TransactionSource.burstFollowUpCountMin, TransactionSource.burstFollowUpCountMax)
        let span = random.between(
            TransactionSource.burstSpanMicrosMin, TransactionSource.burstSpanMicrosMax)
        for _ in 0..<count {
            burstSequence += 1
            bursts.push(
                BurstPurchase(
                    micros: micros + random.between(1, span), sequence: burstSequence,
                    user: Int32(user)))
        }
    }

    /// One purchase by `user` at `micros`, drawn from `random`.
    static func purchase(
        user: Int, customer: Customer, micros: Int64, random: inout RandomSource
    ) -> Transaction {
        let city =
            random.chance(homeCityShare)
            ? customer.city : UInt8(random.weighted(TransactionCatalog.cityWeights))
        let category = random.weighted(TransactionCatalog.categoryWeights)
        let amountCents = TransactionCatalog.amountCents(category: category, random: &random)
        let quantity = 1 + random.weighted(TransactionCatalog.quantityWeights)
        let paymentMethod =
            random.chance(usualPaymentShare)
            ? customer.paymentMethod
            : UInt8(random.weighted(TransactionCatalog.paymentMethodWeights))
        return Transaction(
            id: random.identifier(), timeMicros: micros, user: Int32(user), city: city,
            category: UInt8(category), paymentMethod: paymentMethod,
            amountCents: Int32(amountCents), quantity: UInt8(quantity))
    }
}
