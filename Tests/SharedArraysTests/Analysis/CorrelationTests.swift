import SharedArrays
import XCTest

final class CorrelationTests: XCTestCase {
    /// A table whose columns are correlated (column j mixes column 0 in), with hostile values sprinkled in
    /// the columns listed in `hostileColumns`.
    private func table(rows: Int, columns: Int, dtype: DType, hostileColumns: Set<Int>, seed: UInt64) -> [Double] {
        let base = hostileValues(rows * columns, dtype: dtype == .int64 ? .int32 : dtype, seed: seed, specials: false)
        let specials = hostileValues(rows * columns, dtype: dtype, seed: seed + 1)
        var values = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                var v = base[r * columns + c]
                if c > 0 { v = dtype.isFloatingPoint ? v + base[r * columns] * Double(c) / 3 : v + base[r * columns] * Double(c) }
                if hostileColumns.contains(c), !specials[r * columns + c].isFinite { v = specials[r * columns + c] }
                values[r * columns + c] = v
            }
        }
        if columns > 2 {
            for r in 0..<rows { values[r * columns + 2] = dtype.isFloatingPoint ? 7.25 : 7 }  // a constant column
        }
        return values
    }

    func testCovAndCorrcoefMatchNumpyOnHostileTables() throws {
        let check = try NumpyCheck()
        defer { check.cleanUp() }
        let pool = try TestPools.pool(2)
        for dtype in [DType.float64, .float32, .int64, .int32] {
            for (rows, columns) in [(1, 3), (2, 1), (7, 4), (1_001, 5), (40_003, 16), (9_000, 33)] {
                let hostile: Set<Int> = dtype.isFloatingPoint && columns > 3 ? [3] : []
                let values = table(rows: rows, columns: columns, dtype: dtype, hostileColumns: hostile, seed: UInt64(rows))
                try check.write("x", values, dtype: dtype)
                try check.run("""
                    x = inp('x', '\(NumpyCheck.code(dtype))').astype('f8').reshape(\(rows), \(columns))
                    out('cov', np.cov(x, rowvar=False, ddof=1).reshape(-1)); out('cov0', np.cov(x, rowvar=False, ddof=0).reshape(-1))
                    out('corr', np.corrcoef(x, rowvar=False).reshape(-1))
                    f = np.where(np.isfinite(x), x, 0); s = np.sqrt((f * f).mean(axis=0))
                    out('scale', np.outer(s, s).reshape(-1))
                    out('pair', [np.corrcoef(x[:, 0], x[:, -1])[0, 1]])
                    """)
                let scale = try check.result("scale")
                let shape = [rows, columns]
                let what = "\(rows) x \(columns) \(dtype)"
                func matrices<E: SharedElement>(_ x: SharedArray<E>) throws -> (cov: [Double], cov0: [Double], corr: [Double], pair: Double) {
                    let last = try SharedArray<E>((0..<rows).map { x[$0, columns - 1] }, on: pool)
                    let first = try SharedArray<E>((0..<rows).map { x[$0, 0] }, on: pool)
                    return (try x.cov().flatMap { $0 }, try x.cov(ddof: 0).flatMap { $0 }, try x.corrcoef().flatMap { $0 },
                            try first.corrcoef(last))
                }
                let ours: (cov: [Double], cov0: [Double], corr: [Double], pair: Double) =
                    switch dtype {
                    case .float64: try matrices(try SharedArray(values, shape: shape, on: pool))
                    case .float32: try matrices(try SharedArray(values.map { Float($0) }, shape: shape, on: pool))
                    case .int64: try matrices(try SharedArray(values.map { Int64($0) }, shape: shape, on: pool))
                    default: try matrices(try SharedArray(values.map { Int32($0) }, shape: shape, on: pool))
                    }
                assertClose(ours.cov, try check.result("cov"), relative: 1e-11, scale: scale.map { $0 * 2 }, "cov " + what)
                assertClose(ours.cov0, try check.result("cov0"), relative: 1e-11, scale: scale, "cov ddof 0 " + what)
                assertClose(ours.corr, try check.result("corr"), relative: 1e-9, scale: ours.corr.map { _ in 1 }, "corrcoef " + what)
                assertClose([ours.pair], try check.result("pair"), relative: 1e-9, scale: [1], "pair " + what)
            }
        }
    }

    func testResultsAreBitIdenticalForOneTwoAndThreeWorkers() throws {
        let rows = 100_003
        let values = table(rows: rows, columns: 16, dtype: .float64, hostileColumns: [], seed: 5)
        var runs: [[Double]] = []
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            let x = try SharedArray(values, shape: [rows, 16], on: pool)
            let a = try SharedArray(Array(values.prefix(rows)), on: pool)
            let b = try SharedArray(Array(values.suffix(rows)), on: pool)
            runs.append(try x.cov().flatMap { $0 } + x.corrcoef().flatMap { $0 } + [try a.corrcoef(b)])
        }
        assertBitIdentical(runs, "cov and corrcoef")
    }

    func testCovarianceIsExactlySymmetricAndDiagonalIsOne() throws {
        let rows = 50_000
        let x = try SharedArray(table(rows: rows, columns: 6, dtype: .float64, hostileColumns: [], seed: 8), shape: [rows, 6],
                                on: try TestPools.pool(2))
        let c = try x.cov()
        let r = try x.corrcoef()
        for i in 0..<6 {
            for j in 0..<6 {
                XCTAssertEqual(c[i][j].bitPattern, c[j][i].bitPattern)
                // numpy's two divisions round (i, j) and (j, i) apart; the constant column 2 is NaN throughout.
                if i == 2 || j == 2 { XCTAssertTrue(r[i][j].isNaN) } else { XCTAssertEqual(r[i][j], r[j][i], accuracy: 1e-15) }
            }
            if i != 2 { XCTAssertEqual(r[i][i], 1, accuracy: 1e-15) }
        }
        XCTAssertTrue(r[2][2].isNaN)  // the constant column
    }

    func testErrors() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertThrowsError(try x.corrcoef(try SharedArray<Double>([1, 2], on: pool))) {
            XCTAssertTrue("\($0)".contains("3 and 2 elements"), "\($0)")
        }
        XCTAssertThrowsError(try x.cov(ddof: -1))
        XCTAssertEqual(try x.cov()[0][0], 1)  // a 1-D array is one column: its variance
        XCTAssertTrue(try SharedArray<Double>([], on: pool).cov()[0][0].isNaN)
    }
}
