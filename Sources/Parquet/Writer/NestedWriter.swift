#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small writer for files with nested groups, maps and lists: one row group, one PLAIN data
/// page (v1, uncompressed) per column. It exists for the Delta log's checkpoints, whose schema
/// is nested (`add.partitionValues` is a map); the table writer stays flat and fast. The
/// caller shreds its records into leaves (definition and repetition levels plus the present
/// values), as the Dremel encoding Parquet uses describes.
public enum NestedWriter {
    public enum Repetition: Int32, Sendable { case required = 0, optional = 1, repeated = 2 }

    /// ConvertedType annotations of the groups this writer needs.
    public enum GroupKind: Sendable { case plain, map, mapKeyValue, list }

    public indirect enum Node: Sendable {
        case group(String, Repetition, GroupKind, [Node])
        case leaf(String, Repetition, PhysicalType, string: Bool)

        var name: String {
            switch self {
            case .group(let n, _, _, _), .leaf(let n, _, _, _): return n
            }
        }
    }

    /// One leaf column's levels and present values, in schema (depth-first) order.
    public struct Leaf: Sendable {
        public var definition: [UInt8] = []
        public var repetition: [UInt8] = []
        public var int32s: [Int32] = []
        public var int64s: [Int64] = []
        public var bools: [Bool] = []
        public var bytes: [[UInt8]] = []

        public init() {}

        public mutating func null(_ level: Int, repetition r: Int = 0) {
            definition.append(UInt8(level))
            repetition.append(UInt8(r))
        }

        public mutating func value(_ v: Int64, level: Int, repetition r: Int = 0) {
            null(level, repetition: r)
            int64s.append(v)
        }

        public mutating func value(_ v: Int32, level: Int, repetition r: Int = 0) {
            null(level, repetition: r)
            int32s.append(v)
        }

        public mutating func value(_ v: Bool, level: Int, repetition r: Int = 0) {
            null(level, repetition: r)
            bools.append(v)
        }

        public mutating func value(_ v: String, level: Int, repetition r: Int = 0) {
            null(level, repetition: r)
            bytes.append(Array(v.utf8))
        }
    }

    private struct LeafInfo {
        var path: [String]
        var type: PhysicalType
        var maxDefinition: Int
        var maxRepetition: Int
    }

    private static func leaves(_ nodes: [Node], _ path: [String], _ d: Int, _ r: Int, into out: inout [LeafInfo]) {
        for node in nodes {
            switch node {
            case .group(let name, let rep, _, let children):
                leaves(children, path + [name], d + (rep == .required ? 0 : 1), r + (rep == .repeated ? 1 : 0), into: &out)
            case .leaf(let name, let rep, let type, _):
                out.append(LeafInfo(path: path + [name], type: type, maxDefinition: d + (rep == .required ? 0 : 1),
                                    maxRepetition: r + (rep == .repeated ? 1 : 0)))
            }
        }
    }

    /// Writes `rows` records of `schema` (the root's children) from `columns` (one per leaf,
    /// depth-first) to `path`, fsynced.
    public static func write(path: String, schema: [Node], columns: [Leaf], rows: Int64, createdBy: String) throws {
        var infos: [LeafInfo] = []
        leaves(schema, [], 0, 0, into: &infos)
        guard infos.count == columns.count else {
            throw ParquetError(path: path, "\(columns.count) columns given for \(infos.count) leaves")
        }
        var file: [UInt8] = Array("PAR1".utf8)
        var chunks: [(offset: Int64, size: Int64, values: Int64)] = []
        for (info, leaf) in zip(infos, columns) {
            var body: [UInt8] = []
            if info.maxRepetition > 0 { levels(leaf.repetition, max: info.maxRepetition, into: &body) }
            if info.maxDefinition > 0 { levels(leaf.definition, max: info.maxDefinition, into: &body) }
            plain(leaf, info.type, into: &body)
            var header = CompactWriter()
            header.beginStruct()
            header.field(1, i32: 0)  // DATA_PAGE
            header.field(2, i32: Int32(body.count))
            header.field(3, i32: Int32(body.count))
            header.field(4, i32: body.withUnsafeBytes { PageChecksum.of($0) })
            header.beginStructField(5)
            header.field(1, i32: Int32(leaf.definition.count))
            header.field(2, i32: Encoding.plain.rawValue)
            header.field(3, i32: Encoding.rle.rawValue)
            header.field(4, i32: Encoding.rle.rawValue)
            header.endStruct()
            header.endStruct()
            let offset = Int64(file.count)
            file += header.bytes
            file += body
            chunks.append((offset, Int64(file.count) - offset, Int64(leaf.definition.count)))
        }
        var w = CompactWriter()
        w.beginStruct()
        w.field(1, i32: 1)
        var elements = 1
        func count(_ nodes: [Node]) {
            for n in nodes {
                elements += 1
                if case .group(_, _, _, let c) = n { count(c) }
            }
        }
        count(schema)
        w.beginListField(2, element: .structure, count: elements)
        w.beginStruct()
        w.field(4, string: "schema")
        w.field(5, i32: Int32(schema.count))
        w.endStruct()
        func encode(_ nodes: [Node]) {
            for n in nodes {
                w.beginStruct()
                switch n {
                case .group(let name, let rep, let kind, let children):
                    w.field(3, i32: rep.rawValue)
                    w.field(4, string: name)
                    w.field(5, i32: Int32(children.count))
                    switch kind {
                    case .plain: break
                    case .map: w.field(6, i32: 1)
                    case .mapKeyValue: w.field(6, i32: 2)
                    case .list: w.field(6, i32: 3)
                    }
                    w.endStruct()
                    encode(children)
                case .leaf(let name, let rep, let type, let string):
                    w.field(1, i32: type.rawValue)
                    w.field(3, i32: rep.rawValue)
                    w.field(4, string: name)
                    if string {
                        w.field(6, i32: 0)  // UTF8
                        w.beginStructField(10)
                        w.beginStructField(1)  // LogicalType.STRING
                        w.endStruct()
                        w.endStruct()
                    }
                    w.endStruct()
                }
            }
        }
        encode(schema)
        w.field(3, i64: rows)
        w.beginListField(4, element: .structure, count: 1)
        w.beginStruct()
        w.beginListField(1, element: .structure, count: infos.count)
        var total: Int64 = 0
        for (info, chunk) in zip(infos, chunks) {
            total += chunk.size
            w.beginStruct()
            w.field(2, i64: chunk.offset)
            w.beginStructField(3)
            w.field(1, i32: info.type.rawValue)
            w.beginListField(2, element: .i32, count: 2)
            w.writeI32(Encoding.plain.rawValue)
            w.writeI32(Encoding.rle.rawValue)
            w.beginListField(3, element: .binary, count: info.path.count)
            for p in info.path { w.writeBinary(Array(p.utf8)) }
            w.field(4, i32: Codec.uncompressed.rawValue)
            w.field(5, i64: chunk.values)
            w.field(6, i64: chunk.size)
            w.field(7, i64: chunk.size)
            w.field(9, i64: chunk.offset)
            w.endStruct()
            w.endStruct()
        }
        w.field(2, i64: total)
        w.field(3, i64: rows)
        w.endStruct()
        w.field(6, string: createdBy)
        w.endStruct()
        file += w.bytes
        let footer = UInt32(w.bytes.count)
        file += [UInt8(footer & 0xff), UInt8(footer >> 8 & 0xff), UInt8(footer >> 16 & 0xff), UInt8(footer >> 24)]
        file += Array("PAR1".utf8)
        try writeFile(path, file)
    }

    /// Levels as the RLE/bit-packed hybrid, prefixed by their byte length (data page v1).
    private static func levels(_ values: [UInt8], max: Int, into out: inout [UInt8]) {
        var encoded: [UInt8] = []
        let width = RLEHybrid.bitWidth(forMax: max)
        var i = 0
        while i < values.count {
            var j = i
            while j < values.count && values[j] == values[i] { j += 1 }
            RLEHybrid.writeRun(value: UInt32(values[i]), count: j - i, bitWidth: width, into: &encoded)
            i = j
        }
        let n = UInt32(encoded.count)
        out += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
        out += encoded
    }

    private static func plain(_ leaf: Leaf, _ type: PhysicalType, into out: inout [UInt8]) {
        switch type {
        case .int32:
            for v in leaf.int32s { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        case .int64:
            for v in leaf.int64s { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        case .boolean:
            var byte: UInt8 = 0
            for (k, v) in leaf.bools.enumerated() {
                if v { byte |= 1 << UInt8(k % 8) }
                if k % 8 == 7 { out.append(byte); byte = 0 }
            }
            if leaf.bools.count % 8 != 0 { out.append(byte) }
        default:
            for b in leaf.bytes {
                let n = UInt32(b.count)
                out += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
                out += b
            }
        }
    }

    private static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ParquetError(path: path, "cannot create: \(errnoText())") }
        defer { _ = close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ParquetError(path: path, "write failed: \(errnoText())")
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw ParquetError(path: path, "fsync failed: \(errnoText())") }
    }
}
