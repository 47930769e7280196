import Foundation
import Parquet

@testable import Lake

/// A throwaway lake in a temp folder, with the clickstream job defined in code.
struct TestLake {
    let root: String
    let paths: LakePaths
    let job: JobDefinition

    init(_ name: String = "t") throws {
        root = NSTemporaryDirectory() + "lake-test-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // Removed at exit if the test does not `remove()` it first.
        TemporaryFolders.shared.add(root)
        paths = LakePaths(root: root)
        job = TestLake.clickstreamJob()
        try FileManager.default.createDirectory(atPath: landing, withIntermediateDirectories: true)
    }

    var landing: String { root + "/landing/clickstream" }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    func append(_ file: String, _ bytes: [UInt8]) throws {
        let path = landing + "/" + file
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: Data(bytes))
        try h.close()
    }

    func runBronze() throws -> BronzeResult {
        let catalog = try Catalog(paths: paths)
        return try StageRunner.run(catalog: catalog, job: job.name, stage: "bronze", wait: false) { runID in
            try BronzeStage(catalog: catalog, job: job, runID: runID, commitRowCountMax: 1000).ingestLanding()
        }
    }

    /// Bronze bodies in ingest_id order, with their ids, sources and offsets.
    func bronzeRows() throws -> [(id: Int64, source: String, offset: Int64, body: [UInt8])] {
        let catalog = try Catalog(paths: paths)
        var rows: [(Int64, String, Int64, [UInt8])] = []
        for f in try catalog.liveFiles(table: job.bronze.table) {
            let r = try ParquetReader(path: root + "/" + f.path)
            let cols = try r.readAll()
            guard case .int64(let ids) = cols[0].values, case .bytes(let sources) = cols[2].values,
                  case .int64(let offsets) = cols[3].values, case .bytes(let bodies) = cols[4].values
            else { fatalError("bronze schema changed") }
            for i in 0..<ids.count {
                rows.append((ids[i], sources.string(i), offsets[i], Array(bodies[i])))
            }
        }
        return rows.sorted { $0.0 < $1.0 }.map { (id: $0.0, source: $0.1, offset: $0.2, body: $0.3) }
    }

    /// The shipped clickstream job (`jobs/clickstream.toml`): its gold tables and views are
    /// declared there, not in code.
    static func clickstreamJob() -> JobDefinition {
        do {
            return try JobLoader.load(file: repositoryJobsFolder + "/clickstream.toml")
        } catch {
            fatalError("jobs/clickstream.toml does not load: \(error)")
        }
    }
}

/// A seeded generator for property tests (SplitMix64); tests print the seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension TestLake {
    @discardableResult
    func runSilver(batchRows: Int = 1_000_000) throws -> SilverResult {
        let catalog = try Catalog(paths: paths)
        return try StageRunner.run(catalog: catalog, job: job.name, stage: "silver", wait: false) { runID in
            try SilverStage(catalog: catalog, job: job, runID: runID, batchRowCountMax: batchRows).run()
        }
    }

    @discardableResult
    func runGold() throws -> GoldResult {
        let catalog = try Catalog(paths: paths)
        return try StageRunner.run(catalog: catalog, job: job.name, stage: "gold", wait: false) { runID in
            try GoldStage(catalog: catalog, job: job, runID: runID).run()
        }
    }

    /// Every row of a table's live files, as dump-style text per row, sorted by the first column.
    func tableRows(_ table: String) throws -> [[String]] {
        let catalog = try Catalog(paths: paths)
        var rows: [[String]] = []
        for f in try catalog.liveFiles(table: table) {
            let r = try ParquetReader(path: root + "/" + f.path)
            let cols = try r.readAll()
            for i in 0..<(cols.first?.rowCount ?? 0) {
                rows.append(cols.map { c in
                    if c.isNull(i) { return "null" }
                    switch c.values {
                    case .int64(let v): return "\(v[i])"
                    case .int32(let v): return "\(v[i])"
                    case .double(let v): return "\(v[i])"
                    case .boolean(let v): return "\(v[i])"
                    case .float(let v): return "\(v[i])"
                    case .bytes(let v): return v.string(i)
                    }
                })
            }
        }
        return rows
    }

    /// Rows of the gold table in SQLite, ordered by user and start.
    func goldSQLite() throws -> [[String]] {
        let catalog = try Catalog(paths: paths)
        return try catalog.db.query("SELECT * FROM gold_session_stats ORDER BY user_id, session_start")
            .map { $0.map(\.description) }
    }
}

/// One clickstream event line for tests.
func eventLine(
    id: String, user: String = "u1", type: String = "PAGE_VIEW", time: String, total: Double? = nil,
    category: String = "shoes"
) -> String {
    let amount = total.map { "\($0)" } ?? "null"
    return """
        {"eventId":"\(id)","eventType":"\(type)","userId":"\(user)","sessionId":"s","pageUrl":"/","timestamp":"\(time)",\
        "device":{"type":"mobile","os":"Android 14","ip":"203.0.113.7"},"data":{"productId":"p-1","productName":"Shoe",\
        "category":"\(category)","price":10.5,"currency":"PLN","searchQuery":null,"totalAmount":\(amount)}}
        """
}

extension TestLake {
    @discardableResult
    func backfill(_ layer: String, from: String, to: String) throws -> BackfillResult {
        let catalog = try Catalog(paths: paths)
        var result = BackfillResult()
        if layer == "silver" || layer == "all" {
            result = try StageRunner.run(catalog: catalog, job: job.name, stage: "silver", wait: false) { runID in
                try SilverBackfill(catalog: catalog, job: job, runID: runID, from: from, to: to).run()
            }
        }
        if layer == "gold" || layer == "all" {
            result = try StageRunner.run(catalog: catalog, job: job.name, stage: "gold", wait: false) { runID in
                try GoldBackfill(catalog: catalog, job: job, runID: runID, from: from, to: to).run()
            }
        }
        return result
    }

    func runAll(_ lines: [String]) throws {
        try append("a.jsonl", Array((lines.joined(separator: "\n") + "\n").utf8))
        _ = try runBronze()
        try runSilver()
        try runGold()
    }

    func accounting() throws -> LakeStatus.Accounting? {
        try LakeStatus.read(Catalog(paths: paths)).accounting.first
    }
}
