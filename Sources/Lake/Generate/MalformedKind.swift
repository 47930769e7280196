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

/// The ways every job's generator breaks a whole serialized line (its `reshape`).
enum BrokenLine {
    /// Cut in the middle of its object: `bad_json` (unexpected end).
    static func truncate(_ line: inout [UInt8]) {
        line.removeLast(line.count - line.count / 2)
        line.append(UInt8(ascii: "\n"))
    }

    /// Replaced by one of `texts`, which are not JSON at all.
    static func garbage(_ line: inout [UInt8], from texts: [String], random: inout RandomSource) {
        line = Array((texts[random.below(texts.count)] + "\n").utf8)
    }

    /// Wrapped in a JSON array: valid JSON, but not an object.
    static func wrapInArray(_ line: inout [UInt8]) {
        line.removeLast()
        line.insert(UInt8(ascii: "["), at: 0)
        line.append(contentsOf: "]\n".utf8)
    }
}
