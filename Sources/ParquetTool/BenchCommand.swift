import ArgumentParser
import Foundation
import Parquet

/// Times our writer and reader on a real file's data held in memory, the way
/// `bench/parquet_bench.py` times pyarrow on the same file.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Rewrite a file's rows with our writer (zstd) and read them back; print timings as JSON.")

    @Argument(help: "A Parquet file whose data is rewritten.") var input: String
    @Option(help: "Where to write the copy.") var out: String
    @Option(help: "Rows per row group.") var rowGroupRows = 128 * 1024

    func run() throws {
        let source = try ParquetReader(path: input)
        let columns = try source.readAll()
        let rows = columns.first?.rowCount ?? 0
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = rowGroupRows
        let writeStart = Date()
        let writer = try ParquetWriter(path: out, schema: source.schema, properties: properties)
        try writer.appendRows(columns)
        let summary = try writer.finish()
        let writeSeconds = Date().timeIntervalSince(writeStart)
        let readStart = Date()
        let back = try ParquetReader(path: out).readAll()
        let readSeconds = Date().timeIntervalSince(readStart)
        guard back == columns else {
            throw ValidationError("the rewritten file reads back different values than \(input)")
        }
        print(JSONText.object([
            ("rows", "\(rows)"), ("write_seconds", "\(writeSeconds)"), ("read_seconds", "\(readSeconds)"),
            ("bytes", "\(summary.fileSizeBytes)"), ("row_groups", "\(summary.rowGroupCount)"),
        ]))
    }
}
