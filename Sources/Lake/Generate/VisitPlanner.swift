/// Plans one visit of a user as a funnel: an entry page, some browsing (category pages,
/// searches, product views) and, for some visits, products put in the cart and bought.
///
/// Shares per visit: `purchaseShare` buy, `abandonShare` leave a filled cart, the rest browse.
enum VisitPlanner {
    static let purchaseShare = 0.17
    static let abandonShare = 0.24

    enum Goal {
        case browse, abandon, purchase
    }

    /// Fills `steps` (emptied first) with the next visit's events.
    static func plan(
        into steps: inout [VisitStep], catalog: ProductCatalog, random: inout RandomSource
    ) {
        steps.removeAll(keepingCapacity: true)
        let browseShare = 1 - purchaseShare - abandonShare
        let goalIndex = random.weighted([purchaseShare, abandonShare, browseShare])
        let goal: Goal = goalIndex == 0 ? .purchase : goalIndex == 1 ? .abandon : .browse
        var interest = random.below(catalog.categories.count)
        switch random.weighted([0.55, 0.25, 0.20]) {
        case 0: steps.append(VisitStep(kind: .pageView, page: .home))
        case 1: steps.append(categoryPage(interest))
        default: steps.append(search(in: interest, catalog: catalog, random: &random))
        }
        let browseCount = goal == .browse ? 1 + random.below(7) : random.below(3)
        for _ in 0..<browseCount {
            if random.chance(0.2) { interest = random.below(catalog.categories.count) }
            steps.append(browse(interest, catalog: catalog, random: &random))
        }
        guard goal != .browse else { return }
        let itemCount = 1 + (random.chance(0.35) ? 1 : 0) + (random.chance(0.15) ? 1 : 0)
        for _ in 0..<itemCount {
            addItem(interest: &interest, to: &steps, catalog: catalog, random: &random)
        }
        if random.chance(0.5) { steps.append(VisitStep(kind: .pageView, page: .cart)) }
        if goal == .purchase { steps.append(VisitStep(kind: .purchase)) }
    }

    private static func addItem(
        interest: inout Int, to steps: inout [VisitStep], catalog: ProductCatalog,
        random: inout RandomSource
    ) {
        if random.chance(0.4) { interest = random.below(catalog.categories.count) }
        if random.chance(0.3) {
            steps.append(search(in: interest, catalog: catalog, random: &random))
        }
        var product = catalog.product(in: interest, random: &random)
        steps.append(VisitStep(kind: .productView, product: Int32(product)))
        if random.chance(0.3) {
            product = catalog.product(in: interest, random: &random)
            steps.append(VisitStep(kind: .productView, product: Int32(product)))
        }
        steps.append(VisitStep(kind: .addToCart, product: Int32(product)))
    }

    private static func browse(
        _ interest: Int, catalog: ProductCatalog, random: inout RandomSource
    ) -> VisitStep {
        switch random.weighted([0.25, 0.15, 0.60]) {
        case 0: return categoryPage(interest)
        case 1: return search(in: interest, catalog: catalog, random: &random)
        default:
            let product = random.chance(0.8)
                ? catalog.product(in: interest, random: &random)
                : catalog.popularProduct(random: &random)
            return VisitStep(kind: .productView, product: Int32(product))
        }
    }

    private static func categoryPage(_ category: Int) -> VisitStep {
        VisitStep(kind: .pageView, page: .category, category: Int16(category))
    }

    private static func search(
        in category: Int, catalog: ProductCatalog, random: inout RandomSource
    ) -> VisitStep {
        let query = random.below(catalog.categories[category].searchQueries.count)
        return VisitStep(kind: .search, category: Int16(category), query: Int16(query))
    }
}
