import Foundation
import Parquet

/// What one gold run did.
public struct GoldResult: Sendable {
    public var eventsIn = 0
    public var sessionsClosed = 0
    public var sessionsOpen = 0
    public var commits = 0
    public var watermarkMicros: Int64?
}

/// `lake run gold`: sessionizes silver rows per user (SPEC §6). Reads silver one committed
/// snapshot after another, adds each event to its user's open sessions (extending or merging
/// them), then closes every session whose window end the watermark of those snapshots has
/// reached. Closed sessions go to Parquet (append-only) and to the catalog's SQLite table;
/// open ones are state, checkpointed and mirrored in SQLite with `is_closed = 0`, all in the
/// same transaction.
public final class GoldStage {
    let catalog: Catalog
    let job: JobDefinition
    let runID: Int64
    let batchRowCountMax: Int
    let gapMicros: Int64
    private var users: [String: UserSessions] = [:]
    private(set) var silverSnapshot: Int64 = 0
    private var result = GoldResult()
    private let scratches = GoldStage.makeScratches()

    public init(catalog: Catalog, job: JobDefinition, runID: Int64, batchRowCountMax: Int = 1_000_000) throws {
        self.catalog = catalog
        self.job = job
        self.runID = runID
        self.batchRowCountMax = batchRowCountMax
        gapMicros = Int64(job.gold.sessionGapSeconds) * 1_000_000
        try catalog.ensureTable(name: job.gold.table, job: job.name, layer: "gold",
                                schemaJSON: GoldTable.schemaJSON, partitionColumn: "session_start")
        try catalog.db.transaction { try catalog.db.execute(GoldTable.sql(table: job.gold.table)) }
        let saved = try catalog.checkpoint(job: job.name, stage: "gold", key: "silver_snapshot")
        silverSnapshot = Int64(saved.value ?? "") ?? 0
        if let blob = saved.state { users = try GoldState.decode(blob) }
    }

    private struct SilverSnapshot {
        var id: Int64
        var watermark: Int64?
        var files: [String]
        var rows: Int64
    }

    /// Processes every pending silver snapshot; the result covers this call only.
    public func run() throws -> GoldResult {
        result = GoldResult()
        while true {
            let pending = try pendingSnapshots()
            if pending.isEmpty { break }
            var batch: [SilverSnapshot] = []
            var rows: Int64 = 0
            for s in pending {
                batch.append(s)
                rows += s.rows
                if rows >= Int64(batchRowCountMax) { break }
            }
            try process(batch)
        }
        result.sessionsOpen = users.values.reduce(0) { $0 + $1.sessions.count }
        return result
    }

    /// Committed silver snapshots after the checkpoint, with their files and watermark, read in
    /// one transaction so files and watermark agree.
    private func pendingSnapshots() throws -> [SilverSnapshot] {
        try catalog.db.read {
            let rows = try catalog.db.query("""
                SELECT s.snapshot_id, s.watermark_us, f.path, f.record_count
                FROM lake_snapshot s
                LEFT JOIN lake_data_file f ON f.begin_snapshot = s.snapshot_id
                  AND f.table_id = (SELECT table_id FROM lake_table WHERE table_name = ?)
                WHERE s.status = 'committed' AND s.job = ? AND s.stage = 'silver' AND s.snapshot_id > ?
                ORDER BY s.snapshot_id, f.file_id
                """, .text(job.silver.table), .text(job.name), .int(silverSnapshot))
            var result: [SilverSnapshot] = []
            for r in rows {
                let id = r[0].int ?? 0
                if result.last?.id != id { result.append(SilverSnapshot(id: id, watermark: r[1].int, files: [], rows: 0)) }
                if let path = r[2].text {
                    result[result.count - 1].files.append(path)
                    result[result.count - 1].rows += r[3].int ?? 0
                }
            }
            return result
        }
    }

    private func process(_ batch: [SilverSnapshot]) throws {
        var events = 0
        for s in batch {
            for path in s.files { events += try addEvents(file: path) }
        }
        let watermark = batch.last?.watermark ?? Int64.min
        var closed: [(user: String, session: Session)] = []
        // Users whose open sessions changed (events added, sessions closed): only their SQLite
        // rows are rewritten, so a commit costs what the batch touched, not every open session.
        var changed: [String] = []
        for (user, var sessions) in users {
            let closing = sessions.close(watermark: watermark, gapMicros: gapMicros)
            for s in closing { closed.append((user, s)) }
            guard sessions.changed || !closing.isEmpty else { continue }
            changed.append(user)
            sessions.changed = false
            if sessions.sessions.isEmpty { users[user] = nil } else { users[user] = sessions }
        }
        closed.sort { ($0.session.start, $0.user) < ($1.session.start, $1.user) }
        let snapshot = try catalog.reserveSnapshot(job: job.name, stage: "gold", runID: runID)
        let writer = TableWriter(paths: catalog.paths, table: job.gold.table, schema: GoldTable.schema,
                                 snapshot: snapshot, timeColumn: 1, ingestColumn: nil)
        let files: [DataFile]
        do {
            for c in closed {
                try GoldTable.append(c.user, c.session, closed: true, gapMicros: gapMicros,
                                     to: writer.writer(dayOf: c.session.start))
            }
            files = try writer.finish()
        } catch {
            writer.abort()
            throw error
        }
        let lastSnapshot = batch.last?.id ?? silverSnapshot
        let blob = GoldState.encode(users)
        do {
            try catalog.commit(snapshot: snapshot, add: files, summary: "gold: \(closed.count) sessions closed") {
                try writeSQLite(closed: closed, changed: changed)
                try catalog.setCheckpoint(job: job.name, stage: "gold", key: "silver_snapshot",
                                          value: String(lastSnapshot), state: blob, snapshot: snapshot)
                try catalog.db.run("UPDATE lake_snapshot SET watermark_us = ? WHERE snapshot_id = ?",
                                   watermark == Int64.min ? .null : .int(watermark), .int(snapshot))
                try catalog.setCheckpoint(job: job.name, stage: "gold", key: "watermark_us",
                                          value: watermark == Int64.min ? nil : String(watermark), snapshot: snapshot)
                try catalog.addRunCounts(runID, rowsIn: events, rowsOut: closed.count,
                                         watermarkMicros: watermark == Int64.min ? nil : watermark)
            }
        } catch {
            for f in files { unlink(catalog.paths.root + "/" + f.path) }
            throw error
        }
        silverSnapshot = lastSnapshot
        result.eventsIn += events
        result.sessionsClosed += closed.count
        result.commits += 1
        result.watermarkMicros = watermark == Int64.min ? nil : watermark
    }

    /// Adds every event of a silver file to `users`' sessions.
    private func addEvents(file: String) throws -> Int {
        try GoldStage.addEvents(
            catalog: catalog, job: job, file: file, gapMicros: gapMicros, to: &users, scratches: scratches)
    }

    /// The four column scratches `addEvents` reuses across row groups and files.
    static func makeScratches() -> [ColumnScratch] { (0..<4).map { _ in ColumnScratch() } }

    /// `scratches`: from `makeScratches()`, kept across calls (see `ColumnScratch`).
    static func addEvents(
        catalog: Catalog, job: JobDefinition, file: String, gapMicros: Int64, to users: inout [String: UserSessions],
        scratches: [ColumnScratch]
    ) throws -> Int {
        let reader = try ParquetReader(path: catalog.paths.root + "/" + file)
        let g = job.gold
        let names = [g.userColumn, g.timeColumn, g.typeColumn, g.revenueColumn]
        let columns = try names.map { name -> Int in
            guard let i = reader.schema.index(of: name) else {
                throw LakeError("read silver", path: file, "no column \(name)",
                    hint: "the job's [gold] columns must name silver columns")
            }
            return i
        }
        let purchase = Array(g.purchaseEventType.utf8)
        let cart = Array(g.cartEventType.utf8)
        var count = 0
        for rg in reader.metadata.rowGroups.indices {
            if let n = try addIndexedEvents(
                reader: reader, rowGroup: rg, columns: columns, purchase: purchase, cart: cart,
                gapMicros: gapMicros, to: &users, scratches: scratches)
            {
                count += n
                continue
            }
            let userData = try reader.readColumn(rowGroup: rg, column: columns[0], scratch: scratches[0])
            let timeData = try reader.readColumn(rowGroup: rg, column: columns[1], scratch: scratches[1])
            let typeData = try reader.readColumn(rowGroup: rg, column: columns[2], scratch: scratches[2])
            let revenueData = try reader.readColumn(rowGroup: rg, column: columns[3], scratch: scratches[3])
            defer {
                scratches[0].recycle(userData)
                scratches[1].recycle(timeData)
                scratches[2].recycle(typeData)
                scratches[3].recycle(revenueData)
            }
            guard case .bytes(let userValues) = userData.values, case .int64(let times) = timeData.values,
                  case .bytes(let types) = typeData.values, case .double(let revenue) = revenueData.values
            else {
                throw LakeError("read silver", path: file, "unexpected column types for gold",
                    hint: "user and type must be strings, time a timestamp, revenue a double")
            }
            for row in 0..<times.count {
                let user = userValues.string(row)
                let type = types[row]
                let isPurchase = type.elementsEqual(purchase)
                let amount = revenueData.isNull(row) ? 0 : Session.micros(ofAmount: revenue[row])
                let event = Session(event: times[row], purchase: isPurchase, cart: type.elementsEqual(cart),
                                    revenueMicros: amount)
                users[user, default: UserSessions()].add(event, gapMicros: gapMicros)
                count += 1
            }
        }
        return count
    }

    /// `addEvents` for one row group whose user and event-type chunks are dictionary-encoded
    /// without nulls (what silver writes): rows are grouped by user index, so each user is
    /// looked up once per row group rather than once per event, and no value is built per row
    /// (before: a `String` and a hash per event, and the user bytes copied out per row). Each
    /// user's events keep their row order; users are independent, so the result is the
    /// row-by-row one. nil when the chunks are not like that.
    private static func addIndexedEvents(
        reader: ParquetReader, rowGroup rg: Int, columns: [Int], purchase: [UInt8], cart: [UInt8],
        gapMicros: Int64, to users: inout [String: UserSessions], scratches: [ColumnScratch]
    ) throws -> Int? {
        guard let userData = try reader.readDictionaryIndexed(rowGroup: rg, column: columns[0], scratch: scratches[0]),
              userData.validity == nil, case .bytes(let names) = userData.dictionary,
              let typeData = try reader.readDictionaryIndexed(rowGroup: rg, column: columns[2], scratch: scratches[2]),
              typeData.validity == nil, case .bytes(let typeNames) = typeData.dictionary
        else { return nil }
        let timeData = try reader.readColumn(rowGroup: rg, column: columns[1], scratch: scratches[1])
        let revenueData = try reader.readColumn(rowGroup: rg, column: columns[3], scratch: scratches[3])
        defer {
            scratches[1].recycle(timeData)
            scratches[3].recycle(revenueData)
        }
        guard case .int64(let times) = timeData.values, case .double(let revenue) = revenueData.values,
              timeData.validity == nil, userData.indices.count == times.count, typeData.indices.count == times.count
        else { return nil }
        // Per event type: 1 purchase, 2 cart activity.
        let typeFlags = (0..<typeNames.count).map { i -> UInt8 in
            (typeNames[i].elementsEqual(purchase) ? 1 : 0) | (typeNames[i].elementsEqual(cart) ? 2 : 0)
        }
        // Rows grouped by user index, in row order within each user (a counting sort).
        let userIndices = userData.indices
        var starts = [Int](repeating: 0, count: names.count + 1)
        for u in userIndices { starts[Int(u) + 1] += 1 }
        for u in 0..<names.count { starts[u + 1] += starts[u] }
        var next = starts
        var rows = [Int32](repeating: 0, count: userIndices.count)
        for (row, u) in userIndices.enumerated() {
            rows[next[Int(u)]] = Int32(row)
            next[Int(u)] += 1
        }
        let typeIndices = typeData.indices
        func add(_ range: Range<Int>, to sessions: inout UserSessions) {
            for position in range {
                let row = Int(rows[position])
                let flags = typeFlags[Int(typeIndices[row])]
                let amount = revenueData.isNull(row) ? 0 : Session.micros(ofAmount: revenue[row])
                sessions.add(Session(event: times[row], purchase: flags & 1 != 0, cart: flags & 2 != 0,
                                     revenueMicros: amount), gapMicros: gapMicros)
            }
        }
        for u in 0..<names.count where starts[u + 1] > starts[u] {
            add(starts[u]..<starts[u + 1], to: &users[names.string(u), default: UserSessions()])
        }
        return times.count
    }

    /// Replaces the open rows of the users whose sessions changed and adds the newly closed
    /// sessions (inside the commit transaction). Every other user's open rows are still those
    /// of the previous commit, which match the state: the checkpoint and the rows are always
    /// committed together.
    private func writeSQLite(closed: [(user: String, session: Session)], changed: [String]) throws {
        let table = job.gold.table
        // Through the partial index of open rows, keyed by user (the table's key starts with
        // the session start, so it cannot find a user's rows).
        let delete = try catalog.db.prepare("DELETE FROM \(table) WHERE user_id = ? AND is_closed = 0")
        let put = try GoldTable.inserter(catalog.db, table: table, gapMicros: gapMicros)
        let users = changed.sorted()
        for user in users {
            try delete.bind([.text(user)])
            try delete.execute()
        }
        // In primary-key order (start, user), as `closed` already is: each b-tree leaf is
        // filled once instead of being revisited (and re-spilled from the page cache).
        var rows = closed.map { (user: $0.user, session: $0.session, closed: true) }
        for user in users {
            for s in self.users[user]?.sessions ?? [] { rows.append((user, s, false)) }
        }
        rows.sort { ($0.session.start, $0.user) < ($1.session.start, $1.user) }
        for r in rows { try put(r.user, r.session, r.closed) }
    }
}

/// Open sessions encoded for the gold checkpoint.
enum GoldState {
    static func encode(_ users: [String: UserSessions]) -> [UInt8] {
        var out: [UInt8] = []
        func put(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(Int64(users.count))
        for (user, sessions) in users.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(user.utf8)
            put(Int64(bytes.count))
            out.append(contentsOf: bytes)
            put(Int64(sessions.sessions.count))
            for s in sessions.sessions {
                put(s.start)
                put(s.end)
                put(s.count)
                put((s.purchased ? 1 : 0) | (s.cart ? 2 : 0))
                put(s.revenueMicros)
            }
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) throws -> [String: UserSessions] {
        var position = 0
        func get() throws -> Int64 {
            guard bytes.count - position >= 8 else {
                throw LakeError("read gold checkpoint", "state is truncated",
                    hint: "the catalog is damaged; rebuild gold with `lake backfill gold`")
            }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
            position += 8
            return Int64(bitPattern: v)
        }
        var users: [String: UserSessions] = [:]
        let userCount = try get()
        guard userCount >= 0 && userCount <= Int64(bytes.count) else {
            throw LakeError("read gold checkpoint", "state is damaged", hint: "rebuild gold with `lake backfill gold`")
        }
        for _ in 0..<userCount {
            let length = try get()
            guard length >= 0 && length <= Int64(bytes.count - position) else {
                throw LakeError("read gold checkpoint", "state is damaged", hint: "rebuild gold with `lake backfill gold`")
            }
            let user = String(decoding: bytes[position..<(position + Int(length))], as: UTF8.self)
            position += Int(length)
            var sessions = UserSessions()
            let n = try get()
            guard n >= 0 && n <= Int64(bytes.count) else {
                throw LakeError("read gold checkpoint", "state is damaged", hint: "rebuild gold with `lake backfill gold`")
            }
            for _ in 0..<n {
                let start = try get(), end = try get(), count = try get(), flags = try get(), revenue = try get()
                var s = Session(event: start, purchase: flags & 1 != 0, cart: flags & 2 != 0, revenueMicros: revenue)
                s.end = end
                s.count = count
                s.revenueMicros = revenue
                sessions.sessions.append(s)
            }
            users[user] = sessions
        }
        return users
    }
}
