/// A deliberate defect in one transaction line: a field left out, or its value replaced by
/// other JSON text (or by text that is no JSON at all, such as Python's `NaN`).
enum TransactionDamage {
    case none
    case omit(TransactionField)
    /// The field's value written as this text, as is.
    case replace(TransactionField, [UInt8])

    func omits(_ field: TransactionField) -> Bool {
        if case .omit(let omitted) = self { return omitted == field }
        return false
    }

    /// The text that replaces `field`'s value, if any.
    func replacement(_ field: TransactionField) -> [UInt8]? {
        if case .replace(let replaced, let text) = self, replaced == field { return text }
        return nil
    }
}

/// The fields a defect can touch.
enum TransactionField {
    case transactionId, userId, amount, quantity, timestamp
}
