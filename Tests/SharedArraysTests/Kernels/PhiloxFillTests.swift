import XCTest
@testable import SharedArrays

#if canImport(Glibc)
import Glibc
#endif

/// The Philox4x32-10 generator: Random123's known-answer vectors, the documented element mapping, the same
/// bits on every SIMD path, chunking and worker count, and the distributions (moments and a
/// Kolmogorov–Smirnov test on 10^6 draws; fixed seeds, so the statistics are fixed numbers, not flaky).
final class PhiloxFillTests: XCTestCase {
    /// Random123's kat_vectors, philox4x32 10: counter, key, expected output.
    func testBlockMatchesRandom123KnownAnswers() {
        let vectors: [([UInt32], [UInt32], [UInt32])] = [
            ([0, 0, 0, 0], [0, 0], [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8]),
            ([.max, .max, .max, .max], [.max, .max], [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD]),
            ([0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344], [0xA409_3822, 0x299F_31D0],
             [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1]),
        ]
        for (counter, key, expected) in vectors {
            XCTAssertEqual(Philox.block(counter: counter, key: key), expected)
        }
    }

    /// Element 2p takes the top 53 bits of w0 | w1 << 32 of counter {lo32(p), hi32(p), 0, 0} under key
    /// {lo32(seed), hi32(seed)}, element 2p+1 those of w2 | w3 << 32: checked from the block function alone,
    /// across the 2^32 counter boundary and from an odd first element.
    func testUniformFollowsTheDocumentedMapping() {
        let seed: UInt64 = 0x0123_4567_89AB_CDEF
        let first: UInt64 = (1 << 33) - 9  // counters 2^32 - 5 ... 2^32 + 4
        let values = Philox.fill(.uniform(lower: -2, upper: 3), level: 2, seed: seed, first: first, count: 19)
        for (j, value) in values.enumerated() {
            let i = first + UInt64(j), p = i / 2
            let w = Philox.block(counter: [UInt32(truncatingIfNeeded: p), UInt32(p >> 32), 0, 0],
                                 key: [UInt32(truncatingIfNeeded: seed), UInt32(seed >> 32)])
            let bits = i % 2 == 0 ? UInt64(w[0]) | UInt64(w[1]) << 32 : UInt64(w[2]) | UInt64(w[3]) << 32
            let expected = Double(bits >> 11) * 0x1p-53 * 5 + -2
            XCTAssertEqual(value.bitPattern, expected.bitPattern, "element \(i)")
        }
    }

    /// The AVX-512, AVX2 and scalar paths give the same words (exact integers) and the same values (the same
    /// IEEE operations and SLEEF's deterministic functions).
    func testEverySIMDPathGivesTheSameBits() throws {
        let first: UInt64 = (1 << 32) - 1000
        let words = (0...2).map { Philox.words(level: Int32($0), seed: 99, first: first, count: 4099) }
        XCTAssertEqual(words[0].lo, words[2].lo)
        XCTAssertEqual(words[0].hi, words[2].hi)
        XCTAssertEqual(words[1].lo, words[2].lo)
        XCTAssertEqual(words[1].hi, words[2].hi)
        try XCTSkipUnless(VectorMath.cpuLevel >= 2, "the AVX2-vs-AVX-512 comparison of the normal needs an AVX-512 CPU")
        for distribution: RandomDistribution in [.uniform(lower: -1, upper: 1), .normal(mean: 3, std: 2)] {
            let wide = Philox.fill(distribution, level: 2, seed: 5, first: 7, count: 100_003)
            let narrow = Philox.fill(distribution, level: 1, seed: 5, first: 7, count: 100_003)
            XCTAssertEqual(wide.map(\.bitPattern), narrow.map(\.bitPattern), "\(distribution)")
        }
    }

    /// Any chunking (odd starts, one-element pieces, pieces across SLEEF's padded tail) gives the same array,
    /// for every element type.
    func testValuesDoNotDependOnChunking() {
        let pieces = [0..<1, 1..<4, 4..<5, 5..<300, 300..<301, 301..<1777, 1777..<1778, 1778..<3000]
        func filled<E: SharedElement>(_: E.Type, _ d: RandomDistribution, _ ranges: [Range<Int>]) -> [E] {
            var out = [E](repeating: E(fromDouble: 0), count: 3000)
            out.withUnsafeMutableBufferPointer { all in
                for r in ranges { philoxFill(d, seed: 11, firstIndex: r.lowerBound, UnsafeMutableBufferPointer(rebasing: all[r])) }
            }
            return out
        }
        for d: RandomDistribution in [.uniform(lower: -2, upper: 3), .normal(mean: 1, std: 2)] {
            XCTAssertEqual(filled(Double.self, d, [0..<3000]).map(\.bitPattern), filled(Double.self, d, pieces).map(\.bitPattern), "\(d)")
            XCTAssertEqual(filled(Float.self, d, [0..<3000]).map(\.bitPattern), filled(Float.self, d, pieces).map(\.bitPattern), "\(d)")
            XCTAssertEqual(filled(Int32.self, d, [0..<3000]), filled(Int32.self, d, pieces), "\(d)")
            XCTAssertEqual(filled(Int64.self, d, [0..<3000]), filled(Int64.self, d, pieces), "\(d)")
        }
        let floats = filled(Float.self, .uniform(lower: 0, upper: 1), [0..<3000])
        XCTAssertTrue(floats.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Set(filled(Int64.self, .uniform(lower: 0, upper: 10), [0..<3000])), Set(0..<10))
    }

    /// `SharedArray.normal` and `random(uniform:)` give the same bits for 1, 2 and 3 workers (several chunks).
    func testArraysAreBitIdenticalForOneTwoAndThreeWorkers() throws {
        let n = 300_007
        var normals: [[UInt64]] = [], uniforms: [[UInt32]] = []
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            normals.append(try SharedArray<Double>.normal(mean: 1, std: 3, shape: [n], seed: 42, on: pool).toArray().map(\.bitPattern))
            uniforms.append(try SharedArray<Float>.random(uniform: -1..<1, shape: [n], seed: 42, on: pool).toArray().map(\.bitPattern))
        }
        XCTAssertEqual(normals[0], normals[1])
        XCTAssertEqual(normals[0], normals[2])
        XCTAssertEqual(uniforms[0], uniforms[1])
        XCTAssertEqual(uniforms[0], uniforms[2])
        let pool = try TestPools.pool(2)
        XCTAssertThrowsError(try SharedArray<Double>.normal(mean: 0, std: -1, shape: [4], seed: 1, on: pool))
        XCTAssertThrowsError(try SharedArray<Double>.normal(mean: .nan, std: 1, shape: [4], seed: 1, on: pool))
        XCTAssertThrowsError(try SharedArray<Double>.random(uniform: 0..<Double.infinity, shape: [4], seed: 1, on: pool))
    }

    func testNormalMomentsAndKolmogorovSmirnov() {
        let n = 1_000_000
        let z = Philox.fill(.normal(mean: 0, std: 1), level: 2, seed: 2024, first: 0, count: n)
        XCTAssertTrue(z.allSatisfy(\.isFinite))
        let m = Self.moments(z)
        // Bounds at 5 standard errors of each statistic for n = 10^6.
        XCTAssertEqual(m.mean, 0, accuracy: 5 * (1 / Double(n)).squareRoot(), "mean")
        XCTAssertEqual(m.variance, 1, accuracy: 5 * (2 / Double(n)).squareRoot(), "variance")
        XCTAssertEqual(m.skewness, 0, accuracy: 5 * (6 / Double(n)).squareRoot(), "skewness")
        XCTAssertEqual(m.excessKurtosis, 0, accuracy: 5 * (24 / Double(n)).squareRoot(), "excess kurtosis")
        let d = Self.kolmogorovSmirnov(z) { 0.5 * erfc(-$0 / 2.0.squareRoot()) }
        print("normal: mean \(m.mean) variance \(m.variance) skewness \(m.skewness) kurtosis \(m.excessKurtosis) KS D \(d)")
        // The 1% critical value of D is 1.628 / sqrt(n).
        XCTAssertLessThan(d, 1.628 / Double(n).squareRoot(), "Kolmogorov-Smirnov D against N(0, 1)")
    }

    func testUniformMomentsAndKolmogorovSmirnov() {
        let n = 1_000_000
        let u = Philox.fill(.uniform(lower: 0, upper: 1), level: 2, seed: 2024, first: 0, count: n)
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let m = Self.moments(u)
        XCTAssertEqual(m.mean, 0.5, accuracy: 5 * (1 / 12 / Double(n)).squareRoot(), "mean")
        XCTAssertEqual(m.variance, 1.0 / 12, accuracy: 5 * (1 / 180 / Double(n)).squareRoot(), "variance")
        XCTAssertEqual(m.skewness, 0, accuracy: 0.01, "skewness")
        let d = Self.kolmogorovSmirnov(u) { $0 }
        print("uniform: mean \(m.mean) variance \(m.variance) KS D \(d)")
        XCTAssertLessThan(d, 1.628 / Double(n).squareRoot(), "Kolmogorov-Smirnov D against U(0, 1)")
        // A different seed is a different stream.
        XCTAssertNotEqual(Array(u.prefix(100)), Philox.fill(.uniform(lower: 0, upper: 1), level: 2, seed: 2025, first: 0, count: 100))
    }

    // MARK: - Statistics

    static func moments(_ x: [Double]) -> (mean: Double, variance: Double, skewness: Double, excessKurtosis: Double) {
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for v in x {
            let d = v - mean, d2 = d * d
            m2 += d2
            m3 += d2 * d
            m4 += d2 * d2
        }
        m2 /= n
        m3 /= n
        m4 /= n
        return (mean, m2, m3 / (m2 * m2.squareRoot()), m4 / (m2 * m2) - 3)
    }

    /// The largest distance between the empirical distribution function of `x` and `cdf`.
    static func kolmogorovSmirnov(_ x: [Double], cdf: (Double) -> Double) -> Double {
        let sorted = x.sorted(), n = Double(x.count)
        var d = 0.0
        for (i, v) in sorted.enumerated() {
            let f = cdf(v)
            d = max(d, Double(i + 1) / n - f, f - Double(i) / n)
        }
        return d
    }
}
