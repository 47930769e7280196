import Foundation
import Testing

@testable import Lake

/// The k-means core on hand-made inputs whose answer is known, its edge cases, and a generated
/// bimodal sample that can be dumped for the sklearn cross-check:
/// `KMEANS_DUMP=/tmp/kmeans.json swift test --filter KMeans` (or `KMEANS_DUMP=1` for a file in
/// the temporary folder), then `python3 Tests/e2e/kmeans_sklearn_check.py /tmp/kmeans.json`.
@Suite("Gold: k-means")
struct KMeansTests {
    /// A center back in the feature's own units.
    private func raw(_ model: KMeansModel, _ center: Int, feature: Int = 0) -> Double {
        let std = model.stds[feature] == 0 ? 1 : model.stds[feature]
        return model.centers[center][feature] * std + model.means[feature]
    }

    private func close(_ a: Double, _ b: Double, tolerance: Double = 1e-12) -> Bool {
        abs(a - b) <= tolerance * max(1, abs(b))
    }

    @Test func splitMix64MatchesTheReferenceSequence() {
        // Vigna's splitmix64.c, seed 1234567: a model must replay on any machine and version.
        var random = KMeans.SplitMix64(seed: 1_234_567)
        let expected: [UInt64] = [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ]
        #expect((0..<5).map { _ in random.next() } == expected)
        var units = KMeans.SplitMix64(seed: 42)
        for _ in 0..<1000 {
            let unit = units.nextUnit()
            #expect(unit >= 0 && unit < 1)
        }
    }

    @Test(arguments: [0, 1, 42, 7_777] as [UInt64])
    func twoSeparatedGroupsGiveTheirMeans(seed: UInt64) throws {
        let rows: [Double] = [101, 1, 102, 2, 103, 3]
        let model = KMeans.fit(rows, featureCount: 1, k: 2, seed: seed)
        #expect(model.rowCount == 6)
        #expect(model.means == [52])  // exact: the sum is taken in scaled, exact units
        let std = (7502.0 / 3).squareRoot()  // population: (51² + 50² + 49²) · 2 / 6
        #expect(close(model.stds[0], std))
        #expect(close(model.centers[0][0], -50 / std))
        #expect(close(model.centers[1][0], 50 / std))
        #expect(close(raw(model, 0), 2) && close(raw(model, 1), 102))
        #expect(model.clusterSizes == [3, 3])
        #expect(close(model.inertia, 4 / (std * std)))
        #expect(model.initialCenters.count == 2)
        for value in [1.0, 2, 3, -1e9] { #expect(model.label([value]) == 0) }
        for value in [101.0, 102, 103, 1e9] { #expect(model.label([value]) == 1) }
        // The two centers are exact negations, so 52 is exactly halfway: the lower index wins.
        #expect(model.centers[0][0] == -model.centers[1][0])
        #expect(model.label([52]) == 0)
    }

    @Test func twoFeaturesStandardiseEachFeatureOnItsOwn() throws {
        // Feature 1 spans thousands, feature 0 units: standardising lets both count.
        let rows: [Double] = [
            1, 1000, 2, 1100, 3, 1200,
            10, 5000, 11, 5100, 12, 5200,
        ]
        let model = KMeans.fit(rows, featureCount: 2, k: 2, seed: 42)
        #expect(model.clusterSizes == [3, 3])
        #expect(close(raw(model, 0, feature: 0), 2) && close(raw(model, 0, feature: 1), 1100))
        #expect(close(raw(model, 1, feature: 0), 11) && close(raw(model, 1, feature: 1), 5100))
        #expect(model.label([2, 1100]) == 0 && model.label([11, 5100]) == 1)
        #expect(model.label([1, .nan]) == nil)
    }

    @Test func allValuesEqual() {
        let model = KMeans.fit([5, 5, 5, 5], featureCount: 1, k: 2, seed: 42)
        #expect(model.means == [5] && model.stds == [0])
        #expect(model.centers == [[0], [0]])  // both picks land on the only value
        #expect(model.initialCenters == [[0], [0]])
        #expect(model.clusterSizes == [4, 0])  // equal centers: every row to the lower index
        #expect(model.inertia == 0)
        #expect(model.iterations == 2)  // one pass assigns, the next changes nothing
        #expect(model.label([5]) == 0 && model.label([7]) == 0)
    }

    @Test(arguments: [0, 1, 2, 3, 42] as [UInt64])
    func moreClustersThanDistinctRows(seed: UInt64) throws {
        let model = KMeans.fit([1, 1, 1, 3, 3, 3], featureCount: 1, k: 4, seed: seed)
        #expect(model.means == [2] && model.stds == [1])
        #expect(model.centers.count == 4)
        // Both values are picked (D² > 0 only on the other one), then uniform duplicates.
        #expect(Set(model.centers.map { $0[0] }) == [-1, 1])
        #expect(model.centers.map { $0[0] } == model.centers.map { $0[0] }.sorted())
        // The first of equal centers takes the rows; the duplicates stay empty.
        let low = try #require(model.centers.firstIndex(of: [-1]))
        let high = try #require(model.centers.firstIndex(of: [1]))
        var expectedSizes = [0, 0, 0, 0]
        expectedSizes[low] = 3
        expectedSizes[high] = 3
        #expect(model.clusterSizes == expectedSizes)
        #expect(model.label([1]) == low && model.label([3]) == high)
        #expect(model.inertia == 0)
    }

    @Test(arguments: [1e6, 1e300])
    func oneHugeOutlierGetsItsOwnCenter(outlier: Double) throws {
        var rows = (0..<99).map { Double(10 + $0 % 7) }
        rows.insert(outlier, at: 50)
        let model = KMeans.fit(rows, featureCount: 1, k: 2, seed: 42)
        #expect(model.means[0].isFinite && model.stds[0].isFinite && model.stds[0] > 0)
        #expect(model.clusterSizes == [99, 1])
        #expect(close(raw(model, 1), outlier, tolerance: 1e-9))
        #expect(model.label([outlier]) == 1 && model.label([12]) == 0)
        if outlier == 1e6 {
            let mean = rows.filter { $0 != outlier }.reduce(0, +) / 99
            #expect(close(raw(model, 0), mean, tolerance: 1e-9))
        }
    }

    @Test func nonFiniteRowsAreSkipped() {
        let dirty: [Double] = [1, .nan, 2, 3, .infinity, 101, 102, 103, -.infinity]
        let clean: [Double] = [1, 2, 3, 101, 102, 103]
        let model = KMeans.fit(dirty, featureCount: 1, k: 2, seed: 42)
        #expect(model.rowCount == 6)
        #expect(model == KMeans.fit(clean, featureCount: 1, k: 2, seed: 42))
        #expect(model.label([.nan]) == nil && model.label([.infinity]) == nil)
        #expect(model.label([-.infinity]) == nil)
        // Two features: one bad value skips the whole row.
        let pairs: [Double] = [1, 1, 2, .nan, 1, 2, 9, 9, .infinity, 0, 10, 9]
        let pairModel = KMeans.fit(pairs, featureCount: 2, k: 2, seed: 42)
        #expect(pairModel.rowCount == 4)
        #expect(pairModel.clusterSizes == [2, 2])
    }

    @Test func noRowsGiveAModelWithoutCenters() {
        for rows in [[], [Double.nan, .nan]] as [[Double]] {
            let model = KMeans.fit(rows, featureCount: 1, k: 2, seed: 42)
            #expect(model.rowCount == 0 && model.centers.isEmpty && model.clusterSizes.isEmpty)
            #expect(model.label([1]) == nil)
        }
    }

    @Test func aFixedSeedGivesTheSameModel() {
        let rows = Self.sample(count: 2000, featureCount: 3, seed: 11)
        let first = KMeans.fit(rows, featureCount: 3, k: 4, seed: 42)
        let second = KMeans.fit(rows, featureCount: 3, k: 4, seed: 42)
        #expect(first == second)
        // Another seed may pick other rows: the picks are the seed's, not the data's.
        let others = (0..<8 as Range<UInt64>).map {
            KMeans.fit(rows, featureCount: 3, k: 4, seed: $0).initialCenters
        }
        #expect(Set(others).count > 1)
    }

    @Test(arguments: [0, 5, 42] as [UInt64])
    func labelsFollowAscendingCenters(seed: UInt64) {
        let rows: [Double] = [100, 0, 50, 101, 1, 51, 99, -1, 49]
        let model = KMeans.fit(rows, featureCount: 1, k: 3, seed: seed)
        #expect(model.centers.map { $0[0] } == model.centers.map { $0[0] }.sorted())
        #expect(model.label([0]) == 0 && model.label([50]) == 1 && model.label([100]) == 2)
        #expect(model.clusterSizes == [3, 3, 3])
        // Equal first coordinates: the second decides.
        let pairs: [Double] = [0, 10, 5, 5, 0, 0, 0, 11, 5, 6, 0, 1, 0, 9, 5, 4, 0, -1]
        let pairModel = KMeans.fit(pairs, featureCount: 2, k: 3, seed: seed)
        #expect(pairModel.label([0, 0]) == 0 && pairModel.label([0, 10]) == 1)
        #expect(pairModel.label([5, 5]) == 2)
        #expect(pairModel.clusterSizes == [3, 3, 3])
    }

    @Test func noIterationsKeepsThePicks() {
        let rows: [Double] = [101, 1, 102, 2, 103, 3]
        let model = KMeans.fit(rows, featureCount: 1, k: 2, seed: 42, maxIterations: 0)
        #expect(model.iterations == 0)
        #expect(Set(model.centers) == Set(model.initialCenters))
    }

    /// Sizes and inertia agree with `label` row by row, and the allocation-free entry point
    /// with the array one, on random data with ties made likely by rounding.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func sizesAndInertiaAgreeWithLabel(seed: UInt64) throws {
        let d = 2
        let rows = Self.sample(count: 3000, featureCount: d, seed: seed).map { $0.rounded() }
        let model = KMeans.fit(rows, featureCount: d, k: 5, seed: seed)
        var sizes = [Int](repeating: 0, count: 5)
        var inertia = 0.0
        for start in stride(from: 0, to: rows.count, by: d) {
            let features = Array(rows[start..<start + d])
            let label = try #require(model.label(features))
            #expect(features.withUnsafeBufferPointer { model.label($0) } == label)
            sizes[label] += 1
            for feature in 0..<d {
                let std = model.stds[feature] == 0 ? 1 : model.stds[feature]
                let z = (features[feature] - model.means[feature]) / std
                inertia += (z - model.centers[label][feature]) * (z - model.centers[label][feature])
            }
        }
        #expect(sizes == model.clusterSizes)
        #expect(close(inertia, model.inertia, tolerance: 1e-9))
    }

    /// A session-duration-like sample, ~60% around 60 s and ~40% around 900 s. The fit is
    /// checked here; with KMEANS_DUMP set, rows and model also go to JSON for sklearn.
    @Test func bimodalSampleForTheSklearnCrossCheck() throws {
        let rows = Self.bimodal(count: 5000, seed: 2026)
        let model = KMeans.fit(rows, featureCount: 1, k: 2, seed: 42)
        #expect(model.rowCount == 5000)
        #expect((2800...3200).contains(model.clusterSizes[0]))
        #expect(model.clusterSizes.reduce(0, +) == 5000)
        #expect(abs(raw(model, 0) - 60) < 5 && abs(raw(model, 1) - 900) < 20)
        let labels = try rows.map { try #require(model.label([$0])) }
        guard let target = ProcessInfo.processInfo.environment["KMEANS_DUMP"], !target.isEmpty
        else { return }
        let path =
            target == "1"
            ? FileManager.default.temporaryDirectory.appendingPathComponent("kmeans_dump.json").path
            : target
        let dump = Dump(
            rows: rows.map { [$0] }, k: 2, seed: 42, means: model.means, stds: model.stds,
            centers: model.centers, initialCenters: model.initialCenters,
            iterations: model.iterations, inertia: model.inertia,
            clusterSizes: model.clusterSizes, labels: labels)
        try JSONEncoder().encode(dump).write(to: URL(fileURLWithPath: path))
        print("k-means dump: \(path)")
    }

    /// The JSON read by Tests/e2e/kmeans_sklearn_check.py.
    private struct Dump: Encodable {
        var rows: [[Double]]
        var k: Int
        var seed: UInt64
        var means, stds: [Double]
        var centers, initialCenters: [[Double]]
        var iterations: Int
        var inertia: Double
        var clusterSizes, labels: [Int]

        enum CodingKeys: String, CodingKey {
            case rows, k, seed, means, stds, centers, iterations, inertia, labels
            case initialCenters = "initial_centers"
            case clusterSizes = "cluster_sizes"
        }
    }

    private static func sample(count: Int, featureCount: Int, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        return (0..<count * featureCount).map { _ in Double(random.next() >> 11) * 0x1.0p-53 * 100 }
    }

    private static func bimodal(count: Int, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        func unit() -> Double { Double(random.next() >> 11) * 0x1.0p-53 }
        return (0..<count).map { _ in
            let impulsive = unit() < 0.6
            // Box–Muller: 1 - u keeps the logarithm finite.
            let normal = (-2 * log(1 - unit())).squareRoot() * cos(2 * .pi * unit())
            let value = impulsive ? 60 + 15 * normal : 900 + 120 * normal
            return max(1, value.rounded())
        }
    }
}
