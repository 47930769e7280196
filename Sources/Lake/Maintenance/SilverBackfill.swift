import Foundation
import Parquet

/// What a backfill did.
public struct BackfillResult: Sendable {
    public var rowsRead = 0
    public var rowsWritten = 0
    public var duplicates = 0
    public var recoveredLate = 0
    public var filesRetired = 0
    public var filesAdded = 0
}

/// `lake backfill silver --from D1 --to D2`: recomputes the silver partitions of those event
/// dates from every bronze row silver has read, with all data known now: late events are
/// included and duplicates removed (the first occurrence in bronze order wins). In one commit
/// it replaces the partitions, removes from quarantine the `late` rows it recovered, and
/// replaces the per-date duplicate counts, so bronze = silver + duplicates + quarantined holds.
public final class SilverBackfill {
    let catalog: Catalog
    let job: JobDefinition
    let runID: Int64
    let fromDay: Int64
    let toDay: Int64

    public init(catalog: Catalog, job: JobDefinition, runID: Int64, from: String, to: String) throws {
        self.catalog = catalog
        self.job = job
        self.runID = runID
        (fromDay, toDay) = try Backfill.days(from: from, to: to)
    }

    public func run() throws -> BackfillResult {
        var result = BackfillResult()
        let s = job.silver
        let schema = SilverTable.schema(s)
        try catalog.ensureTable(name: s.table, job: job.name, layer: "silver",
                                schemaJSON: SilverTable.schemaJSON(schema), partitionColumn: s.eventTimeColumn)
        let position = Int64(try catalog.checkpoint(job: job.name, stage: "silver", key: "position").value ?? "") ?? 0
        // Lines ingested up to `purged_through` are gone ([bronze] retention): dates their
        // events may fall on cannot be rebuilt whole (an event is at most clock_skew_max after
        // its ingestion, and may be any time before it).
        if let purged = Int64(try catalog.checkpoint(job: job.name, stage: "bronze", key: "purged_through").value ?? "") {
            let lastGone = Timestamps.floorDivide(purged + Int64(s.clockSkewSecondsMax) * 1_000_000, 86_400_000_000).0
            if fromDay <= lastGone {
                let first = Timestamps.date(micros: (lastGone + 1) * 86_400_000_000)
                throw LakeError("backfill silver", "bronze lines ingested up to \(Timestamps.iso(micros: purged)) were "
                                + "deleted by [bronze] retention, so silver for \(Timestamps.date(micros: fromDay * 86_400_000_000)) "
                                + "cannot be rebuilt whole",
                                hint: "backfill from \(first) on (the silver rows of earlier dates stay as they are)")
            }
        }
        guard let timeField = s.columns.firstIndex(where: { $0.column == s.eventTimeColumn }) else {
            throw LakeError("job \(job.name)", "silver has no column \(s.eventTimeColumn)", hint: "fix [silver.columns]")
        }
        let dedupFields = s.dedupKeys.compactMap { k in s.columns.firstIndex { $0.column == k } }
        let keys = DedupKeyBuilder(fields: dedupFields, columns: s.columns)
        var parser = EventParser(fields: s.columns, timestampFormat: s.timestampFormat, timeZone: s.timezone,
                             piiKey: try s.piiKey(lake: catalog.paths.root), children: s.children)
        var record = ParsedRecord()
        let types = s.columns.map(\.type)
        var seen = Set<SilverState.Key>()
        let progress = Progress("backfill silver: bronze rows read")
        defer { progress.finish() }
        var touched = Set<Int64>()  // ingest ids of every candidate (accepted or duplicate now)
        var duplicatesByDay: [Int64: Int] = [:]
        let skewMicros = Int64(s.clockSkewSecondsMax) * 1_000_000
        let snapshot = try catalog.reserveSnapshot(job: job.name, stage: "backfill", runID: runID)
        let silver = TableWriter(paths: catalog.paths, table: s.table, schema: schema, snapshot: snapshot,
                                 timeColumn: timeField, ingestColumn: schema.columns.count - 1)
        let quarantine = TableWriter(paths: catalog.paths, table: s.quarantineTable, schema: SilverTable.quarantineSchema,
                                     snapshot: snapshot, timeColumn: nil, ingestColumn: 0)
        // Child tables are rebuilt for the same dates with their parents.
        let parentFields = s.childParentFields
        let parentTypes = parentFields.map { s.columns[$0].type }
        let children = try s.children.map { child -> (TableWriter, [FieldType]) in
            let schema = SilverTable.childSchema(s, child)
            try catalog.ensureTable(name: child.table, job: job.name, layer: "silver",
                                    schemaJSON: SilverTable.schemaJSON(schema), partitionColumn: s.eventTimeColumn)
            return (TableWriter(paths: catalog.paths, table: child.table, schema: schema, snapshot: snapshot,
                                timeColumn: parentFields.count - 1, ingestColumn: schema.columns.count - 1),
                    child.columns.map(\.type))
        }
        do {
            let bronze = try catalog.liveFiles(table: job.bronze.table)
                .filter { ($0.minIngestID ?? 0) <= position }
                .sorted { ($0.minIngestID ?? 0) < ($1.minIngestID ?? 0) }
            try BronzeTable.forEachRow(catalog, files: bronze) { id, ingestedAt, body in
                guard id <= position else { return }
                result.rowsRead += 1
                progress.add()
                guard body.count <= job.source.lineBytesMax,
                      parser.parse(body, into: &record) == .accepted else { return }
                let t = record.timestampMicros(timeField)
                let day = Timestamps.floorDivide(t, 86_400_000_000).0
                guard day >= fromDay && day <= toDay, t - ingestedAt <= skewMicros else { return }
                touched.insert(id)
                if !seen.insert(keys.key(&record)).inserted {
                    duplicatesByDay[day, default: 0] += 1
                    result.duplicates += 1
                    return
                }
                try SilverTable.append(&record, types: types, ingestID: id, to: silver.writer(dayOf: t))
                for (c, (writer, childTypes)) in children.enumerated() where parser.childCounts[c] > 0 {
                    let w = try writer.writer(dayOf: t)
                    try parser.withChildRecords(c) { elements in
                        for i in elements.indices {
                            try SilverTable.appendChild(parent: &record, parentFields: parentFields, parentTypes: parentTypes,
                                                        element: &elements[i], types: childTypes, ingestID: id, to: w)
                        }
                    }
                }
                result.rowsWritten += 1
            }
            let (quarantineRetired, recovered) = try rewriteQuarantine(removing: touched, into: quarantine)
            result.recoveredLate = recovered
            var added = try silver.finish() + quarantine.finish()
            for (writer, _) in children { added += try writer.finish() }
            let first = Timestamps.date(micros: fromDay * 86_400_000_000)
            let last = Timestamps.date(micros: toDay * 86_400_000_000)
            var silverRetired: [Int64] = []
            for table in [s.table] + s.children.map(\.table) {
                silverRetired += try catalog.liveFiles(table: table)
                    .filter { ($0.partition ?? "") >= first && ($0.partition ?? "") <= last }.map(\.fileID)
            }
            try catalog.commit(snapshot: snapshot, add: added, retire: silverRetired + quarantineRetired,
                               summary: "backfill silver \(first)..\(last): \(result.rowsWritten) rows") {
                try catalog.db.run("DELETE FROM lake_silver_duplicates WHERE job = ? AND event_date BETWEEN ? AND ?",
                                   .text(job.name), .text(first), .text(last))
                try SilverTable.addDuplicates(catalog, job: job.name, byDay: duplicatesByDay)
                try SilverTable.addQuarantined(catalog, job: job.name, byReason: ["late": -result.recoveredLate])
                try catalog.addRunCounts(runID, rowsIn: result.rowsRead, rowsOut: result.rowsWritten,
                                         duplicates: result.duplicates)
            }
            result.filesRetired = silverRetired.count + quarantineRetired.count
            result.filesAdded = added.count
        } catch {
            silver.abort()
            quarantine.abort()
            for (writer, _) in children { writer.abort() }
            throw error
        }
        return result
    }

    /// Rewrites the quarantine files holding `late` rows of records the backfill now accounts
    /// for (accepted or duplicate), without those rows. Returns the retired file ids and the
    /// number of rows removed.
    private func rewriteQuarantine(removing ids: Set<Int64>, into writer: TableWriter) throws -> ([Int64], Int) {
        guard !ids.isEmpty else { return ([], 0) }
        var retired: [Int64] = []
        var removed = 0
        for file in try catalog.liveFiles(table: job.silver.quarantineTable) {
            let reader = try ParquetReader(path: catalog.paths.root + "/" + file.path)
            var groups: [[ColumnData]] = []
            var drop = false
            for g in reader.metadata.rowGroups.indices {
                let columns = try (0..<reader.schema.columns.count).map { try reader.readColumn(rowGroup: g, column: $0) }
                guard case .int64(let idValues) = columns[0].values, case .bytes(let reasons) = columns[1].values else {
                    throw LakeError("backfill", path: file.path, "not a quarantine file", hint: "check the catalog")
                }
                if (0..<idValues.count).contains(where: { ids.contains(idValues[$0]) && reasons.string($0) == "late" }) {
                    drop = true
                }
                groups.append(columns)
            }
            guard drop else { continue }
            let out = try writer.writer(partition: file.partition ?? "none")
            for columns in groups {
                guard case .int64(let idValues) = columns[0].values, case .bytes(let reasons) = columns[1].values,
                      case .bytes(let details) = columns[2].values, case .bytes(let bodies) = columns[3].values
                else { continue }
                for row in 0..<idValues.count {
                    if ids.contains(idValues[row]) && reasons.string(row) == "late" {
                        removed += 1
                        continue
                    }
                    out.append(0, idValues[row])
                    out.append(1, bytes: Array(reasons[row]))
                    out.append(2, bytes: Array(details[row]))
                    out.append(3, bytes: Array(bodies[row]))
                    try out.endRow()
                }
            }
            retired.append(file.fileID)
        }
        return (retired, removed)
    }
}

/// Date arguments of backfills.
public enum Backfill {
    /// The day numbers of `--from` and `--to`, checked to be in order.
    static func days(from: String, to: String) throws -> (Int64, Int64) {
        let first = try day(from, flag: "--from")
        let last = try day(to, flag: "--to")
        guard first <= last else {
            throw LakeError("backfill", "--from \(from) is after --to \(to)", hint: "swap the dates")
        }
        return (first, last)
    }

    /// Days since 1970-01-01 of `YYYY-MM-DD`, `today` or `yesterday` (UTC).
    public static func day(_ text: String, flag: String) throws -> Int64 {
        let today = Timestamps.floorDivide(Clock.nowMicros(), 86_400_000_000).0
        switch text.lowercased() {
        case "today": return today
        case "yesterday": return today - 1
        default: break
        }
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int64(parts[0]), let m = Int64(parts[1]),
              let d = Int64(parts[2]), (1...12).contains(m), (1...31).contains(d)
        else {
            throw LakeError("backfill", "\(flag) \(text) is not a date", hint: "use YYYY-MM-DD, today or yesterday")
        }
        let day = Timestamps.days(year: y, month: m, day: d)
        guard Timestamps.date(micros: day * 86_400_000_000) == text else {
            throw LakeError("backfill", "\(flag) \(text) is not a calendar date", hint: "use YYYY-MM-DD")
        }
        return day
    }
}
