/// What names mean while compiling: each column's index into the batch's views and its type.
struct ExprScope {
    private let columns: [(name: String, type: GoldType)]
    private let indexes: [String: Int]

    /// Index = position in `columns`. A repeated name means its last column: a later output
    /// column shadows the silver column it is named after, as a `let` shadows an outer one.
    init(columns: [(name: String, type: GoldType)]) {
        self.columns = columns
        var indexes: [String: Int] = [:]
        for (index, column) in columns.enumerated() { indexes[column.name] = index }
        self.indexes = indexes
    }

    func lookup(_ name: String) -> (index: Int, type: GoldType)? {
        guard let index = indexes[name] else { return nil }
        return (index, columns[index].type)
    }

    var names: [String] { columns.map(\.name) }

    /// The error for a name not in scope: the closest name when one is a likely typo (letter
    /// case ignored, since names match exactly but people type `Amount`), else all of them.
    func unknownColumn(_ name: String, at offset: Int) -> ExprError {
        let typed = name.lowercased()
        let candidates = names.map {
            (name: $0, distance: JobFileTable.distance($0.lowercased(), typed))
        }
        if let closest = candidates.min(by: { $0.distance < $1.distance }), closest.distance <= 3 {
            let suggestion = ExprLexer.quotedIfNeeded(closest.name)
            return ExprError(
                offset: offset,
                "unknown column \(name); expected a silver column such as \(suggestion)")
        }
        let list =
            names.isEmpty
            ? "none is in scope"
            : "one of " + names.map(ExprLexer.quotedIfNeeded).joined(separator: ", ")
        return ExprError(offset: offset, "unknown column \(name); expected \(list)")
    }
}
