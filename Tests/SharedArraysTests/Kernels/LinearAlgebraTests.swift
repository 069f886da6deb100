import XCTest
@testable import SharedArrays

final class LinearAlgebraTests: XCTestCase {
    func testDotMatchesReference() {
        for n in [0, 1, 7, 100, 10_001] {
            let a = kernelValues(Double.self, count: n, seed: 1)
            let b = kernelValues(Double.self, count: n, seed: 2)
            var ref = KahanAccumulator()
            for i in 0..<n { ref.add(a[i] * b[i]) }
            let d = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { chunkDot(pa, $0) } }
            assertKernelClose(d, ref.value, relative: 1e-10, absolute: 1e-9, "n=\(n)")
            // Float through dsdot (Double accumulation): exact products of floats, so the same tolerance.
            let af = a.map { Float($0) }, bf = b.map { Float($0) }
            var fref = KahanAccumulator()
            for i in 0..<n { fref.add(Double(af[i]) * Double(bf[i])) }
            let df = af.withUnsafeBufferPointer { pa in bf.withUnsafeBufferPointer { chunkDot(pa, $0) } }
            assertKernelClose(df, fref.value, relative: 1e-10, absolute: 1e-9, "float n=\(n)")
        }
        let ia: [Int32] = [1, -2, 3], ib: [Int32] = [4, 5, 6]
        XCTAssertEqual(ia.withUnsafeBufferPointer { a in ib.withUnsafeBufferPointer { chunkDot(a, $0) } }, 12)
        XCTAssertEqual(ia.withUnsafeBufferPointer { a in ib.withUnsafeBufferPointer { chunkIntegerDot(a, $0) } }, 12)
        let big: [Int64] = [.max, 2]
        XCTAssertEqual(big.withUnsafeBufferPointer { a in big.withUnsafeBufferPointer { chunkIntegerDot(a, $0) } }, 5)  // wraps
    }

    private func referenceProduct(_ a: [Double], _ rows: Int, _ k: Int, _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: rows * n)
        for i in 0..<rows {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
                c[i * n + j] = s
            }
        }
        return c
    }

    func testGemmRowBlocksMatchReference() {
        let m = 13, k = 9, n = 11
        let a = kernelValues(Double.self, count: m * k, seed: 3)
        let b = kernelValues(Double.self, count: k * n, seed: 4)
        let ref = referenceProduct(a, m, k, b, n)
        var c = [Double](repeating: .nan, count: m * n)
        // Two row blocks, as two workers would do them.
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for rows in [0..<5, 5..<13] {
                        gemmRowBlock(
                            a: UnsafeBufferPointer(rebasing: pa[(rows.lowerBound * k)..<(rows.upperBound * k)]),
                            rowsA: rows.count, k: k, b: pb, n: n,
                            c: UnsafeMutableBufferPointer(rebasing: pc[(rows.lowerBound * n)..<(rows.upperBound * n)]))
                    }
                }
            }
        }
        for i in 0..<(m * n) { assertKernelClose(c[i], ref[i], relative: 1e-12, absolute: 1e-12) }

        let af = a.map { Float($0) }, bf = b.map { Float($0) }
        let reff = referenceProduct(af.map(Double.init), m, k, bf.map(Double.init), n)
        var cf = [Float](repeating: 0, count: m * n)
        af.withUnsafeBufferPointer { pa in bf.withUnsafeBufferPointer { pb in cf.withUnsafeMutableBufferPointer {
            gemmRowBlock(a: pa, rowsA: m, k: k, b: pb, n: n, c: $0)
        } } }
        for i in 0..<(m * n) { assertKernelClose(Double(cf[i]), reff[i], relative: 1e-5, absolute: 1e-4) }
    }

    func testIntegerGemmWrapsInInt64() {
        let a: [Int32] = [1, 2, 3, 4, 5, 6]  // 2x3
        let b: [Int32] = [7, 8, 9, 10, 11, 12]  // 3x2
        var c = [Int32](repeating: 0, count: 4)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer {
            gemmRowBlock(a: pa, rowsA: 2, k: 3, b: pb, n: 2, c: $0)
        } } }
        XCTAssertEqual(c, [58, 64, 139, 154])
        let big: [Int64] = [.max, 1]  // 1x2 times 2x1
        var out: [Int64] = [0]
        let col: [Int64] = [2, 3]
        big.withUnsafeBufferPointer { pa in col.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer {
            gemmRowBlock(a: pa, rowsA: 1, k: 2, b: pb, n: 1, c: $0)
        } } }
        XCTAssertEqual(out, [Int64.max &* 2 &+ 3])
        // k == 0 gives zeros.
        var z: [Double] = [5, 5]
        [Double]().withUnsafeBufferPointer { e in z.withUnsafeMutableBufferPointer {
            gemmRowBlock(a: e, rowsA: 1, k: 0, b: e, n: 2, c: $0)
        } }
        XCTAssertEqual(z, [0, 0])
    }
}
