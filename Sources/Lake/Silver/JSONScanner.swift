import Parquet

/// What a mapped path held in the last scanned line: the value's kind and where its bytes are.
struct JSONValueSpan: Sendable, Equatable {
    enum Kind: UInt8, Sendable {
        case missing, null, falseValue, trueValue, number, string, object, array
    }

    var kind: Kind = .missing
    /// Strings: the bytes between the quotes (still escaped). Numbers: the token. Containers:
    /// the opening bracket only.
    var start = 0
    var end = 0
    var hasEscapes = false
}

/// Validates one raw line as a JSON object (RFC 8259, strictly: the whole line, mapped or not)
/// and records the values found at the mapped paths.
///
/// The scanner is a loop over bytes with an explicit container stack (a bit per level, at most
/// `depthMax` levels), so no input can overflow the call stack. Objects on a mapped path are
/// tracked by their trie node; a key that occurs again resets the fields below it, so the last
/// occurrence wins, as in most JSON readers.
///
/// A class whose per-line state lives in buffers it allocates once: the loop runs ~20 times
/// per line for every silver row, and Swift arrays in a mutated struct cost a uniqueness
/// check and a bounds check per write. One scanner serves one thread.
final class JSONScanner: @unchecked Sendable {
    /// Containers nested deeper than this are `bad_json` (the top-level object is level 1).
    static let depthMax = 64

    let paths: JSONPathIndex
    private let fieldCount: Int
    private let spanStore: UnsafeMutablePointer<JSONValueSpan>
    /// One span per field, in field order: valid after `scan` returns without throwing, until
    /// the next `scan`.
    var spans: UnsafeBufferPointer<JSONValueSpan> { UnsafeBufferPointer(start: spanStore, count: fieldCount) }
    /// `paths.nodes` and `paths.fieldIDs`, read through plain pointers.
    private let nodes: UnsafeMutablePointer<JSONPathIndex.Node>
    private let fieldIDs: UnsafeMutablePointer<Int>
    /// The trie node of each mapped object, by nesting level.
    private let mappedNodes: UnsafeMutablePointer<Int>
    private var keyScratch: [UInt8] = []
    /// Key prediction for mapped objects, whose keys tend to come in the same order line after
    /// line: `lastKey[level]` is the node of the previous key of the object at that level
    /// (`Self.firstKey` before its first key, `Self.unknownKey` after a key that is not
    /// mapped); `firstGuess[node]` the node of the key that came first in `node`'s object last
    /// time, `nextGuess[node]` the node of the key that followed `node` last time (-1: none).
    /// A guess is taken only when the line holds exactly that key and a colon right after it
    /// (`matchesKey`), so what `key` returns never depends on the guesses, only how fast it
    /// finds it.
    private let lastKey: UnsafeMutablePointer<Int32>
    private let firstGuess: UnsafeMutablePointer<Int32>
    private let nextGuess: UnsafeMutablePointer<Int32>
    private static let firstKey: Int32 = -1
    private static let unknownKey: Int32 = -2

    /// The shape of the last line the full scan accepted, for `scanWithShape`: the bytes
    /// between its scalar values (keys, punctuation, whitespace, whole containers' brackets),
    /// back to back in `shapeBytes`, span `i` ending at `shapeEnds[i]` (span 0 is what precedes
    /// the first value, the last span what follows the last one), and the trie node of each
    /// value (-1: not mapped). `shapeValues` values; 0: no shape.
    private var shapeBytes: UnsafeMutablePointer<UInt8>
    private var shapeBytesCapacity = 0
    private var shapeEnds: UnsafeMutablePointer<Int>
    private var shapeNodes: UnsafeMutablePointer<Int>
    private var shapeCapacity = 0
    private var shapeValues = 0
    /// What the full scan saw of the current line: each scalar value's token and node, and
    /// whether the line may become the shape (see `learnShape`).
    private var seenStarts: UnsafeMutablePointer<Int>
    private var seenEnds: UnsafeMutablePointer<Int>
    private var seenNodes: UnsafeMutablePointer<Int>
    private var seenCapacity = 0
    private var seenCount = 0
    private var shapeable = true

    init(paths: [[String]]) {
        let index = JSONPathIndex(paths: paths)
        self.paths = index
        fieldCount = paths.count
        spanStore = .allocate(capacity: max(1, paths.count))
        spanStore.initialize(repeating: JSONValueSpan(), count: max(1, paths.count))
        nodes = .allocate(capacity: index.nodes.count)
        nodes.initialize(from: index.nodes, count: index.nodes.count)
        fieldIDs = .allocate(capacity: max(1, index.fieldIDs.count))
        fieldIDs.initialize(from: index.fieldIDs, count: index.fieldIDs.count)
        let levels = index.pathLengthMax + 2
        mappedNodes = .allocate(capacity: levels)
        mappedNodes.initialize(repeating: 0, count: levels)
        lastKey = .allocate(capacity: levels)
        lastKey.initialize(repeating: Self.firstKey, count: levels)
        firstGuess = .allocate(capacity: index.nodes.count)
        firstGuess.initialize(repeating: -1, count: index.nodes.count)
        nextGuess = .allocate(capacity: index.nodes.count)
        nextGuess.initialize(repeating: -1, count: index.nodes.count)
        shapeBytesCapacity = 512
        shapeBytes = .allocate(capacity: shapeBytesCapacity)
        shapeCapacity = 64
        shapeEnds = .allocate(capacity: shapeCapacity + 1)
        shapeNodes = .allocate(capacity: shapeCapacity)
        seenCapacity = 64
        seenStarts = .allocate(capacity: seenCapacity)
        seenEnds = .allocate(capacity: seenCapacity)
        seenNodes = .allocate(capacity: seenCapacity)
    }

    deinit {
        spanStore.deallocate()
        nodes.deallocate()
        fieldIDs.deallocate()
        mappedNodes.deallocate()
        lastKey.deallocate()
        firstGuess.deallocate()
        nextGuess.deallocate()
        shapeBytes.deallocate()
        shapeEnds.deallocate()
        shapeNodes.deallocate()
        seenStarts.deallocate()
        seenEnds.deallocate()
        seenNodes.deallocate()
    }

    /// The state of one scan: where containers are and which of them are on a mapped path.
    private struct Nesting {
        var depth = 0
        /// Bit `level - 1` is set when the container at `level` is an array.
        var arrayBits: UInt64 = 0
        /// Levels 1...mappedDepth are objects on a mapped path (a prefix of the stack).
        var mappedDepth = 0

        var inArray: Bool { arrayBits & (1 << UInt64(depth - 1)) != 0 }
    }

    func scan(_ line: UnsafeRawBufferPointer) throws(JSONScanError) {
        if shapeRest > 0 {
            shapeRest -= 1
            return try scanFully(line, learn: false)
        }
        if shapeValues > 0 {
            if scanWithShape(line) {
                shapeMisses = 0
                shapeHits &+= 1
                return
            }
            shapeMisses += 1
            if shapeMisses == Self.shapeMissesMax {
                // Lines of several shapes interleaved: each would miss and be learned in turn
                // (+19% instructions on two alternating key orders). Full scans only for a while.
                shapeMisses = 0
                shapeValues = 0
                shapeRest = Self.shapeRestLines
                return try scanFully(line, learn: false)
            }
        }
        try scanFully(line, learn: true)
    }

    /// Consecutive misses of the shape path after which it rests for `shapeRestLines` lines.
    private static let shapeMissesMax = 8
    private static let shapeRestLines = 1024
    private var shapeMisses = 0
    private var shapeRest = 0
    /// Lines the shape path took (for tests).
    private(set) var shapeHits = 0

    /// Lines of one collector have the same keys in the same order, line after line; only the
    /// values differ. When everything between the values is byte for byte what it was in the
    /// last line the full scan accepted (the shape), the line is that line with other scalar
    /// values in the same places, so it is valid exactly when each value is a valid token and
    /// ends where the next span begins, and each value belongs to the same field. Each span is
    /// compared in a few word loads and each value scanned and recorded, without the per-key
    /// work of the full scan (~1,900 fewer instructions a line, bench/NOTES.md item 41). Any
    /// difference — another key, order, spacing, a container where a scalar was, a bad
    /// token — returns false, and the full scan decides (and reports the error).
    private func scanWithShape(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let base = line.baseAddress else { return false }
        let count = line.count
        for field in 0..<fieldCount { spanStore[field].kind = .missing }
        var cursor = JSONCursor(line)
        var spanStart = 0
        for value in 0..<shapeValues {
            let spanEnd = shapeEnds[value]
            let length = spanEnd - spanStart
            // The span, then at least one byte of value.
            guard count - cursor.index > length,
                  RawBytes.equal(base + cursor.index, shapeBytes + spanStart, count: length)
            else { return false }
            cursor.index += length
            spanStart = spanEnd
            let start = cursor.index
            let node = shapeNodes[value]
            switch base.load(fromByteOffset: start, as: UInt8.self) {
            case ASCII.quote:
                guard let hasEscapes = try? cursor.scanString() else { return false }
                record(node, .string, start + 1, cursor.index - 1, hasEscapes)
            case ASCII.minus, ASCII.zero...ASCII.nine:
                guard (try? cursor.scanNumber()) != nil else { return false }
                record(node, .number, start, cursor.index, false)
            case ASCII.t, ASCII.f, ASCII.n:
                guard let kind = try? cursor.scanLiteral() else { return false }
                record(node, kind, start, cursor.index, false)
            default:
                return false
            }
        }
        let tail = shapeEnds[shapeValues] - spanStart
        return count - cursor.index == tail && RawBytes.equal(base + cursor.index, shapeBytes + spanStart, count: tail)
    }

    /// The full scan: validates the whole line and records the mapped values; learns the
    /// line's shape when it is accepted.
    private func scanFully(_ line: UnsafeRawBufferPointer, learn: Bool) throws(JSONScanError) {
        for field in 0..<fieldCount { spanStore[field].kind = .missing }
        seenCount = 0
        shapeable = learn
        var cursor = JSONCursor(line)
        cursor.skipByteOrderMark()
        cursor.skipWhitespace()
        guard let first = cursor.current else { throw JSONScanError(.emptyLine, at: 0) }
        let isObject = first == ASCII.openBrace
        var nesting = Nesting()
        // The trie node the next value belongs to, or -1 when it is not on a mapped path.
        var pending = isObject ? 0 : -1
        nextValue: while true {
            let start = cursor.index
            guard let byte = cursor.current else { throw JSONScanError(.unexpectedEnd, at: start) }
            // Node 0 is the top-level object, whose fields were all reset above.
            if pending > 0 { resetFields(below: pending) }
            switch byte {
            case ASCII.openBrace, ASCII.openBracket:
                if try open(byte, &cursor, &nesting, node: pending) {
                    // An empty container is no value slot of the shape: its bytes stay in the
                    // spans, so only the same empty container matches there (as a slot, a
                    // scalar line after `{}` passed the shape path as an empty object).
                    pending = -1
                    break
                }
                pending = nesting.inArray ? -1 : try key(&cursor, nesting)
                continue nextValue
            case ASCII.quote:
                let hasEscapes = try cursor.scanString()
                record(pending, .string, start + 1, cursor.index - 1, hasEscapes)
                noteValue(start, cursor.index, pending)
            case ASCII.minus, ASCII.zero...ASCII.nine:
                try cursor.scanNumber()
                record(pending, .number, start, cursor.index, false)
                noteValue(start, cursor.index, pending)
            case ASCII.t, ASCII.f, ASCII.n:
                let kind = try cursor.scanLiteral()
                record(pending, kind, start, cursor.index, false)
                noteValue(start, cursor.index, pending)
            default:
                throw JSONScanError(.unexpectedByte(byte), at: start)
            }
            // A value is complete: close containers until one continues with a comma.
            while true {
                cursor.skipWhitespace()
                guard nesting.depth > 0 else {
                    guard cursor.atEnd else { throw JSONScanError(.trailingData, at: cursor.index) }
                    guard isObject else { throw JSONScanError(.notAnObject, at: 0) }
                    learnShape(line)
                    return
                }
                guard let next = cursor.current else {
                    throw JSONScanError(.unexpectedEnd, at: cursor.index)
                }
                let inArray = nesting.inArray
                if next == ASCII.comma {
                    cursor.index += 1
                    cursor.skipWhitespace()
                    pending = inArray ? -1 : try key(&cursor, nesting)
                    continue nextValue
                }
                guard next == (inArray ? ASCII.closeBracket : ASCII.closeBrace) else {
                    let kind: JSONScanError.Kind =
                        inArray ? .expectedCommaOrBracket : .expectedCommaOrBrace
                    throw JSONScanError(kind, at: cursor.index)
                }
                cursor.index += 1
                close(&nesting)
            }
        }
    }

    /// Opens the container at the cursor. Returns true when it was empty (and is closed again),
    /// false when the cursor now stands at its first element or key.
    private func open(
        _ bracket: UInt8, _ cursor: inout JSONCursor, _ nesting: inout Nesting, node: Int
    ) throws(JSONScanError) -> Bool {
        let start = cursor.index
        guard nesting.depth < Self.depthMax else { throw JSONScanError(.tooDeep, at: start) }
        let isArray = bracket == ASCII.openBracket
        nesting.depth += 1
        let bit: UInt64 = 1 << UInt64(nesting.depth - 1)
        nesting.arrayBits = isArray ? nesting.arrayBits | bit : nesting.arrayBits & ~bit
        if node >= 0 {
            record(node, isArray ? .array : .object, start, start + 1, false)
            let entry = nodes[node]
            // A field mapped to a container: the shape keeps no record of containers.
            if entry.leafEnd > entry.leafStart { shapeable = false }
            if !isArray && entry.childEnd > entry.childStart {
                nesting.mappedDepth = nesting.depth
                mappedNodes[nesting.depth] = node
                lastKey[nesting.depth] = Self.firstKey
            }
        }
        cursor.index += 1
        cursor.skipWhitespace()
        guard cursor.current == (isArray ? ASCII.closeBracket : ASCII.closeBrace) else {
            return false
        }
        cursor.index += 1
        close(&nesting)
        return true
    }

    @inline(__always)
    private func close(_ nesting: inout Nesting) {
        if nesting.mappedDepth == nesting.depth { nesting.mappedDepth -= 1 }
        nesting.depth -= 1
    }

    /// Reads `"key" :` at the cursor (whitespace skipped before and after); returns the trie
    /// node of the key when the enclosing object is on a mapped path, else -1.
    @inline(__always)
    private func key(
        _ cursor: inout JSONCursor, _ nesting: Nesting
    ) throws(JSONScanError) -> Int {
        // Inline fast path: the predicted key of a mapped object, its closing quote and the
        // colon right after it (see `lastKey`); anything else takes `keyInFull`.
        if nesting.depth == nesting.mappedDepth, let base = cursor.bytes.baseAddress {
            let depth = nesting.depth
            let guess = predictedKey(depth: depth)
            let at = cursor.index
            if guess >= 0, at &+ 18 < cursor.bytes.count {
                let node = nodes[Int(guess)]
                if base.load(fromByteOffset: at, as: UInt8.self) == ASCII.quote, node.matchable,
                   JSONPathIndex.matchesKey(node, line: base, quote: at),
                   base.load(fromByteOffset: at &+ node.keyCount &+ 2, as: UInt8.self) == ASCII.colon
                {
                    lastKey[depth] = guess
                    cursor.index = at &+ node.keyCount &+ 3
                    cursor.skipWhitespace()
                    return Int(guess)
                }
            }
        }
        return try keyInFull(&cursor, nesting)
    }

    /// The node `lastKey` predicts for the next key of the mapped object at `depth`, or -1.
    @inline(__always)
    private func predictedKey(depth: Int) -> Int32 {
        let previous = lastKey[depth]
        return previous == Self.firstKey ? firstGuess[mappedNodes[depth]]
            : previous == Self.unknownKey ? -1 : nextGuess[Int(previous)]
    }

    /// `key` for every case the inline path does not take (whitespace, escapes, unmapped
    /// objects, keys not predicted): scans and looks the key up, and learns the order.
    @inline(never)
    private func keyInFull(
        _ cursor: inout JSONCursor, _ nesting: Nesting
    ) throws(JSONScanError) -> Int {
        guard let byte = cursor.current else {
            throw JSONScanError(.unexpectedEnd, at: cursor.index)
        }
        guard byte == ASCII.quote else { throw JSONScanError(.expectedKey, at: cursor.index) }
        var node = -1
        if nesting.depth == nesting.mappedDepth {
            let depth = nesting.depth
            let parent = mappedNodes[depth]
            let start = cursor.index + 1
            if try cursor.scanString() {
                node = escapedChild(of: parent, UnsafeRawBufferPointer(rebasing: cursor.bytes[start..<cursor.index - 1]))
            } else {
                node = paths.child(of: parent, line: cursor.bytes, start: start, end: cursor.index - 1)
            }
            let previous = lastKey[depth]
            if node >= 0 {
                if previous == Self.firstKey {
                    firstGuess[parent] = Int32(node)
                } else if previous != Self.unknownKey {
                    nextGuess[Int(previous)] = Int32(node)
                }
            }
            lastKey[depth] = node >= 0 ? Int32(node) : Self.unknownKey
        } else {
            _ = try cursor.scanString()
        }
        cursor.skipWhitespace()
        guard let colon = cursor.current else {
            throw JSONScanError(.unexpectedEnd, at: cursor.index)
        }
        guard colon == ASCII.colon else { throw JSONScanError(.expectedColon, at: cursor.index) }
        cursor.index += 1
        cursor.skipWhitespace()
        return node
    }

    private func escapedChild(of parent: Int, _ raw: UnsafeRawBufferPointer) -> Int {
        keyScratch.removeAll(keepingCapacity: true)
        Self.unescape(raw, into: &keyScratch)
        return keyScratch.withUnsafeBytes { paths.child(of: parent, key: $0) }
    }

    @inline(__always)
    private func resetFields(below node: Int) {
        let entry = nodes[node]
        // A leaf's own fields are overwritten by `record` right after: only an object on a
        // mapped path can leave fields of an earlier occurrence behind.
        guard entry.childEnd > entry.childStart else { return }
        for position in entry.subtreeStart..<entry.subtreeEnd {
            // A repeated object key clears what its first occurrence found: no shape (the
            // shape path records values and never clears).
            if spanStore[fieldIDs[position]].kind != .missing { shapeable = false }
            spanStore[fieldIDs[position]].kind = .missing
        }
    }

    @inline(__always)
    private func record(
        _ node: Int, _ kind: JSONValueSpan.Kind, _ start: Int, _ end: Int, _ hasEscapes: Bool
    ) {
        guard node >= 0 else { return }
        let entry = nodes[node]
        for position in entry.leafStart..<entry.leafEnd {
            spanStore[fieldIDs[position]] = JSONValueSpan(
                kind: kind, start: start, end: end, hasEscapes: hasEscapes)
        }
    }

    /// The full scan passed a scalar value (`start..<end`, the whole token) of `node`.
    @inline(__always)
    private func noteValue(_ start: Int, _ end: Int, _ node: Int) {
        if seenCount == seenCapacity {
            seenCapacity *= 2
            Self.grow(&seenStarts, seenCount, seenCapacity)
            Self.grow(&seenEnds, seenCount, seenCapacity)
            Self.grow(&seenNodes, seenCount, seenCapacity)
        }
        seenStarts[seenCount] = start
        seenEnds[seenCount] = end
        seenNodes[seenCount] = node
        seenCount += 1
    }

    private static func grow<T>(_ buffer: inout UnsafeMutablePointer<T>, _ count: Int, _ capacity: Int) {
        let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        bigger.moveInitialize(from: buffer, count: count)
        buffer.deallocate()
        buffer = bigger
    }

    /// Makes the accepted `line` the shape, unless a repeated key or a field mapped to a
    /// container makes it unfit, or it holds no scalar value.
    private func learnShape(_ line: UnsafeRawBufferPointer) {
        shapeValues = 0
        guard shapeable, seenCount > 0, let base = line.baseAddress else { return }
        // The spans' bytes: the line without its values.
        var bytes = line.count
        for i in 0..<seenCount { bytes -= seenEnds[i] - seenStarts[i] }
        if bytes > shapeBytesCapacity {
            shapeBytes.deallocate()
            shapeBytesCapacity = max(bytes, 2 * shapeBytesCapacity)
            shapeBytes = .allocate(capacity: shapeBytesCapacity)
        }
        if seenCount > shapeCapacity {
            shapeCapacity = max(seenCount, 2 * shapeCapacity)
            shapeEnds.deallocate()
            shapeNodes.deallocate()
            shapeEnds = .allocate(capacity: shapeCapacity + 1)
            shapeNodes = .allocate(capacity: shapeCapacity)
        }
        let source = base.assumingMemoryBound(to: UInt8.self)
        var written = 0
        var from = 0
        for i in 0...seenCount {
            let to = i < seenCount ? seenStarts[i] : line.count
            (shapeBytes + written).update(from: source + from, count: to - from)
            written += to - from
            shapeEnds[i] = written
            if i < seenCount {
                shapeNodes[i] = seenNodes[i]
                from = seenEnds[i]
            }
        }
        shapeValues = seenCount
    }
}

extension JSONScanner {
    /// Appends the unescaped UTF-8 of a string's raw contents (the bytes between its quotes,
    /// already validated by `scan`) to `output`.
    static func unescape(_ raw: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        var index = 0
        while index < raw.count {
            var runEnd = index
            while runEnd < raw.count && raw[runEnd] != ASCII.backslash { runEnd += 1 }
            if runEnd > index {
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[index..<runEnd]))
                index = runEnd
                continue
            }
            guard index + 1 < raw.count else { return }
            let escaped = raw[index + 1]
            switch escaped {
            case ASCII.b: output.append(0x08)
            case ASCII.f: output.append(0x0C)
            case ASCII.n: output.append(ASCII.lineFeed)
            case ASCII.r: output.append(ASCII.carriageReturn)
            case ASCII.t: output.append(ASCII.tab)
            case ASCII.u:
                index = appendUnicodeEscape(raw, at: index, into: &output)
                continue
            default: output.append(escaped)
            }
            index += 2
        }
    }

    /// Appends the scalar of `\uXXXX` (or of a surrogate pair) at `start` as UTF-8; returns the
    /// offset after the escape. A lone surrogate, which `scan` rejects, would become U+FFFD.
    private static func appendUnicodeEscape(
        _ raw: UnsafeRawBufferPointer, at start: Int, into output: inout [UInt8]
    ) -> Int {
        let unit = JSONCursor.hexQuad(raw, at: start + 2)
        var end = start + 6
        var scalar = unit
        if unit >= 0xD800 && unit <= 0xDBFF && end + 1 < raw.count
            && raw[end] == ASCII.backslash && raw[end + 1] == ASCII.u
        {
            let low = JSONCursor.hexQuad(raw, at: end + 2)
            if low >= 0xDC00 && low <= 0xDFFF {
                scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                end += 6
            }
        }
        appendUTF8(scalar, into: &output)
        return end
    }

    private static func appendUTF8(_ value: Int, into output: inout [UInt8]) {
        let isScalar = value >= 0 && value <= 0x10FFFF && !(value >= 0xD800 && value <= 0xDFFF)
        let scalar = isScalar ? value : 0xFFFD
        if scalar < 0x80 {
            output.append(UInt8(scalar))
        } else if scalar < 0x800 {
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        } else if scalar < 0x10000 {
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        } else {
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
