/// One generated card transaction: indexes into `TransactionCatalog`, serialized only when
/// written, so buffering transactions for jitter costs no allocations.
struct Transaction {
    var id: Identifier128
    /// When the card was charged; the line's naive timestamp (read as UTC by the job).
    var timeMicros: Int64
    /// Index of the user: `USER_<TransactionSource.firstUserNumber + user>`.
    var user: Int32
    var city: UInt8
    var category: UInt8
    var paymentMethod: UInt8
    var amountCents: Int32
    var quantity: UInt8
}

extension Transaction: GeneratorEvent {
    var key: Identifier128 { id }
    var orderMicros: Int64 { timeMicros }
    var typeName: String { TransactionCatalog.categories[Int(category)].name }
}
