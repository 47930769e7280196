/// The shop's fixed lists (SPEC §12, seed 004: six cities, six categories, four payment
/// methods) and how often each occurs, so that gold's totals by city, category and payment
/// method differ the way a real shop's do instead of being six equal shares.
enum TransactionCatalog {
    struct Category {
        var name: String
        /// A ticket's range in this category, within the seed's 10.00–500.00.
        var amountCentsMin: Int64
        var amountCentsMax: Int64
        var weight: Double
    }

    static let cities = ["Milano", "Roma", "Warszawa", "Kraków", "Madrid", "Paris"]
    static let cityWeights = [0.21, 0.17, 0.16, 0.11, 0.19, 0.16]

    static let categories = [
        Category(name: "Electronics", amountCentsMin: 4_900, amountCentsMax: 50_000, weight: 0.18),
        Category(name: "Fashion", amountCentsMin: 1_500, amountCentsMax: 32_000, weight: 0.22),
        Category(
            name: "Home & Garden", amountCentsMin: 1_000, amountCentsMax: 45_000, weight: 0.16),
        Category(name: "Books", amountCentsMin: 1_000, amountCentsMax: 9_000, weight: 0.14),
        Category(name: "Sports", amountCentsMin: 1_200, amountCentsMax: 38_000, weight: 0.15),
        Category(name: "Beauty", amountCentsMin: 1_000, amountCentsMax: 16_000, weight: 0.15),
    ]
    static let categoryWeights = categories.map(\.weight)

    static let paymentMethods = ["Credit Card", "Debit Card", "PayPal", "Apple Pay"]
    static let paymentMethodWeights = [0.38, 0.27, 0.22, 0.13]

    /// Items in one transaction, 1–5: most baskets hold one item.
    static let quantityWeights = [0.52, 0.24, 0.12, 0.07, 0.05]

    /// The overall amount range of seed 004.
    static let amountCentsMin: Int64 = 1_000
    static let amountCentsMax: Int64 = 50_000

    /// A ticket in `category`: cheap tickets are more common than dear ones (the square of a
    /// uniform draw leans low), as in any shop's price list.
    static func amountCents(category: Int, random: inout RandomSource) -> Int64 {
        let range = categories[category]
        let point = random.unit()
        let span = Double(range.amountCentsMax - range.amountCentsMin)
        return range.amountCentsMin + min(Int64(point * point * (span + 1)), Int64(span))
    }
}
