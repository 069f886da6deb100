import SharedArrays
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class MapAndLinearAlgebraTests: XCTestCase {
    func testUnaryAndBinaryMapsMatchElementwiseReference() throws {
        let pool = try TestPools.pool(2)
        let values = testValues(300_000).map { Swift.abs($0) + 0.5 }
        let x = try SharedArray(values, on: pool)
        let checks: [(UnaryOp, (Double) -> Double)] = [
            (.sqrt, { $0.squareRoot() }), (.exp, { Glibc.exp($0 / 100) }), (.log, { Glibc.log($0) }),
            (.negate, { -$0 }), (.scale(2.5), { $0 * 2.5 }), (.clip(lower: 10, upper: 20), { Swift.min(Swift.max($0, 10), 20) }),
            (.abs, { Swift.abs($0) }),
        ]
        for (op, f) in checks {
            let input = op == .exp ? try x.map(.scale(0.01)) : x
            let y = try input.map(op)
            for i in stride(from: 0, to: values.count, by: 997) {
                let expected = op == .exp ? f(values[i]) : f(values[i])
                XCTAssertClose(y[i], expected, relative: 1e-14, "\(op) at \(i)")
            }
        }
        let y = try SharedArray(testValues(300_000, seed: 3), on: pool)
        for op in BinaryOp.allCases {
            let z = try x.combined(with: y, op)
            for i in stride(from: 0, to: values.count, by: 1009) {
                let (a, b) = (values[i], y[i])
                let expected: Double =
                    switch op {
                    case .add: a + b
                    case .sub: a - b
                    case .mul: a * b
                    case .div: a / b
                    case .power: Glibc.pow(a, b)
                    case .minimum: a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
                    case .maximum: a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
                    }
                if op == .power {
                    XCTAssertClose(z[i], expected, relative: 1e-15, "pow(\(a), \(b))")  // libmvec: within 4 ulp
                } else {
                    XCTAssertEqual(z[i], expected)
                }
            }
        }
        try x.apply(.negate)
        XCTAssertEqual(x[5], -values[5])
        XCTAssertThrowsError(try x.combined(with: try SharedArray([1.0], on: pool), .add))
    }

    func testAxpyFillArangeAndRandomIndependentOfWorkers() throws {
        var randoms: [[Double]] = []
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            let r = try SharedArray<Double>.random(.normal(mean: 0, std: 1), shape: [200_001], seed: 7, on: pool)
            randoms.append(r.toArray())
            let y = try SharedArray<Double>.filled(1, shape: [1000], on: pool)
            try y.addProduct(2, try SharedArray<Double>.arange(1000, on: pool))
            XCTAssertEqual(y[999], 1 + 2 * 999)
        }
        XCTAssertEqual(randoms[0], randoms[1])
        XCTAssertEqual(randoms[0], randoms[2])
        let m = randoms[0].reduce(0, +) / Double(randoms[0].count)
        XCTAssertLessThan(Swift.abs(m), 0.01)
    }

    func testDotHistogramAndMatmul() throws {
        let pool = try TestPools.pool(2)
        let a = testValues(500_000, seed: 1), b = testValues(500_000, seed: 2)
        let x = try SharedArray(a, on: pool), y = try SharedArray(b, on: pool)
        XCTAssertClose(try x.dot(y), Reference.kahan(zip(a, b).map { $0 * $1 }), relative: 1e-10)
        let h = try x.histogram(bins: 10, range: -50...60)
        var expected = [Int](repeating: 0, count: 10)
        for v in a where v >= -50 && v <= 60 { expected[Swift.min(9, Int((v + 50) / 11))] += 1 }
        XCTAssertEqual(h.counts.reduce(0, +), expected.reduce(0, +))
        XCTAssertEqual(h.edges.count, 11)
        XCTAssertEqual(h.edges.last, 60)
        let auto = try x.histogram(bins: 4)
        XCTAssertEqual(auto.counts.reduce(0, +), a.count)

        let (m, k, n) = (300, 70, 50)
        let am = testValues(m * k, seed: 3), bm = testValues(k * n, seed: 4)
        let c = try SharedArray(am, shape: [m, k], on: pool).matmul(try SharedArray(bm, shape: [k, n], on: pool))
        XCTAssertEqual(c.shape, [m, n])
        for (i, j) in [(0, 0), (299, 49), (150, 7)] {
            let expected = (0..<k).reduce(0.0) { $0 + am[i * k + $1] * bm[$1 * n + j] }
            XCTAssertClose(c[i, j], expected, relative: 1e-10)
        }
        XCTAssertThrowsError(try c.matmul(c))
    }
}

final class StorageRecyclingTests: XCTestCase {
    func testRecycledSegmentsGiveCorrectResultsAndZerosStayZero() throws {
        let pool = try TestPools.pool(2)
        let n = 1 << 20  // 8 MiB: large enough to be recycled
        let x = try SharedArray<Double>.arange(n, on: pool)
        for round in 0..<4 {
            let y = try x.map(.scale(Double(round)))
            XCTAssertEqual(y[n - 1], Double(n - 1) * Double(round))
            XCTAssertEqual(y[12345], 12345 * Double(round))
        }
        do { _ = try x.map(.offset(7)) }  // freed: its segment goes to the cache
        let zeros = try SharedArray<Double>(zeros: [n], on: pool)
        XCTAssertEqual(try zeros.statistics([.min, .max]).values.map(\.1), [0, 0], "zeros never reuse old contents")
        SharedArrayMemory.releaseCachedSegments()
    }
}
