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
        var writer = JSONObjectWriter()
        swap(&writer.out, &out)
        defer { swap(&writer.out, &out) }
        writer.open()
        if !damage.omits(.eventId) {
            writer.key("eventId")
            writer.uuid(event.eventId)
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
        writer.uuid(event.sessionId)
        writer.key("pageUrl")
        writePageURL(event.step, to: &writer)
        writeTimestamp(event, damage: damage, to: &writer)
        writeDevice(Int(event.user), to: &writer)
        writeData(event, damage: damage, to: &writer)
        writer.close()
        writer.out.append(UInt8(ascii: "\n"))
    }

    private func writeTimestamp(
        _ event: GeneratedEvent, damage: LineDamage, to writer: inout JSONObjectWriter
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

    private func writeDevice(_ userIndex: Int, to writer: inout JSONObjectWriter) {
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
        _ event: GeneratedEvent, damage: LineDamage, to writer: inout JSONObjectWriter
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
            writer.amount(
                cents: catalog.products[product].priceCents[currency.rawValue],
                asString: event.priceAsString)
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
            writer.amount(cents: event.totalCents)
        } else {
            writer.out.append(contentsOf: null)
        }
        writer.close()
    }

    private func writePageURL(_ step: VisitStep, to writer: inout JSONObjectWriter) {
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
}

extension LineDamage {
    func omits(_ field: OmittedField) -> Bool {
        if case .omit(let omitted) = self { return omitted == field }
        return false
    }
}
