/// One generated WooCommerce order: indexes into `OrderCatalog` and the customer pool,
/// serialized only when written, so buffering orders for jitter costs no allocations.
struct Order {
    /// WooCommerce's order id: increasing in the order orders are generated.
    var id: Int64
    /// The instant a reader of the line's local timestamp gets back (SPEC §12: read in
    /// `Europe/Rome`, the earlier instant when the wall-clock time occurs twice): what silver
    /// reads. It differs from `orderMicros` only in the hour repeated when summer time ends.
    var timeMicros: Int64
    /// When the order was placed, whole seconds (PHP's `time()`): orders the stream.
    var orderMicros: Int64
    /// The shop's wall clock at `orderMicros`, in seconds since 1970-01-01 00:00 wall time:
    /// what the line's `timestamp` says.
    var wallSeconds: Int64
    /// Index into the source's customers.
    var customer: Int32
    /// Seconds from the customer's first page view to the thank-you page.
    var durationSeconds: Int32
    var items: OrderItems

    /// The order total: the sum of the items' totals, in cents.
    var totalCents: Int64 {
        var cents: Int64 = 0
        for index in 0..<items.count { cents += items.totalCents(at: index) }
        return cents
    }
}

extension Order: GeneratorEvent {
    var key: Identifier128 { Identifier128(high: 0, low: UInt64(bitPattern: id)) }
    /// The manifest counts accepted orders by gold's spender type (SPEC §12).
    var typeName: String {
        totalCents > OrderCatalog.highSpenderCentsMin ? "High Spender" : "Standard Spender"
    }
}

/// An order's line items, 1 to `capacity` distinct products with a quantity each, packed in
/// one word: 3 bits of count, then per item 6 bits of product and 3 bits of quantity.
struct OrderItems: Equatable {
    static let capacity = 5
    static let productIndexMax = 63
    static let quantityMax = 7
    private static let itemBits: UInt64 = 9

    private var packed: UInt64 = 0

    var count: Int { Int(packed & 0x7) }

    func product(at index: Int) -> Int {
        Int((field(at: index) >> 3) & 0x3F)
    }

    func quantity(at index: Int) -> Int {
        Int(field(at: index) & 0x7)
    }

    /// The item's total: the product's unit price times the quantity, in cents.
    func totalCents(at index: Int) -> Int64 {
        OrderCatalog.products[product(at: index)].priceCents * Int64(quantity(at: index))
    }

    func contains(product: Int) -> Bool {
        (0..<count).contains { self.product(at: $0) == product }
    }

    mutating func append(product: Int, quantity: Int) {
        precondition(count < OrderItems.capacity, "an order holds at most 5 items")
        precondition((0...OrderItems.productIndexMax).contains(product), "product index")
        precondition((1...OrderItems.quantityMax).contains(quantity), "quantity")
        let shift = 3 + UInt64(count) * OrderItems.itemBits
        packed |= (UInt64(product) << 3 | UInt64(quantity)) << shift
        packed += 1
    }

    private func field(at index: Int) -> UInt64 {
        precondition((0..<count).contains(index), "item index")
        return packed >> (3 + UInt64(index) * OrderItems.itemBits)
    }
}
