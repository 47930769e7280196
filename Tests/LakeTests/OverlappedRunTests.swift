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
        let body = Array((lines.joined(separator: "\n") + "\n").utf8)
        let sequential = try TestLake("seq\(seed)")
        let overlapped = try TestLake("ovl\(seed)")
        defer { sequential.remove(); overlapped.remove() }
        try sequential.append("a.jsonl", body)
        try overlapped.append("a.jsonl", body)

        let stages = Stage.allCases
        let one = Pipeline(catalog: try Catalog(paths: sequential.paths), job: sequential.job, stages: stages, wait: false)
        let a = try one.runPass()
        one.finish(error: nil)
        let all = Pipeline(catalog: try Catalog(paths: overlapped.paths), job: overlapped.job, stages: stages, wait: false)
        let b = try all.runOverlapped(batchRowCountMax: 300)

        #expect(b.bronze?.lines == 4000 && b.bronze?.commits ?? 0 > 10, "bronze commits in pieces")
        #expect(b.silver?.commits ?? 0 > 1, "silver follows bronze commit by commit")
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
}
