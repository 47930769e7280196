import Parquet

/// The bronze table: the raw append log. `body` is BYTE_ARRAY without a STRING annotation
/// because a line may be invalid UTF-8 and bronze keeps it byte-exact (DuckDB: `body::VARCHAR`).
public enum BronzeTable {
    /// How bronze files are written, by the bronze stage and by compaction alike. Row groups
    /// of 16k rows (~7 MB): a bronze row is a whole raw line (~420 B), so the default 128k rows
    /// made ~55 MB per buffer set (compaction in `--follow` peaked at 210 MB that way). 16k
    /// rather than 32k: bronze compresses a row group at once, and in `run all` silver waits
    /// on that burst half as long; peak RSS 140 → 125 MB, and after a zstd floor (16 pairs,
    /// bench/NOTES.md item 56) `run all` ÷ floor median 1.95–2.00× → 1.86–1.87×. One core:
    /// bronze is one big column (zstd over the raw lines), so spreading columns over threads
    /// has nothing to spread, and encoding in the background measured no faster here (the
    /// cores share memory bandwidth) for +48 MB of RSS (bench/NOTES.md).
    static func writerProperties(table: String) -> WriterProperties {
        var p = WriterProperties()
        p.rowGroupRowCountMax = 16 * 1024
        // 4 MB pages instead of 1 MB: each page is its own zstd frame, and over raw NDJSON
        // zstd -1 runs ~6% faster (and ~1% smaller) on 4 MB frames than on 1 MB ones, as fast
        // as the `zstd -1 -T1` floor over whole files (`zstd -b1 -B1M/-B4M`, bench/NOTES.md).
        // Bronze's compression is most of its work; readers hold one page at a time.
        p.dataPageBytesMax = 4 << 20
        p.encodeThreads = 1
        p.encodeInBackground = false
        p.keyValues = [KeyValue("lake.table", table)]
        return p
    }

    public static let schema: Schema = {
        // Both rise line after line: DELTA_BINARY_PACKED stores a few bits a row (0 for the
        // ids, ~9 for the offsets) where PLAIN stored 8 bytes for zstd to compress.
        var ingestID = Column("ingest_id", .int64)
        ingestID.dictionary = false
        ingestID.delta = true
        var offset = Column("source_offset", .int64)
        offset.dictionary = false
        offset.delta = true
        var body = Column("body", .byteArray)
        body.statistics = false
        body.dictionary = false
        return Schema([ingestID, .timestamp("ingested_at"), .string("source"), offset, body])
    }()

    public static let ingestID = 0, ingestedAt = 1, source = 2, sourceOffset = 3, body = 4

    static let schemaJSON = """
        [{"name":"ingest_id","type":"int64"},{"name":"ingested_at","type":"timestamp"},\
        {"name":"source","type":"string"},{"name":"source_offset","type":"int64"},\
        {"name":"body","type":"binary"}]
        """
}

extension BronzeTable {
    /// Calls `body(ingestID, ingestedAt, line)` for each row of bronze files, in file order;
    /// the next row group is read in the background meanwhile (`RowGroupStream`).
    static func forEachRow(
        _ catalog: Catalog, files: [DataFile],
        _ body: (Int64, Int64, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try RowGroupStream.forEach(
            paths: files.map { catalog.paths.root + "/" + $0.path },
            columns: { _ in [ingestID, ingestedAt, Self.body] }
        ) { f, columns in
            guard case .int64(let idValues) = columns[0].values, case .int64(let timeValues) = columns[1].values,
                  case .bytes(let bodyValues) = columns[2].values
            else {
                throw LakeError("read bronze", path: files[f].path, "unexpected column types",
                    hint: "the file is not a bronze file of this lake")
            }
            try bodyValues.data.withUnsafeBytes { all in
                for row in 0..<idValues.count {
                    try body(idValues[row], timeValues[row], UnsafeRawBufferPointer(rebasing: all[bodyValues.range(row)]))
                }
            }
        }
    }

    /// `forEachRow` with each row's `source` too (a Kafka job's silver reads the partition).
    static func forEachRowWithSource(
        _ catalog: Catalog, files: [DataFile],
        _ body: (Int64, Int64, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try RowGroupStream.forEach(
            paths: files.map { catalog.paths.root + "/" + $0.path },
            columns: { _ in [ingestID, ingestedAt, Self.body, source] }
        ) { f, columns in
            guard case .int64(let idValues) = columns[0].values, case .int64(let timeValues) = columns[1].values,
                  case .bytes(let bodyValues) = columns[2].values, case .bytes(let sourceValues) = columns[3].values
            else {
                throw LakeError("read bronze", path: files[f].path, "unexpected column types",
                    hint: "the file is not a bronze file of this lake")
            }
            try bodyValues.data.withUnsafeBytes { all in
                try sourceValues.data.withUnsafeBytes { sources in
                    for row in 0..<idValues.count {
                        try body(idValues[row], timeValues[row], UnsafeRawBufferPointer(rebasing: all[bodyValues.range(row)]),
                                 UnsafeRawBufferPointer(rebasing: sources[sourceValues.range(row)]))
                    }
                }
            }
        }
    }
}
