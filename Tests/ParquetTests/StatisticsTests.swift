import Foundation
import Testing

@testable import Parquet

/// Floating-point values and the statistics parquet.thrift asks for: NaN ignored, a zero
/// minimum written as -0.0 and a zero maximum as +0.0.
struct FloatStatisticsCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// nil is a null row.
    var values: [Double?]
    var min: Double?
    var max: Double?

    var testDescription: String { name }

    static let all = [
        FloatStatisticsCase(name: "NaN ignored", values: [.nan, 1.5, -2, .nan], min: -2, max: 1.5),
        FloatStatisticsCase(name: "only NaN", values: [.nan, .nan], min: nil, max: nil),
        FloatStatisticsCase(name: "zero minimum", values: [0.0, 1], min: -0.0, max: 1),
        FloatStatisticsCase(name: "negative zero minimum", values: [-0.0, 3], min: -0.0, max: 3),
        FloatStatisticsCase(name: "zero maximum", values: [-1, -0.0], min: -1, max: 0.0),
        FloatStatisticsCase(name: "only +0.0", values: [0.0], min: -0.0, max: 0.0),
        FloatStatisticsCase(name: "only -0.0", values: [-0.0], min: -0.0, max: 0.0),
        FloatStatisticsCase(name: "both zeros", values: [0.0, -0.0, 0.0], min: -0.0, max: 0.0),
        FloatStatisticsCase(
            name: "infinities", values: [.infinity, .nan, -.infinity], min: -.infinity,
            max: .infinity),
        FloatStatisticsCase(name: "nulls and NaN", values: [nil, .nan, nil], min: nil, max: nil),
        FloatStatisticsCase(name: "only nulls", values: [nil, nil], min: nil, max: nil),
        FloatStatisticsCase(
            name: "NaN signs and payloads", values: [-.nan, Double(nan: 7, signaling: false), 2],
            min: 2, max: 2),
        FloatStatisticsCase(
            name: "tiny", values: [.leastNonzeroMagnitude, -.leastNonzeroMagnitude, nil],
            min: -.leastNonzeroMagnitude, max: .leastNonzeroMagnitude),
    ]

    func cells(_ kind: Kind) -> [Cell] {
        values.map { v in
            guard let v else { return .null }
            return kind == .float ? .float(Float(v)) : .double(v)
        }
    }

    func expected(_ kind: Kind) -> (min: Cell?, max: Cell?) {
        func cell(_ v: Double?) -> Cell? {
            v.map { kind == .float ? .float(Float($0)) : .double($0) }
        }
        return (cell(min), cell(max))
    }
}

@Suite("Statistics and row-group pruning")
struct StatisticsTests {
    @Test(arguments: FloatStatisticsCase.all, [Kind.double, .float])
    func floatingPointStatistics(_ c: FloatStatisticsCase, kind: Kind) throws {
        let dir = try TempDir()
        // Repeated so that the dictionary-enabled file really gets a dictionary.
        let cells = Array([[Cell]](repeating: c.cells(kind), count: 4).joined())
        let table = Table(schema: Schema([kind.column("x", nullable: true)]), columns: [cells])
        let expected = c.expected(kind)
        let nulls = Int64(cells.filter(\.isNull).count)
        #expect(
            StatCells.bruteForce(cells)
                == StatCells(nullCount: nulls, min: expected.min, max: expected.max))
        for dictionary in [true, false] {
            var properties = WriterProperties()
            properties.dictionaryEnabled = dictionary
            let path = dir.file("stats-\(dictionary).parquet")
            let summary = try table.write(to: path, properties)
            let reader = try ParquetReader(path: path)
            let stored = try #require(reader.metadata.rowGroups[0].columns[0].statistics)
            #expect(
                StatCells(summary.columns[0]) == StatCells.bruteForce(cells),
                "dictionary \(dictionary)")
            #expect(StatCells(stored) == StatCells.bruteForce(cells), "dictionary \(dictionary)")
            #expect(
                try Table.read(path).columns == table.columns, "NaN payloads and zero signs kept")
        }
    }

    /// File statistics merge the row groups' statistics under the same rules.
    @Test(arguments: [Kind.double, .float])
    func floatingPointStatisticsMergeAcrossRowGroups(kind: Kind) throws {
        let dir = try TempDir()
        let path = dir.file("merge.parquet")
        let groups: [[Double?]] = [
            [.nan, .nan], [0.0, 5], [-0.0, -3], [nil, nil], [.nan, 0.0],
        ]
        let cells = FloatStatisticsCase(
            name: "", values: Array(groups.joined()), min: nil, max: nil
        )
        .cells(kind)
        let table = Table(schema: Schema([kind.column("x", nullable: true)]), columns: [cells])
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = 2
        let summary = try table.write(to: path, properties)
        let reader = try ParquetReader(path: path)
        for (g, range) in rowGroupRanges(rowCount: cells.count, rowGroupRowCountMax: 2).enumerated()
        {
            let stored = try #require(reader.metadata.rowGroups[g].columns[0].statistics)
            #expect(StatCells(stored) == StatCells.bruteForce(cells[range]), "row group \(g)")
        }
        let file = StatCells(summary.columns[0])
        #expect(file == StatCells.bruteForce(cells))
        #expect(file.nullCount == 2)
        #expect(file.min == (kind == .float ? .float(-3) : .double(-3)))
        #expect(file.max == (kind == .float ? .float(5) : .double(5)))
    }

    /// Random tables, random row-group sizes: every chunk's footer statistics and the file
    /// summary equal the brute-force statistics.
    @Test func randomTablesHaveExactStatistics() throws {
        let seed =
            UInt64(ProcessInfo.processInfo.environment["PARQUET_STATS_SEED"] ?? "")
            ?? UInt64.random(in: 0...UInt64.max)
        print("randomTablesHaveExactStatistics seed \(seed) (replay: PARQUET_STATS_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed)
        let dir = try TempDir()
        for iteration in 0..<60 {
            let rows = Int.random(in: 0...400, using: &rng)
            let kinds = (0..<3).map { _ in Kind.allCases.randomElement(using: &rng)! }
            let nullable = (0..<3).map { _ in Bool.random(using: &rng) }
            let columns = (0..<3).map { c in
                (0..<rows).map { _ in randomCell(kinds[c], nullable: nullable[c], using: &rng) }
            }
            let schema = Schema((0..<3).map { kinds[$0].column("c\($0)", nullable: nullable[$0]) })
            let table = Table(schema: schema, columns: columns)
            var properties = WriterProperties()
            properties.rowGroupRowCountMax = Int.random(in: 1...150, using: &rng)
            properties.dictionaryEnabled = Bool.random(using: &rng)
            properties.codec = Bool.random(using: &rng) ? .zstd : .uncompressed
            properties.dataPageRowCountMax = Int.random(in: 1...100, using: &rng)
            properties.dataPageBytesMax = Int.random(in: 1...2000, using: &rng)
            properties.dictionaryBytesMax = [0, 24, 1 << 20].randomElement(using: &rng)!
            let path = dir.file("random-\(iteration).parquet")
            let summary = try table.write(to: path, properties)
            let reader = try ParquetReader(path: path)
            #expect(try Table.read(path).columns == columns, "seed \(seed) iteration \(iteration)")
            let ranges = rowGroupRanges(
                rowCount: rows, rowGroupRowCountMax: properties.rowGroupRowCountMax)
            #expect(reader.metadata.rowGroups.count == ranges.count)
            for c in 0..<3 {
                #expect(
                    StatCells(summary.columns[c]) == StatCells.bruteForce(columns[c]),
                    "seed \(seed) iteration \(iteration) column \(c)")
                for (g, range) in ranges.enumerated() {
                    let stored = reader.metadata.rowGroups[g].columns[c].statistics
                    #expect(
                        stored.map(StatCells.init) == StatCells.bruteForce(columns[c][range]),
                        "seed \(seed) iteration \(iteration) column \(c) group \(g)")
                }
            }
        }
    }

    func randomCell(_ kind: Kind, nullable: Bool, using rng: inout SeededGenerator) -> Cell {
        if nullable && Int.random(in: 0..<5, using: &rng) == 0 { return .null }
        let row = Int.random(in: 0..<10_000, using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return Values.low(kind, row)
        case 1: return Values.high(kind, row)
        default:
            switch kind {
            case .boolean: return .bool(Bool.random(using: &rng))
            case .int32: return .i32(Int32(truncatingIfNeeded: rng.next()))
            case .int64, .timestamp: return .i64(Int64(bitPattern: rng.next()))
            case .float: return .f32(UInt32(truncatingIfNeeded: rng.next()))
            case .double: return .f64(rng.next())
            case .byteArray, .string:
                let count = Int.random(in: 0...12, using: &rng)
                let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
                return kind == .string
                    ? .string(String(decoding: bytes, as: UTF8.self)) : .bytes(bytes)
            }
        }
    }

    // MARK: pruning

    /// Sorted keys in groups of 1000: the groups kept are exactly those holding a key in range.
    @Test func pruningOnSortedColumns() throws {
        let dir = try TempDir()
        let path = dir.file("sorted.parquet")
        let rows = 10_000
        let table = Table(
            schema: Schema([
                Column("id", .int64), .string("key"), .timestamp("ts"), Column("d", .double),
            ]),
            columns: [
                (0..<rows).map { .i64(Int64($0)) },
                (0..<rows).map {
                    .string("k" + String(repeating: "0", count: 5 - String($0).count) + "\($0)")
                },
                (0..<rows).map { .i64(Values.timestampBase + Int64($0) * 1_000_000) },
                (0..<rows).map { .double(Double($0) / 4) },
            ])
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = 1000
        try table.write(to: path, properties)
        let reader = try ParquetReader(path: path)
        #expect(reader.metadata.rowGroups.count == 10)

        func groups(_ lo: Int, _ hi: Int) -> [Int] {
            guard lo <= hi else { return [] }
            let first = max(0, lo)
            let last = min(rows - 1, hi)
            return first <= last ? Array((first / 1000)...(last / 1000)) : []
        }
        func key(_ i: Int) -> StatValue {
            .bytes(Array(("k" + String(repeating: "0", count: 5 - String(i).count) + "\(i)").utf8))
        }
        var cases = [
            (2500, 3100), (0, 0), (999, 1000), (9999, 20_000), (-5, -1), (10_000, 10_001),
            (-100, 100_000), (4321, 4321), (1000, 1999),
        ]
        var rng = SeededGenerator(seed: 17)
        for _ in 0..<200 {
            let a = Int.random(in: -100...10_100, using: &rng)
            cases.append((a, a + Int.random(in: 0...3000, using: &rng)))
        }
        for (lo, hi) in cases {
            let expected = groups(lo, hi)
            #expect(
                reader.rowGroups(column: 0, overlapping: .int64(Int64(lo)), .int64(Int64(hi)))
                    == expected,
                "id \(lo)...\(hi)")
            let ts = { (i: Int) in StatValue.int64(Values.timestampBase + Int64(i) * 1_000_000) }
            #expect(
                reader.rowGroups(column: 2, overlapping: ts(lo), ts(hi)) == expected,
                "ts \(lo)...\(hi)")
            #expect(
                reader.rowGroups(
                    column: 3, overlapping: .double(Double(lo) / 4), .double(Double(hi) / 4))
                    == expected, "d \(lo)...\(hi)")
            if lo >= 0 && hi <= 99_999 {
                #expect(
                    reader.rowGroups(column: 1, overlapping: key(lo), key(hi)) == expected,
                    "key \(lo)...\(hi)")
            }
        }
        // A string range between keys: "k02500x" sorts after k02500 and before k02501.
        #expect(
            reader.rowGroups(
                column: 1, overlapping: .bytes(Array("k02500x".utf8)),
                .bytes(Array("k02999z".utf8))) == [2])
        #expect(
            reader.rowGroups(
                column: 1, overlapping: .bytes(Array("a".utf8)), .bytes(Array("b".utf8))) == [])
        #expect(
            reader.rowGroups(
                column: 1, overlapping: .bytes(Array("l".utf8)), .bytes(Array("m".utf8))) == [])
    }

    /// Unsorted data, all-null and all-NaN groups: pruning keeps a group exactly when its
    /// brute-force [min, max] meets the range, and always keeps groups without min/max.
    @Test func pruningIsConservative() throws {
        let dir = try TempDir()
        let path = dir.file("unsorted.parquet")
        var rng = SeededGenerator(seed: 4711)
        let rows = 3000
        var ints: [Cell] = (0..<rows).map { _ in .i32(Int32.random(in: -1000...1000, using: &rng)) }
        var doubles: [Cell] = (0..<rows).map { _ in
            .double(Double.random(in: -50...50, using: &rng))
        }
        for row in 1000..<1300 { ints[row] = .null }  // group 10 is all null
        for row in 2000..<2100 { doubles[row] = .double(.nan) }  // group 20 is all NaN
        let table = Table(
            schema: Schema([Column("i", .int32, nullable: true), Column("d", .double)]),
            columns: [ints, doubles])
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = 100
        try table.write(to: path, properties)
        let reader = try ParquetReader(path: path)
        let ranges = rowGroupRanges(rowCount: rows, rowGroupRowCountMax: 100)
        let intStats = ranges.map { StatCells.bruteForce(ints[$0]) }
        let doubleStats = ranges.map { StatCells.bruteForce(doubles[$0]) }
        #expect(intStats[10].min == nil && doubleStats[20].min == nil)

        for _ in 0..<300 {
            let a = Int32.random(in: -1100...1100, using: &rng)
            let b = a + Int32.random(in: 0...40, using: &rng)
            let expected = ranges.indices.filter { g in
                guard case .i32(let lo)? = intStats[g].min, case .i32(let hi)? = intStats[g].max
                else { return true }
                return lo <= b && hi >= a
            }
            let kept = reader.rowGroups(column: 0, overlapping: .int32(a), .int32(b))
            #expect(kept == expected, "i in \(a)...\(b)")
            // No group holding a matching value is ever skipped.
            for (g, range) in ranges.enumerated() {
                let matches = ints[range].contains { cell in
                    if case .i32(let v) = cell { return a <= v && v <= b } else { return false }
                }
                if matches { #expect(kept.contains(g)) }
            }
            #expect(kept.contains(10))

            let x = Double(a) / 20
            let y = Double(b) / 20
            let keptDoubles = reader.rowGroups(column: 1, overlapping: .double(x), .double(y))
            let expectedDoubles = ranges.indices.filter { g in
                guard case .f64(let lo)? = doubleStats[g].min,
                    case .f64(let hi)? = doubleStats[g].max
                else { return true }
                return Double(bitPattern: lo) <= y && Double(bitPattern: hi) >= x
            }
            #expect(keptDoubles == expectedDoubles, "d in \(x)...\(y)")
            #expect(keptDoubles.contains(20))
        }
    }

    /// A zero minimum is stored as -0.0, so a search for -0.0 or +0.0 keeps the group.
    @Test func pruningFindsSignedZeros() throws {
        let dir = try TempDir()
        let path = dir.file("zeros.parquet")
        let cells: [Cell] = [
            .double(0.0), .double(1), .double(-0.0), .double(-1), .double(2), .double(3),
        ]
        let table = Table(schema: Schema([Column("d", .double)]), columns: [cells])
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = 2
        try table.write(to: path, properties)
        let reader = try ParquetReader(path: path)
        #expect(reader.rowGroups(column: 0, overlapping: .double(-0.0), .double(-0.0)) == [0, 1])
        #expect(reader.rowGroups(column: 0, overlapping: .double(0.0), .double(0.0)) == [0, 1])
        #expect(reader.rowGroups(column: 0, overlapping: .double(2.5), .double(10)) == [2])
    }
}
