import Parquet

/// Silver and quarantine table schemas, derived from the job's column mapping.
enum SilverTable {
    static func schema(_ settings: SilverSettings) -> Schema {
        var columns = settings.columns.map { f -> Column in
            switch f.type {
            case .string: return .string(f.column, nullable: !f.required)
            case .double: return Column(f.column, .double, nullable: !f.required)
            case .int64: return Column(f.column, .int64, nullable: !f.required)
            case .timestamp: return .timestamp(f.column, nullable: !f.required)
            }
        }
        columns.append(Column("ingest_id", .int64))
        return Schema(columns.map(writerHints))
    }

    /// Silver's ids and times are written DELTA_BINARY_PACKED: `ingest_id` rises by one row
    /// to the next, event times within a day partition are nearly sorted, so their deltas
    /// take a few bits where PLAIN took 64 (and zstd had 8 bytes a row to compress). Applied
    /// to the table's schema and to a schema read back from its files (compaction).
    static func writerHints(_ column: Column) -> Column {
        var c = column
        if c.type == .int64 && (c.name == "ingest_id" || c.logicalType == .timestampMicrosUTC) {
            c.delta = true
            c.dictionary = false
        }
        return c
    }

    static func schemaJSON(_ schema: Schema) -> String {
        "[" + schema.columns.map { c in
            let type: String
            switch (c.type, c.logicalType) {
            case (_, .string): type = "string"
            case (_, .timestampMicrosUTC): type = "timestamp"
            case (.double, _): type = "double"
            case (.int64, _): type = "int64"
            case (.byteArray, _): type = "binary"
            default: type = "\(c.type)"
            }
            return "{\"name\":\"\(c.name)\",\"type\":\"\(type)\",\"nullable\":\(c.nullable)}"
        }.joined(separator: ",") + "]"
    }

    /// A child table's schema: the parent's dedup key and event time, the element's columns,
    /// then `ingest_id` (the parent's bronze row).
    static func childSchema(_ settings: SilverSettings, _ child: ChildTableSettings) -> Schema {
        let parent = settings.childParentFields.map { settings.columns[$0] }
        var s = settings
        s.columns = parent.map { var f = $0; f.required = true; return f } + child.columns
        return schema(s)
    }

    /// Quarantine rows: the bronze line that could not become a silver row, and why.
    static let quarantineSchema = Schema([
        Column("ingest_id", .int64),
        .string("reason"),
        .string("detail"),
        Column("body", .byteArray),
    ])
}

extension SilverTable {
    /// Appends one child row: the parent record's `parentFields` (key and event time), the
    /// element's columns, then `ingest_id`.
    static func appendChild(
        parent: inout ParsedRecord, parentFields: [Int], parentTypes: [FieldType],
        element: inout ParsedRecord, types: [FieldType], ingestID: Int64, to w: ParquetWriter
    ) throws {
        parentTypes.withUnsafeBufferPointer { appendValues(&parent, fields: parentFields, types: $0, at: 0, to: w) }
        types.withUnsafeBufferPointer { appendValues(&element, fields: nil, types: $0, at: parentFields.count, to: w) }
        w.append(parentFields.count + types.count, ingestID)
        try w.endRow()
    }

    /// Appends the fields of a record as columns from `first` on: `fields[k]` (every field in
    /// order when nil), of types `types[k]`. One pass over raw buffers: this runs per silver
    /// row, for every column.
    @inline(__always)
    private static func appendValues(
        _ record: inout ParsedRecord, fields: [Int]?, types: UnsafeBufferPointer<FieldType>, at first: Int,
        to w: ParquetWriter
    ) {
        // In the parsed line unless it had escapes (see ParsedRecord).
        let line = record.lineBytes
        let slots = record.slots
        precondition(slots.count >= types.count, "a record of \(slots.count) fields for \(types.count) columns")
        record.arena.withUnsafeBytes { arena in
            for k in 0..<types.count {
                let slot = slots[fields?[k] ?? k]
                let column = first + k
                if slot.isNull {
                    w.appendNull(column)
                    continue
                }
                switch types[k] {
                case .string:
                    let source = slot.inLine ? line : arena
                    w.append(column, bytes: UnsafeRawBufferPointer(rebasing: source[slot.start..<(slot.start + slot.count)]))
                case .double: w.append(column, Double(bitPattern: slot.bits))
                case .int64, .timestamp: w.append(column, Int64(bitPattern: slot.bits))
                }
            }
        }
    }

    /// Appends a parsed record as one silver row (its columns, then `ingest_id`).
    /// `record` is `inout` only to be borrowed without a copy (it is not changed).
    static func append(
        _ record: inout ParsedRecord, types: [FieldType], ingestID: Int64, to w: ParquetWriter
    ) throws {
        types.withUnsafeBufferPointer { appendValues(&record, fields: nil, types: $0, at: 0, to: w) }
        w.append(types.count, ingestID)
        try w.endRow()
    }
}

extension SilverTable {
    /// Adds to the live quarantine row counts per reason (what dashboards show).
    static func addQuarantined(_ catalog: Catalog, job: String, byReason: [String: Int]) throws {
        for (reason, count) in byReason where count != 0 {
            try catalog.db.run("""
                INSERT INTO lake_quarantine_count (job, reason, row_count) VALUES (?, ?, ?)
                ON CONFLICT (job, reason) DO UPDATE SET row_count = row_count + excluded.row_count
                """, .text(job), .text(reason), .of(count))
        }
    }

    /// Adds duplicate counts per event date (kept per date so a backfill can replace a range).
    static func addDuplicates(_ catalog: Catalog, job: String, byDay: [Int64: Int]) throws {
        for (day, count) in byDay {
            try catalog.db.run("""
                INSERT INTO lake_silver_duplicates (job, event_date, duplicate_count) VALUES (?, ?, ?)
                ON CONFLICT (job, event_date) DO UPDATE SET duplicate_count = duplicate_count + excluded.duplicate_count
                """, .text(job), .text(Timestamps.date(micros: day * 86_400_000_000)), .of(count))
        }
    }
}

/// Builds the dedup key of a parsed record: the key columns' bytes, length-prefixed, hashed to
/// 128 bits. The bytes are laid out in a stack buffer (no allocation, no array appends per
/// record): per field a presence byte (0 null, 1 value), then a string's UInt32 length and
/// bytes, or a number's 8 bytes, little-endian. Saved checkpoints hold these hashes, so the
/// layout and the hash must never change.
struct DedupKeyBuilder {
    let fields: [Int]
    let types: [FieldType]

    init(fields: [Int], columns: [FieldMapping]) {
        self.fields = fields
        types = fields.map { columns[$0].type }
    }

    /// `record` is borrowed as `inout` (not changed): a by-value copy of a stored record
    /// retained and released its buffers on every call.
    func key(_ record: inout ParsedRecord) -> SilverState.Key {
        if fields.count == 1 { return key(field: fields[0], type: types[0], &record) }
        var size = 0
        // Index loops: `zip` over the two arrays retained both per call.
        for i in 0..<fields.count {
            let f = fields[i]
            size += 1
            if record.isNull(f) { continue }
            size += types[i] == .string ? 4 + record.stringByteCount(f) : 8
        }
        return withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { buffer in
            guard let base = buffer.baseAddress else { return KeyHash.hash(UnsafeRawBufferPointer(buffer)) }
            var offset = 0
            for i in 0..<fields.count {
                let f = fields[i], type = types[i]
                if record.isNull(f) {
                    base.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self)
                    offset += 1
                    continue
                }
                base.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
                offset += 1
                switch type {
                case .string:
                    record.withString(f) { bytes in
                        base.storeBytes(of: UInt32(bytes.count).littleEndian, toByteOffset: offset, as: UInt32.self)
                        offset += 4
                        if let source = bytes.baseAddress {
                            (base + offset).copyMemory(from: source, byteCount: bytes.count)
                        }
                        offset += bytes.count
                    }
                case .double, .int64, .timestamp:
                    base.storeBytes(of: record.int64(f).littleEndian, toByteOffset: offset, as: Int64.self)
                    offset += 8
                }
            }
            return KeyHash.hash(UnsafeRawBufferPointer(buffer))
        }
    }

    /// The key of row `row` of silver's key columns read back from Parquet (`columns`, in
    /// `fields` order): the same bytes the parsed record gave when the row was accepted, so the
    /// dedup state can be rebuilt from silver.
    func key(row: Int, of columns: ArraySlice<ColumnData>, file: String, scratch bytes: inout [UInt8]) throws
        -> SilverState.Key
    {
        bytes.removeAll(keepingCapacity: true)
        for (i, d) in zip(types.indices, columns) {
            if d.isNull(row) {
                bytes.append(0)
                continue
            }
            bytes.append(1)
            switch (types[i], d.values) {
            case (.string, .bytes(let v)):
                let r = v.range(row)
                withUnsafeBytes(of: UInt32(r.count).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: v.data[r])
            case (.double, .double(let v)):
                withUnsafeBytes(of: v[row].bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            case (.int64, .int64(let v)), (.timestamp, .int64(let v)):
                withUnsafeBytes(of: v[row].littleEndian) { bytes.append(contentsOf: $0) }
            default:
                throw LakeError("read silver", path: file, "dedup key column \(d.column.name) has an unexpected type",
                                hint: "rebuild silver with `lake backfill silver`")
            }
        }
        return bytes.withUnsafeBytes { KeyHash.hash($0) }
    }

    /// The common one-field key (`dedup_keys = ["event_id"]`), the same bytes as the loop
    /// above writes, without the closure that captured (retained and released) both arrays
    /// once per record.
    private func key(field f: Int, type: FieldType, _ record: inout ParsedRecord) -> SilverState.Key {
        if record.isNull(f) {
            return withUnsafeTemporaryAllocation(byteCount: 1, alignment: 8) { buffer in
                buffer[0] = 0
                return KeyHash.hash(UnsafeRawBufferPointer(buffer))
            }
        }
        let size = 1 + (type == .string ? 4 + record.stringByteCount(f) : 8)
        let bits = type == .string ? 0 : record.int64(f)
        return withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { buffer in
            let base = buffer.baseAddress!
            base.storeBytes(of: 1, as: UInt8.self)
            if type == .string {
                record.withString(f) { bytes in
                    base.storeBytes(of: UInt32(bytes.count).littleEndian, toByteOffset: 1, as: UInt32.self)
                    if let source = bytes.baseAddress { (base + 5).copyMemory(from: source, byteCount: bytes.count) }
                }
            } else {
                base.storeBytes(of: bits.littleEndian, toByteOffset: 1, as: Int64.self)
            }
            return KeyHash.hash(UnsafeRawBufferPointer(buffer))
        }
    }
}
