import Parquet

/// The bronze table: the raw append log. `body` is BYTE_ARRAY without a STRING annotation
/// because a line may be invalid UTF-8 and bronze keeps it byte-exact (DuckDB: `body::VARCHAR`).
public enum BronzeTable {
    public static let schema = Schema([
        Column("ingest_id", .int64),
        .timestamp("ingested_at"),
        .string("source"),
        Column("source_offset", .int64),
        Column("body", .byteArray),
    ])

    public static let ingestID = 0, ingestedAt = 1, source = 2, sourceOffset = 3, body = 4

    static let schemaJSON = """
        [{"name":"ingest_id","type":"int64"},{"name":"ingested_at","type":"timestamp"},\
        {"name":"source","type":"string"},{"name":"source_offset","type":"int64"},\
        {"name":"body","type":"binary"}]
        """
}
