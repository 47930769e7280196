/// The generated shop's users: `user_1` … `user_<U>`, each with one device, one currency and an
/// activity level (a few heavy users visit far more often, so "top customers" stand out).
/// Profiles are a few bytes each, so a million users cost a few megabytes.
struct UserPool {
    struct User {
        var deviceType: UInt8
        var operatingSystem: UInt8
        /// Index into `networks`; with `host` an address in the documentation ranges.
        var network: UInt8
        var host: UInt8
        var currency: Currency
        /// Multiplies the mean idle gap between visits: below 1 visits more often.
        var idleScale: Float
    }

    private(set) var users: [User] = []

    static let deviceTypes: [[UInt8]] = ["mobile", "desktop", "tablet"].map { Array($0.utf8) }
    static let operatingSystems: [[[UInt8]]] = [
        ["Android 14", "Android 13", "iOS 17.4", "iOS 18.1"],
        ["Windows 11", "Windows 10", "macOS 14", "Ubuntu 24.04"],
        ["iPadOS 17.4", "Android 14"],
    ].map { $0.map { Array($0.utf8) } }
    static let networks: [[UInt8]] = ["192.0.2.", "198.51.100.", "203.0.113."].map {
        Array($0.utf8)
    }

    init(count: Int, random: inout RandomSource) {
        users.reserveCapacity(count)
        for _ in 0..<count {
            let deviceType = random.weighted([0.55, 0.35, 0.10])
            let operatingSystem = random.below(UserPool.operatingSystems[deviceType].count)
            let activity = random.unit()
            users.append(User(
                deviceType: UInt8(deviceType),
                operatingSystem: UInt8(operatingSystem),
                network: UInt8(random.below(UserPool.networks.count)),
                host: UInt8(1 + random.below(254)),
                currency: Currency.allCases[random.weighted([0.6, 0.25, 0.15])],
                idleScale: Float(0.2 + 2.3 * activity * activity)))
        }
    }

    var count: Int { users.count }
}
