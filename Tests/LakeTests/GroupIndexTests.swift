import Testing

@testable import Lake

/// The gold tables' group index (key → dense id) against a Swift dictionary: ids stay fixed
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
