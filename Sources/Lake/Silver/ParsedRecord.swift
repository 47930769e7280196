/// The typed column values of one parsed event, reused from record to record: `EventParser`
/// overwrites it in place, and after the first few records nothing is allocated (the slot array
/// and the byte arena keep their capacity).
///
/// Field indices are the order of the parser's `fields`. The values are defined only after
/// `parse` returned `.accepted`; read each field with the accessor of its `FieldType`.
///
/// A string without escapes is not copied: its slot points into the line given to `parse`,
/// so string values can be read only while that line's memory is alive (silver reads them
/// before it takes the next line; `copyStringsIntoArena()` detaches a record from its line).
/// Strings with escapes are unescaped into the record's own arena.
public struct ParsedRecord: @unchecked Sendable {
    struct Slot: Sendable {
        var isNull = true
        /// An `Int64` (int64, timestamp) or a `Double`'s bit pattern.
        var bits: UInt64 = 0
        /// Strings: where the value's bytes are, in `arena` or (`inLine`) in the parsed line.
        var start = 0
        var count = 0
        var inLine = false
    }

    /// The slots, in storage of their own: the parser sets ~15 per record, and writes into a
    /// Swift array cost a uniqueness check each. `reset` makes the storage unique once per
    /// record (copying it if this record was copied), so the setters write through its
    /// pointer.
    private var storage = SlotStorage(count: 0)
    /// The slots of the last parse (valid until the record is next changed).
    var slots: UnsafeBufferPointer<Slot> { UnsafeBufferPointer(start: storage.base, count: storage.count) }

    /// One slot, range-checked (the buffer's own subscript is checked in debug builds only).
    @inline(__always)
    private func slot(_ field: Int) -> Slot {
        precondition(field >= 0 && field < storage.count, "field \(field) of a record of \(storage.count)")
        return storage.base[field]
    }
    /// The unescaped bytes of the string fields that had escapes, back to back.
    private(set) var arena: [UInt8] = []
    /// The line of the last `parse` (not owned: see the type's documentation).
    private var line = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Where slots with `inLine` point.
    var lineBytes: UnsafeRawBufferPointer { line }

    public init() {}

    /// The number of fields (0 before the first parse).
    public var fieldCount: Int { storage.count }

    /// True when the field was absent or `null` (only optional fields can be).
    public func isNull(_ field: Int) -> Bool { slot(field).isNull }

    /// Calls `body` with the field's unescaped UTF-8 bytes, valid only during the call (empty
    /// when the field is null).
    public func withString<R>(
        _ field: Int, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let slot = self.slot(field)
        if slot.inLine {
            return try body(UnsafeRawBufferPointer(rebasing: line[slot.start..<slot.start + slot.count]))
        }
        return try arena.withUnsafeBytes { bytes in
            try body(UnsafeRawBufferPointer(rebasing: bytes[slot.start..<slot.start + slot.count]))
        }
    }

    /// The length in bytes of a string field's (unescaped) value; 0 when null.
    func stringByteCount(_ field: Int) -> Int {
        let slot = self.slot(field)
        return slot.isNull ? 0 : slot.count
    }

    /// The field's value as a `String` (allocates: for tests and cold paths), nil when null.
    public func string(_ field: Int) -> String? {
        if slot(field).isNull { return nil }
        return withString(field) { String(decoding: $0, as: UTF8.self) }
    }

    /// A `double` field's value (0 when null).
    public func double(_ field: Int) -> Double { Double(bitPattern: slot(field).bits) }

    /// An `int64` field's value (0 when null).
    public func int64(_ field: Int) -> Int64 { Int64(bitPattern: slot(field).bits) }

    /// A `timestamp` field's value: UTC microseconds since 1970-01-01 (0 when null).
    public func timestampMicros(_ field: Int) -> Int64 { Int64(bitPattern: slot(field).bits) }

    // MARK: writing (by the parser)

    mutating func reset(fieldCount: Int, line: UnsafeRawBufferPointer) {
        if storage.count != fieldCount {
            storage = SlotStorage(count: fieldCount)
        } else if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        arena.removeAll(keepingCapacity: true)
        self.line = line
    }

    /// Copies the string values that point into the parsed line into the record's arena, so
    /// the record stays readable after the line's memory is gone (tests, cold paths).
    public mutating func copyStringsIntoArena() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        let slots = storage.base
        for field in 0..<storage.count where slots[field].inLine {
            let start = arena.count
            arena.append(contentsOf: line[slots[field].start..<slots[field].start + slots[field].count])
            slots[field].start = start
            slots[field].inLine = false
        }
        line = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    // The setters run between `reset` (which made the storage unique) and the end of the
    // same `parse`: nothing can copy the record in between.

    mutating func setNull(_ field: Int) {
        set(field, Slot())
    }

    mutating func setInt64(_ field: Int, _ value: Int64) {
        set(field, Slot(isNull: false, bits: UInt64(bitPattern: value)))
    }

    mutating func setDouble(_ field: Int, _ value: Double) {
        set(field, Slot(isNull: false, bits: value.bitPattern))
    }

    @inline(__always)
    private mutating func set(_ field: Int, _ slot: Slot) {
        precondition(field >= 0 && field < storage.count, "field \(field) out of range")
        storage.base[field] = slot
    }

    /// Replaces a string value with other bytes (PII hashing and masking), kept in the arena.
    mutating func replaceString(_ field: Int, with bytes: UnsafeRawBufferPointer) {
        let arenaStart = arena.count
        arena.append(contentsOf: bytes)
        set(field, Slot(isNull: false, start: arenaStart, count: bytes.count))
    }

    /// A string value: its raw JSON contents at `start..<start + count` of the parsed line,
    /// referenced there, or unescaped into the arena when it has escapes.
    mutating func setString(_ field: Int, lineStart start: Int, count: Int, hasEscapes: Bool) {
        guard hasEscapes else {
            set(field, Slot(isNull: false, start: start, count: count, inLine: true))
            return
        }
        let arenaStart = arena.count
        JSONScanner.unescape(UnsafeRawBufferPointer(rebasing: line[start..<start + count]), into: &arena)
        set(field, Slot(isNull: false, start: arenaStart, count: arena.count - arenaStart))
    }
}

/// The slots of a `ParsedRecord`, copied when a copied record is parsed into again.
final class SlotStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<ParsedRecord.Slot>
    let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(1, count))
        base.initialize(repeating: ParsedRecord.Slot(), count: max(1, count))
    }

    func copy() -> SlotStorage {
        let c = SlotStorage(count: count)
        c.base.update(from: base, count: count)
        return c
    }

    deinit { base.deallocate() }
}
