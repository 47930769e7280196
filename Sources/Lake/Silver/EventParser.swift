/// The outcome of parsing one bronze line.
public enum ParseOutcome: Equatable, Sendable {
    case accepted
    /// `reason` is one of `bad_json`, `missing_field:<path>`, `bad_type:<path>`,
    /// `bad_timestamp`; `detail` says what was wrong and where, for a human.
    case quarantined(reason: String, detail: String)
}

/// The silver hot path: parses one raw bronze line into typed column values, or says why the
/// line goes to quarantine.
///
/// Checks run in a fixed order and the first problem is reported: the whole line must be valid
/// JSON (RFC 8259, strict UTF-8, nesting ≤ 64) and an object, then each field in mapping order
/// must be present (when required) and of its type. One parser serves one thread; it keeps
/// scratch buffers between lines, so steady-state parsing allocates nothing.
///
/// Decisions where the rules leave room:
/// - Byte offsets in `bad_json` details are 0-based and count a leading BOM.
/// - A key that occurs twice: the last occurrence wins, also for objects (`"device"` twice
///   means only the second object's members count). A path through a non-object is missing.
/// - A required field that is `null` is `missing_field:<path>` (detail `<path> is null`).
/// - `string` accepts any JSON string, the empty one included.
/// - `double` and `int64` accept JSON numbers and strings whose whole (unescaped) text is a
///   JSON number: `"120.50"` yes, `" 12"`, `"0x10"`, `"NaN"` no. A number beyond `Double` is
///   `bad_type` (`number out of range`); one below the smallest subnormal becomes 0.
/// - `int64` accepts any integral value, however written (`1.0`, `1e3`, `"15.0e0"`), and
///   rejects a fraction (`1.5`) or a value outside `Int64`.
/// - `timestamp` with `epoch_ms`/`epoch_s` accepts numbers and numeric strings; digits below a
///   microsecond are truncated toward zero; a non-numeric string or a value outside the years
///   0001–9999 is `bad_timestamp`, a boolean, object or array `bad_type`.
/// - Lines longer than the job's `lineBytesMax` are not this type's concern: the silver stage
///   quarantines them as `too_long` before parsing.
public struct EventParser: Sendable {
    public let fields: [FieldMapping]
    public let timestampFormat: TimestampFormat

    private var scanner: JSONScanner
    /// Per-field copies of the mapping, so the hot loop reads no strings.
    private let types: [FieldType]
    private let isRequired: [Bool]
    private let paths: [String]
    /// Unescaped numeric and timestamp strings.
    private var scratch: [UInt8] = []

    /// Longest excerpt of a value quoted in a quarantine detail.
    static let excerptBytesMax = 64

    /// Where timestamps without a zone are read (the job's `timezone`); nil: UTC.
    private var timeZone: LocalTimeZone?
    /// The last ISO date read and its day number (`TimestampParser.parse(_:naiveIn:memo:)`).
    private var dateMemo = TimestampParser.DateMemo()

    /// Hashes and masks the `pii` columns of accepted records.
    private var pii: PIITransform

    /// Child tables (`[silver.children]`): each array's path, the parser of its elements, and
    /// after an accepted parse the first `childCounts[c]` records of `childRecords[c]`.
    private var childParsers: [EventParser] = []
    private let childPaths: [String]
    private var childRecords: [[ParsedRecord]] = []
    public private(set) var childCounts: [Int] = []
    private var elementRanges: [Range<Int>] = []

    /// `piiKey`: the lake's key, needed when a column has `pii = "hash"` (`PIIKey.load`).
    public init(fields: [FieldMapping], timestampFormat: TimestampFormat, timeZone: String = "UTC",
                piiKey: [UInt8]? = nil, children: [ChildTableSettings] = []) {
        self.fields = fields
        pii = PIITransform(fields: fields, key: piiKey)
        self.timestampFormat = timestampFormat
        self.timeZone = LocalTimeZone(identifier: timeZone)
        scanner = JSONScanner(paths: fields.map(\.path) + children.map(\.path))
        childParsers = children.map {
            EventParser(fields: $0.columns, timestampFormat: timestampFormat, timeZone: timeZone, piiKey: piiKey)
        }
        childPaths = children.map { $0.path.joined(separator: ".") }
        childRecords = children.map { _ in [] }
        childCounts = children.map { _ in 0 }
        types = fields.map(\.type)
        isRequired = fields.map(\.required)
        paths = fields.map(\.dottedPath)
    }

    /// Parses `line` (raw bytes without the trailing `\n`; a trailing `\r` is JSON whitespace)
    /// into `record`, reusing its buffers. `record` holds the values only when the result is
    /// `.accepted`, and its strings only while `line`'s memory is alive (see `ParsedRecord`).
    public mutating func parse(
        _ line: UnsafeRawBufferPointer, into record: inout ParsedRecord
    ) -> ParseOutcome {
        record.reset(fieldCount: types.count, line: line)
        do {
            try scanner.scan(line)
        } catch {
            return .quarantined(reason: "bad_json", detail: error.detail)
        }
        for field in 0..<types.count {
            let span = scanner.spans[field]
            if span.kind == .missing || span.kind == .null {
                if isRequired[field] {
                    let state = span.kind == .null ? "null" : "missing"
                    return .quarantined(
                        reason: "missing_field:\(paths[field])",
                        detail: "\(paths[field]) is \(state)")
                }
                record.setNull(field)
                continue
            }
            let problem: FieldProblem? =
                switch types[field] {
                case .string: readString(field, span, line, &record)
                case .double: readDouble(field, span, line, &record)
                case .int64: readInt64(field, span, line, &record)
                case .timestamp: readTimestamp(field, span, line, &record)
                }
            if let problem { return quarantine(field, problem, line) }
        }
        for c in 0..<childParsers.count {
            if let problem = parseChildren(c, scanner.spans[types.count + c], line) { return problem }
        }
        if !pii.isEmpty { pii.apply(to: &record) }
        return .accepted
    }

    /// Calls `body` with child table `c`'s records of the last accepted parse, in place (a copy
    /// per element retained and released its buffers). `body` must not keep them.
    mutating func withChildRecords<R>(_ c: Int, _ body: (inout ArraySlice<ParsedRecord>) throws -> R) rethrows -> R {
        try body(&childRecords[c][0..<childCounts[c]])
    }

    /// Parses the elements of child table `c`'s array into `childRecords[c]`; a missing or
    /// null array has no elements. The first element of the wrong shape quarantines the
    /// record, named by its 0-based index: `bad_type:items[2].quantity`.
    private mutating func parseChildren(_ c: Int, _ span: JSONValueSpan, _ line: UnsafeRawBufferPointer) -> ParseOutcome? {
        childCounts[c] = 0
        switch span.kind {
        case .missing, .null: return nil
        case .array: break
        default:
            return .quarantined(reason: "bad_type:\(childPaths[c])",
                                detail: "expected an array, got \(Self.excerpt(span, line))")
        }
        elementRanges.removeAll(keepingCapacity: true)
        JSONArrayElements.ranges(line, arrayStart: span.start, into: &elementRanges)
        while childRecords[c].count < elementRanges.count { childRecords[c].append(ParsedRecord()) }
        for (i, range) in elementRanges.enumerated() {
            let element = UnsafeRawBufferPointer(rebasing: line[range])
            let name = "\(childPaths[c])[\(i)]"
            guard element.first == ASCII.openBrace else {
                return .quarantined(reason: "bad_type:\(name)", detail: "expected an object, got "
                                    + String(decoding: element.prefix(Self.excerptBytesMax), as: UTF8.self))
            }
            switch childParsers[c].parse(element, into: &childRecords[c][i]) {
            case .accepted: continue
            case .quarantined(let reason, let detail):
                // `bad_type:quantity` → `bad_type:items[2].quantity`; `bad_timestamp` keeps its name.
                if let colon = reason.firstIndex(of: ":") {
                    let kind = reason[..<colon], field = reason[reason.index(after: colon)...]
                    return .quarantined(reason: "\(kind):\(name).\(field)", detail: "\(name): \(detail)")
                }
                return .quarantined(reason: reason, detail: "\(name).\(detail)")
            }
        }
        childCounts[c] = elementRanges.count
        return nil
    }

    /// What is wrong with one field's value; turned into a quarantine outcome off the hot path.
    private enum FieldProblem {
        case badType(expected: String, span: JSONValueSpan)
        case outOfRange(span: JSONValueSpan)
        case badTimestamp(TimestampParser.Problem, span: JSONValueSpan)
    }

    private func quarantine(
        _ field: Int, _ problem: FieldProblem, _ line: UnsafeRawBufferPointer
    ) -> ParseOutcome {
        let path = paths[field]
        switch problem {
        case .badType(let expected, let span):
            let value = Self.excerpt(span, line)
            return .quarantined(
                reason: "bad_type:\(path)", detail: "expected \(expected), got \(value)")
        case .outOfRange(let span):
            let value = Self.excerpt(span, line)
            return .quarantined(reason: "bad_type:\(path)", detail: "number out of range: \(value)")
        case .badTimestamp(let reason, let span):
            let value = Self.excerpt(span, line)
            return .quarantined(reason: "bad_timestamp", detail: "\(path) \(value): \(reason)")
        }
    }

    /// The value as written in the line (strings quoted and still escaped), cut to at most
    /// `excerptBytesMax` bytes on a UTF-8 boundary and marked with `…` when cut.
    static func excerpt(_ span: JSONValueSpan, _ line: UnsafeRawBufferPointer) -> String {
        switch span.kind {
        case .missing, .null: return "null"
        case .trueValue: return "true"
        case .falseValue: return "false"
        case .object: return "an object"
        case .array: return "an array"
        case .number, .string: break
        }
        var cut = span.end
        if cut - span.start > excerptBytesMax {
            cut = span.start + excerptBytesMax
            // Step back over continuation bytes so the excerpt stays valid UTF-8.
            while cut > span.start && line[cut] & 0xC0 == 0x80 { cut -= 1 }
        }
        let text = String(decoding: line[span.start..<cut], as: UTF8.self)
        let mark = cut < span.end ? "…" : ""
        return span.kind == .string ? "\"\(text)\(mark)\"" : text + mark
    }
}

// MARK: reading one field

extension EventParser {
    private func readString(
        _ field: Int, _ span: JSONValueSpan, _ line: UnsafeRawBufferPointer,
        _ record: inout ParsedRecord
    ) -> FieldProblem? {
        guard span.kind == .string else { return .badType(expected: "a string", span: span) }
        record.setString(field, lineStart: span.start, count: span.end - span.start, hasEscapes: span.hasEscapes)
        return nil
    }

    private mutating func readDouble(
        _ field: Int, _ span: JSONValueSpan, _ line: UnsafeRawBufferPointer,
        _ record: inout ParsedRecord
    ) -> FieldProblem? {
        let value: Double?? = withNumberToken(span, line) { JSONNumber.double($0) }
        switch value {
        case .none: return .badType(expected: "a number", span: span)
        case .some(.none): return .outOfRange(span: span)
        case .some(.some(let number)):
            record.setDouble(field, number)
            return nil
        }
    }

    private mutating func readInt64(
        _ field: Int, _ span: JSONValueSpan, _ line: UnsafeRawBufferPointer,
        _ record: inout ParsedRecord
    ) -> FieldProblem? {
        let value = withNumberToken(span, line) { JSONNumber.integer($0) }
        switch value {
        case .none, .notIntegral: return .badType(expected: "an integer", span: span)
        case .outOfRange: return .outOfRange(span: span)
        case .value(let number):
            record.setInt64(field, number)
            return nil
        }
    }

    private mutating func readTimestamp(
        _ field: Int, _ span: JSONValueSpan, _ line: UnsafeRawBufferPointer,
        _ record: inout ParsedRecord
    ) -> FieldProblem? {
        let scale: Int
        switch timestampFormat {
        case .iso8601, .pattern:
            guard span.kind == .string else {
                return .badType(expected: "a timestamp string", span: span)
            }
            var zone = timeZone
            var memo = dateMemo
            let format = timestampFormat
            let result = withStringContents(span, line) { text in
                if case .pattern(let pattern) = format { return pattern.parse(text, naiveIn: &zone) }
                return TimestampParser.parse(text, naiveIn: &zone, memo: &memo)
            }
            if zone != nil { timeZone = zone }
            dateMemo = memo
            switch result {
            case .success(let micros):
                // A pattern's zone can move a value of year 1 or 9999 out of the range.
                if case .pattern = format, micros < TimestampParser.microsMin || micros > TimestampParser.microsMax {
                    return .badTimestamp(.outOfRange, span: span)
                }
                record.setInt64(field, micros)
                return nil
            case .failure(let problem):
                return .badTimestamp(problem, span: span)
            }
        case .epochMillis: scale = 3
        case .epochSeconds: scale = 6
        }
        guard span.kind == .number || span.kind == .string else {
            return .badType(expected: "an epoch number", span: span)
        }
        let value = withNumberToken(span, line) {
            JSONNumber.integer($0, scale: scale, truncating: true)
        }
        guard let value else { return .badTimestamp(.notEpochNumber, span: span) }
        guard case .value(let micros) = value,
            micros >= TimestampParser.microsMin && micros <= TimestampParser.microsMax
        else { return .badTimestamp(.outOfRange, span: span) }
        record.setInt64(field, micros)
        return nil
    }

    /// Calls `body` with the number token of a JSON number, or of a string whose whole
    /// (unescaped) contents match the JSON number grammar; nil for anything else.
    private mutating func withNumberToken<R>(
        _ span: JSONValueSpan, _ line: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> R
    ) -> R? {
        switch span.kind {
        case .number:
            return body(bytes(line, span))
        case .string:
            return withStringContents(span, line) { contents in
                let end = try? JSONCursor.numberEnd(contents, from: 0)
                return end == contents.count && !contents.isEmpty ? body(contents) : nil
            }
        default:
            return nil
        }
    }

    /// Calls `body` with a string value's unescaped contents (in place when it has no escapes).
    private mutating func withStringContents<R>(
        _ span: JSONValueSpan, _ line: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> R
    ) -> R {
        guard span.hasEscapes else { return body(bytes(line, span)) }
        scratch.removeAll(keepingCapacity: true)
        JSONScanner.unescape(bytes(line, span), into: &scratch)
        return scratch.withUnsafeBytes(body)
    }

    @inline(__always)
    private func bytes(
        _ line: UnsafeRawBufferPointer, _ span: JSONValueSpan
    ) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[span.start..<span.end])
    }
}

/// The elements of a JSON array in a line the scanner has already validated: where each one's
/// bytes are (whitespace around them excluded).
enum JSONArrayElements {
    static func ranges(_ line: UnsafeRawBufferPointer, arrayStart: Int, into out: inout [Range<Int>]) {
        var p = arrayStart + 1
        func skipSpace() {
            while p < line.count, line[p] == 0x20 || line[p] == 0x09 || line[p] == 0x0A || line[p] == 0x0D { p += 1 }
        }
        while true {
            skipSpace()
            guard p < line.count, line[p] != ASCII.closeBracket else { return }
            let start = p
            var depth = 0
            scan: while p < line.count {
                switch line[p] {
                case ASCII.quote:
                    p += 1
                    while p < line.count && line[p] != ASCII.quote {
                        p += line[p] == ASCII.backslash ? 2 : 1
                    }
                    p += 1
                    continue scan
                case ASCII.openBrace, ASCII.openBracket: depth += 1
                case ASCII.closeBrace, ASCII.closeBracket:
                    if depth == 0 { break scan }
                    depth -= 1
                case ASCII.comma where depth == 0: break scan
                default: break
                }
                p += 1
            }
            var end = p
            while end > start, line[end - 1] == 0x20 || line[end - 1] == 0x09 || line[end - 1] == 0x0A || line[end - 1] == 0x0D {
                end -= 1
            }
            out.append(start..<end)
            guard p < line.count, line[p] == ASCII.comma else { return }
            p += 1
        }
    }
}
