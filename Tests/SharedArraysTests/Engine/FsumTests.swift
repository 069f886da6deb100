import Foundation
import SharedArrays
import TestSupport
import XCTest

/// `fsum` against Python: `math.fsum`, and where Python raises (an intermediate overflow) the exact sum in
/// rational arithmetic (`fractions.Fraction`), rounded once. Each case runs on 1, 2 and 3 workers.
final class FsumTests: XCTestCase {
    static let python = PythonReference(modules: ["numpy"], directoryPrefix: "fsum")

    /// Cases Python writes: name -> float64 values, and the correctly rounded sum of each.
    private func makeCases(_ directory: String) throws -> [String] {
        let names = ["cancelling", "subnormal", "ties", "huge", "overflowing-partials", "mixed-scales", "odd",
                     "empty", "zeros", "one", "float32", "tie-down", "tie-up", "tie-broken-far-below", "tie-big"]
        try Self.python.python(
            """
            import numpy as np, math
            from fractions import Fraction
            rng = np.random.default_rng(7)
            n = 1_000_003
            a = rng.normal(0, 1e10, n // 2)
            cases = {}
            cancelling = np.concatenate([a, -a, rng.normal(0, 1, n - 2 * (n // 2))]); rng.shuffle(cancelling)
            cases['cancelling'] = cancelling
            cases['subnormal'] = rng.integers(-2**52, 2**52, 70001).astype(np.float64) * 5e-324
            # Sums that land exactly half-way between two doubles, both ways to even.
            cases['ties'] = np.array([2.0**53, 1.0, 1.0, 2.0**53 + 2, 1.0, -2.0**-30] + [1e-300] * 5 + [3.0], dtype=np.float64)
            cases['huge'] = np.concatenate([np.full(1001, 1.7e308), np.full(1000, -1.7e308), rng.normal(0, 1, 999)])
            cases['overflowing-partials'] = np.array([1.7e308, 1.7e308, -1.7e308, 1e-300, 5e-324], dtype=np.float64)
            e = rng.integers(-1070, 1000, 200_001)
            cases['mixed-scales'] = rng.normal(0, 1, 200_001) * np.exp2(e.astype(np.float64))
            cases['odd'] = rng.normal(3, 100, 300_007)
            cases['empty'] = np.zeros(0)
            cases['zeros'] = np.array([-0.0] * 17)
            cases['one'] = np.array([-2.5e-310])
            cases['tie-down'] = np.array([2.0**53, 1.0])
            cases['tie-up'] = np.array([2.0**53, 3.0])
            cases['tie-broken-far-below'] = np.array([2.0**53, 1.0, 2.0**-1000])
            cases['tie-big'] = np.array([2.0**900, 2.0**848, -2.0**-1074, 2.0**-1074] * 3)
            cases['float32'] = rng.normal(0, 1e6, 100_003).astype(np.float32)
            for name, x in cases.items():
                np.save(name + '.npy', x)
                try:
                    s = math.fsum(x.astype(np.float64))
                except OverflowError:
                    s = float(sum((Fraction(float(v)) for v in x), Fraction(0)))
                np.array([s], dtype='<f8').tofile(name + '.sum')
            """, in: directory)
        return names
    }

    func testFsumEqualsPythonsMathFsumBitForBitOnHostileDataForOneTwoAndThreeWorkers() throws {
        let directory = try Self.python.makeDirectory()
        defer { Self.python.removeDirectory(directory) }
        for name in try makeCases(directory) {
            let expected = try Self.python.readFloat64("\(directory)/\(name).sum")[0]
            for workers in [1, 2, 3] {
                let pool = try TestPools.pool(workers)
                let got: Double
                if name == "float32" {
                    got = try SharedArray<Float>.load(npy: "\(directory)/\(name).npy", on: pool).fsum()
                } else {
                    got = try SharedArray<Double>.load(npy: "\(directory)/\(name).npy", on: pool).fsum()
                }
                XCTAssertEqual(got.bitPattern, expected.bitPattern, "\(name) on \(workers) workers: \(got) vs Python's \(expected)")
            }
        }
    }

    func testFsumOfSpecialValuesFollowsTheDocumentedRules() throws {
        let pool = try TestPools.pool(2)
        func fsum(_ v: [Double], skipNaN: Bool = false) throws -> Double { try SharedArray(v, on: pool).fsum(skipNaN: skipNaN) }
        XCTAssertTrue(try fsum([1, .nan, 2]).isNaN)
        XCTAssertEqual(try fsum([1, .nan, 2], skipNaN: true), 3)
        XCTAssertEqual(try fsum([1, .infinity, 2]), .infinity)
        XCTAssertEqual(try fsum([1, -.infinity]), -.infinity)
        XCTAssertTrue(try fsum([.infinity, -.infinity]).isNaN)
        // The exact sum beyond the largest double rounds to infinity (Python raises OverflowError).
        XCTAssertEqual(try fsum([.greatestFiniteMagnitude, .greatestFiniteMagnitude]), .infinity)
        XCTAssertEqual(try fsum([-.greatestFiniteMagnitude, -.greatestFiniteMagnitude]), -.infinity)
        // Just below the rounding edge of the largest double: still finite.
        XCTAssertEqual(try fsum([.greatestFiniteMagnitude, .greatestFiniteMagnitude.ulp / 4]), .greatestFiniteMagnitude)
        XCTAssertEqual(try fsum([]).bitPattern, (0.0).bitPattern)
    }

    func testIntegerFsumIsExactBeyondTwoToThe53() throws {
        let pool = try TestPools.pool(3)
        let values: [Int64] = [Int64.max, Int64.min, 1 << 53, 1, 1, -3, Int64.max]
        // Exact: max + min = -1; + 2^53 + 2 - 3 + max = 2^63 + 2^53 - 3 → rounds to 2^63 + 2^53.
        let got = try SharedArray(values, on: pool).fsum()
        XCTAssertEqual(got, 9_223_372_036_854_775_807.0 + 9_007_199_254_740_992.0)
        XCTAssertEqual(try SharedArray([Int32.max, Int32.min, 5], on: pool).fsum(), 4)
    }

    func testFsumOfStridedViewsColumnsAndRows() throws {
        let pool = try TestPools.pool(2)
        let values: [Double] = (0..<3_000).map { i in
            let magnitude: Double = i % 3 == 0 ? 1e16 : 1.0
            let sign: Double = i % 2 == 0 ? 1 : -1
            return magnitude * sign + Double(i) * 0.25
        }
        let table = try SharedArray(values, on: pool).reshaped([1000, 3])
        let columns = try table.fsum(axis: 0)
        for c in 0..<3 {
            let column = stride(from: c, to: values.count, by: 3).map { values[$0] }
            XCTAssertEqual(columns[c], exactSum(column), "column \(c)")
            XCTAssertEqual(try table.column(c).fsum(), exactSum(column), "column view \(c)")
        }
        let rows = try table.fsum(axis: 1)
        for r in [0, 1, 499, 999] { XCTAssertEqual(rows[r], exactSum(Array(values[3 * r..<3 * r + 3])), "row \(r)") }
    }

    /// The exact sum of values that are all multiples of 0.25 below 2^60: integer arithmetic in quarters (the
    /// test data's exact sums are small enough to be doubles exactly).
    private func exactSum(_ values: [Double]) -> Double {
        Double(values.reduce(Int64(0)) { $0 + Int64($1 * 4) }) / 4
    }
}
