import Testing

@testable import Lake

/// Gold/Rows: the group index (key → dense id) against a Swift dictionary: ids stay fixed
/// while a key lives, removed keys are gone (backward-shift deletion leaves every other key
/// findable), freed ids are reused, and batch assignment gives one id per distinct key.
@Suite("Gold: group index")
struct GroupIndexTests {
    private func key(_ v: UInt64) -> GroupKey {
        var bytes: [UInt8] = [1]
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        return GroupKey(bytes: bytes)
    }

    @Test func insertsRemovesAndReusesIDsLikeADictionary() {
        let index = GroupIndex(columns: [0], types: [.int64])
        var reference: [UInt64: Int32] = [:]
        var x: UInt64 = 11
        for step in 0..<60_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let v = (x >> 35) % 3000
            if step % 3 == 2, let id = reference[v] {
                index.remove(id)
                reference[v] = nil
            } else {
                let id = index.id(of: key(v))
                if let known = reference[v] { #expect(id == known) }
                reference[v] = id
            }
            if step % 4999 == 0 {
                for (v, id) in reference { #expect(index.find(key(v)) == id) }
            }
        }
        #expect(index.liveCount == reference.count)
        for (v, id) in reference { #expect(index.find(key(v)) == id) }
        for v in 3000..<3100 { #expect(index.find(key(UInt64(v))) == nil) }
        // Ids are dense: never more than the most keys alive at once (3,000 possible).
        #expect(index.idLimit <= 3000)
        #expect(Set(reference.values).count == reference.count)
    }

    @Test func assignsOneIDPerDistinctKeyOfABatch() {
        let batch = RowBatch(types: [.string, .int64], capacity: 64)
        let names = ["b", "a", "", "b", "c", "a"]
        for (i, n) in names.enumerated() {
            if i == 4 { batch.setNull(0) } else { n.utf8CString.withUnsafeBytes { batch.set(0, string: UnsafeRawBufferPointer(rebasing: $0.dropLast())) } }
            batch.set(1, int: Int64(i % 2))
            batch.endRow()
        }
        let index = GroupIndex(columns: [0], types: [.string])
        var ids: [Int32] = []
        let rows: [Int32] = Array(0..<Int32(names.count))
        rows.withUnsafeBufferPointer { index.assign(UnsafePointer(batch.views), rows: $0, into: &ids) }
        // b, a, "", b, NULL, a: four keys (the empty string is not NULL).
        #expect(ids == [0, 1, 2, 0, 3, 1])
        #expect(index.keys[0].values([.string]) == [.string("b")])
        #expect(index.keys[3].values([.string]) == [.null])
        // A later batch finds the same ids, and a two-column key is its own group.
        let both = GroupIndex(columns: [0, 1], types: [.string, .int64])
        rows.withUnsafeBufferPointer { both.assign(UnsafePointer(batch.views), rows: $0, into: &ids) }
        #expect(ids == [0, 1, 2, 3, 4, 1])
        rows.withUnsafeBufferPointer { index.assign(UnsafePointer(batch.views), rows: $0, into: &ids) }
        #expect(ids == [0, 1, 2, 0, 3, 1])
    }
}

/// The per-batch condition bytes (`BatchMasks`) against the compiled closures they replace:
/// the string-literal and `is [not] null` fast paths and the closure path give, row by row,
/// 1 for true, 0 for false and 2 for NULL, and one text registered twice is one mask.
@Suite("Gold: batch masks")
struct BatchMaskTests {
    @Test func masksEqualTheClosuresRowByRow() throws {
        let scope = ExprScope(columns: [("event_type", .string), ("price", .double)])
        let batch = RowBatch(types: [.string, .double], capacity: 64)
        let kinds = ["PURCHASE", "VIEW", "", "PURCHASEX", "PURCHAS"]
        for i in 0..<50 {
            if i % 7 == 3 {
                batch.setNull(0)
            } else {
                Array(kinds[i % kinds.count].utf8).withUnsafeBytes { batch.set(0, string: $0) }
            }
            if i % 5 == 1 { batch.setNull(1) } else { batch.set(1, double: Double(i)) }
            batch.endRow()
        }
        let masks = BatchMasks()
        let texts = ["event_type = 'PURCHASE'", "event_type != 'PURCHASE'", "'VIEW' = event_type",
                     "event_type is null", "event_type is not null", "price > 20 and event_type = ''",
                     "event_type = ''"]
        var ids: [Int] = []
        var evals: [ExprEval<Bool>] = []
        for text in texts {
            let expr = try ExprParser.parse(text)
            let eval = try ExprCompiler.compile(expr, scope: scope, context: "test").boolEval
            ids.append(masks.register(expr, eval, scope: scope))
            evals.append(eval)
        }
        // The same text again is the same mask.
        let again = try ExprParser.parse("event_type = 'PURCHASE'")
        #expect(masks.register(again, evals[0], scope: scope) == ids[0])
        #expect(masks.count == texts.count)
        masks.prepare(batch)
        let views = UnsafePointer(batch.views)
        for (k, id) in ids.enumerated() {
            let m = masks.mask(id)
            for row in 0..<batch.count {
                let want: UInt8 = switch evals[k](views, row) { case true?: 1; case false?: 0; case nil: 2 }
                #expect(m[row] == want, "\(texts[k]) row \(row)")
            }
        }
        #expect((0..<batch.count).contains { masks.mask(ids[0])[$0] == 2 })  // NULLs really occur
        // A changed batch is evaluated again.
        batch.removeAll()
        Array("PURCHASE".utf8).withUnsafeBytes { batch.set(0, string: $0) }
        batch.set(1, double: 1)
        batch.endRow()
        masks.prepare(batch)
        #expect(masks.mask(ids[0])[0] == 1 && masks.mask(ids[1])[0] == 0)
    }
}

/// Gold/Rows: a commit's output rows, flat in one array. `sortRows` against Swift's stable sort
/// of the rows as arrays (start, then key; ties keep their order), including rows already in
/// order, equal keys, NULLs and strings past the small-string size.
@Suite("Gold: row lists")
struct GoldRowListTests {
    @Test func sortRowsEqualsAStableSortOfTheRows() {
        var x: UInt64 = 7
        func next(_ n: UInt64) -> Int {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return Int((x >> 33) % n)
        }
        for trial in 0..<200 {
            let count = trial == 0 ? 0 : next(300) + 1
            var rows: [[GoldValue]] = []
            for i in 0..<count {
                let start: GoldValue = .timestamp(Int64(trial % 3 == 0 ? i / 4 : next(20)) * 1_000_000)
                let key: GoldValue = next(10) == 0 ? .null
                    : .string((next(2) == 0 ? "user-with-a-long-name-" : "u") + String(next(6)))
                rows.append([key, start, .int(Int64(i)), .double(Double(next(100)) / 4), .bool(next(2) == 0)])
            }
            var list = GoldRowList(width: 5)
            for r in rows { list.append(r) }
            sortRows(&list, by: [1, 0])
            let expected = rows.enumerated().sorted { a, b in
                for c in [1, 0] {
                    let o = GoldValue.compare(a.element[c], b.element[c])
                    if o != 0 { return o < 0 }
                }
                return a.offset < b.offset
            }.map(\.element)
            #expect(list.count == expected.count)
            #expect((0..<list.count).map { Array(list.row($0)) } == expected, "trial \(trial)")
            for i in 1..<max(1, list.count) {
                #expect(!rowPrecedes(list, i, list, i - 1, by: [1, 0]))
            }
        }
    }

    @Test func appendsCopiesOfRows() {
        var list = GoldRowList(width: 2)
        list.append([.string("a-string-longer-than-fifteen-bytes"), .int(1)])
        list.appendCopy(ofRow: 0)
        list[1, 1] = .int(2)
        var other = GoldRowList(width: 2)
        other.append(row: 1, of: list)
        other.append(contentsOf: list)
        #expect(other.count == 3)
        #expect(Array(other.row(0)) == [.string("a-string-longer-than-fifteen-bytes"), .int(2)])
        #expect(Array(other.row(1)) == [.string("a-string-longer-than-fifteen-bytes"), .int(1)])
        #expect(other[2, 1] == .int(2))
        #expect(list[0, 1] == .int(1))
    }
}
