/// Gold's checkpointed state as bytes: little-endian integers, length-prefixed byte strings
/// and tagged values. Damaged bytes are an error that says how to rebuild, never a crash.
struct StateWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    mutating func int(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int(_ v: Int) { int(Int64(v)) }

    mutating func data(_ b: [UInt8]) {
        int(b.count)
        bytes.append(contentsOf: b)
    }

    mutating func string(_ s: String) { data(Array(s.utf8)) }

    mutating func value(_ v: GoldValue) {
        switch v {
        case .null: bytes.append(0)
        case .int(let x): bytes.append(1); int(x)
        case .double(let x): bytes.append(2); int(Int64(bitPattern: x.bitPattern))
        case .bool(let x): bytes.append(3); bytes.append(x ? 1 : 0)
        case .string(let x): bytes.append(4); string(x)
        case .timestamp(let x): bytes.append(5); int(x)
        }
    }

    mutating func aggState(_ s: AggState) {
        int(s.n)
        int(s.a)
        int(s.t)
        int(s.i)
        bytes.append(s.isNullValue ? 1 : 0)
        data(s.text)
        int(s.distinct.count)
        // Sorted, so the same state always has the same bytes.
        for h in s.distinct.sorted() {
            int(Int64(bitPattern: h.a))
            int(Int64(bitPattern: h.b))
        }
    }
}

struct StateReader {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    static func damaged() -> LakeError {
        LakeError("read gold checkpoint", "the saved gold state is damaged",
                  hint: "rebuild gold with `lake backfill gold --from <first day> --to <last day>`")
    }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw Self.damaged() }
        position += 1
        return bytes[position - 1]
    }

    mutating func int() throws -> Int64 {
        guard bytes.count - position >= 8 else { throw Self.damaged() }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
        position += 8
        return Int64(bitPattern: v)
    }

    /// A count of things still to read (each at least one byte), checked against what is left.
    mutating func count() throws -> Int {
        let n = try int()
        guard n >= 0 && n <= Int64(bytes.count - position) else { throw Self.damaged() }
        return Int(n)
    }

    mutating func data() throws -> [UInt8] {
        let n = try count()
        position += n
        return Array(bytes[(position - n)..<position])
    }

    mutating func string() throws -> String { String(decoding: try data(), as: UTF8.self) }

    mutating func value() throws -> GoldValue {
        switch try byte() {
        case 0: return .null
        case 1: return .int(try int())
        case 2: return .double(Double(bitPattern: UInt64(bitPattern: try int())))
        case 3: return .bool(try byte() != 0)
        case 4: return .string(try string())
        case 5: return .timestamp(try int())
        default: throw Self.damaged()
        }
    }

    mutating func aggState() throws -> AggState {
        var s = AggState()
        s.n = try int()
        s.a = try int()
        s.t = try int()
        s.i = try int()
        s.isNullValue = try byte() != 0
        s.text = try data()
        let n = try count()
        s.distinct.reserveCapacity(n)
        for _ in 0..<n {
            let a = UInt64(bitPattern: try int())
            s.distinct.insert(AggState.DistinctHash(a: a, b: UInt64(bitPattern: try int())))
        }
        return s
    }

    mutating func aggStates(_ count: Int) throws -> [AggState] {
        var out: [AggState] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try aggState()) }
        return out
    }
}
