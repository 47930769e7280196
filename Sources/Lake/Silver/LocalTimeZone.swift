import Foundation

/// The job's `timezone` (an IANA name, read from the system's tzdata through Foundation), for
/// timestamps written without a zone: wall-clock time there is turned into UTC. Around a
/// daylight-saving change, a wall-clock time that occurs twice (the autumn hour) is taken at
/// its first occurrence, and one that never occurs (the spring hour) is refused
/// (`bad_timestamp`). The offset is looked up once per quarter hour of wall-clock time (every
/// zone's changes fall on quarter hours), so the silver path rarely asks Foundation.
public struct LocalTimeZone: Sendable {
    public let zone: TimeZone
    private var bucket = Int64.min
    /// The bucket's offset in seconds, nil when its wall-clock times do not exist.
    private var bucketOffset: Int64?

    /// nil for UTC (nothing to convert) or a name the system does not know.
    public init?(identifier: String) {
        guard identifier != "UTC", let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
    }

    /// UTC microseconds of wall-clock microseconds `local`; nil inside a skipped hour.
    public mutating func utcMicros(fromLocal local: Int64) -> Int64? {
        let seconds = Timestamps.floorDivide(local, 1_000_000).0
        let b = Timestamps.floorDivide(seconds, 900).0
        if b != bucket {
            bucket = b
            bucketOffset = offset(forLocalSeconds: b * 900)
        }
        guard let o = bucketOffset else { return nil }
        return local - o * 1_000_000
    }

    /// The offset that makes `local` a real instant, the larger (earlier instant) when two do.
    func offset(forLocalSeconds local: Int64) -> Int64? {
        let around = [local - 86_400, local + 86_400].map {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval($0))))
        }
        let candidates = Set(around).sorted(by: >)
        for o in candidates
        where Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - o)))) == o {
            return o
        }
        return nil
    }
}
