/// The typed column values of one parsed event, reused from record to record: `EventParser`
/// overwrites it in place, and after the first few records nothing is allocated (the slot array
/// and the byte arena keep their capacity).
///
/// Field indices are the order of the parser's `fields`. The values are defined only after
/// `parse` returned `.accepted`; read each field with the accessor of its `FieldType`.
public struct ParsedRecord: Sendable {
    struct Slot: Sendable {
        var isNull = true
        /// An `Int64` (int64, timestamp) or a `Double`'s bit pattern.
        var bits: UInt64 = 0
        /// Strings: the value's bytes in `arena`.
        var start = 0
        var count = 0
    }

    private(set) var slots: [Slot] = []
    /// The unescaped bytes of every string field of the record, back to back.
    private(set) var arena: [UInt8] = []

    public init() {}

    /// The number of fields (0 before the first parse).
    public var fieldCount: Int { slots.count }

    /// True when the field was absent or `null` (only optional fields can be).
    public func isNull(_ field: Int) -> Bool { slots[field].isNull }

    /// Calls `body` with the field's unescaped UTF-8 bytes, valid only during the call (empty
    /// when the field is null).
    public func withString<R>(
        _ field: Int, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let slot = slots[field]
        return try arena.withUnsafeBytes { bytes in
            try body(UnsafeRawBufferPointer(rebasing: bytes[slot.start..<slot.start + slot.count]))
        }
    }

    /// The field's value as a `String` (allocates: for tests and cold paths), nil when null.
    public func string(_ field: Int) -> String? {
        if slots[field].isNull { return nil }
        return withString(field) { String(decoding: $0, as: UTF8.self) }
    }

    /// A `double` field's value (0 when null).
    public func double(_ field: Int) -> Double { Double(bitPattern: slots[field].bits) }

    /// An `int64` field's value (0 when null).
    public func int64(_ field: Int) -> Int64 { Int64(bitPattern: slots[field].bits) }

    /// A `timestamp` field's value: UTC microseconds since 1970-01-01 (0 when null).
    public func timestampMicros(_ field: Int) -> Int64 { Int64(bitPattern: slots[field].bits) }

    // MARK: writing (by the parser)

    mutating func reset(fieldCount: Int) {
        if slots.count != fieldCount {
            slots = Array(repeating: Slot(), count: fieldCount)
        }
        arena.removeAll(keepingCapacity: true)
    }

    mutating func setNull(_ field: Int) {
        slots[field] = Slot()
    }

    mutating func setInt64(_ field: Int, _ value: Int64) {
        slots[field] = Slot(isNull: false, bits: UInt64(bitPattern: value))
    }

    mutating func setDouble(_ field: Int, _ value: Double) {
        slots[field] = Slot(isNull: false, bits: value.bitPattern)
    }

    /// Appends a string's raw JSON contents to the arena, unescaping when needed.
    mutating func setString(_ field: Int, raw: UnsafeRawBufferPointer, hasEscapes: Bool) {
        let start = arena.count
        if hasEscapes {
            JSONScanner.unescape(raw, into: &arena)
        } else {
            arena.append(contentsOf: raw)
        }
        slots[field] = Slot(isNull: false, start: start, count: arena.count - start)
    }
}
