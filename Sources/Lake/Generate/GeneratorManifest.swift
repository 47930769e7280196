import Foundation

/// What a generation wrote and what silver must make of it: `<out>/.manifest.json`.
///
/// The outcome counts come from `OutcomeModel` run over the lines in the order bronze reads
/// them (files in name order), so they are exact for silver's rules: every line is counted once
/// in `accepted`, `duplicates` or one reason of `quarantined` (`late` included).
public struct GeneratorManifest: Codable, Equatable, Sendable {
    public struct Arguments: Codable, Equatable, Sendable {
        public var events: Int
        public var users: Int
        public var start: String
        public var files: Int
        public var jitterSeconds: Double
        public var duplicates: Double
        public var late: Double
        public var malformed: Double
        public var watermarkDelaySeconds: Int
        public var clockSkewSecondsMax: Int

        enum CodingKeys: String, CodingKey {
            case events, users, start, files, duplicates, late, malformed
            case jitterSeconds = "jitter_seconds"
            case watermarkDelaySeconds = "watermark_delay_seconds"
            case clockSkewSecondsMax = "clock_skew_max_seconds"
        }
    }

    public struct File: Codable, Equatable, Sendable {
        public var name: String
        public var lines: Int
        public var bytes: Int
    }

    /// The job the input is for (`clickstream`, `transactions`, `orders`); nil in manifests written
    /// before `--job` existed, which were all clickstream.
    public var job: String?
    public var seed: UInt64
    public var arguments: Arguments
    public var lines: Int
    public var bytes: Int
    public var files: [File]
    public var accepted: Int
    public var duplicates: Int
    public var late: Int
    /// Of `late`, the lines whose key silver had accepted before (a copy sent long after its
    /// original): a backfill that recovers late events counts these as duplicates.
    public var lateDuplicates: Int = 0
    /// Reason → lines, `late` included; only reasons that occur.
    public var quarantined: [String: Int]
    /// Per accepted event, the value gold most often groups by → events: the event type for
    /// clickstream, the category for transactions, the spender type (`High Spender`, total
    /// over 150; `Standard Spender`) for orders.
    public var eventTypes: [String: Int]
    /// First and last accepted event time, UTC, in the job's resolution
    /// (`2026-01-29T00:00:01.250Z`, `2026-01-29T00:00:01.250113Z`), nil when none.
    public var eventTimeMin: String?
    public var eventTimeMax: String?

    enum CodingKeys: String, CodingKey {
        case job, seed, arguments, lines, bytes, files, accepted, duplicates, late, quarantined
        case eventTypes = "event_types"
        case lateDuplicates = "late_duplicates"
        case eventTimeMin = "event_time_min"
        case eventTimeMax = "event_time_max"
    }

    /// Pretty JSON with sorted keys: the same generation gives the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static func read(from path: String) throws -> GeneratorManifest {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LakeError("read manifest", path: path, "cannot read the file: \(error)")
        }
        do {
            return try JSONDecoder().decode(GeneratorManifest.self, from: data)
        } catch {
            throw LakeError("read manifest", path: path, "not a generator manifest: \(error)")
        }
    }
}
