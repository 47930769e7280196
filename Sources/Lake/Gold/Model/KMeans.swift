// The k-means core of the `kmeans` gold kind (SPEC §12): standardised features, plain
// k-means++ seeded by SplitMix64, Lloyd iterations. Pure (no catalog, no I/O, no clock), so a
// model is a function of (rows in order, k, seed) alone: `lake train` and a rerun of it agree
// bit for bit, and a stored model labels a row exactly as the fit labelled it.
//
// Edge cases, all without a crash:
// - no finite row (n == 0, or every row has a NaN/infinite feature): a model with no centers,
//   whose `label` is always nil;
// - a constant feature (std 0): divided by 1 instead, so every standardised value of it is 0;
// - all rows equal, or k above the number of distinct rows: once every D² is 0 the next center
//   is a uniformly chosen row, so centers may coincide; a row goes to the lowest of equal
//   centers, the others keep empty clusters (size 0);
// - an empty cluster during Lloyd keeps its previous center (sklearn would move it to a far
//   row instead; the cross-check only uses fits without empty clusters);
// - one huge outlier: statistics are taken over values scaled by a power of two, so even
//   1e300 neither overflows the variance nor loses bits; standardised, the outlier is at most
//   about sqrt(n) from the mean and gets a center of its own;
// - a NaN or infinite feature: the row is skipped in `fit`, and `label` returns nil for it.

/// A fitted model: standardisation and centers (in standardised units), labels ordered.
public struct KMeansModel: Equatable, Sendable {
    /// Per feature, over the fitted rows. New rows are standardised with these, never with
    /// their own batch's statistics, so a row's label does not depend on what arrived with it.
    public var means: [Double]
    /// Population std (ddof 0, as sklearn's StandardScaler), so the sklearn cross-check compares
    /// like with like. 0 → treated as 1: a constant feature (or one sklearn's rounding-error test
    /// calls constant) then stays 0 in standardised units and stops separating rows.
    public var stds: [Double]
    /// k centers in standardised units, ordered by ascending first coordinate (ties: next
    /// coordinates, then pick order), so label 0 is the lowest and a job's
    /// `labels = ["Impulsive", "Reasoned"]` names them in that order whatever the seed.
    public var centers: [[Double]]
    /// The k-means++ picks, standardised, in pick order: given to sklearn as `init` they
    /// reproduce the fit, so the cross-check tests Lloyd without re-implementing the seeding.
    public var initialCenters: [[Double]]
    /// Lloyd passes run, counted as sklearn's `n_iter_`: the last one is the pass that changed
    /// no assignment, unless `maxIterations` stopped the fit first.
    public var iterations: Int
    /// Sum of squared standardised distances from each fitted row to its center.
    public var inertia: Double
    /// Rows fitted (rows with a NaN/missing feature are skipped: they cannot be placed).
    public var rowCount: Int
    /// Rows per center, same order as `centers`, counted with `label`'s own rule, so sizes and
    /// labels never disagree, ties included.
    public var clusterSizes: [Int]

    /// Index of the nearest center (ties: lower index); nil if any feature is NaN/inf, or the
    /// model has no centers (fitted on no rows).
    public func label(_ features: [Double]) -> Int? {
        features.withUnsafeBufferPointer { label($0) }
    }

    /// Same without allocation (hot path: one call per arriving row). The arithmetic is `fit`'s
    /// own (`KMeans.standardised`, then distances summed in feature order), so a fitted row
    /// gets back exactly the cluster the fit counted it in.
    public func label(_ features: UnsafeBufferPointer<Double>) -> Int? {
        precondition(features.count == means.count, "label needs one value per model feature")
        guard !centers.isEmpty else { return nil }
        for value in features where !value.isFinite { return nil }
        var best = 0
        var bestDistance = Double.infinity
        for index in centers.indices {
            var distance = 0.0
            for feature in features.indices {
                let z = KMeans.standardised(
                    features[feature], mean: means[feature], std: stds[feature])
                let delta = z - centers[index][feature]
                distance += delta * delta
            }
            if distance < bestDistance {
                best = index
                bestDistance = distance
            }
        }
        return best
    }
}

public enum KMeans {
    /// rows: row-major features (rows.count == n * featureCount). seed: fixed (job default 42).
    ///
    /// Standardises each feature, seeds k centers with plain k-means++ (Arthur & Vassilvitskii:
    /// one candidate per step, drawn with probability ∝ D²), then runs Lloyd until no assignment
    /// changes or `maxIterations` passes. Rows with a NaN or infinite feature are skipped; the
    /// random draws index the remaining rows, so skipping them gives the same model as never
    /// having had them.
    public static func fit(
        _ rows: [Double], featureCount: Int, k: Int, seed: UInt64, maxIterations: Int = 300
    ) -> KMeansModel {
        precondition(featureCount > 0, "k-means needs at least one feature")
        precondition(rows.count % featureCount == 0, "rows.count must be n * featureCount")
        precondition(k > 0 && k <= Int(Int32.max), "k must be positive")
        precondition(maxIterations >= 0, "maxIterations must not be negative")
        let d = featureCount
        var z = finiteRows(rows, featureCount: d)
        let n = z.count / d
        guard n > 0 else {
            let zeros = [Double](repeating: 0, count: d)
            return KMeansModel(
                means: zeros, stds: zeros, centers: [], initialCenters: [], iterations: 0,
                inertia: 0, rowCount: 0, clusterSizes: [])
        }
        let (means, stds) = standardise(&z, rowCount: n, featureCount: d)
        return z.withUnsafeBufferPointer { z in
            let data = Points(values: z, count: n, featureCount: d)
            var random = SplitMix64(seed: seed)
            var centers = seedCenters(data, k: k, random: &random)
            let initialCenters = split(centers, featureCount: d)
            let iterations = lloyd(data, k: k, centers: &centers, maxIterations: maxIterations)
            let ordered = sortedCenters(split(centers, featureCount: d))
            let (sizes, inertia) = summarise(data, centers: ordered.flatMap { $0 })
            return KMeansModel(
                means: means, stds: stds, centers: ordered, initialCenters: initialCenters,
                iterations: iterations, inertia: inertia, rowCount: n, clusterSizes: sizes)
        }
    }

    /// One feature value in standardised units; a zero std divides by 1 (sklearn's rule). Both
    /// `fit` and `label` go through here, so they compute the same bits.
    @inline(__always)
    static func standardised(_ value: Double, mean: Double, std: Double) -> Double {
        (value - mean) / (std == 0 ? 1 : std)
    }

    /// SplitMix64 (Steele, Lea & Flood 2014, as in Vigna's reference C): a few lines that any
    /// language can replay, unlike the standard library's unseedable generator, whose
    /// algorithm may also change between Swift versions and with it every stored model.
    struct SplitMix64 {
        private(set) var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }

        /// Uniform in [0, 1): the top 53 bits, so every value is exact and 1 is never drawn.
        mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    }
}

/// Neumaier's compensated sum (Kahan's, also exact when the addend is the larger term): means
/// over a million rows keep their last bits whatever the order of magnitude of the values.
private struct CompensatedSum {
    private var sum = 0.0
    private var compensation = 0.0

    mutating func add(_ value: Double) {
        let total = sum + value
        if abs(sum) >= abs(value) {
            compensation += (sum - total) + value
        } else {
            compensation += (value - total) + sum
        }
        sum = total
    }

    var value: Double { sum + compensation }
}

/// Standardised rows, flat and row-major, borrowed for the length of a fit: the loops index
/// into one buffer instead of allocating a row at a time.
private struct Points {
    let values: UnsafeBufferPointer<Double>
    let count: Int
    let featureCount: Int

    /// The row's first feature; `fit` checked n * featureCount values, so no check per row.
    @inline(__always) func row(_ index: Int) -> UnsafePointer<Double> {
        // A fit has at least one row, so the buffer has a base address.
        values.baseAddress.unsafelyUnwrapped + index * featureCount
    }
}

extension KMeans {
    /// The rows whose features are all finite, in their order, copied into one flat array.
    fileprivate static func finiteRows(_ rows: [Double], featureCount d: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: rows.count) { out, count in
            rows.withUnsafeBufferPointer { source in
                for start in stride(from: 0, to: source.count, by: d) {
                    var finite = true
                    for feature in 0..<d where !source[start + feature].isFinite { finite = false }
                    guard finite else { continue }
                    for feature in 0..<d { out[count + feature] = source[start + feature] }
                    count += d
                }
            }
        }
    }

    /// Replaces each value by its standardised value and returns the statistics used.
    fileprivate static func standardise(
        _ values: inout [Double], rowCount n: Int, featureCount d: Int
    ) -> (means: [Double], stds: [Double]) {
        var means = [Double](repeating: 0, count: d)
        var stds = [Double](repeating: 0, count: d)
        values.withUnsafeMutableBufferPointer { values in
            for feature in 0..<d {
                let column = StrideColumn(values: values, feature: feature, featureCount: d)
                (means[feature], stds[feature]) = moments(column, rowCount: n)
                for index in 0..<n {
                    column[index] = standardised(
                        column[index], mean: means[feature], std: stds[feature])
                }
            }
        }
        return (means, stds)
    }

    /// Mean and population std of one feature. Computed on values divided by a power of two
    /// near their largest magnitude (exact), so squares of 1e300 neither overflow nor lose
    /// bits. A feature whose values are all equal gets exactly that value as mean and std 0,
    /// so it standardises to exactly 0; sklearn's test (Chan, Golub & LeVeque's bound on
    /// the two-pass variance's rounding) also calls nearly constant features constant.
    private static func moments(_ column: StrideColumn, rowCount n: Int) -> (Double, Double) {
        var lowest = Double.infinity
        var highest = -Double.infinity
        for index in 0..<n {
            lowest = min(lowest, column[index])
            highest = max(highest, column[index])
        }
        if lowest == highest { return (lowest, 0) }
        let largest = max(abs(lowest), abs(highest))
        let scale = Double(sign: .plus, exponent: largest.exponent, significand: 1)
        var sum = CompensatedSum()
        for index in 0..<n { sum.add(column[index] / scale) }
        let mean = sum.value / Double(n)
        var squares = CompensatedSum()
        for index in 0..<n {
            let deviation = column[index] / scale - mean
            squares.add(deviation * deviation)
        }
        let variance = squares.value / Double(n)
        let bound = Double(n) * .ulpOfOne * variance
        let meanError = Double(n) * mean * .ulpOfOne
        if variance <= bound + meanError * meanError { return (mean * scale, 0) }
        return (mean * scale, variance.squareRoot() * scale)
    }

    /// Plain k-means++: the first center a uniformly drawn row; each next one row i with
    /// probability D(i)² / ΣD², D the distance to the nearest center so far (the first i whose
    /// running sum of D² exceeds u·ΣD², u uniform in [0, 1)). One draw per step, whatever the
    /// branch, so the sequence of draws depends on the seed alone. When ΣD² is 0 (every row on
    /// a center) or overflows, the next center is again a uniformly drawn row.
    fileprivate static func seedCenters(
        _ data: Points, k: Int, random: inout SplitMix64
    ) -> [Double] {
        let n = data.count
        let d = data.featureCount
        var centers = [Double](repeating: 0, count: k * d)
        var nearest = [Double](repeating: .infinity, count: n)
        nearest.withUnsafeMutableBufferPointer { nearest in
            centers.withUnsafeMutableBufferPointer { centers in
                var pick = uniformIndex(random.nextUnit(), count: n)
                for center in 0..<k {
                    if center > 0 { pick = weightedIndex(nearest, random.nextUnit()) }
                    let picked = data.row(pick)
                    for feature in 0..<d { centers[center * d + feature] = picked[feature] }
                    guard center < k - 1 else { break }
                    let chosen = UnsafePointer(centers.baseAddress.unsafelyUnwrapped + center * d)
                    for index in 0..<n {
                        let distance = squaredDistance(data.row(index), chosen, featureCount: d)
                        nearest[index] = min(nearest[index], distance)
                    }
                }
            }
        }
        return centers
    }

    /// ⌊u·count⌋, clamped below count (u·count can round up to count).
    private static func uniformIndex(_ unit: Double, count: Int) -> Int {
        min(Int(unit * Double(count)), count - 1)
    }

    private static func weightedIndex(
        _ weights: UnsafeMutableBufferPointer<Double>, _ unit: Double
    ) -> Int {
        var total = 0.0
        for weight in weights { total += weight }
        guard total > 0, total.isFinite else { return uniformIndex(unit, count: weights.count) }
        let target = unit * total
        var running = 0.0
        var lastPositive = 0
        for (index, weight) in weights.enumerated() where weight > 0 {
            running += weight
            lastPositive = index
            if running > target { return index }
        }
        return lastPositive  // u·ΣD² rounded up to ΣD²: the last row that could be drawn
    }

    /// Lloyd passes: assign every row to its nearest center (ties: lower index), then move each
    /// center to the mean of its rows; an empty cluster keeps its center. Stops after the pass
    /// that changed no assignment (counted, as sklearn counts it) or after `maxIterations`.
    fileprivate static func lloyd(
        _ data: Points, k: Int, centers: inout [Double], maxIterations: Int
    ) -> Int {
        var labels = [Int32](repeating: -1, count: data.count)
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: k * data.featureCount)
        var counts = [Int](repeating: 0, count: k)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            let changed = labels.withUnsafeMutableBufferPointer { labels in
                centers.withUnsafeBufferPointer { assign(data, centers: $0, labels: labels) }
            }
            if changed == 0 { break }
            labels.withUnsafeBufferPointer { labels in
                recenter(data, labels: labels, centers: &centers, sums: &sums, counts: &counts)
            }
        }
        return iterations
    }

    /// Assigns each row to its nearest center and returns how many assignments changed.
    private static func assign(
        _ data: Points, centers: UnsafeBufferPointer<Double>,
        labels: UnsafeMutableBufferPointer<Int32>
    ) -> Int {
        var changed = 0
        for index in 0..<data.count {
            let label = Int32(truncatingIfNeeded: nearest(data, index, centers: centers).index)
            if labels[index] != label {
                labels[index] = label
                changed += 1
            }
        }
        return changed
    }

    private static func recenter(
        _ data: Points, labels: UnsafeBufferPointer<Int32>, centers: inout [Double],
        sums: inout [CompensatedSum], counts: inout [Int]
    ) {
        let d = data.featureCount
        for index in sums.indices { sums[index] = CompensatedSum() }
        for index in counts.indices { counts[index] = 0 }
        sums.withUnsafeMutableBufferPointer { sums in
            counts.withUnsafeMutableBufferPointer { counts in
                for index in 0..<data.count {
                    let cluster = Int(labels[index])
                    counts[cluster] += 1
                    let row = data.row(index)
                    for feature in 0..<d { sums[cluster * d + feature].add(row[feature]) }
                }
            }
        }
        for cluster in counts.indices where counts[cluster] > 0 {
            for feature in 0..<d {
                centers[cluster * d + feature] =
                    sums[cluster * d + feature].value / Double(counts[cluster])
            }
        }
    }

    /// Ascending by coordinates, first to last; equal centers keep their pick order.
    fileprivate static func sortedCenters(_ centers: [[Double]]) -> [[Double]] {
        let order = centers.indices.sorted { a, b in
            if centers[a] == centers[b] { return a < b }
            return centers[a].lexicographicallyPrecedes(centers[b])
        }
        return order.map { centers[$0] }
    }

    /// Rows per center and inertia, with the ordered centers and `label`'s tie rule.
    fileprivate static func summarise(_ data: Points, centers: [Double]) -> ([Int], Double) {
        var sizes = [Int](repeating: 0, count: centers.count / data.featureCount)
        var inertia = CompensatedSum()
        centers.withUnsafeBufferPointer { centers in
            sizes.withUnsafeMutableBufferPointer { sizes in
                for index in 0..<data.count {
                    let (cluster, distance) = nearest(data, index, centers: centers)
                    sizes[cluster] += 1
                    inertia.add(distance)
                }
            }
        }
        return (sizes, inertia.value)
    }

    /// The nearest of the flat centers (ties: lower index) and its squared distance. Mirrors
    /// `KMeansModel.label`, which must choose the same center for the same row.
    @inline(__always)
    private static func nearest(
        _ data: Points, _ index: Int, centers: UnsafeBufferPointer<Double>
    ) -> (index: Int, distance: Double) {
        let d = data.featureCount
        let row = data.row(index)
        // Non-empty: k ≥ 1 centers of d values.
        let first = centers.baseAddress.unsafelyUnwrapped
        var best = 0
        var bestDistance = Double.infinity
        for center in 0..<centers.count / d {
            let distance = squaredDistance(row, first + center * d, featureCount: d)
            if distance < bestDistance {
                best = center
                bestDistance = distance
            }
        }
        return (best, bestDistance)
    }

    /// Summed in feature order, as `label` sums.
    @inline(__always)
    private static func squaredDistance(
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, featureCount d: Int
    ) -> Double {
        var distance = 0.0
        for feature in 0..<d {
            let delta = a[feature] - b[feature]
            distance += delta * delta
        }
        return distance
    }

    fileprivate static func split(_ flat: [Double], featureCount d: Int) -> [[Double]] {
        stride(from: 0, to: flat.count, by: d).map { Array(flat[$0..<$0 + d]) }
    }
}

/// One feature of flat row-major values, indexed by row.
private struct StrideColumn {
    let values: UnsafeMutableBufferPointer<Double>
    let feature: Int
    let featureCount: Int

    subscript(row: Int) -> Double {
        get { values[row * featureCount + feature] }
        nonmutating set { values[row * featureCount + feature] = newValue }
    }
}
