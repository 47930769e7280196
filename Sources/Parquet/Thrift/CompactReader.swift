/// Thrift compact protocol decoder over untrusted bytes: every read is bounds-checked and every
/// length validated, so a corrupt footer raises `DecodeError` instead of crashing.
struct CompactReader {
    typealias WireType = CompactWriter.WireType

    private let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    private var lastFieldID: Int16 = 0
    private var fieldIDStack: [Int16] = []
    /// Nesting bound: Parquet metadata is shallow; deeper input is corrupt.
    static let depthMax = 32

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    // MARK: primitives

    mutating func readByte() throws -> UInt8 {
        guard position < bytes.count else { throw DecodeError("thrift data ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readVarint() throws -> UInt64 {
        try RLEHybrid.readVarint(bytes, at: &position, in: "thrift")
    }

    mutating func readI64() throws -> Int64 {
        let v = try readVarint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func readI32() throws -> Int32 {
        let v = try readI64()
        guard let result = Int32(exactly: v) else { throw DecodeError("thrift i32 out of range") }
        return result
    }

    mutating func readBinary() throws -> [UInt8] {
        let length = try readVarint()
        guard length <= UInt64(bytes.count - position) else {
            throw DecodeError("thrift binary of \(length) bytes runs past the data")
        }
        let start = position
        position += Int(length)
        return Array(bytes[start..<position])
    }

    mutating func readString() throws -> String {
        String(decoding: try readBinary(), as: UTF8.self)
    }

    mutating func readDouble() throws -> Double {
        guard bytes.count - position >= 8 else { throw DecodeError("thrift data ends early") }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return Double(bitPattern: bits)
    }

    // MARK: structs

    mutating func beginStruct() throws {
        guard fieldIDStack.count < Self.depthMax else { throw DecodeError("thrift nesting too deep") }
        fieldIDStack.append(lastFieldID)
        lastFieldID = 0
    }

    mutating func endStruct() {
        lastFieldID = fieldIDStack.popLast() ?? 0
    }

    /// The next field's id and type, or nil at the struct's STOP byte.
    /// Booleans carry their value in the type: `.boolTrue` / `.boolFalse`.
    mutating func readFieldHeader() throws -> (id: Int16, type: WireType)? {
        let byte = try readByte()
        if byte == 0 { return nil }
        guard let type = WireType(rawValue: byte & 0x0F) else {
            throw DecodeError("thrift unknown field type \(byte & 0x0F)")
        }
        let delta = byte >> 4
        if delta != 0 {
            lastFieldID = lastFieldID &+ Int16(delta)
        } else {
            let id = try readI64()
            guard let id16 = Int16(exactly: id) else { throw DecodeError("thrift field id out of range") }
            lastFieldID = id16
        }
        return (lastFieldID, type)
    }

    mutating func readListHeader() throws -> (element: WireType, count: Int) {
        let byte = try readByte()
        guard let type = WireType(rawValue: byte & 0x0F) else {
            throw DecodeError("thrift unknown list element type \(byte & 0x0F)")
        }
        var count = Int(byte >> 4)
        if count == 15 {
            let big = try readVarint()
            // Each element takes at least one byte, except in corrupt data.
            guard big <= UInt64(bytes.count - position) else {
                throw DecodeError("thrift list of \(big) elements runs past the data")
            }
            count = Int(big)
        }
        return (type, count)
    }

    /// Reads a struct, calling `body` for each field; fields `body` does not read must be skipped
    /// by it with `skip(type)`.
    mutating func readStruct(_ body: (inout CompactReader, Int16, WireType) throws -> Void) throws {
        try beginStruct()
        while let (id, type) = try readFieldHeader() {
            try body(&self, id, type)
        }
        endStruct()
    }

    /// Reads a list of elements with `element`.
    mutating func readList<T>(_ element: (inout CompactReader) throws -> T) throws -> [T] {
        let (_, count) = try readListHeader()
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    mutating func readBool(_ type: WireType) throws -> Bool {
        switch type {
        case .boolTrue: return true
        case .boolFalse: return false
        default: throw DecodeError("thrift expected a bool field, got type \(type.rawValue)")
        }
    }

    /// Skips a value of `type` (an unknown or unneeded field), with bounded nesting.
    mutating func skip(_ type: WireType, depth: Int = 0) throws {
        guard depth < Self.depthMax else { throw DecodeError("thrift nesting too deep") }
        switch type {
        case .boolTrue, .boolFalse: return
        case .byte: _ = try readByte()
        case .i16, .i32, .i64: _ = try readVarint()
        case .double: _ = try readDouble()
        case .binary: _ = try readBinaryLengthAndSkip()
        case .list, .set:
            let (element, count) = try readListHeader()
            for _ in 0..<count {
                // Bool list elements are one byte each.
                if element == .boolTrue || element == .boolFalse { _ = try readByte() } else {
                    try skip(element, depth: depth + 1)
                }
            }
        case .map:
            let count = try readVarint()
            if count == 0 { return }
            guard count <= UInt64(bytes.count - position) else { throw DecodeError("thrift map too large") }
            let kv = try readByte()
            guard let key = WireType(rawValue: kv >> 4), let value = WireType(rawValue: kv & 0x0F)
            else { throw DecodeError("thrift unknown map types") }
            for _ in 0..<count {
                try skip(key, depth: depth + 1)
                try skip(value, depth: depth + 1)
            }
        case .structure:
            try beginStruct()
            while let (_, fieldType) = try readFieldHeader() {
                try skip(fieldType, depth: depth + 1)
            }
            endStruct()
        }
    }

    private mutating func readBinaryLengthAndSkip() throws {
        let length = try readVarint()
        guard length <= UInt64(bytes.count - position) else {
            throw DecodeError("thrift binary runs past the data")
        }
        position += Int(length)
    }
}
