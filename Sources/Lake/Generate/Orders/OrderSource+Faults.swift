/// The orders' late and malformed lines. The order of the draws from `random` is part of the
/// output: changing it changes every generated file after the first fault.
extension OrderSource {
    /// A plausible order by a random customer at `micros`, with the next order id, to be made
    /// late or malformed.
    mutating func syntheticEvent(atMicros micros: Int64, random: inout RandomSource) -> Order {
        syntheticOrder(atMicros: micros, itemCountMin: 1, random: &random)
    }

    mutating func appendMalformed(
        nearMicros micros: Int64, random: inout RandomSource, to line: inout [UInt8]
    ) -> MalformedLine<Order> {
        let kinds = OrderMalformedKind.allCases
        let kind = kinds[random.below(kinds.count)]
        var order = syntheticOrder(
            atMicros: micros, itemCountMin: kind.itemCountMin, random: &random)
        if kind == .futureTimestamp {
            // The same time of day (UTC) on 2099-01-29: winter time, no repeated hour.
            let seconds = order.orderMicros / EventTime.microsPerSecond
            let inDay = seconds - EventTime.floorDivide(seconds, 86_400) * 86_400
            let future = EventTime.days(year: 2099, month: 1, day: 29) * 86_400 + inDay
            order.orderMicros = future * EventTime.microsPerSecond
            order.timeMicros = clock.readBackSeconds(at: future) * EventTime.microsPerSecond
            order.wallSeconds = clock.wallSeconds(at: future)
        }
        serializer.append(order, damage: damage(kind, order, &random), to: &line)
        reshape(&line, kind, random: &random)
        return kind == .futureTimestamp ? .parsed(order) : .unparseable(reason: kind.reason)
    }

    private mutating func syntheticOrder(
        atMicros micros: Int64, itemCountMin: Int, random: inout RandomSource
    ) -> Order {
        let id = takeOrderId()
        let customer = pickCustomer(random: &random)
        return makeOrder(
            id: id, customer: customer, micros: micros, itemCountMin: itemCountMin,
            random: &random)
    }

    private func damage(
        _ kind: OrderMalformedKind, _ order: Order, _ random: inout RandomSource
    ) -> OrderDamage {
        func pick(_ texts: [String]) -> [UInt8] { Array(texts[random.below(texts.count)].utf8) }
        let item = OrderMalformedKind.damagedItemIndex
        switch kind {
        case .missingOrderId: return .omit(.orderId)
        case .missingTimestamp: return .omit(.timestamp)
        case .textOrderId:
            let prefixes = OrderMalformedKind.orderIdPrefixes
            let prefix = prefixes[random.below(prefixes.count)]
            return .replace(.orderId, Array("\"\(prefix)\(order.id)\"".utf8))
        case .textTotal:
            // The total as the shop shows it: `187,50`.
            let cents = order.totalCents
            var text = Array("\"\(cents / 100),".utf8)
            EventTime.appendDigits(cents % 100, count: 2, to: &text)
            text.append(UInt8(ascii: "\""))
            return .replace(.total, text)
        case .epochTimestamp:
            let seconds = order.orderMicros / EventTime.microsPerSecond
            return .replace(.timestamp, Array(String(seconds).utf8))
        case .unreadableTimestamp:
            var text = [UInt8(ascii: "\"")]
            text += pick(OrderMalformedKind.unreadableTimestamps)
            text.append(UInt8(ascii: "\""))
            return .replace(.timestamp, text)
        case .itemsAsObject: return .itemsAsObject
        case .textItemQuantity:
            return .replaceItemQuantity(index: item, pick(OrderMalformedKind.quantityTexts))
        case .fractionalItemQuantity:
            return .replaceItemQuantity(index: item, Array("2.5".utf8))
        case .textItem:
            // What a template's `"$name x$quantity"` gives.
            let items = order.items
            let name = OrderCatalog.products[items.product(at: item)].name
            let text = "\(name) x\(items.quantity(at: item))"
            return .replaceItem(index: item, OrderSerializer.phpLiteral(text))
        case .truncatedObject, .garbageText, .jsonArray, .futureTimestamp:
            return .none
        }
    }

    /// Turns the serialized line into the broken JSON that `kind` calls for.
    private func reshape(
        _ line: inout [UInt8], _ kind: OrderMalformedKind, random: inout RandomSource
    ) {
        switch kind {
        case .truncatedObject: BrokenLine.truncate(&line)
        case .garbageText: BrokenLine.garbage(&line, from: OrderMalformedKind.garbage, random: &random)
        case .jsonArray: BrokenLine.wrapInArray(&line)
        default:
            break
        }
    }
}
