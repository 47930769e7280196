/// Writes transactions as the seed's Python producer does (`json.dumps` of a dict): keys in the
/// producer's order, `", "` and `": "` separators, non-ASCII escaped (`"Krak\u00f3w"`), the
/// amount as a float rounded to cents and the timestamp as `datetime.isoformat()` writes it.
struct TransactionSerializer {
    // Names as JSON literals, prepared once: a line costs no escaping and no `String`.
    private let cities = TransactionCatalog.cities.map(JSONObjectWriter.asciiLiteral)
    private let categories = TransactionCatalog.categories.map {
        JSONObjectWriter.asciiLiteral($0.name)
    }
    private let paymentMethods = TransactionCatalog.paymentMethods.map(
        JSONObjectWriter.asciiLiteral)
    private let userPrefix = Array("\"USER_".utf8)

    /// Appends `transaction` as one line, newline included.
    func append(
        _ transaction: Transaction, damage: TransactionDamage = .none, to out: inout [UInt8]
    ) {
        // The writer borrows the buffer (swapped, not copied) and hands it back when done.
        var writer = JSONObjectWriter(spacing: .python)
        swap(&writer.out, &out)
        defer { swap(&writer.out, &out) }
        writer.open()
        if !damage.omits(.transactionId) {
            writer.key("transaction_id")
            writer.uuid(transaction.id)
        }
        if !damage.omits(.userId) {
            writer.key("user_id")
            writer.raw(userPrefix)
            let number = TransactionSource.firstUserNumber + Int(transaction.user)
            writer.out.append(contentsOf: String(number).utf8)
            writer.out.append(UInt8(ascii: "\""))
        }
        writer.key("city")
        writer.raw(cities[Int(transaction.city)])
        writer.key("category")
        writer.raw(categories[Int(transaction.category)])
        if !damage.omits(.amount) {
            writer.key("amount")
            if let text = damage.replacement(.amount) {
                writer.raw(text)
            } else {
                writer.amount(cents: Int64(transaction.amountCents))
            }
        }
        writer.key("quantity")
        if let text = damage.replacement(.quantity) {
            writer.raw(text)
        } else {
            writer.out.append(contentsOf: String(transaction.quantity).utf8)
        }
        writer.key("payment_method")
        writer.raw(paymentMethods[Int(transaction.paymentMethod)])
        if !damage.omits(.timestamp) {
            writer.key("timestamp")
            if let text = damage.replacement(.timestamp) {
                writer.raw(text)
            } else {
                writer.out.append(UInt8(ascii: "\""))
                EventTime.appendNaive(micros: transaction.timeMicros, to: &writer.out)
                writer.out.append(UInt8(ascii: "\""))
            }
        }
        writer.close()
        writer.out.append(UInt8(ascii: "\n"))
    }
}
