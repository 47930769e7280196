/// The five clickstream event types of SPEC §3.
enum EventKind: UInt8, CaseIterable {
    case pageView, search, productView, addToCart, purchase

    var name: String {
        switch self {
        case .pageView: return "PAGE_VIEW"
        case .search: return "SEARCH"
        case .productView: return "PRODUCT_VIEW"
        case .addToCart: return "ADD_TO_CART"
        case .purchase: return "PURCHASE"
        }
    }
}

/// Which page a PAGE_VIEW shows.
enum PageKind: UInt8 {
    case home, category, cart
}

/// One step of a planned visit, before it has a time.
struct VisitStep {
    var kind: EventKind
    var page: PageKind = .home
    /// Catalog index of the product, or -1.
    var product: Int32 = -1
    /// Catalog index of the category (category pages and searches), or -1.
    var category: Int16 = -1
    /// Index of the search query within the category, or -1.
    var query: Int16 = -1
}

/// A generated event: indexes into the catalog and user pool, serialized only when written,
/// so buffering events for jitter costs no allocations.
struct GeneratedEvent {
    /// The instant written in the line (and so the one silver reads).
    var timeMillis: Int64
    /// When the simulated user acted; orders the stream. Equals `timeMillis` except for
    /// `.wholeSeconds` timestamps, which drop the fraction.
    var orderMillis: Int64
    var step: VisitStep
    var user: Int32
    /// Order value in the user's currency, in cents, on PURCHASE; otherwise -1.
    var totalCents: Int64 = -1
    var eventId: Identifier128
    var sessionId: Identifier128
    var form: TimestampForm = .canonical
    /// Writes the price as a numeric string (`"120.50"`), as some collectors do.
    var priceAsString = false
}

extension GeneratedEvent: GeneratorEvent {
    var key: Identifier128 { eventId }
    var timeMicros: Int64 { timeMillis * EventTime.microsPerMilli }
    var orderMicros: Int64 { orderMillis * EventTime.microsPerMilli }
    var typeName: String { step.kind.name }
}
