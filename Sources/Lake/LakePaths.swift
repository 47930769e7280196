import Foundation

/// Where a lake lives on disk: the root folder, its catalog and its landing folders.
public struct LakePaths: Sendable {
    public let root: String

    public init(root: String) {
        self.root = LakePaths.absolute(root)
    }

    public var catalog: String { root + "/catalog.db" }

    public func landing(job: String) -> String { root + "/landing/" + job }

    /// `path` made absolute against the current directory, with no trailing slash.
    public static func absolute(_ path: String) -> String {
        var result = path.hasPrefix("/")
            ? path : FileManager.default.currentDirectoryPath + "/" + path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }
}
