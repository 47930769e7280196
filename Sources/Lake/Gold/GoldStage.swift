import Foundation
import Parquet

/// What one gold run did.
public struct GoldResult: Sendable {
    public var eventsIn = 0
    public var sessionsClosed = 0
    public var sessionsOpen = 0
    public var commits = 0
    public var watermarkMicros: Int64?
    /// Of `eventsIn`, the rows silver handed over in memory (`lake run all`), not read from Parquet.
    public var eventsFromFeed = 0
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

    /// Processes every pending silver snapshot (only those up to `through` when given); the
    /// result covers this call only.
    public func run(through: Int64? = nil) throws -> GoldResult {
        result = GoldResult()
        while true {
            let pending = try pendingSnapshots().filter { s in through.map { s.id <= $0 } ?? true }
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
        try commit(through: batch.last?.id ?? silverSnapshot, watermark: batch.last?.watermark ?? Int64.min,
                   events: events)
    }

    /// Closes the sessions the watermark has passed and commits: closed sessions to Parquet and
    /// SQLite, open ones to SQLite and the checkpoint, which now stands at silver snapshot
    /// `lastSnapshot` (`events` rows were added since the last commit).
    private func commit(through lastSnapshot: Int64, watermark: Int64, events: Int) throws {
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
        // The closed sessions' Parquet files are written on a thread of their own while this
        // one writes the SQLite rows (the two took about as long, one after the other, and at
        // the end of `run all` nothing else was running); the transaction registers the files
        // once both are done.
        let parquet = ClosedSessionFiles(
            paths: catalog.paths, table: job.gold.table, snapshot: snapshot, closed: closed, gapMicros: gapMicros)
        let blob = GoldState.encode(users)
        do {
            try catalog.commit(snapshot: snapshot, add: [], summary: "gold: \(closed.count) sessions closed") {
                try writeSQLite(closed: closed, changed: changed)
                try catalog.register(try parquet.wait(), snapshot: snapshot)
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
            parquet.remove()
            throw error
        }
        silverSnapshot = lastSnapshot
        result.eventsIn += events
        result.sessionsClosed += closed.count
        result.commits += 1
        result.watermarkMicros = watermark == Int64.min ? nil : watermark
    }

    /// Adds the rows silver hands over in memory during `lake run all` (see `SilverFeed`) and
    /// commits at each of silver's commit markers, until silver ends or abandons the feed. The
    /// feed must start right after this stage's checkpoint. `clean` is false when rows were
    /// added after the last commit that will never be committed (silver abandoned the feed):
    /// the sessions are then ahead of the checkpoint and the caller must start again from it.
    func runFeed(_ feed: SilverFeed) throws -> (result: GoldResult, clean: Bool) {
        result = GoldResult()
        var events = 0
        while let item = try feed.next() {
            switch item {
            case .rows(let chunk):
                events += addFed(chunk)
                feed.recycle(chunk)
            case .committed(let snapshot, let watermark):
                try commit(through: snapshot, watermark: watermark ?? Int64.min, events: events)
                result.eventsFromFeed += events
                events = 0
            }
        }
        result.sessionsOpen = users.values.reduce(0) { $0 + $1.sessions.count }
        return (result, events == 0)
    }

    /// `addFed`'s scratch, kept across chunks: an open-addressing table of the chunk's users
    /// (group number + 1, 0 for empty), each group's first row, each row's group, the rows
    /// ordered by group and where each group starts in that order.
    private var fedTable: [Int32] = []
    private var fedFirstRow: [Int32] = []
    private var fedGroupOf: [Int32] = []
    private var fedOrder: [Int32] = []
    private var fedStarts: [Int] = []

    /// A hash of a short byte string from a few word loads (users are ids of ~10 bytes). Its
    /// high bits are the mixed ones: the low bits of a product see only the low input bits.
    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, count n: Int) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        var i = 0
        while i + 8 <= n {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            if n >= 8 {
                tail = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            } else {
                for k in i..<n { tail = tail << 8 | UInt64(p.load(fromByteOffset: k, as: UInt8.self)) }
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        return h
    }

    /// Adds a chunk of fed rows to the sessions. Rows are grouped by user first (a hash table
    /// of the chunk's user bytes), so each user is looked up once per chunk, as the Parquet
    /// path looks each one up once per row group; within a user the rows keep their order.
    private func addFed(_ c: SilverFeed.Chunk) -> Int {
        let n = c.count
        guard n > 0 else { return 0 }
        var bits = 4
        while (1 << bits) < 2 * n { bits += 1 }
        let mask = (1 << bits) - 1
        fedTable.removeAll(keepingCapacity: true)
        fedTable.append(contentsOf: repeatElement(0, count: 1 << bits))
        fedFirstRow.removeAll(keepingCapacity: true)
        fedGroupOf.removeAll(keepingCapacity: true)
        fedGroupOf.append(contentsOf: repeatElement(0, count: n))
        var groups = 0
        fedTable.withUnsafeMutableBufferPointer { table in
            fedGroupOf.withUnsafeMutableBufferPointer { groupOf in
                for row in 0..<n {
                    let user = c.user(row)
                    let p = user.baseAddress ?? UnsafeRawPointer(c.userBytes)
                    var slot = Int(truncatingIfNeeded: Self.hash(p, count: user.count) >> UInt64(64 - bits))
                    while true {
                        let g = Int(table[slot])
                        if g == 0 {
                            fedFirstRow.append(Int32(row))
                            groups += 1
                            table[slot] = Int32(groups)
                            groupOf[row] = Int32(groups - 1)
                            break
                        }
                        let other = c.user(Int(fedFirstRow[g - 1]))
                        if other.count == user.count
                            && (user.isEmpty || RawBytes.equal(other.baseAddress!, p, count: user.count))
                        {
                            groupOf[row] = Int32(g - 1)
                            break
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
        // Rows ordered by group, in row order within each (a counting sort).
        fedStarts.removeAll(keepingCapacity: true)
        fedStarts.append(contentsOf: repeatElement(0, count: groups + 1))
        for g in fedGroupOf { fedStarts[Int(g) + 1] += 1 }
        for g in 0..<groups { fedStarts[g + 1] += fedStarts[g] }
        fedOrder.removeAll(keepingCapacity: true)
        fedOrder.append(contentsOf: repeatElement(0, count: n))
        var next = fedStarts
        for row in 0..<n {
            let g = Int(fedGroupOf[row])
            fedOrder[next[g]] = Int32(row)
            next[g] += 1
        }
        let gap = gapMicros
        let order = fedOrder
        for g in 0..<groups {
            let user = String(decoding: c.user(Int(fedFirstRow[g])), as: UTF8.self)
            let range = fedStarts[g]..<fedStarts[g + 1]
            func add(to sessions: inout UserSessions) {
                for position in range {
                    let row = Int(order[position])
                    let f = c.flags[row]
                    let amount = f & SilverFeed.Chunk.hasRevenue != 0 ? Session.micros(ofAmount: c.revenue[row]) : 0
                    sessions.add(Session(event: c.times[row], purchase: f & SilverFeed.Chunk.purchase != 0,
                                         cart: f & SilverFeed.Chunk.cart != 0, revenueMicros: amount), gapMicros: gap)
                }
            }
            add(to: &users[user, default: UserSessions()])
        }
        return n
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

/// The Parquet files of one gold commit's closed sessions, written on a thread of their own
/// (see `GoldStage.commit`). `wait` returns them durable in place, or throws the writing's
/// error (having removed what it wrote); `remove` deletes them when the commit fails.
private final class ClosedSessionFiles: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<[DataFile], Error> = .success([])
    private var waited = false
    private let root: String

    init(paths: LakePaths, table: String, snapshot: Int64, closed: [(user: String, session: Session)], gapMicros: Int64) {
        root = paths.root
        let thread = Thread { [self] in
            let writer = TableWriter(paths: paths, table: table, schema: GoldTable.schema,
                                     snapshot: snapshot, timeColumn: 1, ingestColumn: nil)
            do {
                for c in closed {
                    try GoldTable.append(c.user, c.session, closed: true, gapMicros: gapMicros,
                                         to: writer.writer(dayOf: c.session.start))
                }
                outcome = .success(try writer.finish())
            } catch {
                writer.abort()
                outcome = .failure(error)
            }
            done.signal()
        }
        thread.name = "lake-gold-files"
        thread.stackSize = 8 << 20
        thread.start()
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
