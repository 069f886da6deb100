import XCTest
@testable import SharedArrays

/// Tolerances: every path accumulates in Double, and Float/Int32 values widen exactly, so sums match a
/// Kahan reference to 1e-12 relative and m2 (two-pass) to 1e-10 relative for every element type.
/// Min/max/argmin/argmax/counts are exact.
final class ChunkMomentsTests: XCTestCase {
    private func check<E: SharedElement>(_: E.Type, file: StaticString = #filePath, line: UInt = #line) {
        for (k, n) in kernelTestLengths.enumerated() {
            let values = kernelValues(E.self, count: n, seed: UInt64(k + 1))
            let doubles = values.map(\.asDouble)
            let ints: [Int64]? = E.dtype.isFloatingPoint ? nil : values.map { Int64(fromDouble: $0.asDouble) }
            let ref = ReferenceMoments(doubles, firstIndex: 1000, integers: ints)
            let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 1000, needs: .all) }
            let what = "\(E.self) n=\(n)"
            XCTAssertEqual(m.count, n, what, file: file, line: line)
            XCTAssertEqual(m.nanCount, 0, what, file: file, line: line)
            XCTAssertEqual(m.firstNaNIndex, -1, what, file: file, line: line)
            assertKernelClose(m.sum, ref.sum, relative: 1e-12, absolute: 1e-9, what, file: file, line: line)
            assertKernelClose(m.mean, ref.mean, relative: 1e-12, absolute: 1e-12, what, file: file, line: line)
            assertKernelClose(m.m2, ref.m2, relative: 1e-10, absolute: 1e-9, what, file: file, line: line)
            assertKernelClose(m.sumOfSquares, ref.squares, relative: 1e-12, absolute: 1e-9, what, file: file, line: line)
            XCTAssertEqual(m.intSum, ref.intSum, what, file: file, line: line)
            XCTAssertEqual(m.min, ref.min, what, file: file, line: line)
            XCTAssertEqual(m.max, ref.max, what, file: file, line: line)
            XCTAssertEqual(m.argmin, ref.argmin, what, file: file, line: line)
            XCTAssertEqual(m.argmax, ref.argmax, what, file: file, line: line)
            // Same chunk again: bit-identical.
            XCTAssertEqual(withKernelBuffer(values) { chunkMoments($0, firstIndex: 1000, needs: .all) }, m, what)
        }
    }

    func testDoubleMatchesReference() { check(Double.self) }
    func testFloatMatchesReference() { check(Float.self) }
    func testInt64MatchesReference() { check(Int64.self) }
    func testInt32MatchesReference() { check(Int32.self) }

    func testNeedsSubsetsAgreeWithFullComputation() {
        let values = kernelValues(Double.self, count: 3001, seed: 9)
        let full = withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: .all) }
        for needs: MomentNeeds in [[.sum], [.variance], [.extrema], [.argExtrema], [.sumOfSquares], [.extrema, .sumOfSquares]] {
            let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: needs) }
            XCTAssertEqual(m.count, full.count)
            assertKernelClose(m.sum, full.sum, relative: 1e-13)
            if needs.contains(.variance) { assertKernelClose(m.m2, full.m2, relative: 1e-13) } else { XCTAssertEqual(m.m2, 0) }
            if !needs.isDisjoint(with: [.extrema, .argExtrema]) {
                XCTAssertEqual(m.min, full.min)
                XCTAssertEqual(m.max, full.max)
            } else {
                XCTAssertEqual(m.min, .infinity)
                XCTAssertEqual(m.max, -.infinity)
            }
            XCTAssertEqual(m.argmin, needs.contains(.argExtrema) ? full.argmin : -1)
            if needs.contains(.sumOfSquares) { assertKernelClose(m.sumOfSquares, full.sumOfSquares, relative: 1e-13) }
        }
    }

    /// The norm, min and max fold a chunk as one block (no sub-blocks of 4096): a NaN or an infinity
    /// anywhere in it, past the first sub-block too, still gives numpy's answer.
    func testNormAndExtremaOfAWholeChunkSeeANaNOrAnInfinityAnywhereInIt() {
        func norm<E: SharedElement>(_ values: [E]) -> Double {
            withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: [.sumOfSquares]) }.l2norm
        }
        for n in [4095, 4097, 20_003] {
            let values = kernelValues(Double.self, count: n, seed: 21)
            let exact = values.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            assertKernelClose(norm(values), exact, relative: 1e-13)
            assertKernelClose(norm(values.map { Float($0) }), exact, relative: 1e-6)
            for at in [0, n / 2, n - 1] {
                var hostile = values
                hostile[at] = .nan
                XCTAssertTrue(norm(hostile).isNaN, "NaN at \(at) of \(n)")
                XCTAssertTrue(norm(hostile.map { Float($0) }).isNaN, "Float NaN at \(at) of \(n)")
                hostile[at] = -.infinity
                if at > 0 { hostile[0] = .infinity }  // inf - inf in a plain sum, not in the squares
                XCTAssertEqual(norm(hostile), .infinity, "infinities at 0 and \(at) of \(n)")
                let extrema = withKernelBuffer(hostile) { chunkMoments($0, firstIndex: 0, needs: [.extrema]) }
                XCTAssertEqual(extrema.min, -.infinity)
                XCTAssertEqual(extrema.max, at > 0 ? .infinity : values.dropFirst().max())
                hostile[n - 1 - at] = .nan
                let poisoned = withKernelBuffer(hostile) { chunkMoments($0, firstIndex: 0, needs: [.extrema]) }
                XCTAssertEqual(poisoned.nanCount, 1, "NaN at \(n - 1 - at) of \(n)")
                XCTAssertEqual(poisoned.firstNaNIndex, n - 1 - at)
            }
        }
    }

    func testEmptyChunkIsEmptyMoments() {
        let m = withKernelBuffer([Double]()) { chunkMoments($0, firstIndex: 5, needs: .all) }
        XCTAssertEqual(m, .empty)
        XCTAssertTrue(m.mean(skipNaN: false).isNaN)
        XCTAssertTrue(m.variance(ddof: 0, skipNaN: true).isNaN)
        XCTAssertEqual(m.total(skipNaN: false), 0)
        XCTAssertNil(m.argmin(skipNaN: false))
        XCTAssertNil(m.argmax(skipNaN: true))
        XCTAssertTrue(m.minimum(skipNaN: false).isNaN)
        XCTAssertEqual(withKernelBuffer([Int32]()) { chunkMoments($0, firstIndex: 0, needs: .all) }, .empty)
    }

    func testTiesGiveFirstOccurrence() {
        // Ties inside the SIMD body, across lanes and in the tail.
        var values = [Double](repeating: 5, count: 100)
        for i in [17, 40, 99] { values[i] = -1 }
        for i in [3, 64, 98] { values[i] = 9 }
        let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 10, needs: [.argExtrema]) }
        XCTAssertEqual(m.argmin, 27)
        XCTAssertEqual(m.argmax, 13)
        let flat = [Float](repeating: 2, count: 37)
        let f = withKernelBuffer(flat) { chunkMoments($0, firstIndex: 0, needs: [.argExtrema]) }
        XCTAssertEqual(f.argmin, 0)
        XCTAssertEqual(f.argmax, 0)
        let ints: [Int64] = [4, 1, 7, 1, 7, 0, 0]
        let i = withKernelBuffer(ints) { chunkMoments($0, firstIndex: 0, needs: [.argExtrema]) }
        XCTAssertEqual(i.argmin, 5)
        XCTAssertEqual(i.argmax, 2)
    }

    func testNaNPropagatesInPlainAndIsSkippedInNanVariants() {
        for n in [1, 5, 16, 33, 700] {
            var values = kernelValues(Double.self, count: n, seed: UInt64(n))
            let nanPositions = Set([n / 3, n - 1, n / 2])
            for i in nanPositions { values[i] = .nan }
            let firstNaN = nanPositions.min()!
            let rest = values.enumerated().filter { !$0.element.isNaN }
            let ref = ReferenceMoments(rest.map(\.element))
            let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 50, needs: .all) }
            XCTAssertEqual(m.nanCount, nanPositions.count)
            XCTAssertEqual(m.firstNaNIndex, 50 + firstNaN)
            XCTAssertEqual(m.count, n - nanPositions.count)
            // Plain reductions: NaN, and argmin/argmax point at the first NaN (numpy).
            XCTAssertTrue(m.mean(skipNaN: false).isNaN)
            XCTAssertTrue(m.total(skipNaN: false).isNaN)
            XCTAssertTrue(m.variance(ddof: 0, skipNaN: false).isNaN)
            XCTAssertTrue(m.std(ddof: 1, skipNaN: false).isNaN)
            XCTAssertTrue(m.minimum(skipNaN: false).isNaN)
            XCTAssertTrue(m.maximum(skipNaN: false).isNaN)
            XCTAssertTrue(m.l2norm.isNaN)
            XCTAssertEqual(m.argmin(skipNaN: false), 50 + firstNaN)
            XCTAssertEqual(m.argmax(skipNaN: false), 50 + firstNaN)
            // nan* variants: statistics of the other values.
            if ref.count == 0 {
                XCTAssertTrue(m.mean(skipNaN: true).isNaN)
                XCTAssertNil(m.argmin(skipNaN: true))
                XCTAssertEqual(m.total(skipNaN: true), 0)
                continue
            }
            assertKernelClose(m.total(skipNaN: true), ref.sum, relative: 1e-12)
            assertKernelClose(m.mean(skipNaN: true), ref.mean, relative: 1e-12, absolute: 1e-12)
            if ref.count > 1 {
                assertKernelClose(m.variance(ddof: 1, skipNaN: true), ref.m2 / Double(ref.count - 1), relative: 1e-10)
            }
            XCTAssertEqual(m.minimum(skipNaN: true), ref.min)
            XCTAssertEqual(m.maximum(skipNaN: true), ref.max)
            XCTAssertEqual(m.argmin(skipNaN: true), 50 + rest[ref.argmin].offset)
            XCTAssertEqual(m.argmax(skipNaN: true), 50 + rest[ref.argmax].offset)
        }
    }

    func testFloatNaNAndAllNaN() {
        let values: [Float] = [.nan, .nan, .nan]
        let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 7, needs: .all) }
        XCTAssertEqual(m.count, 0)
        XCTAssertEqual(m.nanCount, 3)
        XCTAssertEqual(m.firstNaNIndex, 7)
        XCTAssertEqual(m.argmin(skipNaN: false), 7)
        XCTAssertNil(m.argmin(skipNaN: true))
        XCTAssertNil(m.argmax(skipNaN: true))
        XCTAssertTrue(m.mean(skipNaN: true).isNaN)
        XCTAssertTrue(m.maximum(skipNaN: true).isNaN)
        XCTAssertEqual(m.total(skipNaN: true), 0)
    }

    func testInfinityMinusInfinityIsNaNWithoutNaNElements() {
        var values = [Double](repeating: 1, count: 40)
        values[3] = .infinity
        values[30] = -.infinity
        let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: .all) }
        XCTAssertEqual(m.nanCount, 0)
        XCTAssertEqual(m.count, 40)
        XCTAssertTrue(m.total(skipNaN: false).isNaN)  // numpy: inf + -inf = nan
        XCTAssertEqual(m.minimum(skipNaN: false), -.infinity)
        XCTAssertEqual(m.argmin(skipNaN: false), 30)
        XCTAssertEqual(m.argmax(skipNaN: false), 3)
    }

    func testIntegerSumWrapsLikeNumpy() {
        let values: [Int64] = [.max, 1, 1]
        let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: [.sum]) }
        XCTAssertEqual(m.intSum, Int64.min + 1)
        assertKernelClose(m.sum, Double(Int64.max) + 2, relative: 1e-15)
        let big: [Int32] = Array(repeating: .max, count: 40)
        let b = withKernelBuffer(big) { chunkMoments($0, firstIndex: 0, needs: [.sum]) }
        XCTAssertEqual(b.intSum, Int64(Int32.max) * 40)
    }

    func testInt64ExtremaAreExactBeyond2To53() {
        let base: Int64 = 1 << 60
        let values: [Int64] = [base + 3, base + 1, base + 2, base + 1, base + 5, base + 4]
        let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: [.argExtrema]) }
        XCTAssertEqual(m.argmin, 1)
        XCTAssertEqual(m.argmax, 4)
    }

    func testRowMomentsIndexWithinRow() {
        let row: [Double] = [3, 1, 4, 1, 5]
        let m = withKernelBuffer(row) { rowMoments($0, needs: [.argExtrema, .variance]) }
        XCTAssertEqual(m.argmin, 1)
        XCTAssertEqual(m.argmax, 4)
        assertKernelClose(m.variance(ddof: 0, skipNaN: false), 2.56, relative: 1e-14)
    }
}
