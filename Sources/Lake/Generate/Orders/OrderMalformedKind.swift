/// The malformed order lines `--malformed` spreads evenly over, each with the quarantine reason
/// silver gives it under `jobs/orders.toml` (SPEC §12: `order_id` an int64 and the dedup key,
/// `timestamp` required in the pattern `%Y-%m-%d %H:%M:%S`, `total` a double, and the child
/// table `items` whose elements need a `quantity` int64). An order with one bad item is
/// quarantined whole; the reason names the item by its index from 0.
enum OrderMalformedKind: CaseIterable {
    /// An object cut in the middle of the line (the log rotated while PHP wrote it).
    case truncatedObject
    /// Text that is no JSON at all (a PHP warning or an error page in the log).
    case garbageText
    /// A JSON array instead of an object.
    case jsonArray
    case missingOrderId
    case missingTimestamp
    /// The order number a plugin formats (`"#10234"`, `"WC-10234"`) instead of the id.
    case textOrderId
    /// The total as the shop displays it (`"187,50"`): an Italian decimal comma.
    case textTotal
    /// PHP's `time()`: epoch seconds as a JSON number.
    case epochTimestamp
    /// A timestamp no `%Y-%m-%d %H:%M:%S` reads (`"0000-00-00 00:00:00"`, `"29/01/2026 …"`).
    case unreadableTimestamp
    /// `items` as an object, not an array (see `OrderDamage.itemsAsObject`).
    case itemsAsObject
    /// The third item's quantity as a word (`"two"`).
    case textItemQuantity
    /// The third item's quantity with a fraction (`2.5`).
    case fractionalItemQuantity
    /// The third item as a string (`"Mouse wireless x2"`), not an object.
    case textItem
    /// A timestamp in the year 2099, far beyond any clock skew.
    case futureTimestamp

    /// The item a malformed item kind breaks: the third, so its orders hold at least three.
    static let damagedItemIndex = 2

    /// The reason in silver's quarantine table.
    var reason: String {
        switch self {
        case .truncatedObject, .garbageText, .jsonArray: return "bad_json"
        case .missingOrderId: return "missing_field:order_id"
        case .missingTimestamp: return "missing_field:timestamp"
        case .textOrderId: return "bad_type:order_id"
        case .textTotal: return "bad_type:total"
        case .epochTimestamp: return "bad_type:timestamp"
        case .unreadableTimestamp: return "bad_timestamp"
        case .itemsAsObject: return "bad_type:items"
        case .textItemQuantity, .fractionalItemQuantity:
            return "bad_type:items[\(OrderMalformedKind.damagedItemIndex)].quantity"
        case .textItem: return "bad_type:items[\(OrderMalformedKind.damagedItemIndex)]"
        case .futureTimestamp: return "future_timestamp"
        }
    }

    /// Whether the kind breaks the item at `damagedItemIndex`.
    var damagesAnItem: Bool {
        self == .textItemQuantity || self == .fractionalItemQuantity || self == .textItem
    }

    /// The fewest items the order needs for the defect: the broken third item, or a second one
    /// whose removal left the gap in the keys.
    var itemCountMin: Int {
        if damagesAnItem { return OrderMalformedKind.damagedItemIndex + 1 }
        return self == .itemsAsObject ? 2 : 1
    }

    static let garbage = [
        "PHP Warning:  Undefined array key \"visit_start_time\" in "
            + "/var/www/html/wp-content/themes/shop/functions.php on line 42",
        "<html><head><title>504 Gateway Time-out</title></head></html>",
        "Array",
        "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted",
    ]
    static let orderIdPrefixes = ["#", "WC-"]
    static let quantityTexts = ["\"two\"", "\"2 pz\""]
    static let unreadableTimestamps = [
        "0000-00-00 00:00:00", "29/01/2026 19:55:12", "ieri sera",
    ]
}
