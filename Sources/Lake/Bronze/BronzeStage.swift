import Foundation
import Parquet

/// What one bronze run did.
public struct BronzeResult: Sendable {
    public var lines = 0
    public var bytes: Int64 = 0
    public var files = 0
    public var commits = 0
    public var sources = 0
    /// A Kafka `--follow` pass that ended with partitions still behind: why.
    public var kafkaStalled: String?
    /// Damaged compressed landing files moved to `_rejected/` by this run.
    public var rejected: [String] = []
}

/// `lake run bronze`: appends every complete new line of the landing folder (or standard input)
/// to the bronze table, byte-exact, exactly once. Each commit writes the Parquet files and then,
/// in one catalog transaction, registers them and advances the per-file byte offsets and the
/// next `ingest_id`, so a crash at any instant replays exactly the uncommitted lines.
public final class BronzeStage {
    let catalog: Catalog
    let job: JobDefinition
    let runID: Int64
    /// Rows per commit: bounds the work a crash throws away and the size of one bronze file.
    let commitRowCountMax: Int
    /// In `lake run all`: when the landing files' bytes still to read fall to about this many
    /// lines (at the average line size so far) while the batch holds more, the batch is
    /// committed early, once. Silver and gold finish a batch only after bronze commits it, so
    /// what is left once bronze ends — gold's last commit, its closed rows into SQLite, with a
    /// core idle — is the work of at most this many lines instead of up to
    /// `commitRowCountMax` (bench/NOTES.md, session 19). 0: never.
    var tailRowCount = 0
    /// Bytes of the listed landing files not read yet, while the early commit is still due;
    /// what they held at the start, and the first `ingest_id` of this run (lines read so far).
    private var tailBytesLeft: Int64?
    private var tailBytesAtStart: Int64 = 0
    private var tailFirstID: Int64 = 0
    let properties: WriterProperties

    private var nextIngestID: Int64 = 1
    private var batch: Batch?
    var result = BronzeResult()
    var pendingPositions: [String: (identity: String, offset: Int64, lines: Int64)] = [:]
    /// Kafka messages without a value read since the last commit (counted, not stored).
    var pendingTombstones: Int64 = 0
    /// Called after each commit with the positions it advanced (the Kafka source commits them
    /// to its consumer group).
    var onCommitted: (([String: (identity: String, offset: Int64, lines: Int64)]) -> Void)?
    /// In `lake run all`: where every ingested line and every commit is also handed to silver.
    var feed: BronzeFeed? {
        didSet { lineFeed = feed.map { Unmanaged.passUnretained($0) } }
    }

    // The per-line path reaches the batch's current writer and the feed unretained (the
    // table writer and `feed` own them) and counts the batch in plain fields: a retain/release
    // pair per object per line was ~20% of bronze's thread (perf). `lineWriterRowsLeft` runs
    // out before the writer's file is full, so the writer is fetched again before the table
    // writer can retire it.
    private var lineWriter: Unmanaged<ParquetWriter>?
    private var lineWriterRowsLeft = 0
    private var lineFeed: Unmanaged<BronzeFeed>?
    /// The landing files' read buffer, allocated at the first file and kept for the next ones.
    private var readBuffer: UnsafeMutableRawBufferPointer?

    deinit { readBuffer?.deallocate() }
    private(set) var batchRows = 0
    private var batchBytes: Int64 = 0

    private final class Batch {
        let snapshot: Int64
        let writer: TableWriter
        /// The ingest date of the batch's first line: one partition per batch keeps every
        /// bronze file a contiguous `ingest_id` range, which silver's checkpoint relies on.
        let partition: String

        init(snapshot: Int64, writer: TableWriter, partition: String) {
            self.snapshot = snapshot
            self.writer = writer
            self.partition = partition
        }
    }

    public init(catalog: Catalog, job: JobDefinition, runID: Int64, commitRowCountMax: Int? = nil) throws {
        self.catalog = catalog
        self.job = job
        self.runID = runID
        self.commitRowCountMax = commitRowCountMax ?? job.bronze.fileRowCountMax
        properties = BronzeTable.writerProperties(table: job.bronze.table)
        try catalog.ensureTable(
            name: job.bronze.table, job: job.name, layer: "bronze", schemaJSON: BronzeTable.schemaJSON,
            partitionColumn: "ingested_at")
        if let v = try catalog.checkpoint(job: job.name, stage: "bronze", key: "next_ingest_id").value,
           let n = Int64(v) {
            nextIngestID = n
        }
    }

    /// Ingests every landing file's new complete lines.
    public func ingestLanding() throws -> BronzeResult {
        feed?.start(firstID: nextIngestID)
        try abortingOnError {
            let folder = catalog.paths.root + "/" + job.source.landing
            let files = try LandingFolder.list(folder, unreadable: Self.warnUnreadable)
            tailBytesLeft = try tailRowCount > 0 ? unreadBytes(files) : nil
            tailBytesAtStart = tailBytesLeft ?? 0
            tailFirstID = nextIngestID
            for file in files {
                try ingest(file)
            }
            try commit()
        }
        progress.finish()
        return result
    }

    /// Names already warned about by this process (a `--follow` run lists the folder every pass).
    nonisolated(unsafe) private static var warned: Set<String> = []

    private static func warnUnreadable(_ name: String) {
        guard warned.insert(name).inserted else { return }
        FileHandle.standardError.write(Data(
            "lake: landing file \(name) is skipped: its name is not valid UTF-8 (shown with �); rename it\n".utf8))
    }

    /// Runs `body`; on an error (a full disk, a damaged landing file) removes the files of the
    /// uncommitted batch, so a failed run leaves nothing behind, then rethrows.
    func abortingOnError(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            batch?.writer.abort()
            batch = nil
            lineWriter = nil
            lineWriterRowsLeft = 0
            batchRows = 0
            batchBytes = 0
            pendingPositions.removeAll()
            pendingTombstones = 0
            throw error
        }
    }

    /// Ingests standard input to its end (a last line without newline included).
    public func ingestStandardInput() throws -> BronzeResult {
        // Standard input is a new stream each run: offsets count from 0 within the run, and
        // lines reach bronze only if the run commits (exit code 0 is the acknowledgement).
        try abortingOnError {
            _ = try LineReader.forEachLine(from: StandardInput(), startingAt: 0, finalPartialLine: true) {
                line, lineOffset in
                try append(line: line, source: Self.stdinSource, offset: lineOffset)
                if batchRows >= commitRowCountMax { try commit() }
            }
            try commit()
        }
        return result
    }

    /// Ingests an in-memory NDJSON body (an HTTP request) to its end, a last line without
    /// newline included; `source_offset` is the byte offset within the body.
    public func ingestBytes(_ body: UnsafeRawBufferPointer, source: String) throws -> BronzeResult {
        let sourceBytes = Array(source.utf8)
        try abortingOnError {
            _ = try LineReader.forEachLine(from: MemoryInput(bytes: body), startingAt: 0, finalPartialLine: true) {
                line, lineOffset in
                try append(line: line, source: sourceBytes, offset: lineOffset)
            }
            try commit()
        }
        return result
    }

    /// The next `ingest_id` this stage will assign (the first of the next line).
    public var nextID: Int64 { nextIngestID }

    private func savedPosition(source: String, identity: String) throws -> (offset: Int64, lines: Int64) {
        let rows = try catalog.db.query(
            "SELECT byte_offset, line_count FROM lake_source_position WHERE job = ? AND source = ? AND identity = ?",
            .text(job.name), .text(source), .text(identity))
        guard let r = rows.first else { return (0, 0) }
        return (r[0].int ?? 0, r[1].int ?? 0)
    }

    /// What the landing files hold past their saved positions; nil when unknown (a compressed
    /// file's size says nothing of its lines).
    private func unreadBytes(_ files: [LandingFile]) throws -> Int64? {
        var total: Int64 = 0
        for file in files {
            if file.compressed { return nil }
            let offset = try savedPosition(source: file.name, identity: file.identity).offset
            total += file.size >= offset ? file.size - offset : file.size
        }
        return total
    }

    /// True once, when the unread input is down to about `tailRowCount` lines (checked every
    /// 1024 lines) and the batch holds more than that.
    @inline(__always)
    private func tailCommitDue() -> Bool {
        guard let left = tailBytesLeft, batchRows & 1023 == 0, batchRows > tailRowCount,
              left * (nextIngestID - tailFirstID) <= Int64(tailRowCount) * (tailBytesAtStart - left)
        else { return false }
        tailBytesLeft = nil
        return true
    }

    private func ingest(_ file: LandingFile) throws {
        var (offset, lines) = try savedPosition(source: file.name, identity: file.identity)
        if !file.compressed && file.size < offset {
            // Truncated in place (copytruncate rotation): its new content is new data.
            FileHandle.standardError.write(Data(
                "lake: \(file.path) shrank below its checkpoint (\(offset) bytes); reading it from the start\n".utf8))
            offset = 0
        }
        if !file.compressed && file.size == offset { return }
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw LakeError("open", path: file.path, String(cString: strerror(errno)),
                hint: "check the landing file's permissions")
        }
        defer { close(fd) }
        if file.compressed {
            let (bytes, damage) = try ZstdFileInput.check(path: file.path, fd: fd, size: file.size)
            if let damage {
                try setAside(file, reason: damage)
                return
            }
            if bytes == offset { return }  // nothing new (fewer bytes: the read below says the file shrank)
        }
        let input: ByteInput = file.compressed
            ? try ZstdFileInput(path: file.path, fd: fd, size: file.size)
            : FileInput(path: file.path, fd: fd, size: file.size)
        result.sources += 1
        // The file's position after the lines appended since the last commit; it joins the
        // pending positions (committed with the lines) at each commit and at the end.
        var end: Int64?
        let source = Array(file.name.utf8)
        if readBuffer == nil {
            readBuffer = .allocate(byteCount: LineReader.chunkBytes, alignment: 16)
        }
        _ = try LineReader.forEachLine(from: input, startingAt: offset, finalPartialLine: false, buffer: readBuffer) {
            line, lineOffset in
            try append(line: line, source: source, offset: lineOffset)
            lines += 1
            end = lineOffset + Int64(line.count) + 1
            if tailBytesLeft != nil { tailBytesLeft! -= Int64(line.count) + 1 }
            if batchRows >= commitRowCountMax || tailCommitDue() {
                pendingPositions[file.name] = (file.identity, end!, lines)
                end = nil
                try commit()
            }
        }
        if let end { pendingPositions[file.name] = (file.identity, end, lines) }
    }

    /// Moves a damaged landing file to `_rejected/` in its landing folder, the reason beside it
    /// (`lake status` and `/metrics` show them); the other files go on. Its lines already
    /// committed (a prefix read while it was being written) stay in bronze.
    private func setAside(_ file: LandingFile, reason: String) throws {
        let landing = String(file.path.dropLast(file.name.count + 1))
        let folder = landing + "/" + LandingFolder.rejectedFolder
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw LakeError("set aside", path: file.path, "cannot create \(folder): \(error.localizedDescription)",
                            hint: "move the damaged file out of the landing folder")
        }
        let base = (file.name as NSString).lastPathComponent
        var target = folder + "/" + base
        var n = 1
        while access(target, F_OK) == 0 {
            target = folder + "/" + base + "." + String(n)
            n += 1
        }
        let note = "\(Clock.isoNow()) \(file.name): \(reason)\n"
        guard FileManager.default.createFile(atPath: target + ".reason", contents: Data(note.utf8)) else {
            throw LakeError("set aside", path: target + ".reason", "cannot write the reason file",
                            hint: "check the landing folder's permissions, or move the damaged file out of it")
        }
        guard rename(file.path, target) == 0 else {
            throw LakeError("set aside", path: file.path, String(cString: strerror(errno)),
                            hint: "move the damaged file out of the landing folder")
        }
        result.rejected.append(file.name)
        FileHandle.standardError.write(Data(
            "lake: landing file \(file.name) is damaged (\(reason)); moved to \(target)\n".utf8))
    }

    let progress = Progress("bronze lines")
    private var ingestedAtMicros: Int64 = 0
    private var ingestedAtRefresh = 0

    private static let stdinSource = Array("stdin".utf8)

    /// Appends one line; `source` is the source's name as UTF-8 (converted once per source).
    func append(line: UnsafeRawBufferPointer, source: [UInt8], offset: Int64) throws {
        if lineWriterRowsLeft == 0 { try fetchLineWriter() }
        lineWriterRowsLeft -= 1
        // The arrival time, refreshed every 4096 lines (a clock read per line is wasted work).
        if ingestedAtRefresh == 0 { ingestedAtMicros = Clock.nowMicros() }
        ingestedAtRefresh = (ingestedAtRefresh + 1) & 4095
        let id = nextIngestID, at = ingestedAtMicros
        try lineWriter!._withUnsafeGuaranteedRef { w in
            w.append(BronzeTable.ingestID, id)
            w.append(BronzeTable.ingestedAt, at)
            w.append(BronzeTable.source, bytes: source)
            w.append(BronzeTable.sourceOffset, offset)
            w.append(BronzeTable.body, bytes: line)
            try w.endRow()
        }
        lineFeed?._withUnsafeGuaranteedRef { $0.append(id: id, ingestedAt: at, line: line) }
        nextIngestID += 1
        progress.add()
        batchRows += 1
        batchBytes += Int64(line.count) + 1
    }

    /// Starts a batch when none is open and fetches the writer for its next lines.
    private func fetchLineWriter() throws {
        let b: Batch
        if let current = batch {
            b = current
        } else {
            let snapshot = try catalog.reserveSnapshot(job: job.name, stage: "bronze", runID: runID)
            let writer = TableWriter(
                paths: catalog.paths, table: job.bronze.table, schema: BronzeTable.schema, snapshot: snapshot,
                properties: properties, timeColumn: BronzeTable.ingestedAt, ingestColumn: BronzeTable.ingestID)
            b = Batch(snapshot: snapshot, writer: writer, partition: Timestamps.date(micros: Clock.nowMicros()))
            batch = b
        }
        let w = try b.writer.writer(partition: b.partition)
        lineWriter = Unmanaged.passUnretained(w)
        lineWriterRowsLeft = Int(min(b.writer.fileRowCountMax - w.rowsWritten, 4096))
    }

    /// Finishes the batch's files and commits them with the source positions.
    func commit() throws {
        guard let b = batch else {
            try commitPositionsOnly()
            return
        }
        batch = nil
        lineWriter = nil
        lineWriterRowsLeft = 0
        let rows = batchRows, bytes = batchBytes
        batchRows = 0
        batchBytes = 0
        let files: [DataFile]
        do {
            files = try b.writer.finish()
        } catch {
            b.writer.abort()
            throw error
        }
        let positions = pendingPositions
        pendingPositions.removeAll()
        let tombstones = pendingTombstones
        pendingTombstones = 0
        let next = nextIngestID
        do {
            try catalog.commit(snapshot: b.snapshot, add: files,
                               summary: "bronze: \(rows) lines") {
                try catalog.setCheckpoint(job: job.name, stage: "bronze", key: "next_ingest_id",
                                          value: String(next), snapshot: b.snapshot)
                try savePositions(positions, tombstones: tombstones, snapshot: b.snapshot)
                try catalog.addRunCounts(runID, rowsIn: rows, rowsOut: rows)
            }
        } catch {
            // The files were never registered: remove them now (vacuum would, later).
            for f in files { unlink(catalog.paths.root + "/" + f.path) }
            throw error
        }
        result.lines += rows
        result.bytes += bytes
        result.files += files.count
        result.commits += 1
        feed?.committed(throughID: next - 1)
        onCommitted?(positions)
    }

    /// Positions that moved without a line to store (a Kafka partition that delivered only
    /// tombstones): a commit without files.
    private func commitPositionsOnly() throws {
        guard !pendingPositions.isEmpty else { return }
        let positions = pendingPositions
        pendingPositions.removeAll()
        let tombstones = pendingTombstones
        pendingTombstones = 0
        let snapshot = try catalog.reserveSnapshot(job: job.name, stage: "bronze", runID: runID)
        try catalog.commit(snapshot: snapshot, add: [], summary: "bronze: positions only (\(tombstones) tombstones)") {
            try savePositions(positions, tombstones: tombstones, snapshot: snapshot)
        }
        result.commits += 1
        onCommitted?(positions)
    }

    /// Inside a commit's transaction: the sources' new positions, and tombstones counted.
    private func savePositions(_ positions: [String: (identity: String, offset: Int64, lines: Int64)],
                               tombstones: Int64, snapshot: Int64) throws {
        let now = Clock.isoNow()
        for (source, p) in positions {
            try catalog.db.run("""
                INSERT INTO lake_source_position (job, source, identity, byte_offset, line_count, snapshot_id, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job, source, identity) DO UPDATE SET byte_offset = excluded.byte_offset,
                  line_count = excluded.line_count, snapshot_id = excluded.snapshot_id, updated_at = excluded.updated_at
                """, .text(job.name), .text(source), .text(p.identity), .int(p.offset), .int(p.lines),
                .int(snapshot), .text(now))
        }
        if tombstones > 0 {
            let before = Int64(try catalog.checkpoint(job: job.name, stage: "bronze", key: "kafka_tombstones").value ?? "") ?? 0
            try catalog.setCheckpoint(job: job.name, stage: "bronze", key: "kafka_tombstones",
                                      value: String(before + tombstones), snapshot: snapshot)
        }
    }
}
