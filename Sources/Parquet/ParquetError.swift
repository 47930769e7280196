/// A Parquet operation that failed: what was being done, on which file, and what was wrong.
/// Corrupt or truncated input always ends here, never in a crash or an out-of-bounds read.
public struct ParquetError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "parquet file \(path): \(message)".oneLine }
}

/// An error raised while decoding bytes, before the file path is known; the reader wraps it
/// into a `ParquetError` naming the file.
struct DecodeError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
