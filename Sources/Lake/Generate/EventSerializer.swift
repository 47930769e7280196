/// A deliberate defect in one line, each matching one quarantine reason of silver.
enum LineDamage {
    case none
    /// The key is left out: `missing_field:<key>`.
    case omit(OmittedField)
    /// The timestamp as epoch milliseconds, a JSON number: `bad_type:timestamp`.
    case timestampNumber
    /// The timestamp as a string no parser reads (`"yesterday"`): `bad_timestamp`.
    case timestampText(String)
    /// The price as a non-numeric string (`"abc"`): `bad_type:data.price`.
    case priceText(String)
}

enum OmittedField: String, CaseIterable {
    case eventId, userId, eventType, timestamp
}

/// Writes events as NDJSON lines (SPEC §3) straight into a byte buffer: no `String` per event.
struct EventSerializer {
    let catalog: ProductCatalog
    let users: UserPool
    private let eventTypeNames: [[UInt8]] = EventKind.allCases.map { Array($0.name.utf8) }
    private let currencyCodes: [[UInt8]] = Currency.allCases.map { $0.code }
    // Instance constants, not statics: a static's lazy initialization check costs per access.
    private let home = Array("/".utf8)
    private let cart = Array("/cart".utf8)
    private let checkout = Array("/checkout/confirmation".utf8)
    private let searchPrefix = Array("/search?q=".utf8)
    private let null = Array("null".utf8)

    init(catalog: ProductCatalog, users: UserPool) {
        self.catalog = catalog
        self.users = users
    }

    /// Appends `event` as one line, newline included.
    func append(_ event: GeneratedEvent, damage: LineDamage = .none, to out: inout [UInt8]) {
        // The writer borrows the buffer (swapped, not copied) and hands it back when done.
        var writer = ObjectWriter()
        swap(&writer.out, &out)
        defer { swap(&writer.out, &out) }
        writer.open()
        if !damage.omits(.eventId) {
            writer.key("eventId")
            writeIdentifier(event.eventId, to: &writer.out)
        }
        if !damage.omits(.eventType) {
            writer.key("eventType")
            writer.string(eventTypeNames[Int(event.step.kind.rawValue)])
        }
        if !damage.omits(.userId) {
            writer.key("userId")
            writeUserId(Int(event.user), to: &writer.out)
        }
        writer.key("sessionId")
        writeIdentifier(event.sessionId, to: &writer.out)
        writer.key("pageUrl")
        writePageURL(event.step, to: &writer)
        writeTimestamp(event, damage: damage, to: &writer)
        writeDevice(Int(event.user), to: &writer)
        writeData(event, damage: damage, to: &writer)
        writer.close()
        writer.out.append(UInt8(ascii: "\n"))
    }

    private func writeTimestamp(
        _ event: GeneratedEvent, damage: LineDamage, to writer: inout ObjectWriter
    ) {
        switch damage {
        case .omit(.timestamp):
            return
        case .timestampNumber:
            writer.key("timestamp")
            writer.out.append(contentsOf: String(event.timeMillis).utf8)
        case .timestampText(let text):
            writer.key("timestamp")
            writer.string(Array(text.utf8))
        default:
            writer.key("timestamp")
            writer.out.append(UInt8(ascii: "\""))
            EventTime.append(event.timeMillis, form: event.form, to: &writer.out)
            writer.out.append(UInt8(ascii: "\""))
        }
    }

    private func writeDevice(_ userIndex: Int, to writer: inout ObjectWriter) {
        let user = users.users[userIndex]
        writer.key("device")
        writer.open()
        writer.key("type")
        writer.string(UserPool.deviceTypes[Int(user.deviceType)])
        writer.key("os")
        writer.string(UserPool.operatingSystems[Int(user.deviceType)][Int(user.operatingSystem)])
        writer.key("ip")
        writer.out.append(UInt8(ascii: "\""))
        writer.out.append(contentsOf: UserPool.networks[Int(user.network)])
        writer.out.append(contentsOf: String(user.host).utf8)
        writer.out.append(UInt8(ascii: "\""))
        writer.close()
    }

    private func writeData(
        _ event: GeneratedEvent, damage: LineDamage, to writer: inout ObjectWriter
    ) {
        let step = event.step
        let currency = users.users[Int(event.user)].currency
        let product = step.product >= 0 ? Int(step.product) : nil
        writer.key("data")
        writer.open()
        writer.key("productId")
        writer.optionalString(product.map { catalog.products[$0].id })
        writer.key("productName")
        writer.optionalString(product.map { catalog.products[$0].name })
        writer.key("category")
        if let product {
            writer.string(catalog.categories[catalog.products[product].category].name)
        } else if step.kind == .pageView && step.page == .category {
            writer.string(catalog.categories[Int(step.category)].name)
        } else {
            writer.out.append(contentsOf: null)
        }
        writer.key("price")
        if case .priceText(let text) = damage {
            writer.string(Array(text.utf8))
        } else if let product {
            writeAmount(catalog.products[product].priceCents[currency.rawValue],
                        asString: event.priceAsString, to: &writer.out)
        } else {
            writer.out.append(contentsOf: null)
        }
        writer.key("currency")
        let priced = product != nil || step.kind == .purchase
        writer.optionalString(priced ? currencyCodes[currency.rawValue] : nil)
        writer.key("searchQuery")
        writer.optionalString(step.kind == .search
            ? catalog.categories[Int(step.category)].searchQueries[Int(step.query)] : nil)
        writer.key("totalAmount")
        if event.totalCents >= 0 {
            writeAmount(event.totalCents, asString: false, to: &writer.out)
        } else {
            writer.out.append(contentsOf: null)
        }
        writer.close()
    }

    private func writePageURL(_ step: VisitStep, to writer: inout ObjectWriter) {
        switch step.kind {
        case .pageView:
            switch step.page {
            case .home: writer.string(home)
            case .cart: writer.string(cart)
            case .category: writer.string(catalog.categories[Int(step.category)].pageURL)
            }
        case .search:
            writer.out.append(UInt8(ascii: "\""))
            writer.out.append(contentsOf: searchPrefix)
            for byte in catalog.categories[Int(step.category)].searchQueries[Int(step.query)] {
                writer.out.append(byte == UInt8(ascii: " ") ? UInt8(ascii: "+") : byte)
            }
            writer.out.append(UInt8(ascii: "\""))
        case .productView, .addToCart:
            writer.string(catalog.products[Int(step.product)].pageURL)
        case .purchase:
            writer.string(checkout)
        }
    }

    private func writeUserId(_ user: Int, to out: inout [UInt8]) {
        out.append(contentsOf: "\"user_".utf8)
        out.append(contentsOf: String(user + 1).utf8)
        out.append(UInt8(ascii: "\""))
    }

    /// `"8c2f…-…"`: 32 hex digits in the 8-4-4-4-12 layout of a UUID.
    private func writeIdentifier(_ id: Identifier128, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for index in 0..<32 {
            if index == 8 || index == 12 || index == 16 || index == 20 {
                out.append(UInt8(ascii: "-"))
            }
            let word = index < 16 ? id.high : id.low
            let shift = UInt64(60 - 4 * (index % 16))
            let nibble = UInt8(truncatingIfNeeded: (word >> shift) & 0xF)
            out.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Cents as a JSON number (`120.5`, `99.99`, `120.0`) or a numeric string (`"120.50"`).
    private func writeAmount(_ cents: Int64, asString: Bool, to out: inout [UInt8]) {
        if asString { out.append(UInt8(ascii: "\"")) }
        out.append(contentsOf: String(cents / 100).utf8)
        out.append(UInt8(ascii: "."))
        let fraction = cents % 100
        if asString || fraction % 10 != 0 {
            EventTime.appendDigits(fraction, count: 2, to: &out)
        } else {
            EventTime.appendDigits(fraction / 10, count: 1, to: &out)
        }
        if asString { out.append(UInt8(ascii: "\"")) }
    }
}

extension LineDamage {
    func omits(_ field: OmittedField) -> Bool {
        if case .omit(let omitted) = self { return omitted == field }
        return false
    }
}

/// Keeps the commas of a JSON object right while keys are written (some may be left out).
private struct ObjectWriter {
    var out: [UInt8] = []
    private var needsComma = false
    private static let hexDigits = Array("0123456789abcdef".utf8)

    mutating func open() {
        out.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func close() {
        out.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func key(_ name: StaticString) {
        if needsComma { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = true
    }

    /// A JSON string, escaping quotes, backslashes and control characters.
    mutating func string(_ bytes: [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(ObjectWriter.hexDigits[Int(byte >> 4)])
                out.append(ObjectWriter.hexDigits[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    mutating func optionalString(_ bytes: [UInt8]?) {
        if let bytes { string(bytes) } else { out.append(contentsOf: "null".utf8) }
    }
}
