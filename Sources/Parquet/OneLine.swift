/// Error messages are one line (SPEC: "exit non-zero with one clear line"), yet they quote text
/// that comes from files: column names in a damaged footer, paths, SQLite messages. These helpers
/// make any such text safe to print on one line.
extension String {
    /// The text with every character a terminal or `str.splitlines()` would break a line on, or
    /// would not show (C0 and C1 controls, DEL, U+2028, U+2029), written as `\n`, `\t`, `\r` or
    /// `\u{XX}`. Text without such characters comes back unchanged.
    public var oneLine: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 16)
        for scalar in unicodeScalars {
            guard Self.needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    /// A name read from a file, for a message: one line, and at most `limit` characters (a
    /// damaged footer can hold a "name" of megabytes).
    public func quotedName(limit: Int = 80) -> String {
        let flat = oneLine
        guard flat.count > limit else { return flat }
        return flat.prefix(limit) + "… (\(utf8.count) bytes)"
    }

    private static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (s.value >= 0x7F && s.value < 0xA0) || s.value == 0x2028 || s.value == 0x2029
    }
}
