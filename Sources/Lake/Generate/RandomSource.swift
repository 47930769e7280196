/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64), so that
/// `lake generate` gives byte-identical output for the same arguments on every machine and
/// every Swift version (the standard library's generators and algorithms may change).
struct RandomSource {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator for one `stream` of a `seed`: streams of one seed are independent, so the
    /// clean events stay the same whatever faults or jitter are asked for.
    init(seed: UInt64, stream: UInt64) {
        var state = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        s0 = RandomSource.splitMix(&state)
        s1 = RandomSource.splitMix(&state)
        s2 = RandomSource.splitMix(&state)
        s3 = RandomSource.splitMix(&state)
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<count` (Lemire's multiply-high; `count` > 0).
    mutating func below(_ count: Int) -> Int {
        precondition(count > 0, "below(_:) needs a positive count")
        return Int(next().multipliedFullWidth(by: UInt64(count)).high)
    }

    /// A uniform integer in `lower...upper`.
    mutating func between(_ lower: Int64, _ upper: Int64) -> Int64 {
        precondition(lower <= upper, "between(_:_:) needs lower <= upper")
        return lower + Int64(below(Int(upper - lower) + 1))
    }

    mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && unit() < probability
    }

    /// An exponentially distributed value with the given mean.
    mutating func exponential(mean: Double) -> Double {
        -mean * RandomSource.naturalLog(1 - unit())
    }

    /// ln(x) for x in (0, 1], from basic arithmetic only: libm's `log` may differ in the last
    /// bit between platforms, and the generator promises the same bytes everywhere.
    static func naturalLog(_ x: Double) -> Double {
        precondition(x > 0, "naturalLog needs a positive argument")
        // x = m · 2^e with m in [1, 2); ln m = 2 atanh(z), z = (m − 1) / (m + 1) ≤ 1/3.
        let m = x.significand
        let z = (m - 1) / (m + 1)
        let zSquared = z * z
        var term = z
        var sum = 0.0
        for power in stride(from: 1.0, through: 41.0, by: 2.0) {
            sum += term / power
            term *= zSquared
        }
        return 2 * sum + Double(x.exponent) * 0.693_147_180_559_945_3
    }

    /// An index into `weights` drawn with probability proportional to each weight.
    mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var point = unit() * total
        for (index, weight) in weights.enumerated() {
            point -= weight
            if point < 0 { return index }
        }
        return weights.count - 1
    }

    /// A random 128-bit identifier shaped like a version-4 UUID.
    mutating func identifier() -> Identifier128 {
        let high = (next() & ~0xF000) | 0x4000
        let low = (next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return Identifier128(high: high, low: low)
    }
}

/// An event or session id: 128 random bits written as a UUID.
struct Identifier128: Hashable, Sendable {
    var high: UInt64
    var low: UInt64
}
