/// The shipped jobs `lake generate` writes input for (SPEC §12), each with its own schema.
public enum GeneratorJob: String, CaseIterable, Sendable {
    /// Seed 001: e-commerce clickstream events (`user_1` … `user_<U>`).
    case clickstream
    /// Seed 004: card transactions from a Python producer (`USER_100` … `USER_999`).
    case transactions
    /// Seed 000: WooCommerce orders of an Italian shop, in its local time (`Europe/Rome`).
    case orders

    /// The field that identifies an event (the job's dedup key): `--kafka` keys messages by it.
    public var idField: String {
        switch self {
        case .clickstream: return "event_id"
        case .transactions: return "transaction_id"
        case .orders: return "order_id"
        }
    }

    /// Users when `--users` is not given.
    public var defaultUserCount: Int {
        switch self {
        case .clickstream: return 1000
        case .transactions: return TransactionSource.userCountMax
        case .orders: return OrderSource.defaultUserCount
        }
    }

    /// The most users the job's ids can name.
    public var userCountMax: Int {
        switch self {
        case .clickstream: return 10_000_000
        case .transactions: return TransactionSource.userCountMax
        case .orders: return OrderSource.userCountMax
        }
    }
}
