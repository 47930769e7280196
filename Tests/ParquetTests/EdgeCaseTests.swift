import Testing

@testable import Parquet

/// A schema with every kind, REQUIRED and OPTIONAL.
let everyKindSchema = Schema(
    Kind.allCases.flatMap {
        [$0.column($0.rawValue, nullable: false), $0.column($0.rawValue + "_opt", nullable: true)]
    })

/// Rows for `everyKindSchema`, in the column order it lists.
func everyKindTable(rows: Int, _ cardinality: Cardinality = .high) -> Table {
    Table(
        schema: everyKindSchema,
        columns: Kind.allCases.flatMap { kind in
            [false, true].map { Values.column(kind, rows: rows, nullable: $0, cardinality) }
        })
}

@Suite("Edge cases: sizes, dictionaries, strings, metadata")
struct EdgeCaseTests {
    @Test func emptyFile() throws {
        let dir = try TempDir()
        let path = dir.file("empty.parquet")
        let summary = try everyKindTable(rows: 0).write(to: path)
        #expect(summary.rowCount == 0)
        #expect(summary.rowGroupCount == 0)
        #expect(summary.fileSizeBytes == (try fileSize(path)))
        #expect(summary.columns == everyKindSchema.columns.map { _ in ColumnStatistics() })

        let reader = try ParquetReader(path: path)
        #expect(reader.rowCount == 0)
        #expect(reader.metadata.rowGroups.isEmpty)
        #expect(reader.schema == everyKindSchema)
        let data = try reader.readAll()
        #expect(data.count == everyKindSchema.columns.count)
        #expect(data.allSatisfy { $0.rowCount == 0 && $0.cells.isEmpty })
        #expect(reader.rowGroups(column: 0, overlapping: .boolean(false), .boolean(true)).isEmpty)
    }

    @Test(arguments: [false, true])
    func oneRowFile(nullRow: Bool) throws {
        let dir = try TempDir()
        let path = dir.file("one.parquet")
        // Row 1 is a null row for OPTIONAL columns; row 2 is not.
        let row = nullRow ? 1 : 2
        var table = everyKindTable(rows: row + 1)
        table.columns = table.columns.map { [$0[row]] }
        #expect(table.columns[1] == [nullRow ? .null : Values.high(.boolean, row)])
        let summary = try table.write(to: path)

        let back = try Table.read(path)
        #expect(back.columns == table.columns)
        #expect(summary.rowCount == 1)
        #expect(summary.rowGroupCount == 1)
        let reader = try ParquetReader(path: path)
        for (c, cells) in table.columns.enumerated() {
            let expected = StatCells.bruteForce(cells)
            #expect(StatCells(summary.columns[c]) == expected)
            let stored = try #require(reader.metadata.rowGroups[0].columns[c].statistics)
            #expect(StatCells(stored) == expected)
            if let value = cells.first, value != .null, !value.isNaN {
                #expect(expected.min == value.signedZero(negative: true))
                #expect(expected.max == value.signedZero(negative: false))
            } else {
                #expect(expected.min == nil && expected.max == nil)
            }
        }
    }

    @Test func rowGroupsOfOneRow() throws {
        let dir = try TempDir()
        let path = dir.file("tiny.parquet")
        let table = everyKindTable(rows: 9)
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = 1
        let summary = try table.write(to: path, properties)
        #expect(summary.rowGroupCount == 9)

        let reader = try ParquetReader(path: path)
        #expect(reader.metadata.rowGroups.count == 9)
        #expect(reader.metadata.rowGroups.allSatisfy { $0.rowCount == 1 })
        #expect(try Table.read(path).columns == table.columns)
        for g in 0..<9 {
            for c in table.columns.indices {
                let part = try reader.readColumn(rowGroup: g, column: c)
                #expect(part.cells == [table.columns[c][g]])
                let stored = try #require(reader.metadata.rowGroups[g].columns[c].statistics)
                #expect(StatCells(stored) == StatCells.bruteForce([table.columns[c][g]]))
            }
        }
        for c in table.columns.indices {
            #expect(StatCells(summary.columns[c]) == StatCells.bruteForce(table.columns[c]))
        }
    }

    /// The byte-array dictionary maps every value to an entry with exactly its bytes: values
    /// of every length 0...40 that differ in one byte only (first, middle or last: the word
    /// compare reads overlapping words), in shuffled order, each repeated.
    @Test func dictionaryEntriesMatchTheirValues() {
        var values: [[UInt8]] = []
        for length in 0...40 {
            let base = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            values.append(base)
            for position in Set([0, length / 2, length - 1]) where length > 0 {
                var changed = base
                changed[position] ^= 0x01
                values.append(changed)
            }
        }
        var rng: UInt64 = 42
        var rows: [Int] = []
        for _ in 0..<20_000 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            rows.append(Int(rng >> 33) % values.count)
        }
        let buffer = ColumnBuffer(column: .string("s"))
        for row in rows { values[row].withUnsafeBytes { buffer.append($0) } }
        guard let d = DictionaryBuilder.build(buffer, bytesMax: 1 << 20) else {
            Issue.record("no dictionary for \(values.count) distinct values in 20k rows")
            return
        }
        #expect(d.entryCount == Set(values).count)
        // The entries, decoded from the PLAIN dictionary page body.
        var entries: [[UInt8]] = []
        var offset = 0
        while offset < d.plain.count {
            let length = d.plain[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
            entries.append(Array(d.plain[offset + 4..<offset + 4 + length]))
            offset += 4 + length
        }
        #expect(entries.count == d.entryCount)
        #expect(Set(entries).count == entries.count, "an entry appears twice")
        #expect(d.indices.count == rows.count)
        for (i, row) in rows.enumerated() where entries[Int(d.indices[i])] != values[row] {
            Issue.record("row \(i): value \(values[row]) got entry \(entries[Int(d.indices[i])])")
            break
        }
    }

    /// The word-wise byte compare (dictionary probes, the lake's JSON shape spans): equal
    /// copies are equal, and a difference in any one byte of any length 1...40 is seen.
    @Test func dictionaryByteCompareSeesEveryByte() {
        for length in 0...40 {
            let a = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
            let same = Array(a)
            a.withUnsafeBytes { pa in
                same.withUnsafeBytes { pb in
                    let empty = UnsafeRawPointer(bitPattern: 8)!
                    #expect(RawBytes.equal(pa.baseAddress ?? empty, pb.baseAddress ?? empty, count: length))
                }
            }
            for position in 0..<length {
                var b = a
                b[position] ^= 0x80
                a.withUnsafeBytes { pa in
                    b.withUnsafeBytes { pb in
                        #expect(!RawBytes.equal(pa.baseAddress!, pb.baseAddress!, count: length),
                                "length \(length), byte \(position)")
                    }
                }
            }
        }
    }

    /// A dictionary larger than `dictionaryBytesMax` falls back to PLAIN (DELTA_LENGTH_BYTE_ARRAY
    /// for byte arrays); the same data under
    /// the default limit is dictionary-encoded. Values survive both ways.
    @Test(arguments: Kind.allCases.filter(\.dictionaryCapable))
    func dictionaryOverflowFallsBackToPlain(kind: Kind) throws {
        let dir = try TempDir()
        // 400 distinct values, each repeated 10 times: worth a dictionary, but bigger than 1 KiB.
        let cells: [Cell] = (0..<4000).map { Values.high(kind, 500 + $0 % 400) }
        let table = Table(schema: Schema([kind.column("v", nullable: true)]), columns: [cells])
        var small = WriterProperties()
        small.dictionaryBytesMax = 1024
        try table.write(to: dir.file("small.parquet"), small)
        try table.write(to: dir.file("default.parquet"))

        let overflowed = try ParquetReader(path: dir.file("small.parquet"))
        let chunk = overflowed.metadata.rowGroups[0].columns[0]
        #expect(chunk.dictionaryPageOffset == nil)
        // PLAIN, or DELTA_LENGTH_BYTE_ARRAY for byte arrays (the writer's default for them).
        #expect(chunk.encodings == [kind.column("v", nullable: true).type == .byteArray ? .deltaLengthByteArray : .plain, .rle])
        let fits = try ParquetReader(path: dir.file("default.parquet"))
        let dictionaryChunk = fits.metadata.rowGroups[0].columns[0]
        #expect(dictionaryChunk.dictionaryPageOffset != nil)
        #expect(dictionaryChunk.encodings.contains(.rleDictionary))
        #expect(try Table.read(dir.file("small.parquet")).columns == table.columns)
        #expect(try Table.read(dir.file("default.parquet")).columns == table.columns)
        let expected = StatCells.bruteForce(cells)
        #expect(StatCells(try #require(chunk.statistics)) == expected)
        #expect(StatCells(try #require(dictionaryChunk.statistics)) == expected)
    }

    /// Each row group decides on its own: a low-cardinality group gets a dictionary, a
    /// high-cardinality one does not.
    @Test func dictionaryIsChosenPerRowGroup() throws {
        let dir = try TempDir()
        let path = dir.file("mixed.parquet")
        let cells =
            (0..<2000).map { Values.low(.string, $0) }
            + (0..<2000).map { Values.high(.string, $0) }
        let table = Table(schema: Schema([.string("s")]), columns: [cells])
        var properties = WriterProperties()
        properties.rowGroupRowCountMax = 2000
        try table.write(to: path, properties)
        let reader = try ParquetReader(path: path)
        #expect(
            reader.metadata.rowGroups.map { $0.columns[0].dictionaryPageOffset != nil }
                == [true, false])
        #expect(try Table.read(path).columns == table.columns)
    }

    static let utf8Strings = [
        "", "a", "é", "e\u{301}", "zażółć gęślą jaźń", "日本語テキスト", "🦆", "👩‍👩‍👧‍👦",
        "\u{0}", "a\u{0}b", "tab\tnew\nline", "\u{FFFD}", "\u{10FFFF}", "Ωmega",
        String(repeating: "ж", count: 10_000), String(repeating: "🦆", count: 3000), "z",
    ]

    @Test(arguments: [true, false])
    func multibyteAndEmptyStrings(dictionary: Bool) throws {
        let dir = try TempDir()
        let path = dir.file("utf8.parquet")
        let strings = (0..<600).map { Self.utf8Strings[$0 % Self.utf8Strings.count] }
        let table = Table(
            schema: Schema([.string("s"), .string("s_opt", nullable: true)]),
            columns: [
                strings.map(Cell.string),
                strings.enumerated().map { $0.offset % 5 == 2 ? .null : .string($0.element) },
            ])
        var properties = WriterProperties()
        properties.dictionaryEnabled = dictionary
        let summary = try table.write(to: path, properties)

        let reader = try ParquetReader(path: path)
        #expect((reader.metadata.rowGroups[0].columns[0].dictionaryPageOffset != nil) == dictionary)
        let data = try reader.readAll()
        guard case .bytes(let values) = data[0].values else {
            Issue.record("string column read back as \(data[0].values)")
            return
        }
        #expect((0..<values.count).map { values.string($0) } == strings)
        #expect(data[1].cells == table.columns[1])
        // Statistics order bytes unsigned: "" is the minimum, U+10FFFF (F4 8F BF BF) the maximum.
        #expect(StatCells(summary.columns[0]) == StatCells.bruteForce(table.columns[0]))
        #expect(summary.columns[0].min == .bytes([]))
        #expect(summary.columns[0].max == .bytes(Array("\u{10FFFF}".utf8)))
        let stored = try #require(reader.metadata.rowGroups[0].columns[1].statistics)
        #expect(StatCells(stored) == StatCells.bruteForce(table.columns[1]))
    }

    @Test func keyValueMetadataRoundTrips() throws {
        let dir = try TempDir()
        let path = dir.file("kv.parquet")
        var properties = WriterProperties()
        properties.keyValues = [
            KeyValue("lake.table", "silver_clickstream"), KeyValue("lake.snapshot", "7"),
            KeyValue("no value", nil), KeyValue("empty", ""), KeyValue("ключ 🦆", "значение\n日本"),
            KeyValue("long", String(repeating: "x", count: 70_000)),
        ]
        properties.createdBy = "lake tests"
        try everyKindTable(rows: 5).write(to: path, properties)
        let reader = try ParquetReader(path: path)
        #expect(reader.metadata.keyValues == properties.keyValues)
        #expect(reader.metadata.createdBy == "lake tests")
        #expect(reader.metadata.version == 2)

        try everyKindTable(rows: 5).write(to: dir.file("none.parquet"))
        #expect(try ParquetReader(path: dir.file("none.parquet")).metadata.keyValues.isEmpty)
    }

    @Test func projectionReadsNamedColumnsInOrder() throws {
        let dir = try TempDir()
        let path = dir.file("projection.parquet")
        let table = everyKindTable(rows: 50)
        try table.write(to: path)
        let reader = try ParquetReader(path: path)
        let data = try reader.readAll(columns: ["timestamp_opt", "boolean"])
        #expect(data.map(\.column.name) == ["timestamp_opt", "boolean"])
        #expect(data[0].cells == table.columns[everyKindSchema.index(of: "timestamp_opt")!])
        #expect(data[1].cells == table.columns[0])
        #expect(throws: ParquetError.self) { try reader.readAll(columns: ["nope"]) }
    }
}

@Suite("One-line messages")
struct OneLineTests {
    @Test func plainTextIsUnchanged() {
        #expect("column user_id, row group 3 — ünïcode".oneLine == "column user_id, row group 3 — ünïcode")
    }

    @Test func everyLineBreakIsEscaped() {
        let text = "a\nb\rc\td\u{0B}e\u{0C}f\u{1C}g\u{85}h\u{2028}i\u{2029}j\u{7F}k\u{0}l"
        #expect(text.oneLine == #"a\nb\rc\td\u{B}e\u{C}f\u{1C}g\u{85}h\u{2028}i\u{2029}j\u{7F}k\u{0}l"#)
        #expect(text.oneLine.split(whereSeparator: \.isNewline).count == 1)
    }

    @Test func longNamesAreCut() {
        let name = String(repeating: "x", count: 1000) + "\n"
        let quoted = name.quotedName(limit: 10)
        #expect(quoted == "xxxxxxxxxx… (1001 bytes)")
        #expect("short\n".quotedName() == #"short\n"#)
    }
}
