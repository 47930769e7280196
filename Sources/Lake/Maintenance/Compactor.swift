import Foundation
import Parquet

/// What `lake compact` did.
public struct CompactResult: Sendable {
    public var filesRetired = 0
    public var filesAdded = 0
    public var rows: Int64 = 0
    public var bytesBefore: Int64 = 0
    public var bytesAfter: Int64 = 0
}

/// `lake compact [TABLE]`: merges the small live files of each partition into files near the
/// target size, in one commit per table; the old files are retired, not deleted (readers that
/// listed them keep working until `lake vacuum`). Only files the next stage has already read are
/// merged, so no stage ever sees a row twice or misses one.
public final class Compactor {
    let catalog: Catalog
    /// Files smaller than this are merged.
    public var smallFileBytes: Int64 = 64 << 20
    /// Merged files stop growing at this many rows; a file that has them is never merged again.
    public var targetRowCount: Int64 = 4_000_000
    /// Files with at least this many rows are left alone (`--follow` sets a quarter of the
    /// target): without it every round merged the day's earlier outputs again with the new
    /// small files (bronze compresses to under 64 MB per 4M rows), so a soak at 20k events/s
    /// rewrote 20M rows a minute by its 18th minute and compaction never rested.
    public var settledRowCount: Int64?
    /// Encode on the calling thread only (no parallel or background encoding): under
    /// `--follow` compaction runs on a low-priority thread beside the passes and must not
    /// take the second core from them (merging a minute of bronze at 20k events/s took both
    /// cores for seconds: p99 of the passes near 500 ms at each round).
    public var onOneThread = false

    public init(catalog: Catalog) { self.catalog = catalog }

    /// Groups of at least `filesMin` small files per partition that compaction would merge.
    func plan(table: String, job: String, layer: String, filesMin: Int = 2) throws -> [[DataFile]] {
        let settled = min(targetRowCount, settledRowCount ?? targetRowCount)
        let candidates = try eligibleFiles(table: table, job: job, layer: layer)
            .filter { $0.fileSizeBytes < smallFileBytes && $0.recordCount < settled }
        return Dictionary(grouping: candidates) { $0.partition ?? "" }.values.filter { $0.count >= filesMin }
    }

    /// True when some partition has at least `filesMin` small files to merge.
    public func needsCompaction(table: String, job: String, layer: String, filesMin: Int) throws -> Bool {
        !(try plan(table: table, job: job, layer: layer, filesMin: filesMin)).isEmpty
    }

    public func compact(table: String, job: String, layer: String, runID: Int64) throws -> CompactResult {
        var result = CompactResult()
        let groups = try plan(table: table, job: job, layer: layer)
        guard !groups.isEmpty else { return result }
        let snapshot = try catalog.reserveSnapshot(job: job, stage: "compact", runID: runID)
        var schema: Schema?
        var writer: TableWriter?
        var retired: [Int64] = []
        do {
            for group in groups.sorted(by: { ($0[0].partition ?? "") < ($1[0].partition ?? "") }) {
                let files = group.sorted { ($0.minIngestID ?? $0.fileID, $0.fileID) < ($1.minIngestID ?? $1.fileID, $1.fileID) }
                for f in files {
                    let reader = try ParquetReader(path: catalog.paths.root + "/" + f.path)
                    if writer == nil {
                        schema = reader.schema
                        writer = TableWriter(
                            paths: catalog.paths, table: table, schema: Self.writerSchema(reader.schema, layer: layer),
                            snapshot: snapshot,
                            properties: properties(layer: layer, table: table),
                            timeColumn: try timeColumn(reader.schema, table: table, layer: layer),
                            ingestColumn: reader.schema.index(of: "ingest_id"), fileRowCountMax: targetRowCount)
                    }
                    guard reader.schema == schema, let w = writer else {
                        throw LakeError("compact", path: f.path, "schema differs from the table's other files",
                            hint: "leave this file as it is; report it")
                    }
                    let out = try w.writer(partition: f.partition ?? "none")
                    for g in reader.metadata.rowGroups.indices {
                        let columns = try (0..<reader.schema.columns.count).map {
                            try reader.readColumn(rowGroup: g, column: $0)
                        }
                        try out.appendRows(columns)
                    }
                    retired.append(f.fileID)
                    result.rows += f.recordCount
                    result.bytesBefore += f.fileSizeBytes
                }
            }
            guard let w = writer else { return result }
            let added = try w.finish()
            do {
                try catalog.commit(snapshot: snapshot, add: added, retire: retired,
                                   summary: "compact \(table): \(retired.count) files into \(added.count)") {
                    try catalog.addRunCounts(runID, rowsIn: Int(result.rows), rowsOut: Int(result.rows))
                }
            } catch {
                for f in added { unlink(catalog.paths.root + "/" + f.path) }
                throw error
            }
            result.filesRetired = retired.count
            result.filesAdded = added.count
            result.bytesAfter = added.reduce(0) { $0 + $1.fileSizeBytes }
        } catch {
            writer?.abort()
            throw error
        }
        return result
    }

    private func properties(layer: String, table: String) -> WriterProperties {
        var p = layer == "bronze" ? BronzeTable.writerProperties(table: table) : WriterProperties()
        if onOneThread {
            p.encodeThreads = 1
            p.encodeInBackground = false
        }
        return p
    }

    /// A schema read from a file carries no writer hints (dictionary, statistics, delta):
    /// give the compacted file those the stage writing the table uses.
    static func writerSchema(_ read: Schema, layer: String) -> Schema {
        switch layer {
        case "bronze":
            return Schema(read.columns.map { c in
                BronzeTable.schema.columns.first { $0.name == c.name && $0.type == c.type && $0.nullable == c.nullable } ?? c
            })
        case "silver":
            return Schema(read.columns.map(SilverTable.writerHints))
        default:
            return read
        }
    }

    /// The column whose min/max the catalog records as the file's time range: the one the
    /// table is partitioned by (`lake_table.partition_column`), bronze's ingestion time, or the
    /// first timestamp column.
    func timeColumn(_ schema: Schema, table: String, layer: String) throws -> Int? {
        if layer == "bronze" { return schema.index(of: "ingested_at") }
        if let name = try catalog.partitionColumn(table: table), let i = schema.index(of: name) { return i }
        return schema.columns.firstIndex { $0.logicalType == .timestampMicrosUTC }
    }

    /// Live files the downstream stage has fully read: bronze up to silver's position, silver up
    /// to the last snapshot gold read; quarantine and gold have no downstream stage.
    private func eligibleFiles(table: String, job: String, layer: String) throws -> [DataFile] {
        let files = try catalog.liveFiles(table: table)
        switch layer {
        case "bronze":
            let position = Int64(try catalog.checkpoint(job: job, stage: "silver", key: "position").value ?? "") ?? 0
            return files.filter { ($0.maxIngestID ?? Int64.max) <= position }
        case "silver":
            let read = Int64(try catalog.checkpoint(job: job, stage: "gold", key: "silver_snapshot").value ?? "") ?? 0
            let begins = try Dictionary(uniqueKeysWithValues: catalog.db.query(
                "SELECT file_id, begin_snapshot FROM lake_data_file WHERE end_snapshot IS NULL"
            ).map { ($0[0].int ?? 0, $0[1].int ?? 0) })
            return files.filter { (begins[$0.fileID] ?? Int64.max) <= read }
        default:
            return files
        }
    }
}
