/// The shop's fixed price list (an Italian WooCommerce shop: food, home, fashion, electronics)
/// and the shape of its baskets, chosen so that gold's segments (SPEC §12) all occur: most
/// orders are at most 150.00 (median about 65), about a quarter are over 150 (High Spender)
/// and about three in a hundred over 500 (High Demand).
enum OrderCatalog {
    struct Product {
        var name: String
        var priceCents: Int64
        /// How often the product is picked, relative to the others.
        var weight: Double
    }

    static let highSpenderCentsMin: Int64 = 15_000
    static let highDemandCentsMin: Int64 = 50_000

    /// Products dear enough to be a considered purchase: careful buyers pick them more often.
    static let consideredPriceCentsMin: Int64 = 8_000
    static let consideredWeightFactor = 2.5

    static let products = [
        // Food and drink: cheap, popular, often bought by the several.
        Product(name: "Caffè in grani Arabica 1kg", priceCents: 1_990, weight: 9),
        Product(name: "Parmigiano Reggiano DOP 24 mesi 1kg", priceCents: 2_450, weight: 6),
        Product(name: "Olio extravergine d'oliva 1L", priceCents: 1_290, weight: 8),
        Product(name: "Pasta di Gragnano IGP 500g", priceCents: 280, weight: 9),
        Product(name: "Passata di pomodoro 700g", priceCents: 190, weight: 7),
        Product(name: "Aceto balsamico di Modena IGP 250ml", priceCents: 850, weight: 4),
        Product(name: "Pesto alla genovese 190g", priceCents: 420, weight: 6),
        Product(name: "Tè verde in foglie 100g", priceCents: 690, weight: 4),
        Product(name: "Panettone artigianale 1kg", priceCents: 2_800, weight: 3),
        Product(name: "Cioccolato fondente 70% 100g", priceCents: 350, weight: 7),
        Product(name: "Vino Chianti Classico DOCG 75cl", priceCents: 1_690, weight: 5),
        Product(name: "Prosecco Valdobbiadene DOCG 75cl", priceCents: 1_350, weight: 5),
        // Home.
        Product(name: "Moka 6 tazze in alluminio", priceCents: 3_200, weight: 4),
        Product(name: "Set 6 bicchieri in vetro", priceCents: 1_890, weight: 3),
        Product(name: "Pentola antiaderente 24cm", priceCents: 3_990, weight: 3),
        Product(name: "Lenzuola matrimoniali in cotone", priceCents: 5_900, weight: 2),
        Product(name: "Cuscino memory foam", priceCents: 3_490, weight: 2),
        Product(name: "Lampada da tavolo LED", priceCents: 4_500, weight: 2),
        Product(name: "Tovaglia di lino 150x250", priceCents: 4_900, weight: 1.5),
        Product(name: "Macchina per pasta manuale", priceCents: 6_900, weight: 1.5),
        Product(name: "Robot da cucina 1000W", priceCents: 24_900, weight: 0.7),
        Product(name: "Aspirapolvere senza filo", priceCents: 32_900, weight: 0.6),
        // Fashion.
        Product(name: "T-shirt in cotone bio", priceCents: 1_990, weight: 5),
        Product(name: "Jeans slim fit", priceCents: 5_990, weight: 3),
        Product(name: "Maglione in lana merino", priceCents: 8_900, weight: 2),
        Product(name: "Sciarpa in cashmere", priceCents: 11_900, weight: 1.2),
        Product(name: "Sneakers in pelle", priceCents: 12_900, weight: 1.5),
        Product(name: "Borsa a tracolla in pelle", priceCents: 18_900, weight: 0.8),
        Product(name: "Giacca impermeabile", priceCents: 14_900, weight: 1),
        Product(name: "Calzini in cotone (3 paia)", priceCents: 1_290, weight: 4),
        Product(name: "Occhiali da sole polarizzati", priceCents: 7_900, weight: 1.5),
        // Electronics: the dear end of the list, mostly one of a kind per order.
        Product(name: "Cavo USB-C/Lightning 1m", priceCents: 1_490, weight: 5),
        Product(name: "Caricatore rapido 30W", priceCents: 2_490, weight: 4),
        Product(name: "Auricolari Bluetooth", priceCents: 5_900, weight: 2.5),
        Product(name: "Power bank 20000mAh", priceCents: 3_990, weight: 2.5),
        Product(name: "Mouse wireless", priceCents: 2_290, weight: 3),
        Product(name: "Tastiera meccanica", priceCents: 8_900, weight: 1.2),
        Product(name: "Altoparlante smart", priceCents: 9_900, weight: 1),
        Product(name: "Smartwatch sportivo", priceCents: 19_900, weight: 0.8),
        Product(name: "Monitor 27\" 4K", priceCents: 34_900, weight: 0.5),
        Product(name: "Tablet 10 pollici 128GB", priceCents: 29_900, weight: 0.5),
        Product(name: "Smartphone 128GB", priceCents: 54_900, weight: 0.4),
        Product(name: "Notebook 14\" 16GB RAM", priceCents: 89_900, weight: 0.25),
    ]

    /// Product weights for quick buyers, and for careful ones (considered purchases boosted).
    static let quickProductWeights = products.map(\.weight)
    static let carefulProductWeights = products.map {
        $0.priceCents >= consideredPriceCentsMin ? $0.weight * consideredWeightFactor : $0.weight
    }

    /// Items (distinct products) in one order, 1–5: most orders hold one or two.
    static let itemCountWeights = [0.40, 0.27, 0.17, 0.10, 0.06]

    /// Quantity 1–5 of one item: pasta goes by the several, a notebook by the one.
    static func quantityWeights(priceCents: Int64) -> [Double] {
        if priceCents < 1_500 { return [0.45, 0.25, 0.15, 0.08, 0.07] }
        if priceCents < 10_000 { return [0.78, 0.15, 0.05, 0.015, 0.005] }
        return [0.95, 0.045, 0.005, 0, 0]
    }
    static let quantityWeightsByProduct = products.map {
        quantityWeights(priceCents: $0.priceCents)
    }

    /// Orders per hour of the shop's local day, relative: quiet nights, a lunch bump and the
    /// evening peak of an Italian shop.
    static let hourWeights: [Double] = [
        0.50, 0.30, 0.15, 0.10, 0.10, 0.15, 0.30, 0.50, 0.80, 1.00, 1.10, 1.20,
        1.20, 1.30, 1.10, 1.00, 1.00, 1.10, 1.30, 1.50, 1.70, 1.80, 1.50, 1.00,
    ]
    static let hourWeightMax = hourWeights.max() ?? 1
    static let hourWeightMean = hourWeights.reduce(0, +) / Double(hourWeights.count)
}
