/// A deliberate defect in one order line: a field left out, its value replaced by other JSON
/// text, or one line item broken, so that silver quarantines the whole order.
enum OrderDamage {
    case none
    case omit(OrderField)
    /// The field's value written as this text, as is.
    case replace(OrderField, [UInt8])
    /// The items written as a JSON object keyed by position with a gap (`{"0":{…},"2":{…}}`),
    /// as PHP's `json_encode` writes an array whose keys are no longer `0…n-1` (an item was
    /// unset from it).
    case itemsAsObject
    /// The item at `index` written as this text instead of an object.
    case replaceItem(index: Int, [UInt8])
    /// The quantity of the item at `index` written as this text.
    case replaceItemQuantity(index: Int, [UInt8])

    func omits(_ field: OrderField) -> Bool {
        if case .omit(let omitted) = self { return omitted == field }
        return false
    }

    /// The text that replaces `field`'s value, if any.
    func replacement(_ field: OrderField) -> [UInt8]? {
        if case .replace(let replaced, let text) = self, replaced == field { return text }
        return nil
    }

    /// The text that replaces the item at `index`, if any.
    func itemReplacement(_ index: Int) -> [UInt8]? {
        if case .replaceItem(let replaced, let text) = self, replaced == index { return text }
        return nil
    }

    /// The text that replaces the quantity of the item at `index`, if any.
    func quantityReplacement(_ index: Int) -> [UInt8]? {
        if case .replaceItemQuantity(let replaced, let text) = self, replaced == index {
            return text
        }
        return nil
    }
}

/// The order fields a defect can touch.
enum OrderField {
    case orderId, timestamp, total
}
