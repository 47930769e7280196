/// The malformed lines `--malformed` spreads evenly over, each with the exact quarantine reason
/// silver gives it.
enum MalformedKind: CaseIterable {
    /// An object cut in the middle of the line.
    case truncatedObject
    /// Text that is no JSON at all (an HTML error page, a query string).
    case garbageText
    /// A JSON array instead of an object.
    case jsonArray
    case missingEventId
    case missingUserId
    case missingEventType
    case missingTimestamp
    /// Epoch milliseconds as a JSON number.
    case epochTimestamp
    /// A timestamp string no ISO-8601 parser reads (`"yesterday"`).
    case unreadableTimestamp
    /// A non-numeric price string (`"abc"`).
    case textPrice
    /// A timestamp in the year 2099, far beyond any clock skew.
    case futureTimestamp

    /// The reason in silver's quarantine table.
    var reason: String {
        switch self {
        case .truncatedObject, .garbageText, .jsonArray: return "bad_json"
        case .missingEventId: return "missing_field:eventId"
        case .missingUserId: return "missing_field:userId"
        case .missingEventType: return "missing_field:eventType"
        case .missingTimestamp: return "missing_field:timestamp"
        case .epochTimestamp: return "bad_type:timestamp"
        case .unreadableTimestamp: return "bad_timestamp"
        case .textPrice: return "bad_type:data.price"
        case .futureTimestamp: return "future_timestamp"
        }
    }

    var damage: LineDamage {
        switch self {
        case .missingEventId: return .omit(.eventId)
        case .missingUserId: return .omit(.userId)
        case .missingEventType: return .omit(.eventType)
        case .missingTimestamp: return .omit(.timestamp)
        case .epochTimestamp: return .timestampNumber
        case .textPrice: return .priceText("abc")
        default: return .none
        }
    }

    static let garbage = [
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "eventId=7&eventType=PAGE_VIEW&userId=user_1",
        "garbage",
        "{{{ not json",
    ]
    static let unreadableTimestamps = ["yesterday", "last tuesday", "N/A"]
}
