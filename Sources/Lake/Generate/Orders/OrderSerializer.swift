/// Writes orders as seed 000's WordPress hook does (PHP's `json_encode` with default flags, one
/// line per order appended to a log): keys in the hook's order, no spaces, non-ASCII as
/// `\u00e8` and `/` as `\/`, item and order totals as floats (`40.0`, `187.5`), the timestamp
/// as `current_time('mysql')` gives it (shop local time, no zone).
struct OrderSerializer {
    // Names as JSON literals, prepared once: a line costs no escaping and no `String`.
    private let productNames = OrderCatalog.products.map { OrderSerializer.phpLiteral($0.name) }
    private let firstNames = OrderCustomerPool.firstNames.map {
        OrderSerializer.phpLiteral($0.name)
    }
    private let firstNameEmails = OrderCustomerPool.firstNames.map { Array($0.email.utf8) }
    private let lastNameEmails = OrderCustomerPool.lastNames.map { Array($0.utf8) }
    private let domains = OrderCustomerPool.domains.map { Array($0.utf8) }
    private let currency = Array("\"EUR\"".utf8)

    let customers: OrderCustomerPool

    init(customers: OrderCustomerPool) {
        self.customers = customers
    }

    /// Appends `order` as one line, newline included.
    func append(_ order: Order, damage: OrderDamage = .none, to out: inout [UInt8]) {
        // The writer borrows the buffer (swapped, not copied) and hands it back when done.
        var writer = JSONObjectWriter(spacing: .compact)
        swap(&writer.out, &out)
        defer { swap(&writer.out, &out) }
        writer.open()
        if !damage.omits(.orderId) {
            writer.key("order_id")
            if let text = damage.replacement(.orderId) {
                writer.raw(text)
            } else {
                writer.out.append(contentsOf: String(order.id).utf8)
            }
        }
        if !damage.omits(.timestamp) {
            writer.key("timestamp")
            if let text = damage.replacement(.timestamp) {
                writer.raw(text)
            } else {
                writer.out.append(UInt8(ascii: "\""))
                ShopClock.appendText(wallSeconds: order.wallSeconds, to: &writer.out)
                writer.out.append(UInt8(ascii: "\""))
            }
        }
        writer.key("items")
        writeItems(order.items, damage: damage, to: &writer)
        writer.key("customer")
        writeCustomer(Int(order.customer), to: &writer)
        writer.key("currency")
        writer.raw(currency)
        if !damage.omits(.total) {
            writer.key("total")
            if let text = damage.replacement(.total) {
                writer.raw(text)
            } else {
                writer.amount(cents: order.totalCents)
            }
        }
        writer.key("duration_session")
        writer.out.append(contentsOf: String(order.durationSeconds).utf8)
        writer.close()
        writer.out.append(UInt8(ascii: "\n"))
    }

    private func writeItems(
        _ items: OrderItems, damage: OrderDamage, to writer: inout JSONObjectWriter
    ) {
        let keyed: Bool
        if case .itemsAsObject = damage { keyed = true } else { keyed = false }
        writer.out.append(keyed ? UInt8(ascii: "{") : UInt8(ascii: "["))
        for index in 0..<items.count {
            if index > 0 { writer.out.append(UInt8(ascii: ",")) }
            if keyed {
                // The keys a PHP array keeps after its second element was unset: 0, 2, 3, …
                let key = index == 0 ? 0 : index + 1
                writer.out.append(contentsOf: "\"\(key)\":".utf8)
            }
            if let text = damage.itemReplacement(index) {
                writer.raw(text)
                continue
            }
            writer.open()
            writer.key("product_name")
            writer.raw(productNames[items.product(at: index)])
            writer.key("quantity")
            if let text = damage.quantityReplacement(index) {
                writer.raw(text)
            } else {
                writer.out.append(contentsOf: String(items.quantity(at: index)).utf8)
            }
            writer.key("total")
            writer.amount(cents: items.totalCents(at: index))
            writer.close()
        }
        writer.out.append(keyed ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }

    private func writeCustomer(_ index: Int, to writer: inout JSONObjectWriter) {
        let customer = customers.customers[index]
        writer.open()
        writer.key("first_name")
        writer.raw(firstNames[Int(customer.firstName)])
        writer.key("email")
        writer.out.append(UInt8(ascii: "\""))
        writer.out.append(contentsOf: firstNameEmails[Int(customer.firstName)])
        writer.out.append(UInt8(ascii: "."))
        writer.out.append(contentsOf: lastNameEmails[Int(customer.lastName)])
        if customer.suffix != OrderCustomerPool.noSuffix {
            EventTime.appendDigits(Int64(customer.suffix), count: 2, to: &writer.out)
        }
        writer.out.append(UInt8(ascii: "@"))
        writer.out.append(contentsOf: domains[Int(customer.domain)])
        writer.out.append(UInt8(ascii: "\""))
        writer.close()
    }

    /// `text` as PHP's `json_encode` writes a string by default: non-ASCII as `\uXXXX`
    /// (lowercase hex) and `/` as `\/` (`Cavo USB-C\/Lightning`).
    static func phpLiteral(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for byte in JSONObjectWriter.asciiLiteral(text) {
            if byte == UInt8(ascii: "/") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        return out
    }
}
