/// The shop's customers (`--users`): each with a stable first name and e-mail address
/// `<first>.<last>[NN]@<domain>` (lower-case ASCII, example domains only, distinct per
/// customer) and a buying style: careful buyers browse for minutes before they pay, quick ones
/// for about a minute (seed 000's "Reasoned" and "Impulsive").
struct OrderCustomerPool {
    struct Customer {
        var firstName: UInt8
        var lastName: UInt8
        /// Two digits after the last name (`rossi07`), or `noSuffix`.
        var suffix: UInt8
        var domain: UInt8
        var careful: Bool
    }

    static let noSuffix: UInt8 = 100
    static let suffixShare = 0.65
    /// Share of careful customers: with `OrderSource.styleLoyalty` about 40% of the orders are
    /// careful ones.
    static let carefulShare = 0.36

    /// First names as written and as they appear in an e-mail address.
    static let firstNames: [(name: String, email: String)] = [
        ("Giulia", "giulia"), ("Francesca", "francesca"), ("Chiara", "chiara"), ("Sara", "sara"),
        ("Martina", "martina"), ("Alessia", "alessia"), ("Valentina", "valentina"),
        ("Elena", "elena"), ("Federica", "federica"), ("Silvia", "silvia"), ("Laura", "laura"),
        ("Anna", "anna"), ("Sofia", "sofia"), ("Aurora", "aurora"), ("Giorgia", "giorgia"),
        ("Beatrice", "beatrice"), ("Ilaria", "ilaria"), ("Noemi", "noemi"), ("Lucia", "lucia"),
        ("Marta", "marta"), ("Marco", "marco"), ("Alessandro", "alessandro"),
        ("Andrea", "andrea"), ("Luca", "luca"), ("Matteo", "matteo"), ("Lorenzo", "lorenzo"),
        ("Francesco", "francesco"), ("Davide", "davide"), ("Simone", "simone"),
        ("Federico", "federico"), ("Gabriele", "gabriele"), ("Riccardo", "riccardo"),
        ("Stefano", "stefano"), ("Giuseppe", "giuseppe"), ("Antonio", "antonio"),
        ("Paolo", "paolo"), ("Giovanni", "giovanni"), ("Tommaso", "tommaso"),
        ("Nicolò", "nicolo"), ("Mattia", "mattia"),
    ]
    /// Last names as they appear in an e-mail address (`De Luca` → `deluca`).
    static let lastNames = [
        "rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "colombo", "ricci",
        "marino", "greco", "bruno", "gallo", "conti", "deluca", "mancini", "costa", "giordano",
        "rizzo", "lombardi", "moretti", "barbieri", "fontana", "santoro", "mariani", "rinaldi",
        "caruso", "ferrara", "galli", "martini", "leone", "longo", "gentile", "martinelli",
        "vitale", "lombardo", "serra", "coppola", "desantis", "damico", "marchetti",
    ]
    /// Example domains only (RFC 2606 and the like): no address reaches anyone.
    static let domains = [
        "example.it", "mail.example.com", "example.com", "posta.example.net", "example.org",
    ]
    static let domainWeights = [0.30, 0.25, 0.20, 0.15, 0.10]

    /// Distinct addresses the lists can make (about 800,000): `--users` stays well below, so
    /// drawing again on a clash ends quickly.
    static let userCountMax = 100_000
    static let drawAttemptsMax = 10_000

    private(set) var customers: [Customer] = []

    init(count: Int, random: inout RandomSource) {
        precondition((1...OrderCustomerPool.userCountMax).contains(count), "customer count")
        customers.reserveCapacity(count)
        var addresses = Set<Int>()
        addresses.reserveCapacity(count)
        for _ in 0..<count {
            var attempt = 0
            while true {
                attempt += 1
                precondition(attempt <= OrderCustomerPool.drawAttemptsMax, "addresses run out")
                let customer = OrderCustomerPool.draw(random: &random)
                if addresses.insert(OrderCustomerPool.address(customer)).inserted {
                    customers.append(customer)
                    break
                }
            }
        }
    }

    var count: Int { customers.count }

    private static func draw(random: inout RandomSource) -> Customer {
        let first = random.below(firstNames.count)
        let last = random.below(lastNames.count)
        let suffix = random.chance(suffixShare) ? UInt8(random.below(100)) : noSuffix
        let domain = random.weighted(domainWeights)
        return Customer(
            firstName: UInt8(first), lastName: UInt8(last), suffix: suffix,
            domain: UInt8(domain), careful: random.chance(carefulShare))
    }

    /// A number per distinct e-mail address.
    private static func address(_ customer: Customer) -> Int {
        var code = Int(customer.firstName)
        code = code * lastNames.count + Int(customer.lastName)
        code = code * (Int(noSuffix) + 1) + Int(customer.suffix)
        return code * domains.count + Int(customer.domain)
    }
}
