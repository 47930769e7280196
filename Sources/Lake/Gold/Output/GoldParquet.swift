import Foundation
import Parquet

/// A windowed gold table's closed rows in Parquet: append-only files partitioned by the date
/// of the window's or session's start. Booleans are INT32 0/1, as in SQLite.
enum GoldParquet {
    static func schema(_ plan: GoldTablePlan) -> Schema {
        Schema(plan.columns.map { c in
            switch c.type {
            case .int64: Column(c.name, .int64, nullable: c.nullable)
            case .double: Column(c.name, .double, nullable: c.nullable)
            case .bool: Column(c.name, .int32, nullable: c.nullable)
            case .string: .string(c.name, nullable: c.nullable)
            case .timestamp: .timestamp(c.name, nullable: c.nullable)
            }
        })
    }

    /// The column whose date partitions the files (the start).
    static func partitionColumn(_ plan: GoldTablePlan) -> Int? {
        if plan.definition.kind == .kmeans {
            return plan.columns.firstIndex { $0.name == plan.definition.timeColumn }
        }
        guard plan.isWindowed else { return nil }
        return plan.definition.kind == .sessions ? plan.keyColumns.count : 0
    }

    static func schemaJSON(_ plan: GoldTablePlan) -> String {
        SilverTable.schemaJSON(schema(plan))
    }

    /// Appends row `row` of `rows`.
    static func append(_ rows: GoldRowList, _ row: Int, to w: ParquetWriter) throws {
        let first = row * rows.width
        for i in 0..<rows.width {
            switch rows.values[first + i] {
            case .null: w.appendNull(i)
            case .int(let x), .timestamp(let x): w.append(i, x)
            case .double(let x): w.append(i, x)
            case .bool(let x): w.append(i, Int32(x ? 1 : 0))
            case .string(let x): w.append(i, string: x)
            }
        }
        try w.endRow()
    }
}

/// The Parquet files of one commit's closed rows (every windowed table of the job), written
/// on a thread of their own while the committing thread writes the SQLite rows; the commit
/// registers them once both are done. `wait` returns them durable in place or throws the
/// writing's error (having removed what it wrote); `remove` deletes them when the commit fails.
final class ClosedRowFiles: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<[DataFile], Error> = .success([])
    private var waited = false
    private let root: String
    /// What the thread writes (only it reads this after `init`).
    private let work: [(plan: GoldTablePlan, rows: GoldRowList)]

    init(paths: LakePaths, snapshot: Int64, tables: [(plan: GoldTablePlan, rows: GoldRowList)]) {
        root = paths.root
        work = tables.filter { !$0.rows.isEmpty && GoldParquet.partitionColumn($0.plan) != nil }
        guard !work.isEmpty else {
            done.signal()
            return
        }
        startThread("lake-gold-files") { [self] in
            var files: [DataFile] = []
            var writers: [TableWriter] = []
            do {
                for (plan, rows) in work {
                    guard let time = GoldParquet.partitionColumn(plan) else { continue }
                    let writer = TableWriter(paths: paths, table: plan.table, schema: GoldParquet.schema(plan),
                                             snapshot: snapshot, timeColumn: time, ingestColumn: nil)
                    writers.append(writer)
                    for row in 0..<rows.count {
                        guard case .timestamp(let start) = rows[row, time] else { continue }
                        try GoldParquet.append(rows, row, to: writer.writer(dayOf: start))
                    }
                    files += try writer.finish()
                }
                outcome = .success(files)
            } catch {
                for w in writers { w.abort() }
                for f in files { unlink(paths.root + "/" + f.path) }
                outcome = .failure(error)
            }
            done.signal()
        }
    }

    func wait() throws -> [DataFile] {
        if !waited {
            done.wait()
            waited = true
        }
        return try outcome.get()
    }

    func remove() {
        guard let files = try? wait() else { return }
        for f in files { unlink(root + "/" + f.path) }
    }
}
