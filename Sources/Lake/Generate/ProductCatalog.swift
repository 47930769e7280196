/// The shop the generated users browse: ~200 products in 10 categories, with names, prices in
/// three currencies and the search queries that lead to them. The catalog is the same for every
/// seed (its own fixed seed), so `p-17` is the same product in every generated data set.
struct ProductCatalog {
    struct Product {
        var id: [UInt8]
        var name: [UInt8]
        var category: Int
        /// Price in cents, indexed like `Currency.allCases`.
        var priceCents: [Int64]
        var pageURL: [UInt8]
    }

    struct Category {
        var name: [UInt8]
        var pageURL: [UInt8]
        var products: Range<Int>
        var searchQueries: [[UInt8]]
    }

    private(set) var products: [Product] = []
    private(set) var categories: [Category] = []

    static let productsPerCategory = 20
    private static let catalogSeed: UInt64 = 2026

    init() {
        var random = RandomSource(seed: ProductCatalog.catalogSeed, stream: 0)
        for (categoryIndex, blueprint) in ProductCatalog.blueprints.enumerated() {
            let first = products.count
            for index in 0..<ProductCatalog.productsPerCategory {
                let adjectives = ProductCatalog.adjectives
                let adjective = adjectives[
                    (index / blueprint.nouns.count + categoryIndex) % adjectives.count]
                let noun = blueprint.nouns[index % blueprint.nouns.count]
                let number = products.count + 1
                let plnCents = ProductCatalog.price(in: blueprint.pricePLN, random: &random)
                products.append(Product(
                    id: Array("p-\(number)".utf8),
                    name: Array("\(adjective) \(noun)".utf8),
                    category: categoryIndex,
                    priceCents: Currency.allCases.map { $0.convert(plnCents: plnCents) },
                    pageURL: Array("/product/p-\(number)".utf8)))
            }
            categories.append(Category(
                name: Array(blueprint.name.utf8),
                pageURL: Array("/category/\(blueprint.name)".utf8),
                products: first..<products.count,
                searchQueries: blueprint.queries.map { Array($0.utf8) }))
        }
    }

    /// A product, popular ones more often (a skewed draw, like real shops' long tail).
    func popularProduct(random: inout RandomSource) -> Int {
        let point = random.unit()
        return min(products.count - 1, Int(point * point * Double(products.count)))
    }

    func product(in category: Int, random: inout RandomSource) -> Int {
        let range = categories[category].products
        let point = random.unit()
        return range.lowerBound + min(range.count - 1, Int(point * point * Double(range.count)))
    }

    /// A shelf price in PLN cents within `range` (whole złoty), ending in .99, .50 or .00.
    private static func price(in range: ClosedRange<Int64>, random: inout RandomSource) -> Int64 {
        let whole = random.between(range.lowerBound, range.upperBound)
        let endings: [Int64] = [99, 99, 50, 0]
        return whole * 100 + endings[random.below(endings.count)]
    }

    private struct Blueprint {
        var name: String
        var nouns: [String]
        var pricePLN: ClosedRange<Int64>
        var queries: [String]
    }

    private static let adjectives = [
        "Classic", "Pro", "Lite", "Ultra", "Urban", "Eco", "Prime", "Nordic",
    ]

    private static let blueprints: [Blueprint] = [
        Blueprint(
            name: "shoes", nouns: ["Trail Shoe", "Running Shoe", "Sneaker", "Boot", "Sandal"],
            pricePLN: 89...599, queries: ["running shoes", "trail shoe", "winter boots"]),
        Blueprint(
            name: "apparel", nouns: ["Jacket", "Hoodie", "T-Shirt", "Jeans", "Rain Coat"],
            pricePLN: 39...699, queries: ["rain jacket", "hoodie", "slim jeans"]),
        Blueprint(
            name: "electronics",
            nouns: ["Headphones", "Smartwatch", "Speaker", "Power Bank", "Tablet"],
            pricePLN: 79...2999, queries: ["wireless headphones", "smartwatch", "power bank"]),
        Blueprint(
            name: "home", nouns: ["Lamp", "Rug", "Cushion", "Shelf", "Blanket"],
            pricePLN: 29...899, queries: ["floor lamp", "wool blanket", "wall shelf"]),
        Blueprint(
            name: "kitchen", nouns: ["Kettle", "Knife Set", "Coffee Grinder", "Pan", "Blender"],
            pricePLN: 49...1299, queries: ["electric kettle", "chef knife", "coffee grinder"]),
        Blueprint(
            name: "beauty", nouns: ["Face Cream", "Shampoo", "Perfume", "Hair Dryer", "Serum"],
            pricePLN: 19...499, queries: ["face cream", "perfume", "hair dryer"]),
        Blueprint(
            name: "sports", nouns: ["Yoga Mat", "Dumbbell Set", "Bike Helmet", "Tent", "Backpack"],
            pricePLN: 39...1499, queries: ["yoga mat", "hiking backpack", "bike helmet"]),
        Blueprint(
            name: "books", nouns: ["Cookbook", "Novel", "Travel Guide", "Atlas", "Notebook"],
            pricePLN: 19...149, queries: ["cookbook", "travel guide", "crime novel"]),
        Blueprint(
            name: "toys", nouns: ["Puzzle", "Building Set", "Board Game", "Plush Bear", "Kite"],
            pricePLN: 19...399, queries: ["board game", "puzzle 1000", "building set"]),
        Blueprint(
            name: "garden", nouns: ["Hose", "Planter", "Pruner", "Garden Chair", "Grill"],
            pricePLN: 29...1999, queries: ["garden chair", "gas grill", "planter"]),
    ]
}

/// The currencies generated users pay in; prices are converted from the catalog's PLN.
enum Currency: Int, CaseIterable {
    case pln, eur, usd

    var code: [UInt8] {
        switch self {
        case .pln: return Array("PLN".utf8)
        case .eur: return Array("EUR".utf8)
        case .usd: return Array("USD".utf8)
        }
    }

    /// Cents in this currency for a PLN price, at fixed rates (4.30 PLN/EUR, 4.00 PLN/USD).
    func convert(plnCents: Int64) -> Int64 {
        switch self {
        case .pln: return plnCents
        case .eur: return (plnCents * 100 + 215) / 430
        case .usd: return (plnCents * 100 + 200) / 400
        }
    }
}
