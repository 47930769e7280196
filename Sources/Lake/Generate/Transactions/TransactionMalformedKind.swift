/// The malformed transaction lines `--malformed` spreads evenly over, each with the exact
/// quarantine reason silver gives it under `jobs/transactions.toml` (required: transaction_id,
/// user_id, amount, timestamp; quantity an int64).
enum TransactionMalformedKind: CaseIterable {
    /// An object cut in the middle of the line.
    case truncatedObject
    /// Text that is no JSON at all (an error page, a Python traceback or dict repr).
    case garbageText
    /// A JSON array instead of an object.
    case jsonArray
    /// `"amount": NaN`: Python's `json.dumps` writes a NaN float so, and it is not JSON.
    case nanAmount
    case missingTransactionId
    case missingUserId
    case missingAmount
    case missingTimestamp
    /// The amount as an object (`{"value": 12.5, "currency": "EUR"}`).
    case objectAmount
    /// The amount as a string that is no number (`"abc"`, `"12,50"`).
    case textAmount
    /// A quantity with a fraction (`2.5`).
    case fractionalQuantity
    /// A quantity as a string that is no number (`"x"`).
    case textQuantity
    /// A timestamp string no ISO-8601 parser reads (`"not a time"`).
    case unreadableTimestamp
    /// Epoch seconds as a JSON number, as Python's `time.time()` gives them.
    case epochTimestamp
    /// A timestamp in the year 2099, far beyond any clock skew.
    case futureTimestamp

    /// The reason in silver's quarantine table.
    var reason: String {
        switch self {
        case .truncatedObject, .garbageText, .jsonArray, .nanAmount: return "bad_json"
        case .missingTransactionId: return "missing_field:transaction_id"
        case .missingUserId: return "missing_field:user_id"
        case .missingAmount: return "missing_field:amount"
        case .missingTimestamp: return "missing_field:timestamp"
        case .objectAmount, .textAmount: return "bad_type:amount"
        case .fractionalQuantity, .textQuantity: return "bad_type:quantity"
        case .unreadableTimestamp: return "bad_timestamp"
        case .epochTimestamp: return "bad_type:timestamp"
        case .futureTimestamp: return "future_timestamp"
        }
    }

    static let garbage = [
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "Traceback (most recent call last):",
        "{'transaction_id': None, 'amount': 12.5}",
        "None",
    ]
    static let amountTexts = ["\"abc\"", "\"12,50\"", "\"N/A\""]
    static let quantityTexts = ["\"x\"", "\"two\""]
    static let unreadableTimestamps = ["not a time", "29/01/2026 10:15", "yesterday"]
}
