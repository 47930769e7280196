/// The transactions' late and malformed lines. The order of the draws from `random` is part of
/// the output: changing it changes every generated file after the first fault.
extension TransactionSource {
    /// A plausible purchase by a random user, with a fresh id, to be made late or malformed.
    func syntheticEvent(atMicros micros: Int64, random: inout RandomSource) -> Transaction {
        let user = random.below(customers.count)
        return TransactionSource.purchase(
            user: user, customer: customers[user], micros: micros, random: &random)
    }

    func appendMalformed(
        nearMicros micros: Int64, random: inout RandomSource, to line: inout [UInt8]
    ) -> MalformedLine<Transaction> {
        let kinds = TransactionMalformedKind.allCases
        let kind = kinds[random.below(kinds.count)]
        var transaction = syntheticEvent(atMicros: micros, random: &random)
        if kind == .futureTimestamp {
            let day = EventTime.floorDivide(transaction.timeMicros, EventTime.microsPerDay)
            let inDay = transaction.timeMicros - day * EventTime.microsPerDay
            transaction.timeMicros =
                EventTime.days(year: 2099, month: 1, day: 29)
                * EventTime.microsPerDay + inDay
        }
        serializer.append(transaction, damage: damage(kind, transaction, &random), to: &line)
        reshape(&line, kind, random: &random)
        return kind == .futureTimestamp
            ? .parsed(transaction) : .unparseable(reason: kind.reason)
    }

    private func damage(
        _ kind: TransactionMalformedKind, _ transaction: Transaction,
        _ random: inout RandomSource
    ) -> TransactionDamage {
        func pick(_ texts: [String]) -> [UInt8] { Array(texts[random.below(texts.count)].utf8) }
        switch kind {
        case .nanAmount: return .replace(.amount, Array("NaN".utf8))
        case .missingTransactionId: return .omit(.transactionId)
        case .missingUserId: return .omit(.userId)
        case .missingAmount: return .omit(.amount)
        case .missingTimestamp: return .omit(.timestamp)
        case .objectAmount:
            var writer = JSONObjectWriter(spacing: .python)
            writer.open()
            writer.key("value")
            writer.amount(cents: Int64(transaction.amountCents))
            writer.key("currency")
            writer.string(Array("EUR".utf8))
            writer.close()
            return .replace(.amount, writer.out)
        case .textAmount: return .replace(.amount, pick(TransactionMalformedKind.amountTexts))
        case .fractionalQuantity: return .replace(.quantity, Array("2.5".utf8))
        case .textQuantity: return .replace(.quantity, pick(TransactionMalformedKind.quantityTexts))
        case .unreadableTimestamp:
            var text = [UInt8(ascii: "\"")]
            text += pick(TransactionMalformedKind.unreadableTimestamps)
            text.append(UInt8(ascii: "\""))
            return .replace(.timestamp, text)
        case .epochTimestamp:
            // `time.time()`: seconds since 1970 as a float with microseconds.
            let seconds = EventTime.floorDivide(transaction.timeMicros, EventTime.microsPerSecond)
            var text = Array(String(seconds).utf8)
            text.append(UInt8(ascii: "."))
            EventTime.appendDigits(
                transaction.timeMicros - seconds * EventTime.microsPerSecond, count: 6, to: &text)
            return .replace(.timestamp, text)
        case .truncatedObject, .garbageText, .jsonArray, .futureTimestamp:
            return .none
        }
    }

    /// Turns the serialized line into the broken JSON that `kind` calls for.
    private func reshape(
        _ line: inout [UInt8], _ kind: TransactionMalformedKind, random: inout RandomSource
    ) {
        switch kind {
        case .truncatedObject: BrokenLine.truncate(&line)
        case .garbageText: BrokenLine.garbage(&line, from: TransactionMalformedKind.garbage, random: &random)
        case .jsonArray: BrokenLine.wrapInArray(&line)
        default:
            break
        }
    }
}
