import SharedArrays
import XCTest

final class MatrixProductTests: XCTestCase {
    /// Uniform values in [-1, 1) with, when `specials`, a NaN, a +inf and a -inf at fixed places.
    private func matrix(_ count: Int, seed: UInt64, specials: Bool = false) -> [Double] {
        var v = testValues(count, seed: seed, scale: 2).map { $0 - 3 }
        if specials && count > 100 {
            v[17] = .nan
            v[count / 2] = .infinity
            v[count - 5] = -.infinity
        }
        return v
    }

    /// Elementwise comparison with NaN where numpy has NaN and infinities equal; finite values within
    /// `relative` of the magnitude the inner products can reach (`scale`).
    private func assertMatches(_ ours: [Double], _ numpy: [Double], relative: Double, scale: Double, _ what: String) {
        XCTAssertEqual(ours.count, numpy.count, what)
        var bad = 0
        for (a, b) in zip(ours, numpy) {
            let ok = a.isNaN ? b.isNaN : (b.isInfinite ? a == b : abs(a - b) <= relative * scale)
            if !ok {
                if bad < 3 { XCTFail("\(what): \(a) vs numpy \(b)") }
                bad += 1
            }
        }
        XCTAssertEqual(bad, 0, what)
    }

    /// Products large enough to be cut into several tiles (and odd, so edge tiles are ragged), with NaN and
    /// ±inf in the operands, for Double and Float: the same as numpy's `a @ b`, `a @ v` and `a.T @ a`.
    func testMatmulMatvecAndGramMatchNumpyOnTiledShapes() throws {
        let check = try NumpyCheck()
        defer { check.cleanUp() }
        let pool = try TestPools.pool(2)
        for (m, k, n) in [(1_300, 1_037, 1_501), (5, 3, 2), (2_100, 64, 1_030)] {
            for dtype in [DType.float64, .float32] {
                let a = matrix(m * k, seed: 1, specials: true), b = matrix(k * n, seed: 2, specials: m < 2_000)
                let v = matrix(k, seed: 3)
                try check.write("a", a, dtype: dtype)
                try check.write("b", b, dtype: dtype)
                try check.write("v", v, dtype: dtype)
                let code = NumpyCheck.code(dtype)
                try check.run("""
                    a = inp('a', '\(code)').reshape(\(m), \(k)); b = inp('b', '\(code)').reshape(\(k), \(n)); v = inp('v', '\(code)')
                    out('ab', (a @ b).reshape(-1)); out('av', a @ v); out('ata', (a.T @ a).reshape(-1))
                    """)
                let relative = dtype == .float64 ? 1e-13 : 1e-5
                let what = "\(m)x\(k) @ \(k)x\(n) \(dtype)"
                func products<E: SharedElement>(_: E.Type, _ convert: (Double) -> E) throws -> ([Double], [Double], [Double]) {
                    let sa = try SharedArray(a.map(convert), shape: [m, k], on: pool)
                    let sb = try SharedArray(b.map(convert), shape: [k, n], on: pool)
                    let sv = try SharedArray(v.map(convert), on: pool)
                    let ab = try sa.matmul(sb), av = try sa.matmul(sv), ata = try sa.gram()
                    XCTAssertEqual(ab.shape, [m, n])
                    XCTAssertEqual(av.shape, [m])
                    XCTAssertEqual(ata.shape, [k, k])
                    return (ab.toArray().map(\.asDouble), av.toArray().map(\.asDouble), ata.toArray().map(\.asDouble))
                }
                let (ab, av, ata) = dtype == .float64 ? try products(Double.self, { $0 }) : try products(Float.self, { Float($0) })
                assertMatches(ab, try check.result("ab"), relative: relative, scale: Double(k), "a @ b " + what)
                assertMatches(av, try check.result("av"), relative: relative, scale: Double(k), "a @ v " + what)
                assertMatches(ata, try check.result("ata"), relative: relative, scale: Double(m), "a.T @ a " + what)
                for i in 0..<k {
                    for j in 0..<i { XCTAssertEqual(ata[i * k + j].bitPattern, ata[j * k + i].bitPattern, "a.T @ a is exactly symmetric") }
                }
            }
        }
    }

    /// The tiles depend only on the shapes: the products are the same, bit for bit, for 1, 2 and 3 workers.
    func testMatrixProductsAreBitIdenticalForAnyWorkerCount() throws {
        let (m, k, n) = (1_200, 700, 1_100)
        let a = matrix(m * k, seed: 5), b = matrix(k * n, seed: 6), v = matrix(k, seed: 7)
        var reference: [[UInt64]]?
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            let sa = try SharedArray(a, shape: [m, k], on: pool)
            let results = [
                try sa.matmul(try SharedArray(b, shape: [k, n], on: pool)).toArray().map(\.bitPattern),
                try sa.matmul(try SharedArray(v, on: pool)).toArray().map(\.bitPattern),
                try sa.gram().toArray().map(\.bitPattern),
            ]
            if let reference {
                XCTAssertEqual(results, reference, "\(workers) workers")
            } else {
                reference = results
            }
        }
    }

    /// Integer products wrap in Int64 like numpy's; shapes with zero-length sides give zeros or empties.
    func testIntegerProductsWrapAndEmptySidesGiveZeros() throws {
        let pool = try TestPools.pool(2)
        let a = try SharedArray<Int64>([.max, 2, 3, 4], shape: [2, 2], on: pool)
        XCTAssertEqual(try a.matmul(try SharedArray<Int64>([2, 1], on: pool)).toArray(), [.max &* 2 &+ 2, 10])
        XCTAssertEqual(try a.gram().toArray(), [.max &* .max &+ 9, .max &* 2 &+ 12, .max &* 2 &+ 12, 20])
        let i32 = try SharedArray<Int32>([1, 2, 3, 4, 5, 6], shape: [2, 3], on: pool)
        XCTAssertEqual(try i32.gram().toArray(), [17, 22, 27, 22, 29, 36, 27, 36, 45])
        let noInner = try SharedArray<Double>([], shape: [3, 0], on: pool)
        XCTAssertEqual(try noInner.matmul(try SharedArray<Double>([], shape: [0, 2], on: pool)).toArray(), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try noInner.matmul(try SharedArray<Double>([], on: pool)).toArray(), [0, 0, 0])
        XCTAssertEqual(try noInner.gram().shape, [0, 0])
        XCTAssertEqual(try SharedArray<Double>([], shape: [0, 2], on: pool).gram().toArray(), [0, 0, 0, 0])
        XCTAssertThrowsError(try a.matmul(try SharedArray<Int64>([1, 2, 3], on: pool)))
        XCTAssertThrowsError(try SharedArray<Int64>([1, 2], on: pool).gram())
    }
}
