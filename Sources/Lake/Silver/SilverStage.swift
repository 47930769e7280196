import Foundation
import Parquet

/// What one silver run did.
public struct SilverResult: Sendable {
    public var rowsIn = 0
    public var accepted = 0
    public var duplicates = 0
    public var quarantined: [String: Int] = [:]
    public var watermarkMicros: Int64?
    public var commits = 0
    /// Of `rowsIn`, the rows bronze handed over in memory (`lake run all`), not read from Parquet.
    public var rowsFromFeed = 0
    public var quarantinedCount: Int { quarantined.values.reduce(0, +) }
}

/// `lake run silver`: reads bronze rows after the checkpoint in `ingest_id` order and, per
/// record, parses and types it, applies the clock-skew guard, the per-record watermark and
/// dedup (SPEC §5), writing silver rows and quarantine rows. Whole bronze files are consumed per
/// commit, so the checkpoint is always a bronze file boundary.
public final class SilverStage {
    let catalog: Catalog
    let job: JobDefinition
    let runID: Int64
    let batchRowCountMax: Int
    let silverSchema: Schema
    private var parser: EventParser
    private var record = ParsedRecord()
    private var state: SilverState
    private(set) var position: Int64 = 0
    /// A Kafka source: watermarks per partition (`SilverState`), the partition read from each
    /// bronze row's `source`.
    private let partitioned: Bool
    private let timeField: Int
    /// The columns' types, read per row without touching the mapping's strings.
    private let columnTypes: [FieldType]
    private let skewMicros: Int64
    private let keys: DedupKeyBuilder
    private var result = SilverResult()
    private let progress = Progress("silver rows")
    /// Child tables: their schemas, and the parent fields each row starts with.
    private let childSchemas: [Schema]
    private let parentFields: [Int]
    private let parentTypes: [FieldType]
    private let childTypes: [[FieldType]]
    /// Set while `lake run all` hands gold the accepted rows in memory (`feedGold`): the feed
    /// (owned by the caller, reached per row without reference counting) and, per batch column
    /// but the last (`ingest_id`), the silver field it is filled from and whether it is a string.
    private var goldFeed: Unmanaged<SilverFeed>?
    private var goldFields = UnsafeMutableBufferPointer<(field: Int, isString: Bool)>(start: nil, count: 0)

    deinit { goldFields.deallocate() }

    public init(catalog: Catalog, job: JobDefinition, runID: Int64, batchRowCountMax: Int = 1_000_000) throws {
        self.catalog = catalog
        self.job = job
        self.runID = runID
        self.batchRowCountMax = batchRowCountMax
        let s = job.silver
        silverSchema = SilverTable.schema(s)
        parser = EventParser(fields: s.columns, timestampFormat: s.timestampFormat, timeZone: s.timezone,
                             piiKey: try s.piiKey(lake: catalog.paths.root), children: s.children)
        childSchemas = s.children.map { SilverTable.childSchema(s, $0) }
        parentFields = s.childParentFields
        parentTypes = parentFields.map { s.columns[$0].type }
        childTypes = s.children.map { $0.columns.map(\.type) }
        guard let t = s.columns.firstIndex(where: { $0.column == s.eventTimeColumn && $0.type == .timestamp }) else {
            throw LakeError("job \(job.name)", "silver has no timestamp column \(s.eventTimeColumn)",
                hint: "map a column of type \"timestamp\" named \(s.eventTimeColumn) in [silver.columns]")
        }
        timeField = t
        columnTypes = s.columns.map(\.type)
        let dedupFields = try s.dedupKeys.map { key in
            guard let i = s.columns.firstIndex(where: { $0.column == key }) else {
                throw LakeError("job \(job.name)", "dedup key \(key) is not a silver column",
                    hint: "list columns of [silver.columns] in silver.dedup_keys")
            }
            return i
        }
        keys = DedupKeyBuilder(fields: dedupFields, columns: s.columns)
        skewMicros = Int64(s.clockSkewSecondsMax) * 1_000_000
        state = SilverState(delayMicros: Int64(s.watermarkDelaySeconds) * 1_000_000)
        partitioned = job.source.kafka != nil
        try catalog.ensureTable(name: s.table, job: job.name, layer: "silver",
                                schemaJSON: SilverTable.schemaJSON(silverSchema), partitionColumn: s.eventTimeColumn)
        try catalog.ensureTable(name: s.quarantineTable, job: job.name, layer: "quarantine",
                                schemaJSON: SilverTable.schemaJSON(SilverTable.quarantineSchema), partitionColumn: nil)
        for (child, schema) in zip(s.children, childSchemas) {
            try catalog.ensureTable(name: child.table, job: job.name, layer: "silver",
                                    schemaJSON: SilverTable.schemaJSON(schema), partitionColumn: s.eventTimeColumn)
        }
        position = Int64(try catalog.checkpoint(job: job.name, stage: "silver", key: "position").value ?? "") ?? 0
        state = try SilverStage.loadState(catalog, job: job, keys: keys)
    }

    /// Processes every pending bronze file (only those wholly before `ingestID` when given);
    /// the result covers this call only.
    public func run(before ingestID: Int64? = nil) throws -> SilverResult {
        result = SilverResult()
        while true {
            let files = try pendingBronzeFiles().filter { f in ingestID.map { (f.maxIngestID ?? 0) < $0 } ?? true }
            if files.isEmpty { break }
            var batch: [DataFile] = []
            var rows: Int64 = 0
            for f in files {
                batch.append(f)
                rows += f.recordCount
                if rows >= Int64(batchRowCountMax) { break }
            }
            try process(batch)
        }
        result.watermarkMicros = state.watermarkMicros == Int64.min ? nil : state.watermarkMicros
        progress.finish()
        return result
    }

    private func pendingBronzeFiles() throws -> [DataFile] {
        try catalog.liveFiles(table: job.bronze.table)
            .filter { ($0.maxIngestID ?? 0) > position }
            .sorted { ($0.minIngestID ?? 0) < ($1.minIngestID ?? 0) }
    }

    // MARK: one commit

    /// The tables one commit writes.
    private struct Output {
        var silver: TableWriter
        var quarantine: TableWriter
        var children: [TableWriter]

        func abort() {
            silver.abort()
            quarantine.abort()
            for c in children { c.abort() }
        }
    }

    private var batchStats: [String: Int] = [:]
    private var batchDuplicatesByDay: [Int64: Int] = [:]
    private var batchCounts = (rowsIn: 0, accepted: 0, duplicates: 0, quarantined: 0)

    private func process(_ files: [DataFile]) throws {
        let (snapshot, out) = try beginBatch()
        var newPosition = position
        do {
            if partitioned {
                try refreshPartitions()
                var lastSource: [UInt8] = []
                var lastPartition = 0
                try BronzeTable.forEachRowWithSource(catalog, files: files) { id, ingestedAt, body, source in
                    guard id > position else { return }
                    if !source.elementsEqual(lastSource) {
                        lastSource = Array(source)
                        lastPartition = Self.partition(source: source)
                        if lastPartition >= state.partitionMax.count { state.setPartitionCount(lastPartition + 1) }
                    }
                    try processRecord(ingestID: id, ingestedAt: ingestedAt, body: body, out, partition: lastPartition)
                }
            } else {
                try BronzeTable.forEachRow(catalog, files: files) { id, ingestedAt, body in
                    if id > position { try processRecord(ingestID: id, ingestedAt: ingestedAt, body: body, out) }
                }
            }
            for f in files { newPosition = max(newPosition, f.maxIngestID ?? newPosition) }
        } catch {
            out.abort()
            throw error
        }
        try endBatch(snapshot: snapshot, out, newPosition: newPosition)
    }

    /// The partition of a bronze row from its `source` (`kafka:<topic>/<partition>`); rows
    /// from anywhere else (HTTP ingest into a Kafka job) count as partition 0.
    static func partition(source: UnsafeRawBufferPointer) -> Int {
        guard source.starts(with: "kafka:".utf8), let slash = source.lastIndex(of: UInt8(ascii: "/")) else { return 0 }
        var n = 0
        for b in source[(slash + 1)...] {
            guard b >= 48 && b <= 57, n < 1 << 20 else { return 0 }
            n = n * 10 + Int(b - 48)
        }
        return n
    }

    /// Every partition bronze knows of holds the watermark back from the start (until it
    /// idles), so a partition read later does not find its windows closed.
    private func refreshPartitions() throws {
        var count = 1
        for r in try catalog.db.query("SELECT source FROM lake_source_position WHERE job = ? AND source LIKE 'kafka:%'",
                                      .text(job.name)) {
            let source = Array((r[0].text ?? "").utf8)
            count = max(count, source.withUnsafeBytes { Self.partition(source: $0) } + 1)
        }
        state.setPartitionCount(count)
    }

    /// Processes the rows bronze hands over in memory during `lake run all` until bronze ends,
    /// committing only at bronze's commit markers (see `BronzeFeed`); the feed's first row must
    /// follow this stage's position. The result covers this call only.
    func runFeed(_ feed: BronzeFeed) throws -> SilverResult {
        result = SilverResult()
        var batch: (snapshot: Int64, out: Output)?
        var durableThrough = position
        var lastID = position
        do {
            while let item = try feed.next() {
                switch item {
                case .rows(let chunk):
                    if batch == nil { batch = try beginBatch() }
                    let out = batch!.out
                    try chunk.forEach { id, ingestedAt, body in
                        guard id > position else { return }
                        try processRecord(ingestID: id, ingestedAt: ingestedAt, body: body, out)
                        lastID = id
                        result.rowsFromFeed += 1
                    }
                    feed.recycle(chunk)
                case .committed(let through):
                    // Every row read so far is at or before `through`: bronze queues a marker
                    // after the rows of its commit and before any later row. Silver commits
                    // where bronze did (full batches, and the smaller one bronze cuts near the
                    // end of its input, which merged into the last one would leave gold a
                    // full batch to commit after bronze ended).
                    durableThrough = through
                    if let b = batch, batchCounts.rowsIn > 0 {
                        batch = nil
                        try endBatch(snapshot: b.snapshot, b.out, newPosition: through)
                    }
                }
            }
            if let b = batch {
                guard lastID <= durableThrough else {
                    throw LakeError("run all", "silver read ingest_id \(lastID) but bronze committed only through \(durableThrough)",
                        hint: "run `lake run all` again; nothing past the last commit was kept")
                }
                batch = nil
                try endBatch(snapshot: b.snapshot, b.out, newPosition: durableThrough)
            }
        } catch {
            batch?.out.abort()
            throw error
        }
        result.watermarkMicros = state.watermarkMicros == Int64.min ? nil : state.watermarkMicros
        progress.finish()
        return result
    }

    /// Hands every row accepted from now on to `feed`, and a marker after each commit: the
    /// silver columns gold's tables read (`GoldPlan.inputs`), then `ingest_id`.
    func feedGold(_ feed: SilverFeed, inputs: [GoldPlan.Input]) throws {
        let last = try catalog.lastCommittedSnapshot(job: job.name, stage: .silver)
        goldFields.deallocate()
        goldFields = .allocate(capacity: max(1, inputs.count - 1))
        for (k, input) in inputs.dropLast().enumerated() {
            goldFields[k] = (input.silverField ?? 0, input.type == .string)
        }
        goldFields = UnsafeMutableBufferPointer(rebasing: goldFields[0..<(inputs.count - 1)])
        goldFeed = Unmanaged.passUnretained(feed)
        feed.start(after: last)
    }

    /// Hands an accepted row to gold (see `feedGold`), reading the slots in place as
    /// `SilverTable.append` does: this runs per accepted row.
    @inline(__always)
    private func handToGold(_ feed: SilverFeed, ingestID: Int64) {
        let fields = goldFields
        let watermark = state.watermarkMicros
        let slots = record.slots
        let line = record.lineBytes
        record.arena.withUnsafeBytes { arena in
            feed.appendRow { b in
                for k in 0..<fields.count {
                    let f = fields[k]
                    let slot = slots[f.field]
                    if slot.isNull {
                        b.setNull(k)
                    } else if f.isString {
                        let source = slot.inLine ? line : arena
                        b.set(k, string: UnsafeRawBufferPointer(rebasing: source[slot.start..<(slot.start + slot.count)]))
                    } else {
                        b.set(k, word: slot.bits)
                    }
                }
                b.set(fields.count, int: ingestID)
                b.endRow()
                b.watermark = watermark
            }
        }
    }

    /// Opens one commit's writers.
    private func beginBatch() throws -> (snapshot: Int64, out: Output) {
        let snapshot = try catalog.reserveSnapshot(job: job.name, stage: "silver", runID: runID)
        let out = Output(
            silver: TableWriter(
                paths: catalog.paths, table: job.silver.table, schema: silverSchema, snapshot: snapshot,
                timeColumn: timeField, ingestColumn: silverSchema.columns.count - 1),
            quarantine: TableWriter(
                paths: catalog.paths, table: job.silver.quarantineTable, schema: SilverTable.quarantineSchema,
                snapshot: snapshot, timeColumn: nil, ingestColumn: 0),
            children: zip(job.silver.children, childSchemas).map { child, schema in
                TableWriter(paths: catalog.paths, table: child.table, schema: schema, snapshot: snapshot,
                            timeColumn: parentFields.count - 1, ingestColumn: schema.columns.count - 1)
            })
        batchStats = [:]
        batchDuplicatesByDay = [:]
        batchCounts = (0, 0, 0, 0)
        return (snapshot, out)
    }

    /// Finishes one commit's files and commits them with the checkpoint at `newPosition`.
    private func endBatch(snapshot: Int64, _ out: Output, newPosition: Int64) throws {
        do {
            var added = try out.silver.finish() + out.quarantine.finish()
            for c in out.children { added += try c.finish() }
            try commit(snapshot: snapshot, files: added, newPosition: newPosition)
        } catch {
            out.abort()
            throw error
        }
        position = newPosition
        goldFeed?._withUnsafeGuaranteedRef {
            $0.committed(snapshot: snapshot, watermark: state.watermarkMicros == Int64.min ? nil : state.watermarkMicros)
        }
        result.rowsIn += batchCounts.rowsIn
        result.accepted += batchCounts.accepted
        result.duplicates += batchCounts.duplicates
        for (k, v) in batchStats { result.quarantined[k, default: 0] += v }
        result.commits += 1
    }

    private func commit(snapshot: Int64, files: [DataFile], newPosition: Int64) throws {
        let watermark = state.watermarkMicros == Int64.min ? nil : state.watermarkMicros
        try catalog.commit(snapshot: snapshot, add: files,
                           summary: "silver: \(batchCounts.accepted) rows, \(batchCounts.quarantined) quarantined") {
            try catalog.setCheckpoint(job: job.name, stage: "silver", key: "position", value: String(newPosition),
                                      snapshot: snapshot)
            try saveState(snapshot: snapshot)
            try SilverTable.addDuplicates(catalog, job: job.name, byDay: batchDuplicatesByDay)
            try SilverTable.addQuarantined(catalog, job: job.name, byReason: batchStats)
            try catalog.setCheckpoint(job: job.name, stage: "silver", key: "watermark_us",
                                      value: watermark.map { String($0) }, snapshot: snapshot)
            // Gold closes sessions with the watermark of the silver snapshots it has read.
            try catalog.db.run("UPDATE lake_snapshot SET watermark_us = ? WHERE snapshot_id = ?",
                               .of(watermark), .int(snapshot))
            var stats = batchStats.reduce(into: [String: Int]()) { $0["quarantined:" + $1.key] = $1.value }
            stats["accepted"] = batchCounts.accepted
            try catalog.addRunCounts(runID, rowsIn: batchCounts.rowsIn, rowsOut: batchCounts.accepted,
                                     quarantined: batchCounts.quarantined, duplicates: batchCounts.duplicates,
                                     watermarkMicros: watermark, stats: stats)
        }
    }

    /// The watermark's max event time from the checkpoint, and the live dedup keys rebuilt
    /// from silver itself: they are exactly the accepted rows whose event time is above the
    /// watermark, so only the live files whose newest row is above it are read (their key and
    /// time columns). Nothing per key is written at a commit (docs/DECISIONS.md).
    static func loadState(_ catalog: Catalog, job: JobDefinition, keys: DedupKeyBuilder) throws -> SilverState {
        let delay = Int64(job.silver.watermarkDelaySeconds) * 1_000_000
        let (maxEvent, files) = try catalog.db.read {
            (Int64(try catalog.checkpoint(job: job.name, stage: "silver", key: "max_event_us").value ?? "") ?? Int64.min,
             try catalog.liveFiles(table: job.silver.table))
        }
        var state = SilverState(delayMicros: delay, maxEventMicros: maxEvent,
                                idleMicros: Int64(job.source.kafka?.idleTimeoutSeconds ?? 60) * 1_000_000)
        if job.source.kafka != nil {
            state.restorePartitions(try catalog.checkpoint(job: job.name, stage: "silver", key: "partitions").value ?? "")
        }
        guard maxEvent != Int64.min else { return state }
        let watermark = state.watermarkMicros
        let time = job.silver.eventTimeColumn
        let columns = keys.fields.map { job.silver.columns[$0].column } + [time]
        let scratches = columns.map { _ in ColumnScratch() }
        var scratch: [UInt8] = []
        for file in files.sorted(by: { ($0.minIngestID ?? 0) < ($1.minIngestID ?? 0) })
        where (file.maxTimeMicros ?? Int64.max) > watermark {
            let reader = try ParquetReader(path: catalog.paths.root + "/" + file.path)
            let indices = try columns.map { name -> Int in
                guard let i = reader.schema.index(of: name) else {
                    throw LakeError("read silver", path: file.path, "no column \(name) to rebuild the dedup keys from",
                                    hint: "rebuild silver with `lake backfill silver`")
                }
                return i
            }
            for rg in reader.metadata.rowGroups.indices {
                let data = try indices.enumerated().map { k, c in
                    try reader.readColumn(rowGroup: rg, column: c, scratch: scratches[k])
                }
                defer { for (k, d) in data.enumerated() { scratches[k].recycle(d) } }
                guard case .int64(let times) = data[data.count - 1].values else {
                    throw LakeError("read silver", path: file.path, "column \(time) is not a timestamp",
                                    hint: "rebuild silver with `lake backfill silver`")
                }
                for row in 0..<data[0].rowCount where times[row] > watermark && !data[data.count - 1].isNull(row) {
                    state.restore(try keys.key(row: row, of: data.dropLast(), file: file.path, scratch: &scratch), eventMicros: times[row])
                }
            }
        }
        return state
    }

    /// Saves the watermark's max event time (inside the commit); the keys are silver's rows.
    private func saveState(snapshot: Int64) throws {
        try catalog.setCheckpoint(job: job.name, stage: "silver", key: "max_event_us",
                                  value: state.maxEventMicros == Int64.min ? nil : String(state.maxEventMicros),
                                  snapshot: snapshot)
        if state.partitioned {
            try catalog.setCheckpoint(job: job.name, stage: "silver", key: "partitions", value: state.encodedPartitions,
                                      snapshot: snapshot)
        }
    }

    // MARK: one record (the hot loop)

    private func processRecord(
        ingestID: Int64, ingestedAt: Int64, body: UnsafeRawBufferPointer, _ out: Output, partition: Int = 0
    ) throws {
        batchCounts.rowsIn += 1
        if partitioned { state.arrived(partition: partition, ingestedAt: ingestedAt) }
        progress.add()
        if body.count > job.source.lineBytesMax {
            return try quarantine(out, ingestID, ingestedAt, body, "too_long",
                                  "line of \(body.count) bytes exceeds source.max_line_bytes \(job.source.lineBytesMax)")
        }
        switch parser.parse(body, into: &record) {
        case .quarantined(let reason, let detail):
            return try quarantine(out, ingestID, ingestedAt, body, reason, detail)
        case .accepted:
            break
        }
        let eventTime = record.timestampMicros(timeField)
        if eventTime - ingestedAt > skewMicros {
            return try quarantine(out, ingestID, ingestedAt, body, "future_timestamp",
                                  "event time \(Timestamps.iso(micros: eventTime)) is more than \(skewMicros / 1_000_000) s after ingestion at \(Timestamps.iso(micros: ingestedAt))")
        }
        if state.isLate(eventTime, partition: partition) {
            return try quarantine(out, ingestID, ingestedAt, body, "late",
                                  "event time \(Timestamps.iso(micros: eventTime)) is at or before the watermark \(Timestamps.iso(micros: state.watermarkMicros))")
        }
        let key = keys.key(&record)
        if state.isDuplicate(key) {
            batchCounts.duplicates += 1
            batchDuplicatesByDay[Timestamps.floorDivide(eventTime, 86_400_000_000).0, default: 0] += 1
            return
        }
        if partitioned {
            state.accept(key, eventMicros: eventTime, partition: partition)
        } else {
            state.accept(key, eventMicros: eventTime)
        }
        batchCounts.accepted += 1
        try writeSilver(out, ingestID: ingestID, eventTime: eventTime)
        // A day the watermark has passed can get no more rows: its file is finished now.
        if state.watermarkMicros >= out.silver.earliestOpenDayLastMicros {
            try out.silver.finishDays(through: state.watermarkMicros)
            for c in out.children { try c.finishDays(through: state.watermarkMicros) }
        }
        goldFeed?._withUnsafeGuaranteedRef { handToGold($0, ingestID: ingestID) }
    }

    private func writeSilver(_ out: Output, ingestID: Int64, eventTime: Int64) throws {
        try out.silver.withWriter(dayOf: eventTime) {
            try SilverTable.append(&record, types: columnTypes, ingestID: ingestID, to: $0)
        }
        for (c, writer) in out.children.enumerated() where parser.childCounts[c] > 0 {
            try writer.withWriter(dayOf: eventTime) { w in
                try parser.withChildRecords(c) { elements in
                    for i in elements.indices {
                        try SilverTable.appendChild(parent: &record, parentFields: parentFields, parentTypes: parentTypes,
                                                    element: &elements[i], types: childTypes[c], ingestID: ingestID, to: w)
                    }
                }
            }
        }
    }

    private func quarantine(
        _ out: Output, _ ingestID: Int64, _ ingestedAt: Int64, _ body: UnsafeRawBufferPointer, _ reason: String, _ detail: String
    ) throws {
        batchCounts.quarantined += 1
        batchStats[reason, default: 0] += 1
        let w = try out.quarantine.writer(dayOf: ingestedAt)
        w.append(0, ingestID)
        w.append(1, string: reason)
        w.append(2, string: detail)
        w.append(3, bytes: body)
        try w.endRow()
    }
}
