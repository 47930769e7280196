import Foundation
import Parquet

/// Writes the Parquet files of one table for one snapshot, one open file per partition value,
/// following the commit protocol: temp name → fsync → rename → fsync folder. `finish()` returns
/// the files for the catalog; nothing is visible to readers until the catalog commit.
public final class TableWriter {
    public let table: String
    public let schema: Schema
    let paths: LakePaths
    let snapshot: Int64
    let properties: WriterProperties
    /// Column whose min/max go to the catalog as time range (event or ingest time).
    let timeColumn: Int?
    let ingestColumn: Int?
    /// Open files at most; the least recently used is finished when more partitions appear.
    /// Each open file buffers up to a row group, so this bounds the writer's memory.
    public var openFilesMax = 4
    let fileRowCountMax: Int64

    struct OpenFile {
        var writer: ParquetWriter
        var tempPath: String
        var finalPath: String  // relative to the lake root
        var partition: String
        var lastUse: Int
        /// For a day partition opened through `writer(dayOf:)`: the day's last microsecond.
        var dayLastMicros: Int64?
    }

    private var openFiles: [String: OpenFile] = [:]
    private var fileNumber = 0
    private var useCounter = 0
    private(set) var finished: [DataFile] = []

    public init(paths: LakePaths, table: String, schema: Schema, snapshot: Int64,
                properties: WriterProperties = WriterProperties(), timeColumn: Int?, ingestColumn: Int?,
                fileRowCountMax: Int64 = 10_000_000) {
        self.paths = paths
        self.table = table
        self.schema = schema
        self.snapshot = snapshot
        var p = properties
        p.syncOnFinish = true
        self.properties = p
        self.timeColumn = timeColumn
        self.ingestColumn = ingestColumn
        self.fileRowCountMax = fileRowCountMax
    }

    private var lastDay = Int64.min
    private var lastWriter: ParquetWriter? {
        didSet { lastWriterRef = lastWriter.map { Unmanaged.passUnretained($0) } }
    }
    /// `lastWriter` without a reference count: `withWriter(dayOf:)` hands it to the row loop
    /// without the retain and release a returned reference costs per row (`perf` put ~170 of
    /// a 1M-event run's 5,000 samples on that pair in silver's loop).
    private var lastWriterRef: Unmanaged<ParquetWriter>?

    /// Calls `body` with the writer for a row of `micros`'s day: `writer(dayOf:)` for the
    /// per-row hot path. `body` must not keep the writer.
    @inline(__always)
    public func withWriter<R>(dayOf micros: Int64, _ body: (ParquetWriter) throws -> R) throws -> R {
        if let w = lastWriterRef, Timestamps.floorDivide(micros, 86_400_000_000).0 == lastDay,
           w._withUnsafeGuaranteedRef({ $0.rowsWritten < fileRowCountMax }) {
            return try w._withUnsafeGuaranteedRef(body)
        }
        return try body(writer(dayOf: micros))
    }

    /// The writer for a row whose partition is the UTC date of `micros`. The hot path: the
    /// partition name is built only when the day changes.
    public func writer(dayOf micros: Int64) throws -> ParquetWriter {
        let day = Timestamps.floorDivide(micros, 86_400_000_000).0
        if day == lastDay, let w = lastWriter, w.rowsWritten < fileRowCountMax { return w }
        let partition = Timestamps.date(micros: micros)
        let w = try writer(partition: partition)
        if openFiles[partition]?.dayLastMicros == nil {
            // The day's last microsecond; the last day Int64 can hold ends at Int64.max.
            let (end, overflow) = (day + 1).multipliedReportingOverflow(by: 86_400_000_000)
            openFiles[partition]?.dayLastMicros = overflow ? Int64.max : end - 1
            updateEarliestOpenDay()
        }
        lastDay = day
        lastWriter = w
        return w
    }

    /// The last microsecond of the earliest day partition with an open file (`Int64.max` when
    /// there is none): a caller whose rows can no longer fall at or before some time (silver's
    /// watermark) compares it with that time on each row, and calls `finishDays(through:)`
    /// only when a day is done.
    public private(set) var earliestOpenDayLastMicros = Int64.max

    private func updateEarliestOpenDay() {
        earliestOpenDayLastMicros = openFiles.values.reduce(Int64.max) { min($0, $1.dayLastMicros ?? Int64.max) }
    }

    /// Finishes, in the background, the open files of the days that end at or before `micros`.
    /// Silver calls it when its watermark passes a day: every later row of that day is late
    /// (quarantined), so its file is complete. Encoding its last row group then overlaps with
    /// the rows still coming in instead of waiting for the commit, and the writer holds about
    /// one day of rows instead of `openFilesMax` days (the commit, and the end of `run all`,
    /// have less left to do).
    public func finishDays(through micros: Int64) throws {
        let done = openFiles.values.filter { ($0.dayLastMicros ?? Int64.max) <= micros }.map(\.partition)
        for partition in done.sorted() { try finish(partition: partition, inBackground: true) }
    }

    /// The writer for rows of `partition` (a `YYYY-MM-DD` date), opening a file when needed.
    public func writer(partition: String) throws -> ParquetWriter {
        if partition == lastPartition, let w = lastPartitionWriter, w.rowsWritten < fileRowCountMax { return w }
        let w = try openWriter(partition: partition)
        lastPartition = partition
        lastPartitionWriter = w
        return w
    }

    private var lastPartition: String?
    private var lastPartitionWriter: ParquetWriter?

    private func openWriter(partition: String) throws -> ParquetWriter {
        useCounter += 1
        if var f = openFiles[partition] {
            if f.writer.rowsWritten < fileRowCountMax {
                f.lastUse = useCounter
                openFiles[partition] = f
                return f.writer
            }
            try finish(partition: partition, inBackground: true)
        }
        if openFiles.count >= openFilesMax, let oldest = openFiles.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            try finish(partition: oldest.key, inBackground: true)
        }
        let folder = "\(table)/date=\(partition)"
        try createFolder(paths.root + "/" + folder)
        let name = "part-\(snapshot)-\(fileNumber).parquet"
        fileNumber += 1
        let temp = paths.root + "/" + folder + "/." + name + ".tmp"
        let writer = try ParquetWriter(path: temp, schema: schema, properties: properties)
        openFiles[partition] = OpenFile(writer: writer, tempPath: temp, finalPath: folder + "/" + name,
                                   partition: partition, lastUse: useCounter)
        return writer
    }

    /// Rows written to files of this snapshot so far.
    public var rowCount: Int64 {
        finished.reduce(0) { $0 + $1.recordCount } + backgroundRows
            + openFiles.values.reduce(0) { $0 + $1.writer.rowsWritten }
    }

    // Files that leave the open set before `finish()` (a partition evicted, a file full) are
    // finished on a background queue, so encoding their last row group, the fsyncs and the
    // rename overlap with the rows still coming in. One file at a time is there (it holds its
    // buffers until done; a second eviction waits for it); `finish()` and `abort()` wait too.
    private let finisher = DispatchQueue(label: "lake.table-writer.finish")
    private let finisherSlots = DispatchSemaphore(value: 1)
    private let background = BackgroundFiles()
    private var backgroundRows: Int64 = 0

    private func finish(partition: String, inBackground: Bool = false) throws {
        guard let f = openFiles.removeValue(forKey: partition) else { return }
        if f.dayLastMicros != nil { updateEarliestOpenDay() }
        if f.writer === lastWriter {
            lastWriter = nil
            lastDay = Int64.min
        }
        if f.writer === lastPartitionWriter {
            lastPartitionWriter = nil
            lastPartition = nil
        }
        let closing = Closing(root: paths.root, table: table, timeColumn: timeColumn, ingestColumn: ingestColumn)
        guard inBackground else {
            finished.append(try closing.close(f))
            return
        }
        backgroundRows += f.writer.rowsWritten
        finisherSlots.wait()
        let file = UncheckedSendable(f), background = self.background, slots = finisherSlots
        finisher.async {
            defer { slots.signal() }
            guard background.error == nil else {
                // An earlier file failed: the commit will not happen; write nothing more.
                unlink(file.value.tempPath)
                return
            }
            do {
                background.files.append(try closing.close(file.value))
            } catch {
                background.error = error
            }
        }
    }

    /// Waits for the background files; moves them to `finished` (so `abort()` removes them
    /// too) and rethrows the first error one of them met.
    private func drainBackground() throws {
        finisher.sync {}
        finished += background.files
        background.files.removeAll()
        backgroundRows = 0
        if let error = background.error {
            background.error = nil
            throw error
        }
    }

    /// Finishes every open file; returns all files of this snapshot, durable and in place.
    public func finish() throws -> [DataFile] {
        try drainBackground()
        for partition in openFiles.keys.sorted() { try finish(partition: partition) }
        return finished
    }

    /// Removes every file this writer created (the commit did not happen).
    public func abort() {
        try? drainBackground()
        for f in openFiles.values { unlink(f.tempPath) }
        openFiles.removeAll()
        earliestOpenDayLastMicros = Int64.max
        lastWriter = nil
        lastDay = Int64.min
        lastPartitionWriter = nil
        lastPartition = nil
        for f in finished { unlink(paths.root + "/" + f.path) }
        finished.removeAll()
    }

    private func createFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LakeError("create folder", path: path, error.localizedDescription,
                hint: "check free space and permissions in the lake folder")
        }
    }

    /// fsync of a folder, so a rename in it survives a crash.
    static func syncFolder(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw LakeError("open folder", path: path, String(cString: strerror(errno)), hint: nil)
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw LakeError("fsync folder", path: path, String(cString: strerror(errno)),
                hint: "the disk may be full or failing")
        }
    }
}

/// Finishes one file: footer, fsync, rename into place, fsync of its folder; the catalog facts.
/// A file that cannot be finished is removed, so a failed run (a full disk) leaves nothing
/// half-written behind.
private struct Closing: Sendable {
    let root: String
    let table: String
    let timeColumn: Int?
    let ingestColumn: Int?

    func close(_ f: TableWriter.OpenFile) throws -> DataFile {
        let summary: FileSummary
        do {
            summary = try f.writer.finish()
        } catch {
            unlink(f.tempPath)
            throw error
        }
        let target = root + "/" + f.finalPath
        guard rename(f.tempPath, target) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(f.tempPath)
            throw LakeError("rename", path: f.tempPath, message,
                hint: "check free space and permissions in the lake folder")
        }
        try TableWriter.syncFolder(URL(fileURLWithPath: target).deletingLastPathComponent().path)
        func range(_ column: Int?) -> (Int64?, Int64?) {
            guard let column, case .int64(let lo)? = summary.columns[column].min,
                  case .int64(let hi)? = summary.columns[column].max else { return (nil, nil) }
            return (lo, hi)
        }
        let time = range(timeColumn)
        let ingest = range(ingestColumn)
        return DataFile(
            table: table, path: f.finalPath, partition: f.partition, recordCount: summary.rowCount,
            fileSizeBytes: summary.fileSizeBytes, minTimeMicros: time.0, maxTimeMicros: time.1,
            minIngestID: ingest.0, maxIngestID: ingest.1)
    }
}

/// What the background queue finished; touched by that queue, read after waiting for it.
private final class BackgroundFiles: @unchecked Sendable {
    var files: [DataFile] = []
    var error: Error?
}

/// A value handed to another thread that no other thread touches meanwhile.
struct UncheckedSendable<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
