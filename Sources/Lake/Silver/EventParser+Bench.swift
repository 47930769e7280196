extension EventParser {
    /// Measured parsing speed, for `make bench`.
    public struct Throughput: Sendable, CustomStringConvertible {
        public var linesPerSecond: Double
        public var bytesPerSecond: Double
        /// Lines the parser accepted in one pass (a sanity check on the input).
        public var acceptedLineCount: Int

        public var description: String {
            let lines = (linesPerSecond / 1000).rounded()
            let megabytes = (bytesPerSecond / 1_000_000).rounded()
            return "\(Int(lines))k lines/s, \(Int(megabytes)) MB/s"
        }
    }

    /// Parses `lines` repeatedly (after one warm-up pass) until about `secondsMin` have passed
    /// or `passCountMax` passes are done, and reports the speed. Lines are raw bronze bodies
    /// without the trailing newline.
    public static func benchmark(
        lines: [[UInt8]], fields: [FieldMapping], timestampFormat: TimestampFormat = .iso8601,
        secondsMin: Double = 1, passCountMax: Int = 1000
    ) -> Throughput {
        var parser = EventParser(fields: fields, timestampFormat: timestampFormat)
        var record = ParsedRecord()
        let bytesPerPass = lines.reduce(0) { $0 + $1.count }
        let acceptedLineCount = pass(lines, &parser, &record)
        let clock = ContinuousClock()
        let start = clock.now
        var passCount = 0
        var elapsedSeconds = 0.0
        while passCount < max(passCountMax, 1) && (passCount == 0 || elapsedSeconds < secondsMin) {
            _ = pass(lines, &parser, &record)
            passCount += 1
            let elapsed = clock.now - start
            elapsedSeconds =
                Double(elapsed.components.seconds)
                + Double(elapsed.components.attoseconds) / 1e18
        }
        let seconds = max(elapsedSeconds, 1e-9)
        return Throughput(
            linesPerSecond: Double(lines.count * passCount) / seconds,
            bytesPerSecond: Double(bytesPerPass * passCount) / seconds,
            acceptedLineCount: acceptedLineCount)
    }

    private static func pass(
        _ lines: [[UInt8]], _ parser: inout EventParser, _ record: inout ParsedRecord
    ) -> Int {
        var accepted = 0
        for line in lines {
            let outcome = line.withUnsafeBytes { parser.parse($0, into: &record) }
            if outcome == .accepted { accepted += 1 }
        }
        return accepted
    }
}
