import Foundation
import Testing

@testable import Lake

/// `lake generate --job orders` (SPEC §12, seed 000), read back with JSONSerialization,
/// Foundation's calendar in `Europe/Rome` and plain text checks, not with the generator's own
/// types.
@Suite struct OrderGeneratorTests {
    static let keys = [
        "order_id", "timestamp", "items", "customer", "currency", "total", "duration_session",
    ]
    static let domains = [
        "example.it", "mail.example.com", "example.com", "posta.example.net", "example.org",
    ]
    /// Foundation's calendar in the shop's zone: the reading the tests trust.
    let rome: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Rome") ?? .gmt
        return calendar
    }()

    func generate(
        _ configure: (inout GeneratorOptions) -> Void = { _ in }
    ) throws -> (manifest: GeneratorManifest, folder: String, bytes: [UInt8]) {
        var options = GeneratorOptions(
            job: .orders, outputDirectory: try makeTemporaryFolder("gen-orders"))
        options.eventCount = 20_000
        configure(&options)
        let manifest = try EventGenerator(options: options).run()
        var bytes: [UInt8] = []
        for file in manifest.files {
            let path = options.outputDirectory + "/" + file.name
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(data.count == file.bytes, "\(file.name) size")
            bytes.append(contentsOf: data)
        }
        return (manifest, options.outputDirectory, bytes)
    }

    func lines(_ bytes: [UInt8]) -> [String] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
            .map { String(decoding: $0, as: UTF8.self) }
    }

    func object(_ line: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    /// A JSON number as cents, or nil when it is no number or has more than two decimals.
    func cents(_ value: Any?) -> Int64? {
        guard let number = value as? NSNumber, !(value is String) else { return nil }
        let cents = (number.doubleValue * 100).rounded()
        guard abs(cents - number.doubleValue * 100) < 1e-6 else { return nil }
        return Int64(cents)
    }

    @Test func sameArgumentsGiveIdenticalBytes() throws {
        let configure = { (options: inout GeneratorOptions) in
            options.duplicateRate = 0.02
            options.lateRate = 0.01
            options.malformedRate = 0.02
            options.fileCount = 3
        }
        let first = try generate(configure)
        let second = try generate(configure)
        #expect(first.bytes == second.bytes)
        let manifestBytes = { (folder: String) in
            try Data(contentsOf: URL(fileURLWithPath: folder + "/.manifest.json"))
        }
        #expect(try manifestBytes(first.folder) == manifestBytes(second.folder))
        #expect(first.manifest.job == "orders")
        let other = try generate {
            configure(&$0)
            $0.seed = 43
        }
        #expect(other.bytes != first.bytes)
    }

    @Test func filesAreConsecutivePiecesOfOneStream() throws {
        let whole = try generate {
            $0.eventCount = 5000
            $0.duplicateRate = 0.05
            $0.malformedRate = 0.02
        }
        let split = try generate {
            $0.eventCount = 5000
            $0.duplicateRate = 0.05
            $0.malformedRate = 0.02
            $0.fileCount = 4
        }
        #expect(split.manifest.files.count == 4)
        #expect(split.manifest.files.allSatisfy { $0.lines > 1000 })
        #expect(whole.bytes == split.bytes)
        #expect(whole.manifest.accepted == split.manifest.accepted)
    }

    @Test func cleanLinesHaveTheHooksShape() throws {
        let result = try generate()
        let all = lines(result.bytes)
        #expect(all.count == 20_000 && result.manifest.lines == 20_000)
        var ids = Set<Int>()
        var unitPrices: [String: Int64] = [:]
        var firstNameByEmail: [String: String] = [:]
        for line in all {
            // PHP's json_encode: no spaces, non-ASCII escaped, keys in the hook's order.
            #expect(line.hasPrefix("{\"order_id\":") && line.hasSuffix("}"), "\(line)")
            #expect(line.utf8.allSatisfy { $0 < 0x80 }, "\(line)")
            #expect(!line.contains("\": ") && !line.contains(", \""), "\(line)")
            let order = try #require(object(line), "not a JSON object: \(line)")
            #expect(Set(order.keys) == Set(OrderGeneratorTests.keys))
            let positions = OrderGeneratorTests.keys.map {
                line.range(of: "\"\($0)\":", options: .backwards)?.lowerBound
            }
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
            ids.insert(try #require(order["order_id"] as? Int))
            let timestamp = try #require(order["timestamp"] as? String)
            #expect(romeInstant(timestamp) != nil, "\(timestamp)")
            #expect(order["currency"] as? String == "EUR")
            let total = try checkItems(order, line, unitPrices: &unitPrices)
            #expect(cents(order["total"]) == total, "\(line)")
            try checkCustomer(order, firstNameByEmail: &firstNameByEmail)
            let duration = try #require(order["duration_session"] as? Int)
            #expect((5...3600).contains(duration), "\(duration)")
        }
        #expect(ids == Set(10_001...30_000))
        #expect(unitPrices.count >= 35, "\(unitPrices.count) products")
        #expect(firstNameByEmail.count > 1500 && firstNameByEmail.count <= 2000)
    }

    /// 1–5 items of distinct products, quantity 1–5, each total the product's one unit price
    /// times the quantity; returns the sum of the item totals in cents.
    func checkItems(
        _ order: [String: Any], _ line: String, unitPrices: inout [String: Int64]
    ) throws -> Int64 {
        let items = try #require(order["items"] as? [[String: Any]], "\(line)")
        #expect((1...5).contains(items.count))
        var sum: Int64 = 0
        var names = Set<String>()
        for item in items {
            #expect(Set(item.keys) == ["product_name", "quantity", "total"])
            let name = try #require(item["product_name"] as? String)
            names.insert(name)
            let quantity = try #require(item["quantity"] as? Int)
            #expect((1...5).contains(quantity))
            let total = try #require(cents(item["total"]), "\(line)")
            #expect(total % Int64(quantity) == 0)
            let unit = total / Int64(quantity)
            #expect(unitPrices[name, default: unit] == unit, "\(name) has two prices")
            unitPrices[name] = unit
            sum += total
        }
        #expect(names.count == items.count, "a product twice in \(line)")
        return sum
    }

    /// `<first>.<last>[NN]@<example domain>`, lower-case ASCII, the first part the first name
    /// without accents; every address always with the same first name.
    func checkCustomer(
        _ order: [String: Any], firstNameByEmail: inout [String: String]
    ) throws {
        let customer = try #require(order["customer"] as? [String: Any])
        #expect(Set(customer.keys) == ["first_name", "email"])
        let firstName = try #require(customer["first_name"] as? String)
        let email = try #require(customer["email"] as? String)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        #expect(parts.count == 2 && OrderGeneratorTests.domains.contains(String(parts[1])))
        let names = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        #expect(names.count == 2 && names[0].allSatisfy { ("a"..."z").contains($0) })
        let last = names.last ?? ""
        let digits = last.reversed().prefix { $0.isNumber }.count
        #expect(digits == 0 || digits == 2, "\(email)")
        #expect(last.dropLast(digits).allSatisfy { ("a"..."z").contains($0) }, "\(email)")
        let folded = firstName.folding(
            options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
        #expect(email.hasPrefix(folded.lowercased() + "."), "\(firstName) \(email)")
        #expect(firstNameByEmail[email, default: firstName] == firstName)
        firstNameByEmail[email] = firstName
    }

    @Test func namesAreEscapedAsPHPDoes() throws {
        let result = try generate { $0.eventCount = 5000 }
        let text = String(decoding: result.bytes, as: UTF8.self)
        #expect(text.contains("\"product_name\":\"Caff\\u00e8 in grani Arabica 1kg\""))
        #expect(text.contains("\"product_name\":\"Cavo USB-C\\/Lightning 1m\""))
        #expect(text.contains("\"first_name\":\"Nicol\\u00f2\""))
        #expect(text.contains("\"product_name\":\"Monitor 27\\\" 4K\""))
        var names = Set<String>()
        for line in lines(result.bytes) {
            for item in try #require(object(line)?["items"] as? [[String: Any]]) {
                names.insert(try #require(item["product_name"] as? String))
            }
        }
        #expect(names.contains("Caffè in grani Arabica 1kg"))
        #expect(names.contains("Cavo USB-C/Lightning 1m"))
        #expect(names.contains("Monitor 27\" 4K"))
    }

    /// Most orders are standard, some over 150 (High Spender), a few over 500 (High Demand);
    /// the manifest counts accepted orders by spender type.
    @Test func totalsReachEverySegment() throws {
        let result = try generate()
        var totals: [Int64] = []
        for line in lines(result.bytes) {
            totals.append(try #require(cents(object(line)?["total"])))
        }
        let count = Double(totals.count)
        let high = Double(totals.filter { $0 > 15_000 }.count) / count
        let demand = Double(totals.filter { $0 > 50_000 }.count) / count
        #expect((0.12...0.35).contains(high), "\(high) over 150")
        #expect((0.01...0.06).contains(demand), "\(demand) over 500")
        #expect(totals.sorted()[totals.count / 2] < 10_000, "median")
        let types = result.manifest.eventTypes
        #expect(types["High Spender"] == totals.filter { $0 > 15_000 }.count)
        #expect(types["Standard Spender"] == totals.filter { $0 <= 15_000 }.count)
    }

    /// About 60% quick buyers around a minute and 40% careful ones around a quarter of an
    /// hour: a two-means clustering finds both.
    @Test func sessionDurationsHaveTwoModes() throws {
        let result = try generate()
        var durations: [Double] = []
        for line in lines(result.bytes) {
            durations.append(Double(try #require(object(line)?["duration_session"] as? Int)))
        }
        #expect(durations.min().map { $0 >= 5 } == true)
        #expect(durations.max().map { $0 <= 3600 } == true)
        var centers = [durations.min() ?? 0, durations.max() ?? 0]
        var shareLow = 0.0
        for _ in 0..<50 {
            let low = durations.filter { abs($0 - centers[0]) <= abs($0 - centers[1]) }
            let high = durations.filter { abs($0 - centers[0]) > abs($0 - centers[1]) }
            centers = [
                low.reduce(0, +) / Double(low.count), high.reduce(0, +) / Double(high.count),
            ]
            shareLow = Double(low.count) / Double(durations.count)
        }
        #expect((40...120).contains(centers[0]), "quick center \(centers[0])")
        #expect((700...1100).contains(centers[1]), "careful center \(centers[1])")
        #expect((0.55...0.70).contains(shareLow), "quick share \(shareLow)")
    }

    /// Order ids count up from 10001 in generation order; a repeated id is an exact copy of an
    /// earlier line (a duplicate, or late when the night's few orders let the watermark pass
    /// the original first), never another order.
    @Test func idsAreUniqueApartFromDuplicates() throws {
        let result = try generate {
            $0.duplicateRate = 0.05
            $0.lateRate = 0.02
            $0.malformedRate = 0.05
        }
        var lineById: [Int: String] = [:]
        var repeats = 0
        for line in lines(result.bytes) {
            guard let id = object(line)?["order_id"] as? Int else { continue }
            if let earlier = lineById[id] {
                #expect(earlier == line, "order \(id) twice with different lines")
                repeats += 1
            }
            lineById[id] = line
        }
        let manifest = result.manifest
        #expect(repeats >= manifest.duplicates && repeats <= manifest.duplicates + manifest.late)
        #expect(manifest.duplicates > 800)
        #expect(lineById.keys.min() == 10_001)
        // Only malformed lines without a readable id leave gaps.
        let generated = lineById.keys.max().map { $0 - 10_000 } ?? 0
        #expect(generated - lineById.count <= result.manifest.quarantined.values.reduce(0, +))
    }

    @Test func idsFollowTheOrdersTime() throws {
        let result = try generate { $0.jitterSeconds = 0 }
        var previous: (id: Int, instant: Date)?
        for line in lines(result.bytes) {
            let order = try #require(object(line))
            let id = try #require(order["order_id"] as? Int)
            let text = try #require(order["timestamp"] as? String)
            let instant = try #require(romeInstant(text))
            if let previous {
                #expect(id == previous.id + 1 && instant >= previous.instant, "\(line)")
            }
            previous = (id, instant)
        }
    }

    /// Timestamps are the shop's local time in Europe/Rome, summer time included: read back in
    /// that zone they never jump by the hour at the change to summer time, and no text falls in
    /// the hour the clocks skip.
    @Test func timestampsAreRomeLocalTimeAcrossSummerTime() throws {
        let result = try generate {
            $0.start = "2026-03-26T00:00:00Z"
            $0.eventCount = 30_000
        }
        var maxInstant = Date.distantPast
        var minInstant = Date.distantFuture
        var summer = 0
        for line in lines(result.bytes) {
            let text = try #require(object(line)?["timestamp"] as? String)
            #expect(text.wholeMatch(of: try Regex(#"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"#)) != nil)
            #expect(!text.hasPrefix("2026-03-29 02:"), "\(text) does not exist in Rome")
            let instant = try #require(romeInstant(text))
            #expect(instant >= maxInstant.addingTimeInterval(-30), "\(text) goes back")
            maxInstant = max(maxInstant, instant)
            minInstant = min(minInstant, instant)
            if instant > Date(timeIntervalSince1970: 1_774_746_000) { summer += 1 }
        }
        #expect(summer > 10_000, "the stream runs into summer time")
        #expect(result.manifest.eventTimeMin == iso(minInstant))
        #expect(result.manifest.eventTimeMax == iso(maxInstant))
    }

    /// Every order's timestamp is what Foundation's formatter in Europe/Rome writes for the
    /// order's instant, through both changes of 2026; in the hour the clocks repeat in October
    /// the instant silver reads back is the earlier one.
    @Test(arguments: ["2026-03-28T20:00:00Z", "2026-10-24T20:00:00Z"])
    func timestampsAreTheLocalTimeOfTheOrdersInstant(start: String) throws {
        let clock = try #require(ShopClock(identifier: "Europe/Rome"))
        let startMillis = try #require(EventTime.parse(start))
        var source = OrderSource(
            startMicros: startMillis * 1000, userCount: 100, clock: clock,
            random: RandomSource(seed: 7, stream: 1))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Rome")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var folded = 0
        var line: [UInt8] = []
        for _ in 0..<4000 {
            let order = source.next()
            line.removeAll()
            source.append(order, to: &line)
            let fields = object(String(decoding: line, as: UTF8.self))
            let text = try #require(fields?["timestamp"] as? String)
            let instant = Date(timeIntervalSince1970: Double(order.orderMicros) / 1e6)
            #expect(text == formatter.string(from: instant))
            let readBack = try #require(romeInstant(text))
            #expect(Double(order.timeMicros) / 1e6 == readBack.timeIntervalSince1970)
            if order.timeMicros != order.orderMicros {
                #expect(order.orderMicros - order.timeMicros == 3_600_000_000)
                folded += 1
            }
        }
        #expect(start.hasPrefix("2026-10") ? folded > 0 : folded == 0)
    }

    @Test func usersCapsTheCustomers() throws {
        let result = try generate {
            $0.eventCount = 3000
            $0.userCount = 50
        }
        var emails = Set<String>()
        for line in lines(result.bytes) {
            let customer = try #require(object(line)?["customer"] as? [String: Any])
            emails.insert(try #require(customer["email"] as? String))
        }
        #expect(emails.count == 50)
        var options = GeneratorOptions(job: .orders, outputDirectory: "/nonexistent")
        #expect(options.userCount == 2000 && options.problem == nil)
        options.userCount = 100_000
        #expect(options.problem == nil)
        options.userCount = 100_001
        #expect(options.problem?.contains("--users") == true)
    }

    @Test func malformedLinesCoverEveryReason() throws {
        let result = try generate {
            $0.eventCount = 3000
            $0.malformedRate = 0.5
        }
        let all = lines(result.bytes)
        let badJSON = all.filter { object($0) == nil }.count
        #expect(badJSON == result.manifest.quarantined["bad_json"])
        let reasons = Set(OrderMalformedKind.allCases.map(\.reason))
        #expect(Set(result.manifest.quarantined.keys) == reasons)
        #expect(reasons.isSuperset(of: ["bad_type:items[2].quantity", "bad_type:items[2]"]))
        let text = all.joined(separator: "\n")
        for fragment in [
            "\"quantity\":\"two\"", "\"quantity\":2.5", "\"items\":{\"0\":{", "\"total\":\"",
            "\"timestamp\":\"0000-00-00 00:00:00\"", "\"order_id\":\"WC-",
            "\"timestamp\":\"2099-01-29 ", "PHP Warning", "\n[{\"order_id\":",
        ] {
            #expect(text.contains(fragment), "\(fragment)")
        }
        var brokenItems = 0
        for line in all {
            guard let items = object(line)?["items"] as? [Any], items.count >= 3 else { continue }
            let third = items[2] as? [String: Any]
            if third == nil || third?["quantity"] is String || third?["quantity"] as? Int == nil {
                brokenItems += 1
            }
        }
        let itemReasons = result.manifest.quarantined.filter {
            $0.key.hasPrefix("bad_type:items[")
        }
        #expect(brokenItems == itemReasons.values.reduce(0, +) && brokenItems > 0)
    }

    /// Reads the files as silver would under SPEC §12's orders job and checks that an
    /// `OutcomeModel` fed from the bytes gives the manifest's counts; exact copies of earlier
    /// readable lines are the duplicates, or late when the original has fallen behind the
    /// watermark (copies follow a few lines later, and a line at night is minutes). Starting in October, the stream crosses the end of
    /// summer time: orders in the repeated hour read back an hour early and are late.
    @Test(arguments: [
        (30.0, GeneratorOptions.defaultStart), (599.0, GeneratorOptions.defaultStart),
        (30.0, "2026-10-24T12:00:00Z"),
    ])
    func manifestMatchesAnIndependentReading(jitterSeconds: Double, start: String) throws {
        let result = try generate {
            $0.userCount = 40
            $0.start = start
            $0.jitterSeconds = jitterSeconds
            $0.duplicateRate = 0.2
            $0.lateRate = 0.1
            $0.malformedRate = 0.1
            $0.fileCount = 3
        }
        var model = OutcomeModel<Int>()
        let ingestedMicros = try #require(EventTime.parse("2090-01-01")) * 1000
        var seen = Set<String>()
        var repeats = 0
        var lateRepeats = 0
        for line in lines(result.bytes) {
            switch silverReading(line) {
            case .failure(let reason):
                model.malformed(reason: reason.text)
            case .success(let record):
                let outcome = model.record(
                    key: record.id, eventMicros: record.micros, eventType: record.spenderType,
                    ingestedMicros: ingestedMicros)
                if !seen.insert(line).inserted {
                    repeats += 1
                    if outcome == .quarantined("late") { lateRepeats += 1 }
                    #expect(outcome == .duplicate || outcome == .quarantined("late"))
                }
            }
        }
        let manifest = result.manifest
        #expect(model.acceptedCount == manifest.accepted)
        #expect(model.duplicateCount == manifest.duplicates)
        #expect(repeats == manifest.duplicates + lateRepeats && lateRepeats < repeats / 10)
        #expect(model.quarantined == manifest.quarantined)
        #expect(model.eventTypes == manifest.eventTypes)
        #expect(manifest.duplicates > 3000 && manifest.late > 1000)
        #expect(manifest.accepted + manifest.duplicates + model.quarantinedCount == manifest.lines)
        if start == GeneratorOptions.defaultStart { #expect(manifest.accepted == 20_000) }
    }

    struct Reason: Error { var text: String }

    /// The record silver would read from `line`, or the reason it would quarantine it.
    func silverReading(
        _ line: String
    ) -> Result<(id: Int, micros: Int64, spenderType: String), Reason> {
        guard let order = object(line) else { return .failure(Reason(text: "bad_json")) }
        func present(_ key: String) -> Any? { order[key] is NSNull ? nil : order[key] }
        guard let idValue = present("order_id") else {
            return .failure(Reason(text: "missing_field:order_id"))
        }
        guard let id = integer(idValue) else {
            return .failure(Reason(text: "bad_type:order_id"))
        }
        guard let timestamp = present("timestamp") else {
            return .failure(Reason(text: "missing_field:timestamp"))
        }
        guard let text = timestamp as? String else {
            return .failure(Reason(text: "bad_type:timestamp"))
        }
        guard let instant = romeInstant(text) else {
            return .failure(Reason(text: "bad_timestamp"))
        }
        guard let total = cents(present("total")) else {
            return .failure(Reason(text: "bad_type:total"))
        }
        guard let items = present("items") as? [Any] else {
            return .failure(Reason(text: "bad_type:items"))
        }
        for (index, element) in items.enumerated() {
            guard let item = element as? [String: Any] else {
                return .failure(Reason(text: "bad_type:items[\(index)]"))
            }
            guard integer(item["quantity"] as Any) != nil else {
                return .failure(Reason(text: "bad_type:items[\(index)].quantity"))
            }
        }
        let micros = Int64(instant.timeIntervalSince1970) * 1_000_000
        return .success((id, micros, total > 15_000 ? "High Spender" : "Standard Spender"))
    }

    /// A JSON integer, or a string that is one (silver's `int64` accepts both).
    func integer(_ value: Any) -> Int? {
        if let text = value as? String { return Int(text) }
        guard let number = value as? NSNumber, !(value is [Any]), !(value is [String: Any]),
            number.doubleValue == number.doubleValue.rounded()
        else { return nil }
        return number.intValue
    }

    /// `2026-01-29 19:55:12` read in Europe/Rome by Foundation's calendar (the earlier instant
    /// in the hour that occurs twice), or nil when the text is not in that form.
    func romeInstant(_ text: String) -> Date? {
        let pattern = #/(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)/#
        guard let match = text.wholeMatch(of: pattern),
            let month = Int(match.output.2), (1...12).contains(month),
            let day = Int(match.output.3), (1...31).contains(day),
            let hour = Int(match.output.4), hour < 24
        else { return nil }
        let components = DateComponents(
            year: Int(match.output.1), month: month, day: day, hour: hour,
            minute: Int(match.output.5), second: Int(match.output.6))
        return rome.date(from: components)
    }

    func iso(_ date: Date) -> String {
        EventTime.iso(micros: Int64(date.timeIntervalSince1970) * 1_000_000, fractionDigits: 3)
    }
}
