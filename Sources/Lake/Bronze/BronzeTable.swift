import Parquet

/// The bronze table: the raw append log. `body` is BYTE_ARRAY without a STRING annotation
/// because a line may be invalid UTF-8 and bronze keeps it byte-exact (DuckDB: `body::VARCHAR`).
public enum BronzeTable {
    public static let schema: Schema = {
        var ingestID = Column("ingest_id", .int64)
        ingestID.dictionary = false
        var offset = Column("source_offset", .int64)
        offset.dictionary = false
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
    /// Calls `body(ingestID, ingestedAt, line)` for each row of a bronze file, in file order.
    static func forEachRow(
        _ catalog: Catalog, file: DataFile,
        _ body: (Int64, Int64, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let reader = try ParquetReader(path: catalog.paths.root + "/" + file.path)
        for g in reader.metadata.rowGroups.indices {
            let ids = try reader.readColumn(rowGroup: g, column: ingestID)
            let times = try reader.readColumn(rowGroup: g, column: ingestedAt)
            let bodies = try reader.readColumn(rowGroup: g, column: Self.body)
            guard case .int64(let idValues) = ids.values, case .int64(let timeValues) = times.values,
                  case .bytes(let bodyValues) = bodies.values
            else {
                throw LakeError("read bronze", path: file.path, "unexpected column types",
                    hint: "the file is not a bronze file of this lake")
            }
            try bodyValues.data.withUnsafeBytes { all in
                for row in 0..<idValues.count {
                    try body(idValues[row], timeValues[row], UnsafeRawBufferPointer(rebasing: all[bodyValues.range(row)]))
                }
            }
        }
    }
}
