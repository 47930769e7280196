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
            (name: $0, distance: Self.editDistance($0.lowercased(), typed))
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

    /// Levenshtein distance over characters.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let left = Array(lhs)
        let right = Array(rhs)
        var previous = Array(0...right.count)
        for (row, leftCharacter) in left.enumerated() {
            var current = [row + 1]
            for (column, rightCharacter) in right.enumerated() {
                let substitution = previous[column] + (leftCharacter == rightCharacter ? 0 : 1)
                current.append(
                    Swift.min(substitution, previous[column + 1] + 1, current[column] + 1))
            }
            previous = current
        }
        return previous[right.count]
    }
}
