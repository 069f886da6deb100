import SharedArrays
import XCTest

final class GroupByTests: XCTestCase {
    private func keys(_ n: Int, kind: String, seed: UInt64) -> [Double] {
        var state = seed
        return (0..<n).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let r = state >> 20
            switch kind {
            case "dense": return Double(Int64(r % 1000) - 300)
            case "sparse": return Double(Int64(r % 5000) * 400_009 - 1_000_000_000)  // range far above the length
            case "one": return 42
            default: return Double(n - i)  // every key distinct, descending
            }
        }
    }

    func testGroupByMatchesNumpyPerGroupOnHostileData() throws {
        let check = try NumpyCheck()
        defer { check.cleanUp() }
        let pool = try TestPools.pool(2)
        for valueType in [DType.float64, .float32, .int64, .int32] {
            for (n, kind) in [(1, "dense"), (7, "one"), (1_001, "distinct"), (70_001, "dense"), (70_001, "sparse"), (40_000, "one")] {
                for keyType in [DType.int64, .int32] where keyType == .int64 || valueType == .float64 {
                    let k = keys(n, kind: kind, seed: UInt64(n))
                    let v = hostileValues(n, dtype: valueType, seed: UInt64(n) + 5)
                    try check.write("k", k, dtype: keyType)
                    try check.write("v", v, dtype: valueType)
                    try check.run("""
                        k = inp('k', '\(NumpyCheck.code(keyType))'); v = inp('v', '\(NumpyCheck.code(valueType))')
                        if v.dtype.kind == 'f': v = v.astype('f8')
                        order = np.argsort(k, kind='stable'); ks = k[order]; vs = v[order]
                        keys, starts = np.unique(ks, return_index=True)
                        groups = np.split(vs, starts[1:])
                        out('keys', keys.astype('i8')); out('count', [len(g) for g in groups])
                        out('sum', np.array([g.sum() for g in groups]))
                        out('mean', [g.mean() for g in groups]); out('var', [g.var(ddof=1) if len(g) > 1 else np.nan for g in groups])
                        out('std', [g.astype('f8').std() for g in groups])
                        out('min', [g.min() for g in groups]); out('max', [g.max() for g in groups])
                        out('median', [np.median(g) for g in groups])
                        out('abs', [np.abs(np.where(np.isfinite(g), g, 0).astype('f8')).sum() for g in groups])
                        out('square', [(np.where(np.isfinite(g), g, 0).astype('f8') ** 2).mean() for g in groups])
                        """)
                    let result = try withArray(v, dtype: valueType, pool: pool) { values in
                        try values.groupBy(k, keyType, 1)
                    }
                    let std0 = try withArray(v, dtype: valueType, pool: pool) { values in try values.groupBy(k, keyType, 0) }
                    let what = "\(kind) keys \(keyType), \(n) \(valueType) values"
                    XCTAssertEqual(result.keys, try check.integerResult("keys"), what)
                    XCTAssertEqual(result.counts.map(Int64.init), try check.integerResult("count"), what)
                    let absSum = try check.result("abs")
                    let counts = result.counts.map(Double.init)
                    let meanSquare = try check.result("square")
                    if valueType.isFloatingPoint {
                        assertClose(result[.sum]!, try check.result("sum"), relative: 1e-12, scale: absSum, "sum " + what)
                    } else {
                        XCTAssertEqual(result.integerSums, try check.integerResult("sum"), what)
                    }
                    assertClose(result[.mean]!, try check.result("mean"), relative: 1e-12,
                                scale: zip(absSum, counts).map { $0 / $1 }, "mean " + what)
                    let variance = result[.variance]!.enumerated().map { result.counts[$0.offset] > 1 ? $0.element : .nan }
                    assertClose(variance, try check.result("var"), relative: 1e-10, scale: meanSquare.map { $0 * 2 }, "var " + what)
                    assertClose(std0[.std]!, try check.result("std"), relative: 1e-6, scale: meanSquare.map { $0.squareRoot() }, "std " + what)
                    assertClose(result[.min]!, try check.result("min"), relative: 0, "min " + what)
                    assertClose(result[.max]!, try check.result("max"), relative: 0, "max " + what)
                    assertClose(result[.median]!, try check.result("median"), relative: 0, "median " + what)
                }
            }
        }
    }

    func testResultsAreBitIdenticalForOneTwoAndThreeWorkers() throws {
        let n = 400_003
        for kind in ["dense", "sparse"] {
            let k = keys(n, kind: kind, seed: 3).map { Int64($0) }
            let v = hostileValues(n, dtype: .float64, seed: 4)
            var runs: [[Double]] = []
            for workers in [1, 2, 3] {
                let pool = try TestPools.pool(workers)
                let g = try SharedArray(v, on: pool).groupBy(keys: try SharedArray(k, on: pool), ddof: 1)
                runs.append(g.keys.map(Double.init) + GroupStatistic.allCases.flatMap { g[$0]! })
            }
            assertBitIdentical(runs, kind)
        }
    }

    func testBadKeysAreClearErrors() throws {
        let pool = try TestPools.pool(2)
        let values = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertThrowsError(try values.groupBy(keys: try SharedArray<Int64>([1, 2], on: pool))) {
            XCTAssertTrue("\($0)".contains("the keys have 2 elements and the values 3"), "\($0)")
        }
        XCTAssertThrowsError(try values.groupBy(keys: try SharedArray<Double>([1, 2, 3], on: pool))) {
            XCTAssertTrue("\($0)".contains("keys must be int64 or int32, not float64"), "\($0)")
        }
        XCTAssertThrowsError(try values.groupBy(keys: try SharedArray<Int32>([1, 2, 3], on: pool), ddof: -1))
        let empty = try SharedArray<Double>([], on: pool).groupBy(keys: try SharedArray<Int64>([], on: pool), [.sum])
        XCTAssertEqual(empty.keys, [])
        XCTAssertEqual(empty[.sum], [])
        XCTAssertNil(empty[.mean])
    }

    func testExtremeKeysAndIntegerSumsWrapLikeNumpy() throws {
        let pool = try TestPools.pool(2)
        let k = try SharedArray<Int64>([.max, .min, .max, 0], on: pool)
        let v = try SharedArray<Int64>([.max, 1, 1, -5], on: pool)
        let g = try v.groupBy(keys: k, [.count, .sum, .min])
        XCTAssertEqual(g.keys, [.min, 0, .max])
        XCTAssertEqual(g.counts, [1, 1, 2])
        XCTAssertEqual(g[.sum], [1, -5, Double(Int64.min)])  // Int64.max + 1 wraps, as np.sum does
        XCTAssertEqual(g.integerSums, [1, -5, .min])
        XCTAssertNil(try SharedArray<Double>([1], on: pool).groupBy(keys: try SharedArray<Int32>([1], on: pool)).integerSums)
    }
}

