import Crypto
import Foundation

/// What silver does with a column that holds personal data (`pii = "hash" | "mask"` on a
/// string column). Bronze keeps the raw bytes (it is the replay log); `[bronze] retention`
/// bounds how long they stay.
public enum PIIMode: String, Sendable, Equatable {
    /// HMAC-SHA256 under the lake's key, as 64 lower-case hex digits: the same value gives the
    /// same hash in every run (so it still joins and counts distinct), and without the key the
    /// hash cannot be recomputed from a guessed e-mail address.
    case hash
    /// The first character and `***` (`g***@example.it` for an e-mail address: the domain
    /// stays, for statistics by provider); the length is not kept.
    case mask
}

/// The key of `pii = "hash"` columns: `LAKE_PII_KEY` (at least 16 bytes of text) or
/// `<lake>/pii.key`, 32 random bytes written as hex on first use with mode 0600. Losing the
/// file means new hashes for the same values: back it up with the catalog.
public enum PIIKey {
    public static func load(lake root: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [UInt8] {
        if let text = environment["LAKE_PII_KEY"] {
            guard text.utf8.count >= 16 else {
                throw LakeError("LAKE_PII_KEY", "the key is \(text.utf8.count) bytes long; expected at least 16",
                                hint: "set it to a long random string, e.g. `openssl rand -hex 32`")
            }
            return Array(text.utf8)
        }
        let path = root + "/pii.key"
        if let key = try read(path) { return key }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let text = bytes.map { String(format: "%02x", $0) }.joined() + "\n"
        // O_EXCL: two runs starting at once must not each write a key; the loser reads the winner's.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            if errno == EEXIST, let key = try read(path) { return key }
            throw LakeError(path, "cannot create the PII key: \(String(cString: strerror(errno)))",
                            hint: "check that the lake folder is writable, or set LAKE_PII_KEY")
        }
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, text.utf8.count) }
        guard written == text.utf8.count, fsync(fd) == 0 else {
            unlink(path)
            throw LakeError(path, "cannot write the PII key", hint: "check free space and permissions")
        }
        return bytes
    }

    private static func read(_ path: String) throws -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: [UInt8] = []
        var chars = Array(text.utf8)[...]
        while chars.count >= 2, let b = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) {
            bytes.append(b)
            chars = chars.dropFirst(2)
        }
        guard chars.isEmpty, bytes.count >= 16 else {
            throw LakeError(path, "the PII key is not 32+ hex digits",
                            hint: "restore it from a backup (hashes made with another key will not match), or remove it to start a new key")
        }
        return bytes
    }
}

/// Applies the columns' PII modes to a parsed record (silver's parser, once a record is
/// accepted).
struct PIITransform: Sendable {
    let fields: [(field: Int, mode: PIIMode)]
    /// An HMAC already keyed: each value hashes a copy of it (keying it per value, which
    /// hashes the key and its pads, took most of the time).
    private let keyed: HMAC<SHA256>?
    private var scratch: [UInt8] = []

    init(fields: [FieldMapping], key: [UInt8]?) {
        self.fields = fields.enumerated().compactMap { i, f in f.pii.map { (i, $0) } }
        keyed = key.map { HMAC<SHA256>(key: SymmetricKey(data: $0)) }
        precondition(key != nil || !self.fields.contains { $0.mode == .hash }, "pii = \"hash\" without a key")
    }

    var isEmpty: Bool { fields.isEmpty }

    mutating func apply(to record: inout ParsedRecord) {
        for (field, mode) in fields where !record.isNull(field) {
            scratch.removeAll(keepingCapacity: true)
            record.withString(field) { value in
                switch mode {
                case .hash: Self.hash(value, keyed!, into: &scratch)
                case .mask: Self.mask(value, into: &scratch)
                }
            }
            scratch.withUnsafeBytes { record.replaceString(field, with: $0) }
        }
    }

    static func hash(_ value: UnsafeRawBufferPointer, _ keyed: HMAC<SHA256>, into out: inout [UInt8]) {
        var hmac = keyed
        hmac.update(data: value)
        let mac = hmac.finalize()
        let digits = Array("0123456789abcdef".utf8)
        for b in mac {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
    }

    static func mask(_ value: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        guard let first = value.first else { return }
        // The first character whole (a UTF-8 lead byte and its continuation bytes).
        var n = 1
        while n < value.count && value[n] & 0xC0 == 0x80 && first >= 0xC0 { n += 1 }
        out.append(contentsOf: value[0..<n])
        out.append(contentsOf: Array("***".utf8))
        if let at = value.lastIndex(of: UInt8(ascii: "@")) { out.append(contentsOf: value[at...]) }
    }
}
