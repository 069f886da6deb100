import SharedArrays
import XCTest

final class RollingTests: XCTestCase {
    func testRollingMatchesNumpySlidingWindowsOnHostileData() throws {
        let check = try NumpyCheck()
        defer { check.cleanUp() }
        let pool = try TestPools.pool(2)
        let cases: [(n: Int, window: Int)] = [(1, 1), (7, 7), (7, 3), (1_001, 1), (70_001, 50), (70_001, 3_000), (70_000, 70_000)]
        for dtype in [DType.float64, .float32, .int64, .int32] {
            for (n, window) in cases {
                let values = hostileValues(n, dtype: dtype, seed: UInt64(n + window))
                try check.write("x", values, dtype: dtype)
                try check.run("""
                    x = inp('x', '\(NumpyCheck.code(dtype))').astype('f8')
                    w = np.lib.stride_tricks.sliding_window_view(x, \(window))
                    out('sum', w.sum(axis=1)); out('mean', w.mean(axis=1))
                    out('min', w.min(axis=1)); out('max', w.max(axis=1))
                    out('var0', w.var(axis=1)); out('std1', w.std(axis=1, ddof=1)); out('var1', w.var(axis=1, ddof=1))
                    f = np.lib.stride_tricks.sliding_window_view(np.where(np.isfinite(x), np.abs(x), 0), \(window))
                    out('abs', f.sum(axis=1)); out('square', (f * f).mean(axis=1))
                    """)
                let absSum = try check.result("abs")
                let meanSquare = try check.result("square")
                try withArray(values, dtype: dtype, pool: pool) { x in
                    let what = "n \(n) window \(window) \(dtype)"
                    assertClose(try x.rolling(window, .sum, 0), try check.result("sum"), relative: 1e-12, scale: absSum, "sum " + what)
                    assertClose(try x.rolling(window, .mean, 0), try check.result("mean"), relative: 1e-12,
                                scale: absSum.map { $0 / Double(window) }, "mean " + what)
                    assertClose(try x.rolling(window, .min, 0), try check.result("min"), relative: 0, "min " + what)
                    assertClose(try x.rolling(window, .max, 0), try check.result("max"), relative: 0, "max " + what)
                    assertClose(try x.rolling(window, .variance, 0), try check.result("var0"), relative: 1e-10, scale: meanSquare, "var " + what)
                    assertClose(try x.rolling(window, .variance, 1), try check.result("var1"), relative: 1e-10,
                                scale: meanSquare.map { $0 * Double(window) / Double(max(window - 1, 1)) }, "var ddof 1 " + what)
                    let std = try x.rolling(window, .std, 1)
                    let expected = try check.result("std1")
                    assertClose(std, expected, relative: 1e-6, scale: meanSquare.map { $0.squareRoot() }, "std " + what)
                }
            }
        }
    }

    func testAHugeValueLeavesNoTraceOnceItLeavesTheWindow() throws {
        var values = [Double](repeating: 1, count: 5_000)
        values[10] = 1e300
        let sums = try SharedArray(values, on: try TestPools.pool(2)).rolling(4).sum().toArray()
        XCTAssertEqual(sums[9], 1e300)
        XCTAssertEqual(sums[11], 4)  // nothing is subtracted: no trace of 1e300
        XCTAssertEqual(sums[4_000], 4)
        let variances = try SharedArray(values, on: try TestPools.pool(2)).rolling(4).variance().toArray()
        XCTAssertEqual(variances[11], 0)
    }

    func testWindowErrors() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertThrowsError(try x.rolling(0)) { XCTAssertTrue("\($0)".contains("at least 1"), "\($0)") }
        XCTAssertThrowsError(try x.rolling(4)) { XCTAssertTrue("\($0)".contains("longer than the array"), "\($0)") }
        XCTAssertThrowsError(try SharedArray<Double>([1, 2, 3, 4], shape: [2, 2], on: pool).rolling(1)) {
            XCTAssertTrue("\($0)".contains("1-D"), "\($0)")
        }
        XCTAssertThrowsError(try x.rolling(2).variance(ddof: -1))
        XCTAssertEqual(try x.rolling(3).variance(ddof: 3).toArray()[0], .infinity)  // numpy: 2 / 0
        XCTAssertEqual(try x.rolling(2).mean().toArray(), [1.5, 2.5])
    }
}
