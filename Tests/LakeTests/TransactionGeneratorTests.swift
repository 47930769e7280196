import Foundation
import Testing

@testable import Lake

/// `lake generate --job transactions` (SPEC §12, seed 004), read back with JSONSerialization
/// and plain text checks, not with the generator's own types.
@Suite struct TransactionGeneratorTests {
    static let keys: Set<String> = [
        "transaction_id", "user_id", "city", "category", "amount", "quantity",
        "payment_method", "timestamp",
    ]

    func generate(
        _ configure: (inout GeneratorOptions) -> Void = { _ in }
    ) throws -> (manifest: GeneratorManifest, folder: String, bytes: [UInt8]) {
        var options = GeneratorOptions(
            job: .transactions, outputDirectory: try makeTemporaryFolder("gen-tx"))
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

    /// The value of `key` as written in the line (`249.9`, `"Roma"`), up to the next `,`/`}`.
    func rawValue(_ key: String, in line: String) -> Substring? {
        guard let range = line.range(of: "\"\(key)\": ") else { return nil }
        let rest = line[range.upperBound...]
        return rest.prefix { $0 != "," && $0 != "}" }
    }

    /// A naive `YYYY-MM-DDTHH:MM:SS[.ffffff]` timestamp as microseconds (read as UTC), or nil
    /// when it is not in exactly the form Python's `datetime.isoformat()` writes.
    func naiveMicros(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard text.count == 19 || text.count == 26, parts.count <= 2,
            text.dropFirst(10).first == "T", !text.contains("Z"), !text.contains("+"),
            let seconds = EventTime.parse(String(parts[0]))
        else { return nil }
        var micros = seconds * 1000
        if parts.count == 2 {
            guard parts[1].count == 6, parts[1].allSatisfy(\.isNumber),
                let fraction = Int64(parts[1]), fraction > 0
            else { return nil }
            micros += fraction
        }
        return micros
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
        #expect(first.manifest.job == "transactions")
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
        }
        let split = try generate {
            $0.eventCount = 5000
            $0.duplicateRate = 0.05
            $0.fileCount = 4
        }
        #expect(split.manifest.files.count == 4)
        #expect(split.manifest.files.allSatisfy { $0.lines > 1000 })
        #expect(whole.bytes == split.bytes)
        #expect(whole.manifest.accepted == split.manifest.accepted)
    }

    @Test func cleanLinesHaveTheProducersShape() throws {
        let result = try generate()
        let all = lines(result.bytes)
        #expect(all.count == 20_000 && result.manifest.lines == 20_000)
        var ids = Set<String>()
        var cities = Set<String>()
        var categories = Set<String>()
        var methods = Set<String>()
        var users = Set<String>()
        for line in all {
            // Python's json.dumps: its separators, and non-ASCII escaped.
            #expect(line.hasPrefix("{\"transaction_id\": \"") && line.hasSuffix("}"))
            #expect(line.utf8.allSatisfy { $0 < 0x80 }, "\(line)")
            let event = try #require(object(line), "not a JSON object: \(line)")
            #expect(Set(event.keys) == TransactionGeneratorTests.keys)
            let id = try #require(event["transaction_id"] as? String)
            #expect(isVersion4UUID(id), "\(id)")
            ids.insert(id)
            let user = try #require(event["user_id"] as? String)
            let number = try #require(Int(user.dropFirst("USER_".count)))
            #expect(user.hasPrefix("USER_") && (100...999).contains(number), "\(user)")
            users.insert(user)
            cities.insert(try #require(event["city"] as? String))
            categories.insert(try #require(event["category"] as? String))
            methods.insert(try #require(event["payment_method"] as? String))
            try checkAmount(event, line)
            try checkQuantity(event, line)
            let timestamp = try #require(event["timestamp"] as? String)
            #expect(naiveMicros(timestamp) != nil, "\(timestamp)")
        }
        #expect(ids.count == all.count)
        #expect(cities.count == 6 && cities.contains("Kraków"))
        #expect(categories.count == 6 && methods.count == 4)
        #expect(users.count > 850)
    }

    func isVersion4UUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if !Array("0123456789abcdef".utf8).contains(byte) {
                return false
            }
        }
        return bytes[14] == UInt8(ascii: "4") && Array("89ab".utf8).contains(bytes[19])
    }

    /// 10.00–500.00, written with at most two decimals (`249.9`, `249.99`, `250.0`).
    func checkAmount(_ event: [String: Any], _ line: String) throws {
        let amount = try #require(event["amount"] as? Double)
        #expect((10...500).contains(amount), "\(amount)")
        let raw = try #require(rawValue("amount", in: line))
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 2 && (1...2).contains(parts[1].count), "amount \(raw)")
        #expect(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }, "amount \(raw)")
    }

    /// 1–5, written as an integer.
    func checkQuantity(_ event: [String: Any], _ line: String) throws {
        let raw = try #require(rawValue("quantity", in: line))
        let quantity = try #require(Int(raw), "quantity \(raw)")
        #expect((1...5).contains(quantity))
        #expect((event["quantity"] as? Int) == quantity)
    }

    @Test func timestampsOnlyGoBackWithinTheJitterAtAboutOneASecond() throws {
        let result = try generate { $0.jitterSeconds = 30 }
        var maxMicros: Int64 = 0
        var times: [Int64] = []
        for line in lines(result.bytes) {
            let event = try #require(object(line))
            let text = try #require(event["timestamp"] as? String)
            let micros = try #require(naiveMicros(text))
            #expect(micros >= maxMicros - 30_000_000, "\(line)")
            maxMicros = max(maxMicros, micros)
            times.append(micros)
        }
        let start = try #require(EventTime.parse(GeneratorOptions.defaultStart)) * 1000
        let spanSeconds = Double(maxMicros - start) / 1e6
        // One a second, plus the bursts' extra purchases (about 8%).
        #expect((17_000...20_500).contains(spanSeconds), "span \(spanSeconds) s")
        #expect(times.min().map { $0 > start } == true)
        #expect(times != times.sorted(), "jitter reorders some lines")
    }

    @Test func someUsersBuyInBursts() throws {
        let result = try generate()
        var timesByUser: [String: [Int64]] = [:]
        for line in lines(result.bytes) {
            let event = try #require(object(line))
            let user = try #require(event["user_id"] as? String)
            let text = try #require(event["timestamp"] as? String)
            timesByUser[user, default: []].append(try #require(naiveMicros(text)))
        }
        let window: Int64 = 5 * 60 * 1_000_000
        let bursting = timesByUser.values.filter { times in
            let sorted = times.sorted()
            return sorted.indices.dropLast(3).contains { sorted[$0 + 3] - sorted[$0] < window }
        }
        // About 2% of ~18,500 purchases start a burst; chance alone adds a few more.
        #expect((200...700).contains(bursting.count), "\(bursting.count) bursting users")
    }

    @Test func usersCapsTheUserIds() throws {
        let result = try generate {
            $0.eventCount = 3000
            $0.userCount = 50
        }
        var users = Set<String>()
        for line in lines(result.bytes) {
            users.insert(try #require(object(line)?["user_id"] as? String))
        }
        #expect(users == Set((100..<150).map { "USER_\($0)" }))
        var options = GeneratorOptions(job: .transactions, outputDirectory: "/nonexistent")
        #expect(options.userCount == 900 && options.problem == nil)
        options.userCount = 901
        #expect(options.problem?.contains("--users") == true)
        #expect(GeneratorOptions(outputDirectory: "/nonexistent").userCount == 1000)
    }

    @Test func malformedLinesCoverEveryReason() throws {
        let result = try generate {
            $0.eventCount = 3000
            $0.malformedRate = 0.5
        }
        let all = lines(result.bytes)
        let badJSON = all.filter { object($0) == nil }.count
        #expect(badJSON == result.manifest.quarantined["bad_json"])
        let reasons = Set(TransactionMalformedKind.allCases.map(\.reason))
        #expect(Set(result.manifest.quarantined.keys) == reasons)
        let text = all.joined(separator: "\n")
        for fragment in [
            "\"amount\": NaN", "\"amount\": {\"value\": ", "\"quantity\": 2.5",
            "\"timestamp\": \"2099-01-29T", "Traceback",
        ] {
            #expect(text.contains(fragment), "\(fragment)")
        }
    }

    /// Reads the files as silver would under `jobs/transactions.toml` and checks that an
    /// `OutcomeModel` fed from the bytes gives the manifest's counts; exact copies of earlier
    /// readable lines are the duplicates (a clean line is never late: the jitter is below the
    /// delay).
    @Test(arguments: [30.0, 599.0])
    func manifestMatchesAnIndependentReading(jitterSeconds: Double) throws {
        let result = try generate {
            $0.userCount = 40
            $0.jitterSeconds = jitterSeconds
            $0.duplicateRate = 0.2
            $0.lateRate = 0.1
            $0.malformedRate = 0.1
            $0.fileCount = 3
        }
        var model = OutcomeModel<String>()
        let ingestedMicros = try #require(EventTime.parse("2090-01-01")) * 1000
        var seen = Set<String>()
        var repeats = 0
        for line in lines(result.bytes) {
            switch silverReading(line) {
            case .failure(let reason):
                model.malformed(reason: reason.text)
            case .success(let record):
                if !seen.insert(line).inserted { repeats += 1 }
                model.record(
                    key: record.id, eventMicros: record.micros,
                    eventType: record.category, ingestedMicros: ingestedMicros)
            }
        }
        let manifest = result.manifest
        #expect(model.acceptedCount == manifest.accepted && manifest.accepted == 20_000)
        #expect(model.duplicateCount == manifest.duplicates)
        #expect(repeats == manifest.duplicates)
        #expect(model.quarantined == manifest.quarantined)
        #expect(model.eventTypes == manifest.eventTypes)
        #expect(manifest.duplicates > 3000 && manifest.late > 1000)
        #expect(manifest.accepted + manifest.duplicates + model.quarantinedCount == manifest.lines)
    }

    struct Reason: Error { var text: String }

    /// The record silver would read from `line`, or the reason it would quarantine it: fields
    /// in the job's column order, the first problem wins.
    func silverReading(
        _ line: String
    ) -> Result<(id: String, micros: Int64, category: String), Reason> {
        guard let event = object(line) else { return .failure(Reason(text: "bad_json")) }
        func present(_ key: String) -> Any? { event[key] is NSNull ? nil : event[key] }
        for key in ["transaction_id", "user_id"] where present(key) == nil {
            return .failure(Reason(text: "missing_field:\(key)"))
        }
        guard present("amount") != nil else {
            return .failure(Reason(text: "missing_field:amount"))
        }
        guard number(present("amount")) != nil else {
            return .failure(Reason(text: "bad_type:amount"))
        }
        if let quantity = present("quantity") {
            guard let value = number(quantity), value == value.rounded() else {
                return .failure(Reason(text: "bad_type:quantity"))
            }
        }
        guard let timestamp = present("timestamp") else {
            return .failure(Reason(text: "missing_field:timestamp"))
        }
        guard let text = timestamp as? String else {
            return .failure(Reason(text: "bad_type:timestamp"))
        }
        guard let micros = naiveMicros(text) else {
            return .failure(Reason(text: "bad_timestamp"))
        }
        guard let id = event["transaction_id"] as? String,
            let category = event["category"] as? String
        else { return .failure(Reason(text: "bad_type:transaction_id")) }
        return .success((id, micros, category))
    }

    /// A JSON number, or a string that is one (silver's `double` and `int64` accept both).
    func number(_ value: Any?) -> Double? {
        if let text = value as? String { return Double(text) }
        if value is [String: Any] || value is [Any] { return nil }
        return (value as? NSNumber)?.doubleValue
    }
}

@Suite struct TransactionFormatTests {
    @Test(
        arguments: [
            (1_769_681_702_123_456, "2026-01-29T10:15:02.123456"),
            (1_769_681_702_000_001, "2026-01-29T10:15:02.000001"),
            (1_769_681_702_000_000, "2026-01-29T10:15:02"),
            (0, "1970-01-01T00:00:00"),
        ] as [(Int64, String)])
    func naiveTimestampsAreWrittenAsPythonsIsoformat(micros: Int64, text: String) {
        var bytes: [UInt8] = []
        EventTime.appendNaive(micros: micros, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == text)
    }

    @Test(
        arguments: [
            (24_999, "249.99"), (24_990, "249.9"), (25_000, "250.0"), (1_000, "10.0"),
            (1_005, "10.05"), (50_000, "500.0"),
        ] as [(Int64, String)])
    func amountsHaveAtMostTwoDecimals(cents: Int64, text: String) {
        var writer = JSONObjectWriter()
        writer.amount(cents: cents)
        #expect(String(decoding: writer.out, as: UTF8.self) == text)
    }

    @Test func namesAreEscapedAsPythonDoes() {
        let literal = { (text: String) in
            String(decoding: JSONObjectWriter.asciiLiteral(text), as: UTF8.self)
        }
        #expect(literal("Kraków") == "\"Krak\\u00f3w\"")
        #expect(literal("Home & Garden") == "\"Home & Garden\"")
        #expect(literal("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(literal("😀") == "\"\\ud83d\\ude00\"")
    }

    @Test func manifestTimesKeepTheJobsResolution() {
        let micros: Int64 = 1_769_715_948_011_250
        #expect(EventTime.iso(micros: micros, fractionDigits: 3) == "2026-01-29T19:45:48.011Z")
        #expect(EventTime.iso(micros: micros, fractionDigits: 6) == "2026-01-29T19:45:48.011250Z")
    }
}
