import SharedArrays
import XCTest

final class ScanTests: XCTestCase {
    private let dtypes: [DType] = [.float64, .float32, .int64, .int32]

    /// Values near 1 (and the specials) so that long products neither overflow nor vanish.
    private func productValues(_ n: Int, dtype: DType, seed: UInt64) -> [Double] {
        hostileValues(n, dtype: dtype, seed: seed).enumerated().map { i, v in
            guard dtype.isFloatingPoint, v.isFinite else { return dtype.isFloatingPoint ? v : Double(Int64(v) % 5) }
            return v == 2.5 ? 1 : 1 + (v / 1003).truncatingRemainder(dividingBy: 0.01) + (i % 2 == 0 ? 0.0001 : -0.0001)
        }
    }

    func testScansMatchNumpyOnHostileDataForEveryDTypeAndLength() throws {
        let check = try NumpyCheck()
        defer { check.cleanUp() }
        let pool = try TestPools.pool(2)
        for dtype in dtypes {
            for n in gridLengths(dtype) {
                let sums = hostileValues(n, dtype: dtype, seed: UInt64(n))
                let products = productValues(n, dtype: dtype, seed: UInt64(n) + 1)
                try check.write("x", sums, dtype: dtype)
                try check.write("p", products, dtype: dtype)
                let code = NumpyCheck.code(dtype)
                try check.run("""
                    x = inp('x', '\(code)'); p = inp('p', '\(code)')
                    out('cumsum', np.cumsum(x)); out('nancumsum', np.nancumsum(x))
                    out('cummin', np.minimum.accumulate(x)); out('cummax', np.maximum.accumulate(x))
                    out('cumprod', np.cumprod(p)); out('nancumprod', np.nancumprod(p))
                    f = np.where(np.isfinite(x), x, 0).astype('f8')
                    out('scale', np.cumsum(np.abs(f)))
                    """)
                let scale = try check.result("scale")
                try withArray(sums, dtype: dtype, pool: pool) { x in
                    try withArray(products, dtype: dtype, pool: pool) { p in
                        for op in ScanOperation.allCases {
                            let isProduct = op == .cumprod || op == .nancumprod
                            let (values, integers) = try (isProduct ? p : x).scan(op, true)
                            let what = "\(op) of \(n) \(dtype)"
                            if dtype.isFloatingPoint {
                                let tolerance = dtype == .float64 ? 1e-11 : 1e-4
                                assertClose(values, try check.result(op.rawValue), relative: tolerance, scale: isProduct ? nil : scale, what)
                            } else {
                                XCTAssertEqual(integers, try check.integerResult(op.rawValue), what)
                            }
                        }
                    }
                }
            }
        }
    }

    func testFirstChunkIsNumpyBitForBit() throws {
        let check = try NumpyCheck()
        defer { check.cleanUp() }
        let n = 100_000
        let chunk = ChunkPlan(count: n, elementSize: 8).chunkLength
        let values = hostileValues(n, dtype: .float64, seed: 3, specials: false)
        try check.write("x", values, dtype: .float64)
        try check.run("out('cumsum', np.cumsum(inp('x', 'f8')))")
        let ours = try SharedArray(values, on: try TestPools.pool(2)).cumsum().toArray()
        let numpy = try check.result("cumsum")
        XCTAssertEqual(ours.prefix(chunk).map(\.bitPattern), numpy.prefix(chunk).map(\.bitPattern))
        XCTAssertEqual(ours[n - 1], numpy[n - 1], accuracy: 1e-9 * values.reduce(0) { $0 + abs($1) })
    }

    func testResultsAreBitIdenticalForOneTwoAndThreeWorkers() throws {
        for dtype in dtypes {
            let n = 5 * ChunkPlan(count: 1 << 30, elementSize: dtype.byteSize).chunkLength + 3
            let values = hostileValues(n, dtype: dtype, seed: 11)
            var runs: [String: [[Double]]] = [:]
            for workers in [1, 2, 3] {
                try withArray(values, dtype: dtype, pool: try TestPools.pool(workers)) { x in
                    for op in ScanOperation.allCases { runs[op.rawValue, default: []].append(try x.scan(op, true).values) }
                    runs["rolling", default: []].append(try x.rolling(777, .std, 1))
                    runs["rollingSum", default: []].append(try x.rolling(5, .sum, 0))
                }
            }
            for (name, results) in runs { assertBitIdentical(results, "\(name) of \(dtype)") }
        }
    }

    func testNaNAndInfinitiesPropagateLikeNumpy() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>([1, .nan, 3, -2, .infinity, -.infinity, 0], on: pool)
        let nansum = try x.nancumsum().toArray()
        XCTAssertEqual(Array(nansum.prefix(5)), [1, 1, 4, 2, Double.infinity])
        XCTAssertTrue(nansum[5].isNaN && nansum[6].isNaN)  // inf + -inf
        XCTAssertTrue(try x.cumsum().toArray().dropFirst().allSatisfy { $0.isNaN })
        XCTAssertEqual(try x.cummin().toArray()[0], 1)
        XCTAssertTrue(try x.cummax().toArray().dropFirst().allSatisfy { $0.isNaN })
        XCTAssertEqual(try x.nancumprod().toArray().prefix(4), [1, 1, 3, -6])
        let starts = try SharedArray([.nan, 2.0], on: pool)
        XCTAssertEqual(try starts.nancumsum().toArray(), [0, 2])
        XCTAssertEqual(try SharedArray([-0.0], on: pool).cumsum()[0].sign, .minus)  // numpy keeps -0.0
    }

    func testIntegersWrapAroundAsNumpyAndWidenOnRequest() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Int64>([.max, 1, 1], on: pool)
        XCTAssertEqual(try x.cumsum().toArray(), [.max, .min, .min + 1])
        let y = try SharedArray<Int32>([.max, 1], on: pool)
        XCTAssertEqual(try y.cumsum().toArray(), [.max, .min])
        XCTAssertEqual(try y.cumsum(as: Int64.self).toArray(), [Int64(Int32.max), Int64(Int32.max) + 1])
        XCTAssertEqual(SharedArray<Int32>.numpyScanDType(.cumsum), .int64)
        XCTAssertEqual(SharedArray<Int32>.numpyScanDType(.cummax), .int32)
        XCTAssertEqual(try SharedArray<Int64>([3, -2, 5], on: pool).cumprod().toArray(), [3, -6, -30])
    }

    func testShapesViewsEmptyAndUnsupportedTypes() throws {
        let pool = try TestPools.pool(2)
        XCTAssertEqual(try SharedArray<Double>([], on: pool).cumsum().count, 0)
        let table = try SharedArray<Double>([1, 2, 3, 4, 5, 6], shape: [2, 3], on: pool)
        let scanned = try table.cumsum()
        XCTAssertEqual(scanned.shape, [2, 3])
        XCTAssertEqual(scanned.toArray(), [1, 3, 6, 10, 15, 21])  // flattened, like numpy without axis
        let strided = try SharedArray<Double>((0..<10).map(Double.init), on: pool).strided(from: 0, by: 3)
        XCTAssertEqual(try strided.cummax().toArray(), [0, 3, 6, 9])
        XCTAssertThrowsError(try table.scan(.cumsum, as: Int64.self)) { error in
            XCTAssertTrue("\(error)".contains("cannot accumulate float64 as int64"), "\(error)")
        }
        XCTAssertThrowsError(try SharedArray<Int64>([1], on: pool).scan(.cumsum, as: Int32.self))
    }
}
