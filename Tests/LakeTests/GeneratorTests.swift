import Foundation
import Testing
@testable import Lake

/// A fresh folder under the system's temporary folder, removed when the test process exits
/// (tests read it after the call that made it returned, so no scope owns it).
func makeTemporaryFolder(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.path
        + "/lake-tests-\(label)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    TemporaryFolders.shared.add(path)
    return path
}

/// The folders tests made, removed at exit: each generator test leaves up to 11 MB, and a few
/// hundred `make test` runs filled a developer's /tmp with gigabytes.
final class TemporaryFolders: @unchecked Sendable {
    static let shared = TemporaryFolders()
    private let lock = NSLock()
    private var paths: [String] = []

    private init() {
        atexit { TemporaryFolders.shared.removeAll() }
    }

    func add(_ path: String) { lock.withLock { paths.append(path) } }

    func removeAll() {
        let all = lock.withLock { () -> [String] in
            defer { paths.removeAll() }
            return paths
        }
        for p in all { try? FileManager.default.removeItem(atPath: p) }
    }
}

@Suite struct GeneratorTests {
    /// Generates into a fresh folder and returns the manifest and the files' lines in order.
    func generate(
        _ configure: (inout GeneratorOptions) -> Void = { _ in }
    ) throws -> (manifest: GeneratorManifest, folder: String, bytes: [UInt8]) {
        var options = GeneratorOptions(outputDirectory: try makeTemporaryFolder("gen"))
        options.eventCount = 20_000
        options.userCount = 500
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

    func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
    }

    func object(_ line: ArraySlice<UInt8>) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
    }

    @Test func sameArgumentsGiveIdenticalBytes() throws {
        let first = try generate { $0.duplicateRate = 0.02; $0.malformedRate = 0.02 }
        let second = try generate { $0.duplicateRate = 0.02; $0.malformedRate = 0.02 }
        #expect(first.bytes == second.bytes)
        #expect(first.manifest == second.manifest)
        let manifestBytes = { (folder: String) in
            try Data(contentsOf: URL(fileURLWithPath: folder + "/.manifest.json"))
        }
        #expect(try manifestBytes(first.folder) == manifestBytes(second.folder))
    }

    @Test func differentSeedGivesDifferentBytes() throws {
        let first = try generate { $0.eventCount = 2000 }
        let second = try generate { $0.eventCount = 2000; $0.seed = 43 }
        #expect(first.bytes != second.bytes)
    }

    @Test func filesAreConsecutivePiecesOfOneStream() throws {
        let whole = try generate { $0.eventCount = 5000; $0.lateRate = 0.01 }
        let split = try generate { $0.eventCount = 5000; $0.lateRate = 0.01; $0.fileCount = 4 }
        #expect(split.manifest.files.map { $0.name } == [
            "events-00000.jsonl", "events-00001.jsonl", "events-00002.jsonl",
            "events-00003.jsonl",
        ])
        #expect(split.manifest.files.allSatisfy { $0.lines > 1000 })
        #expect(whole.bytes == split.bytes)
        #expect(whole.manifest.accepted == split.manifest.accepted)
    }

    @Test func manifestCountsAddUp() throws {
        let result = try generate {
            $0.duplicateRate = 0.03
            $0.lateRate = 0.02
            $0.malformedRate = 0.05
        }
        let manifest = result.manifest
        let quarantined = manifest.quarantined.values.reduce(0, +)
        #expect(manifest.accepted + manifest.duplicates + quarantined == manifest.lines)
        #expect(manifest.lines == lines(result.bytes).count)
        #expect(manifest.lines == manifest.files.reduce(0) { $0 + $1.lines })
        #expect(manifest.accepted == 20_000)
        #expect(manifest.late == manifest.quarantined["late"])
        #expect(manifest.eventTypes.values.reduce(0, +) == manifest.accepted)
        #expect((400...800).contains(manifest.duplicates), "\(manifest.duplicates)")
        #expect((250...550).contains(manifest.late), "\(manifest.late)")
        let reasons = Set(MalformedKind.allCases.map(\.reason)).union(["late"])
        #expect(Set(manifest.quarantined.keys) == reasons)
    }

    /// Reads the files back as silver would (JSONSerialization, not the generator's own event
    /// structs) and checks that an `OutcomeModel` fed from the bytes gives the manifest's counts.
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
        for line in lines(result.bytes) {
            switch silverReading(line) {
            case .failure(let reason):
                model.malformed(reason: reason.text)
            case .success(let record):
                model.record(key: record.id, eventMicros: record.millis * 1000,
                             eventType: record.type, ingestedMicros: ingestedMicros)
            }
        }
        let manifest = result.manifest
        #expect(model.acceptedCount == manifest.accepted)
        #expect(model.duplicateCount == manifest.duplicates)
        #expect(model.quarantined == manifest.quarantined)
        #expect(model.eventTypes == manifest.eventTypes)
        #expect(manifest.duplicates > 1000 && manifest.late > 1000)
    }

    struct Reason: Error { var text: String }

    /// The record silver would read from `line`, or the reason it would quarantine it.
    func silverReading(
        _ line: ArraySlice<UInt8>
    ) -> Result<(id: String, millis: Int64, type: String), Reason> {
        guard let event = object(line) else { return .failure(Reason(text: "bad_json")) }
        for key in ["eventId", "userId", "eventType", "timestamp"]
        where event[key] == nil || event[key] is NSNull {
            return .failure(Reason(text: "missing_field:\(key)"))
        }
        guard let text = event["timestamp"] as? String else {
            return .failure(Reason(text: "bad_type:timestamp"))
        }
        guard let millis = EventTime.parse(text) else {
            return .failure(Reason(text: "bad_timestamp"))
        }
        let price = (event["data"] as? [String: Any])?["price"]
        if let price = price as? String, Double(price) == nil {
            return .failure(Reason(text: "bad_type:data.price"))
        }
        guard let id = event["eventId"] as? String, let type = event["eventType"] as? String
        else { return .failure(Reason(text: "bad_type:eventId")) }
        return .success((id, millis, type))
    }

    @Test func cleanLinesAreValidEvents() throws {
        let result = try generate()
        #expect(result.manifest.lines == 20_000)
        #expect(result.manifest.quarantined.isEmpty)
        var sessions: [String: (purchased: Bool, carted: Bool)] = [:]
        for line in lines(result.bytes) {
            let event = try #require(object(line), "not a JSON object: \(line)")
            let type = try #require(event["eventType"] as? String)
            let session = try #require(event["sessionId"] as? String)
            #expect(event["eventId"] is String && event["userId"] is String)
            #expect(event["timestamp"] is String && event["device"] is [String: Any])
            let data = try #require(event["data"] as? [String: Any])
            #expect(data.count == 7)
            var state = sessions[session] ?? (false, false)
            if type == "PURCHASE" { state.purchased = true }
            if type == "ADD_TO_CART" { state.carted = true }
            sessions[session] = state
        }
        let count = Double(sessions.count)
        let purchased = Double(sessions.values.filter(\.purchased).count) / count
        let abandoned = Double(sessions.values.filter { $0.carted && !$0.purchased }.count) / count
        #expect((0.14...0.21).contains(purchased), "purchase share \(purchased)")
        #expect((0.20...0.30).contains(abandoned), "abandon share \(abandoned)")
    }

    @Test func purchaseTotalsAreTheCartedPrices() throws {
        let result = try generate { $0.eventCount = 5000 }
        var cartCents: [String: Int] = [:]
        var totalCents: [String: Int] = [:]
        for line in lines(result.bytes) {
            let event = try #require(object(line))
            let session = try #require(event["sessionId"] as? String)
            let data = try #require(event["data"] as? [String: Any])
            switch event["eventType"] as? String {
            case "ADD_TO_CART": cartCents[session, default: 0] += try cents(data["price"])
            case "PURCHASE": totalCents[session] = try cents(data["totalAmount"])
            default: break
            }
        }
        #expect(totalCents.count > 100)
        for (session, total) in totalCents {
            #expect(cartCents[session] == total, "session \(session)")
        }
    }

    func cents(_ value: Any?) throws -> Int {
        if let text = value as? String, let number = Double(text) {
            return Int((number * 100).rounded())
        }
        let number = try #require(value as? Double)
        return Int((number * 100).rounded())
    }

    @Test func timestampsOnlyGoBackWithinTheJitter() throws {
        for jitter in [0.0, 30.0] {
            let result = try generate { $0.eventCount = 10_000; $0.jitterSeconds = jitter }
            var maxMillis: Int64 = 0
            var forms = Set<String>()
            for line in lines(result.bytes) {
                let event = try #require(object(line))
                let text = try #require(event["timestamp"] as? String)
                let millis = try #require(EventTime.parse(text), "bad timestamp \(text)")
                // Whole-second timestamps drop up to 999 ms of the event's real time.
                let allowedMillis = Int64(jitter * 1000) + 999
                #expect(millis >= maxMillis - allowedMillis, "\(text) with jitter \(jitter)")
                maxMillis = max(maxMillis, millis)
                forms.insert(text.contains(" ") ? "space" : text.hasSuffix("+01:00")
                    ? "offset" : text.contains(".") ? "canonical" : "whole seconds")
            }
            #expect(forms.count == 4)
        }
    }

    @Test func malformedLinesCarryTheirReason() throws {
        let result = try generate { $0.eventCount = 3000; $0.malformedRate = 0.5 }
        var badJSON = 0
        for line in lines(result.bytes) where object(line) == nil {
            badJSON += 1
        }
        #expect(badJSON == result.manifest.quarantined["bad_json"])
        let text = String(decoding: result.bytes, as: UTF8.self)
        #expect(text.contains("\"timestamp\":\"yesterday\"") || text.contains("last tuesday"))
        #expect(text.contains("\"price\":\"abc\""))
        #expect(text.contains("\"timestamp\":\"2099-"))
    }

    @Test func existingFilesAreNotOverwrittenWithoutForce() throws {
        let first = try generate { $0.eventCount = 100 }
        var options = GeneratorOptions(outputDirectory: first.folder)
        options.eventCount = 100
        #expect(throws: LakeError.self) { try EventGenerator(options: options).run() }
        options.replaceExisting = true
        options.seed = 7
        let manifest = try EventGenerator(options: options).run()
        #expect(manifest.lines == 100)
    }

    static let invalidOptions: [(String, GeneratorOptions)] = {
        func options(_ change: (inout GeneratorOptions) -> Void) -> GeneratorOptions {
            var options = GeneratorOptions(outputDirectory: "/nonexistent")
            change(&options)
            return options
        }
        return [
            ("--events", options { $0.eventCount = -1 }),
            ("--users", options { $0.userCount = 0 }),
            ("--files", options { $0.fileCount = 0 }),
            ("--jitter", options { $0.jitterSeconds = 600 }),
            ("--late", options { $0.lateRate = 1.5 }),
            ("--start", options { $0.start = "tomorrow" }),
        ]
    }()

    @Test(arguments: invalidOptions)
    func invalidOptionsAreNamed(flag: String, options: GeneratorOptions) {
        #expect(options.problem?.contains(flag) == true, "\(options.problem ?? "no problem")")
    }
}

@Suite struct EventTimeTests {
    @Test(arguments: [
        ("2026-01-29T19:45:48.011Z", 1_769_715_948_011),
        ("2026-01-29 19:45:48.011", 1_769_715_948_011),
        ("2026-01-29T20:45:48.011+01:00", 1_769_715_948_011),
        ("2026-01-29T20:45:48.011+0100", 1_769_715_948_011),
        ("2026-01-29T19:45:48Z", 1_769_715_948_000),
        ("2026-01-29", 1_769_644_800_000),
        ("1970-01-01T00:00:00Z", 0),
    ] as [(String, Int64)])
    func parses(text: String, millis: Int64) {
        #expect(EventTime.parse(text) == millis)
    }

    @Test(arguments: ["yesterday", "2026-02-30", "2026-01-29T25:00:00Z", "2026-01-29T10:00Zx"])
    func rejects(text: String) {
        #expect(EventTime.parse(text) == nil)
    }

    @Test func formatsEveryForm() {
        let millis: Int64 = 1_769_715_948_011
        let forms: [(TimestampForm, String)] = [
            (.canonical, "2026-01-29T19:45:48.011Z"),
            (.spaceNoZone, "2026-01-29 19:45:48.011"),
            (.plusOneHour, "2026-01-29T20:45:48.011+01:00"),
            (.wholeSeconds, "2026-01-29T19:45:48Z"),
        ]
        for (form, expected) in forms {
            var bytes: [UInt8] = []
            EventTime.append(millis, form: form, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == expected)
            #expect(EventTime.parse(expected).map { $0 / 1000 } == millis / 1000)
        }
    }

    @Test func civilDatesRoundTrip() {
        for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let (year, month, day) = EventTime.civil(days: days)
            #expect(EventTime.days(year: year, month: month, day: day) == days)
        }
    }
}

@Suite struct RandomSourceTests {
    @Test func portableLogMatchesTheSystemLog() {
        for x in [1.0, 0.999_999, 0.75, 0.5, 0.1, 1e-5, 1e-300, 0x1.0p-53] {
            let error = abs(RandomSource.naturalLog(x) - log(x))
            #expect(error <= 1e-14 * max(1, abs(log(x))), "ln(\(x))")
        }
    }

    @Test func streamsAreIndependentAndRepeatable() {
        var first = RandomSource(seed: 42, stream: 1)
        var again = RandomSource(seed: 42, stream: 1)
        var other = RandomSource(seed: 42, stream: 2)
        let values = (0..<8).map { _ in first.next() }
        #expect(values == (0..<8).map { _ in again.next() })
        #expect(values != (0..<8).map { _ in other.next() })
        var bounded = RandomSource(seed: 1, stream: 0)
        #expect((0..<1000).allSatisfy { _ in (0..<7).contains(bounded.below(7)) })
    }
}

@Suite struct OutcomeModelTests {
    typealias Model = OutcomeModel<String>
    let ingest: Int64 = 10_000_000

    @Test func aRecordExactlyAtTheWatermarkIsLate() {
        var model = Model(watermarkDelayMicros: 600_000)
        #expect(model.record(key: "a", eventMicros: 1_000_000, eventType: "X",
                             ingestedMicros: ingest) == .accepted)
        #expect(model.record(key: "b", eventMicros: 400_000, eventType: "X",
                             ingestedMicros: ingest) == .quarantined("late"))
        #expect(model.record(key: "c", eventMicros: 400_001, eventType: "X",
                             ingestedMicros: ingest) == .accepted)
        #expect(model.quarantined == ["late": 1])
    }

    @Test func duplicatesAreDroppedWhileAboveTheWatermark() {
        var model = Model(watermarkDelayMicros: 600_000)
        model.record(key: "a", eventMicros: 1_000_000, eventType: "X", ingestedMicros: ingest)
        #expect(model.record(key: "a", eventMicros: 1_000_000, eventType: "X",
                             ingestedMicros: ingest) == .duplicate)
        model.record(key: "b", eventMicros: 1_600_000, eventType: "X", ingestedMicros: ingest)
        // W is now 1_000_000: the copy of `a` is late, not a duplicate (checks run in order).
        #expect(model.record(key: "a", eventMicros: 1_000_000, eventType: "X",
                             ingestedMicros: ingest) == .quarantined("late"))
        // The same key with a newer time is a new event once the old one is forgotten.
        #expect(model.record(key: "a", eventMicros: 1_000_001, eventType: "X",
                             ingestedMicros: ingest) == .accepted)
        #expect(model.acceptedCount == 3 && model.duplicateCount == 1)
        #expect(model.eventTypes == ["X": 3])
    }

    @Test func malformedAndFutureRecordsDoNotMoveTheWatermark() {
        var model = Model(watermarkDelayMicros: 600_000, clockSkewMicrosMax: 3_600_000)
        model.record(key: "a", eventMicros: 1_000_000, eventType: "X", ingestedMicros: 1_000_000)
        #expect(model.record(key: "f", eventMicros: 4_600_001, eventType: "X",
                             ingestedMicros: 1_000_000) == .quarantined("future_timestamp"))
        #expect(model.malformed(reason: "bad_json") == .quarantined("bad_json"))
        #expect(model.watermarkMicros == 400_000)
        #expect(model.record(key: "b", eventMicros: 500_000, eventType: "X",
                             ingestedMicros: 1_000_000) == .accepted)
        #expect(model.quarantinedCount == 2)
    }
}
