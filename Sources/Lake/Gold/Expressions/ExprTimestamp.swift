/// Timestamp literals (`event_time >= '2026-01-29 10:00:00'`), read once when the expression
/// compiles, with silver's own ISO-8601 reader (`TimestampParser`): UTC when written without
/// a zone.
enum ExprTimestamp {
    /// UTC microseconds since 1970, or nil for a malformed or impossible timestamp.
    static func micros(_ text: String) -> Int64? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer in
            if case .success(let micros) = TimestampParser.parse(UnsafeRawBufferPointer(buffer)) { return micros }
            return nil
        }
    }
}
