import Parquet

/// An operating failure (bad flags, I/O, a locked catalog): the operation, the path or SQL, and a
/// hint that tells the user what to do. Bad *data* is never a `LakeError`: it is quarantined.
public struct LakeError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String?
    public var message: String
    public var hint: String?

    public init(_ operation: String, path: String? = nil, _ message: String, hint: String? = nil) {
        self.operation = operation
        self.path = path
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = operation
        if let path { text += " \(path)" }
        text += ": \(message)"
        if let hint { text += " (\(hint))" }
        return text.oneLine
    }
}
