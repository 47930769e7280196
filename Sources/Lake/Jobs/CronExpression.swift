/// Checks the 5-field cron expressions of job schedules (minute, hour, day of month, month,
/// day of week): `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and lists of those.
enum CronExpression {
    private static let fieldRanges: [ClosedRange<Int>] = [0...59, 0...23, 1...31, 1...12, 0...7]

    static func isValid(_ text: String) -> Bool {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == fieldRanges.count else { return false }
        return zip(fields, fieldRanges).allSatisfy { field, range in
            field.split(separator: ",", omittingEmptySubsequences: false).allSatisfy {
                isValidItem($0, range)
            }
        }
    }

    private static func isValidItem(_ item: Substring, _ range: ClosedRange<Int>) -> Bool {
        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        if parts.count == 2 {
            guard let step = Int(parts[1]), step > 0, step <= range.upperBound else {
                return false
            }
        }
        if parts[0] == "*" { return true }
        let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(bounds.count) else { return false }
        guard bounds.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return false }
        let numbers = bounds.compactMap { Int($0) }
        guard numbers.count == bounds.count, numbers.allSatisfy(range.contains) else {
            return false
        }
        return numbers.count == 1 || numbers[0] <= numbers[1]
    }
}
