import Foundation
import Testing

@testable import Lake

/// `lake run all` runs the stages at once, each following the one below in commits of
/// `batchRowCountMax` rows. Whatever the interleaving, the tables must equal the ones a run of
/// the stages one after the other gives.
@Suite("run all: stages at once")
struct OverlappedRunTests {
    @Test(arguments: [31, 32] as [UInt64])
    func overlappedEqualsSequential(seed: UInt64) throws {
        print("overlapped run seed \(seed)")
        var rng = SeededRandom(seed: seed)
        var lines: [String] = []
        var t = 1_769_680_800
        let types = ["PAGE_VIEW", "SEARCH", "PRODUCT_VIEW", "ADD_TO_CART", "PURCHASE"]
        for i in 0..<4000 {
            t += Int.random(in: 0...40, using: &rng)
            // Jitter of up to 15 minutes: some events fall behind the 10-minute watermark.
            let time = Timestamps.iso(micros: Int64(t - Int.random(in: 0...900, using: &rng)) * 1_000_000)
            let type = types[Int.random(in: 0..<types.count, using: &rng)]
            let total = type == "PURCHASE" ? Double(Int.random(in: 1...50000, using: &rng)) / 100 : nil
            let id = Int.random(in: 0..<50, using: &rng) == 0 ? "e\(i - 1)" : "e\(i)"  // some duplicates
            lines.append(eventLine(id: id, user: "u\(Int.random(in: 0..<60, using: &rng))", type: type,
                                   time: time, total: total))
        }
        let (sequential, overlapped) = try Self.twoLakes("\(seed)", lines)
        defer { sequential.remove(); overlapped.remove() }
        let a = try Self.runSequential(sequential)
        let b = try Self.pipeline(overlapped).runOverlapped(batchRowCountMax: 300)

        #expect(b.bronze?.lines == 4000 && b.bronze?.commits ?? 0 > 10, "bronze commits in pieces")
        #expect(b.silver?.commits ?? 0 > 1, "silver follows bronze commit by commit")
        #expect(b.silver?.rowsFromFeed == 4000, "silver read bronze's lines in memory")
        #expect(b.gold?.eventsFromFeed == b.silver?.accepted && b.gold?.eventsIn == b.silver?.accepted,
                "gold read silver's rows in memory")
        #expect(b.silver?.accepted == a.silver?.accepted && b.silver?.duplicates == a.silver?.duplicates)
        #expect(b.silver?.quarantined == a.silver?.quarantined)
        #expect(b.gold?.sessionsClosed == a.gold?.sessionsClosed && b.gold?.sessionsOpen == a.gold?.sessionsOpen)
        let sortRows = { (rows: [[String]]) in rows.sorted { $0.lexicographicallyPrecedes($1) } }
        for table in ["silver_clickstream", "quarantine_clickstream", "gold_session_stats"] {
            let expected = sortRows(try sequential.tableRows(table))
            #expect(sortRows(try overlapped.tableRows(table)) == expected, "table \(table)")
        }
        let gold = try sequential.goldSQLite()
        #expect(gold.count > 50)
        #expect(try overlapped.goldSQLite() == gold)
        let accounting = try #require(try overlapped.accounting())
        #expect(accounting.balanced && accounting.pending == 0 && accounting.bronzeRows == 4000)
    }

    /// Near the end of its input bronze commits once early, so the last batch — what silver
    /// and gold still work through after bronze ended — holds at most a quarter of a batch;
    /// silver commits where bronze did, and the tables equal a sequential run's.
    @Test func theLastBatchIsSmall() throws {
        let (sequential, overlapped) = try Self.twoLakes("t", Self.lines(20_000))
        defer { sequential.remove(); overlapped.remove() }
        _ = try Self.runSequential(sequential)
        let all = try Self.pipeline(overlapped)
        // Batches of 8192 lines: the early commit is due at 2048 lines left, checked every 1024
        // lines once the batch holds more than 2048: 8192, 8192, 3072, then the last 544.
        let r = try all.runOverlapped(batchRowCountMax: 8192)
        all.finish(error: nil)
        let catalog = try Catalog(paths: overlapped.paths)
        let bronze = try catalog.liveFiles(table: overlapped.job.bronze.table).map(\.recordCount)
        #expect(bronze == [8192, 8192, 3072, 544])
        #expect(r.bronze?.commits == 4 && r.silver?.commits == 4 && r.gold?.commits == 4)
        let sortRows = { (rows: [[String]]) in rows.sorted { $0.lexicographicallyPrecedes($1) } }
        for table in ["silver_clickstream", "gold_session_stats"] {
            #expect(sortRows(try overlapped.tableRows(table)) == sortRows(try sequential.tableRows(table)), "table \(table)")
        }
        #expect(try overlapped.goldSQLite() == sequential.goldSQLite())
    }

    /// Two lakes holding the same landing file: one for a sequential run, one for `run all`.
    static func twoLakes(_ name: String, _ lines: [String]) throws -> (sequential: TestLake, overlapped: TestLake) {
        let body = Array((lines.joined(separator: "\n") + "\n").utf8)
        let sequential = try TestLake("seq\(name)")
        let overlapped = try TestLake("ovl\(name)")
        try sequential.append("a.jsonl", body)
        try overlapped.append("a.jsonl", body)
        return (sequential, overlapped)
    }

    static func pipeline(_ lake: TestLake) throws -> Pipeline {
        Pipeline(catalog: try Catalog(paths: lake.paths), job: lake.job, stages: Stage.allCases, wait: false)
    }

    /// The three stages one after the other, in one pass.
    static func runSequential(_ lake: TestLake) throws -> PipelineResult {
        let one = try pipeline(lake)
        let r = try one.runPass()
        one.finish(error: nil)
        return r
    }

    static func lines(_ count: Int, from first: Int = 0) -> [String] {
        (first..<(first + count)).map { i in
            eventLine(id: "e\(i)", user: "u\(i % 7)", time: Timestamps.iso(micros: Int64(1_769_680_800 + 30 * i) * 1_000_000))
        }
    }

    /// Bronze rows committed before the run (silver behind) come from Parquet, this run's from
    /// the feed; the tables equal a sequential run over the same input.
    @Test func backlogThenFeed() throws {
        let lines = Self.lines(3000)
        let first = Array((lines[0..<1000].joined(separator: "\n") + "\n").utf8)
        let rest = Array((lines[1000...].joined(separator: "\n") + "\n").utf8)
        let sequential = try TestLake("seqb")
        let overlapped = try TestLake("ovlb")
        defer { sequential.remove(); overlapped.remove() }
        try sequential.append("a.jsonl", first + rest)
        try overlapped.append("a.jsonl", first)
        try overlapped.runBronze()
        try overlapped.append("a.jsonl", rest)

        let stages = Stage.allCases
        let one = Pipeline(catalog: try Catalog(paths: sequential.paths), job: sequential.job, stages: stages, wait: false)
        _ = try one.runPass()
        one.finish(error: nil)
        let all = Pipeline(catalog: try Catalog(paths: overlapped.paths), job: overlapped.job, stages: stages, wait: false)
        let b = try all.runOverlapped(batchRowCountMax: 256)
        #expect(b.bronze?.lines == 2000)
        #expect(b.silver?.rowsIn == 3000 && b.silver?.rowsFromFeed == 2000)
        #expect(b.gold?.eventsIn == 3000 && b.gold?.eventsFromFeed == 3000)
        try Self.expectSameTables(overlapped, sequential)
        let accounting = try #require(try overlapped.accounting())
        #expect(accounting.balanced && accounting.pending == 0 && accounting.bronzeRows == 3000)
    }

    /// Silver snapshots committed before the run (gold behind) come from Parquet, this run's
    /// from silver's feed; the tables equal a sequential run over the same input.
    @Test func goldBacklogThenFeed() throws {
        let lines = Self.lines(3000)
        let first = Array((lines[0..<1200].joined(separator: "\n") + "\n").utf8)
        let rest = Array((lines[1200...].joined(separator: "\n") + "\n").utf8)
        let sequential = try TestLake("seqg")
        let overlapped = try TestLake("ovlg")
        defer { sequential.remove(); overlapped.remove() }
        try sequential.append("a.jsonl", first + rest)
        try overlapped.append("a.jsonl", first)
        _ = try overlapped.runBronze()
        _ = try overlapped.runSilver(batchRows: 500)
        try overlapped.append("a.jsonl", rest)

        let one = Pipeline(catalog: try Catalog(paths: sequential.paths), job: sequential.job, stages: Stage.allCases, wait: false)
        _ = try one.runPass()
        one.finish(error: nil)
        let all = Pipeline(catalog: try Catalog(paths: overlapped.paths), job: overlapped.job, stages: Stage.allCases, wait: false)
        let b = try all.runOverlapped(batchRowCountMax: 256)
        #expect(b.silver?.accepted == 1800)
        #expect(b.gold?.eventsIn == 3000 && b.gold?.eventsFromFeed == 1800, "1200 from Parquet, 1800 in memory")
        try Self.expectSameTables(overlapped, sequential)
    }

    /// Gold commits only at silver's markers: rows after the last one are never committed. When
    /// silver abandons the feed, gold says its sessions are ahead of its checkpoint (the caller
    /// starts again from it); when silver fails, gold reports it. Either way the checkpoint and
    /// the SQLite rows hold exactly the rows before the last marker.
    @Test(arguments: [false, true])
    func goldCommitsOnlyAtSilversMarkers(silverFails: Bool) throws {
        let lake = try TestLake("goldfeed\(silverFails)")
        defer { lake.remove() }
        let plan = try GoldPlan(job: lake.job)
        let feed = SilverFeed(types: plan.inputTypes, chunkRowCountMax: 3, queuedChunksMax: 100)
        feed.start(after: 0)
        let base: Int64 = 1_769_680_800_000_000
        var ingest: Int64 = 0
        // One silver row as gold reads it: the input columns the job's gold tables name.
        func row(_ user: String, minute: Int64, purchase: Bool = false, revenue: Double? = nil) {
            ingest += 1
            let id = ingest
            feed.appendRow { b in
                for (k, input) in plan.inputs.enumerated() {
                    switch input.name {
                    case "user_id": Array(user.utf8).withUnsafeBytes { b.set(k, string: $0) }
                    case "event_time": b.set(k, int: base + minute * 60_000_000)
                    case "event_type":
                        Array((purchase ? "PURCHASE" : "PAGE_VIEW").utf8).withUnsafeBytes { b.set(k, string: $0) }
                    case "total_amount":
                        if let revenue { b.set(k, double: revenue) } else { b.setNull(k) }
                    case "ingest_id": b.set(k, int: id)
                    default: b.setNull(k)
                    }
                }
                b.endRow()
            }
        }
        row("u1", minute: 0)
        row("u2", minute: 1)
        row("u1", minute: 5, purchase: true, revenue: 12.5)
        row("u3", minute: 90)
        feed.committed(snapshot: 7, watermark: base + 80 * 60_000_000)
        // A full chunk after the marker reaches gold; silver's partial chunk never does.
        row("u1", minute: 100)
        row("u4", minute: 101)
        row("u5", minute: 102)
        row("u6", minute: 103)
        if silverFails { feed.finish(succeeded: false) } else { feed.abandon() }

        let catalog = try Catalog(paths: lake.paths)
        var fed: (result: GoldResult, clean: Bool)?
        let run = {
            try StageRunner.run(catalog: catalog, job: lake.job.name, stage: "gold", wait: false) { runID in
                fed = try GoldStage(catalog: catalog, job: lake.job, runID: runID).runFeed(feed)
            }
        }
        if silverFails {
            #expect(throws: LakeError.self) { try run() }
        } else {
            try run()
            #expect(fed?.clean == false, "three rows were added after the last marker")
            #expect(fed?.result.eventsFromFeed == 4 && fed?.result.sessionsClosed == 2)
        }
        #expect(try catalog.checkpoint(job: lake.job.name, stage: "gold", key: "silver_snapshot").value == "7")
        // u1's session (minutes 0-5, a purchase of 12.5) and u2's closed at minute 80; u3's open.
        let rows = try lake.goldSQLite()
        #expect(rows.map { [$0[0], $0[4], $0[5], $0[8], $0[9]] } == [
            ["u1", "2", "1", "12.5", "1"], ["u2", "1", "0", "0.0", "1"], ["u3", "1", "0", "0.0", "0"],
        ])
        let reloaded = try GoldStage(catalog: catalog, job: lake.job, runID: 0)
        #expect(try reloaded.run().sessionsOpen == 1, "the checkpoint holds u3's session only")
    }

    /// Under a job whose user column may be null, silver hands gold rows without a user like
    /// any other (they form the NULL key's sessions, as SQL groups NULLs): gold takes the whole
    /// feed and the tables equal a sequential run's.
    @Test func aNullUserIsFedToGold() throws {
        var job = TestLake.clickstreamJob()
        let user = try #require(job.silver.columns.firstIndex { $0.column == "user_id" })
        job.silver.columns[user].required = false
        var lines = Self.lines(3000)
        lines[2000] = lines[2000].replacingOccurrences(of: #""userId":"u5","#, with: "")
        #expect(!lines[2000].contains("userId"))
        let body = Array((lines.joined(separator: "\n") + "\n").utf8)
        let sequential = try TestLake("seqn")
        let overlapped = try TestLake("ovln")
        defer { sequential.remove(); overlapped.remove() }
        try sequential.append("a.jsonl", body)
        try overlapped.append("a.jsonl", body)

        let one = Pipeline(catalog: try Catalog(paths: sequential.paths), job: job, stages: Stage.allCases, wait: false)
        let a = try one.runPass()
        one.finish(error: nil)
        let all = Pipeline(catalog: try Catalog(paths: overlapped.paths), job: job, stages: Stage.allCases, wait: false)
        // Chunks of 100 rows: rows after silver's last commit before the null user reach gold.
        let b = try all.runOverlapped(batchRowCountMax: 256, goldFeedChunkRows: 100)
        #expect(a.silver?.accepted == 3000 && b.silver?.accepted == 3000)
        #expect(b.gold?.eventsIn == 3000 && b.gold?.eventsFromFeed == 3000)
        try Self.expectSameTables(overlapped, sequential)
    }

    /// Every table of `lake` holds the rows of `expected`'s (in any order), and so do their
    /// SQLite gold tables.
    static func expectSameTables(_ lake: TestLake, _ expected: TestLake) throws {
        let sortRows = { (rows: [[String]]) in rows.sorted { $0.lexicographicallyPrecedes($1) } }
        for table in ["silver_clickstream", "quarantine_clickstream", "gold_session_stats"] {
            #expect(sortRows(try lake.tableRows(table)) == sortRows(try expected.tableRows(table)), "table \(table)")
        }
        #expect(try lake.goldSQLite() == (try expected.goldSQLite()))
    }

    /// When bronze fails after handing over lines it never committed, silver commits only up to
    /// bronze's last commit marker and reports the failure.
    @Test func silverCommitsOnlyWhatBronzeCommitted() throws {
        let lake = try TestLake("feedfail")
        defer { lake.remove() }
        let feed = BronzeFeed(chunkRowCountMax: 7, chunkBytesMax: 1 << 20, queuedChunksMax: 100)
        feed.start(firstID: 1)
        for (i, line) in Self.lines(50).enumerated() {
            Array(line.utf8).withUnsafeBytes { feed.append(id: Int64(i + 1), ingestedAt: Clock.nowMicros(), line: $0) }
            if i + 1 == 30 { feed.committed(throughID: 30) }
        }
        feed.finish(succeeded: false)
        let catalog = try Catalog(paths: lake.paths)
        #expect(throws: LakeError.self) {
            try StageRunner.run(catalog: catalog, job: lake.job.name, stage: "silver", wait: false) { runID in
                try SilverStage(catalog: catalog, job: lake.job, runID: runID, batchRowCountMax: 10).runFeed(feed)
            }
        }
        #expect(try catalog.checkpoint(job: lake.job.name, stage: "silver", key: "position").value == "30")
        let ids = try lake.tableRows("silver_clickstream").map { $0[0] }
        #expect(ids.count == 30 && Set(ids) == Set((0..<30).map { "e\($0)" }))
    }

    /// A reader that stops (silver failed) releases a bronze blocked on the full queue, and
    /// bronze never blocks again.
    @Test func stoppedReaderNeverBlocksBronze() throws {
        let feed = BronzeFeed(chunkRowCountMax: 1, chunkBytesMax: 1 << 20, queuedChunksMax: 1)
        feed.start(firstID: 1)
        let done = DispatchSemaphore(value: 0)
        Thread {
            for i in 1...100 { [UInt8](repeating: 65, count: 10).withUnsafeBytes { feed.append(id: Int64(i), ingestedAt: 0, line: $0) } }
            feed.committed(throughID: 100)
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 0.3) == .timedOut, "bronze waits while the queue is full")
        guard case .rows(let c) = try feed.next() else { Issue.record("first item is not rows"); return }
        #expect(c.ids == [1])
        feed.stopConsuming()
        #expect(done.wait(timeout: .now() + 10) == .success, "bronze finished once the reader stopped")
    }

    /// Chunks are allocated at full size and recycled: filling one to its byte limit never
    /// doubles its storage (doubling growth held ~50 MB in five chunks), a recycled chunk comes
    /// back to bronze, and a chunk a very long line grew is not kept.
    @Test func chunksKeepTheirStorage() throws {
        let limit = 64 << 10
        let feed = BronzeFeed(chunkRowCountMax: 1000, chunkBytesMax: limit, queuedChunksMax: 4)
        feed.start(firstID: 1)
        var id: Int64 = 0
        func push(_ count: Int, bytes: Int = 1000) {
            for _ in 0..<count {
                id += 1
                [UInt8](repeating: 65, count: bytes).withUnsafeBytes { feed.append(id: id, ingestedAt: 0, line: $0) }
            }
        }
        func nextRows() throws -> BronzeFeed.Chunk? {
            while let item = try feed.next() { if case .rows(let c) = item { return c } }
            return nil
        }
        push(1)
        feed.committed(throughID: id)  // chunk A queued; bronze fills a new chunk B
        let a = try #require(try nextRows())
        let baseA = a.data.withUnsafeBytes { $0.baseAddress }
        feed.recycle(a)
        push(66)  // B passes 64 KiB at its 66th line: queued; bronze fills A again
        let b = try #require(try nextRows())
        #expect(b.count == 66)
        #expect(b.data.capacity >= limit && b.data.capacity < limit + limit / 8, "no doubling")
        push(1)
        feed.committed(throughID: id)
        let again = try #require(try nextRows())
        #expect(again.data.withUnsafeBytes { $0.baseAddress } == baseA, "the recycled chunk was reused")
        feed.recycle(b)
        feed.recycle(again)
        // A 1 MB line grows its chunk past twice the limit: recycling drops that chunk.
        push(1, bytes: 1 << 20)
        feed.committed(throughID: id)
        let big = try #require(try nextRows())
        #expect(big.data.capacity >= 1 << 20)
        feed.recycle(big)
        for _ in 0..<6 {
            push(1)
            feed.committed(throughID: id)
            let c = try #require(try nextRows())
            #expect(c.data.capacity < 2 * limit, "the grown chunk came back")
            feed.recycle(c)
        }
    }

    /// `run all` over several jobs runs them at once (`Pipeline.runOverlapped(_:)`): each
    /// job's tables equal the ones of that job run alone, and a job that fails (here: a bronze
    /// file of its was deleted) does not stop the others.
    @Test func jobsAtOnceEqualJobsAlone() throws {
        let tx = try JobLoader.load(file: repositoryJobsFolder + "/transactions.toml")
        var options = GeneratorOptions(job: .transactions, outputDirectory: try makeTemporaryFolder("gen-tx-all"))
        options.eventCount = 5000
        let manifest = try EventGenerator(options: options).run()
        let clicks = Array((Self.lines(3000).joined(separator: "\n") + "\n").utf8)
        let alone = try TestLake("jobs-alone")
        let atOnce = try TestLake("jobs-at-once")
        let failing = try TestLake("jobs-failing")
        defer { alone.remove(); atOnce.remove(); failing.remove() }
        for lake in [alone, atOnce, failing] {
            try lake.append("a.jsonl", clicks)
            let landing = lake.root + "/" + tx.source.landing
            try FileManager.default.createDirectory(atPath: landing, withIntermediateDirectories: true)
            for f in manifest.files {
                try FileManager.default.copyItem(atPath: options.outputDirectory + "/" + f.name, toPath: landing + "/" + f.name)
            }
        }
        func pipelines(_ lake: TestLake) throws -> [Pipeline] {
            try [lake.job, tx].map { Pipeline(catalog: try Catalog(paths: lake.paths), job: $0, stages: Stage.allCases, wait: false) }
        }
        for p in try pipelines(alone) {
            _ = try p.runOverlapped()
            p.finish(error: nil)
        }
        let outcomes = Pipeline.runOverlapped(try pipelines(atOnce), jobsAtOnce: 2)
        let results = try outcomes.map { try $0.result.get() }
        #expect(results[0].silver?.accepted == 3000 && results[1].bronze?.lines == manifest.files.reduce(0) { $0 + $1.lines })
        #expect(results[1].gold?.eventsIn ?? 0 > 4000)
        let goldTables = ["gold_session_stats", "gold_category_activity", "gold_product_activity",
                          "gold_sales_per_minute", "gold_city_totals", "gold_payment_totals", "gold_totals",
                          "gold_top_transactions", "gold_user_alerts"]
        func sqliteRows(_ lake: TestLake, _ table: String) throws -> [[String]] {
            try Catalog(paths: lake.paths).db.query("SELECT * FROM \(table)").map { $0.map(\.description) }
                .sorted { $0.lexicographicallyPrecedes($1) }
        }
        for table in goldTables {
            let expected = try sqliteRows(alone, table)
            #expect(!expected.isEmpty, "\(table) has rows")
            #expect(try sqliteRows(atOnce, table) == expected, "table \(table)")
        }
        let sortRows = { (rows: [[String]]) in rows.sorted { $0.lexicographicallyPrecedes($1) } }
        for table in ["silver_clickstream", "silver_transactions", "quarantine_transactions"] {
            #expect(sortRows(try atOnce.tableRows(table)) == sortRows(try alone.tableRows(table)), "table \(table)")
        }
        // At once: each job's runs began before the other job's ended.
        let spans = try Catalog(paths: atOnce.paths).db.query(
            "SELECT job, min(started_at), max(ended_at) FROM lake_run GROUP BY job ORDER BY job")
        #expect(spans.count == 2)
        if spans.count == 2, let a = spans[0][1].text, let b = spans[1][1].text,
           let aEnd = spans[0][2].text, let bEnd = spans[1][2].text {
            #expect(a < bEnd && b < aEnd, "runs overlap: \(spans.map { $0.map(\.description) })")
        }

        // The transactions job's bronze taken in by a bronze-only run, then its file deleted:
        // its silver fails reading it. The failing job first: the one after it still runs,
        // even one job at a time.
        let bronzeOnly = Pipeline(catalog: try Catalog(paths: failing.paths), job: tx, stages: [.bronze], wait: false)
        _ = try bronzeOnly.runPass()
        bronzeOnly.finish(error: nil)
        let bronzeFiles = try FileManager.default.subpathsOfDirectory(atPath: failing.root + "/" + tx.bronze.table)
            .filter { $0.hasSuffix(".parquet") }
        #expect(!bronzeFiles.isEmpty)
        for f in bronzeFiles { try FileManager.default.removeItem(atPath: failing.root + "/" + tx.bronze.table + "/" + f) }
        let failed = Pipeline.runOverlapped(try pipelines(failing).reversed(), jobsAtOnce: 1)
        #expect(throws: (any Error).self) { try failed[0].result.get() }
        if case .failure(let error) = failed[0].result {
            #expect("\(error)".contains("cannot open"), "\(error)")
        }
        #expect(try failed[1].result.get().silver?.accepted == 3000, "the other job ran")
        #expect(try sqliteRows(failing, "gold_session_stats") == sqliteRows(alone, "gold_session_stats"))
    }

    /// `run all` over several jobs takes every job's stage locks before any job starts: with
    /// one stage lock of the second job held elsewhere (here as by a racing `run all` that took
    /// it first), it is refused with that lock's message and runs nothing, not even the first
    /// job (two racing `run all` each taking some jobs' locks both failed, in the torture
    /// harness's race). Released, the same run takes in everything.
    @Test func everyJobsLocksAreTakenUpFront() throws {
        let tx = try JobLoader.load(file: repositoryJobsFolder + "/transactions.toml")
        let lake = try TestLake("jobs-locks")
        defer { lake.remove() }
        try lake.append("a.jsonl", Array((Self.lines(100).joined(separator: "\n") + "\n").utf8))
        func pipelines() throws -> [Pipeline] {
            try [lake.job, tx].map { Pipeline(catalog: try Catalog(paths: lake.paths), job: $0, stages: Stage.allCases, wait: false) }
        }
        let held = try StageLock(paths: lake.paths, job: tx.name, stage: "silver", wait: false)
        let refused = Pipeline.runOverlapped(try pipelines(), jobsAtOnce: 2)
        for outcome in refused {
            #expect(throws: LakeError.self) { try outcome.result.get() }
            if case .failure(let error) = outcome.result {
                #expect("\(error)".contains("stage silver of job \(tx.name) is already running"), "\(error)")
            }
        }
        #expect(try lake.bronzeRows().isEmpty, "nothing ran")
        // The first job's locks were released when the second's could not be taken.
        let probe = try StageLock(paths: lake.paths, job: lake.job.name, stage: "bronze", wait: false)
        probe.release()
        held.release()
        let ran = Pipeline.runOverlapped(try pipelines(), jobsAtOnce: 2)
        #expect(try ran[0].result.get().silver?.accepted == 100)
        #expect(try ran[1].result.get().bronze?.lines == 0)
    }

    /// `run all` takes its three stage locks before any stage starts: with gold's lock held
    /// elsewhere it refuses at once and ingests nothing (before, bronze and silver ran while
    /// gold failed, and two racing `run all` could each take some locks and both fail).
    @Test func locksAreTakenUpFront() throws {
        let lake = try TestLake("locks")
        defer { lake.remove() }
        try lake.append("a.jsonl", Array((Self.lines(100).joined(separator: "\n") + "\n").utf8))
        let held = try StageLock(paths: lake.paths, job: lake.job.name, stage: "gold", wait: false)
        let all = Pipeline(catalog: try Catalog(paths: lake.paths), job: lake.job, stages: Stage.allCases, wait: false)
        #expect(throws: LakeError.self) { try all.runOverlapped() }
        #expect(try lake.bronzeRows().isEmpty)
        held.release()
        let r = try all.runOverlapped()
        #expect(r.bronze?.lines == 100 && r.silver?.accepted == 100)
    }
}

