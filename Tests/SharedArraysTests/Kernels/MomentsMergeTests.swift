import XCTest
@testable import SharedArrays

final class MomentsMergeTests: XCTestCase {
    /// Chunk boundaries at irregular places (including empty chunks).
    private func chunkBounds(_ n: Int, seed: UInt64) -> [Range<Int>] {
        var rng = KernelRNG(seed)
        var bounds: [Range<Int>] = []
        var start = 0
        while start < n {
            let len = Int(rng.next() % 3000)
            let end = min(n, start + len)
            bounds.append(start..<end)
            start = end
        }
        return bounds
    }

    private func partials<E: SharedElement>(_ values: [E], _ bounds: [Range<Int>], needs: MomentNeeds) -> [Moments] {
        values.withUnsafeBufferPointer { all in
            bounds.map { chunkMoments(UnsafeBufferPointer(rebasing: all[$0]), firstIndex: $0.lowerBound, needs: needs) }
        }
    }

    func testMergedChunksMatchOnePassOverTheWhole() {
        var values = kernelValues(Double.self, count: 50_000, seed: 42, offset: 1e6, scale: 3)
        values[12_345] = -1e7  // a unique minimum in the middle
        let whole = withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: .all) }
        let ref = ReferenceMoments(values)
        for seed: UInt64 in 1...4 {
            let parts = partials(values, chunkBounds(values.count, seed: seed), needs: .all)
            let tree = pairwiseCombine(parts, Moments.merge, identity: .empty)
            let fold = parts.reduce(Moments.empty, Moments.merge)
            for m in [tree, fold] {
                XCTAssertEqual(m.count, whole.count)
                assertKernelClose(m.sum, whole.sum, relative: 1e-12)
                assertKernelClose(m.mean, ref.mean, relative: 1e-12)
                assertKernelClose(m.variance(ddof: 0, skipNaN: false), ref.m2 / Double(ref.count), relative: 1e-10)
                assertKernelClose(m.m2, whole.m2, relative: 1e-10)
                XCTAssertEqual(m.min, whole.min)
                XCTAssertEqual(m.max, whole.max)
                XCTAssertEqual(m.argmin, 12_345)
                XCTAssertEqual(m.argmax, whole.argmax)
                assertKernelClose(m.sumOfSquares, whole.sumOfSquares, relative: 1e-12)
            }
        }
    }

    func testMergeKeepsFirstOccurrenceAcrossChunksAndFirstNaN() {
        // Equal minima in chunks 1 and 3, NaNs in chunks 2 and 3.
        let values: [Double] = [5, 5, /* */ 1, 6, /* */ .nan, 7, /* */ 1, .nan, 9, 9]
        let bounds = [0..<2, 2..<4, 4..<6, 6..<10]
        let parts = partials(values, bounds, needs: .all)
        let m = pairwiseCombine(parts, Moments.merge, identity: .empty)
        XCTAssertEqual(m.argmin(skipNaN: true), 2)
        XCTAssertEqual(m.argmax(skipNaN: true), 8)
        XCTAssertEqual(m.argmin(skipNaN: false), 4)
        XCTAssertEqual(m.firstNaNIndex, 4)
        XCTAssertEqual(m.nanCount, 2)
        XCTAssertEqual(m.count, 8)
        assertKernelClose(m.mean(skipNaN: true), 43.0 / 8, relative: 1e-15)
    }

    func testEmptyAndExtremeInfinityChunksMerge() {
        // A chunk whose only value is +inf must still win argmax / set argmin against an empty neighbour.
        let inf = withKernelBuffer([Double.infinity]) { chunkMoments($0, firstIndex: 3, needs: .all) }
        let merged = Moments.merge(.empty, inf)
        XCTAssertEqual(merged.argmin, 3)
        XCTAssertEqual(merged.argmax, 3)
        XCTAssertEqual(Moments.merge(inf, .empty), inf)
        XCTAssertEqual(Moments.merge(.empty, .empty), .empty)
    }

    func testMergeWithNaNChunksMatchesWholeArray() {
        var values = kernelValues(Float.self, count: 20_000, seed: 5)
        for i in stride(from: 777, to: 20_000, by: 1_500) { values[i] = .nan }
        let whole = withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: .all) }
        let parts = partials(values, chunkBounds(values.count, seed: 8), needs: .all)
        let m = pairwiseCombine(parts, Moments.merge, identity: .empty)
        XCTAssertEqual(m.nanCount, whole.nanCount)
        XCTAssertEqual(m.firstNaNIndex, 777)
        XCTAssertEqual(m.count, whole.count)
        assertKernelClose(m.variance(ddof: 1, skipNaN: true), whole.variance(ddof: 1, skipNaN: true), relative: 1e-10)
        XCTAssertEqual(m.argmin(skipNaN: true), whole.argmin(skipNaN: true))
        XCTAssertEqual(m.argmax(skipNaN: true), whole.argmax(skipNaN: true))
    }

    func testDerivedResultsFollowNumpy() {
        let m = withKernelBuffer([1.0, 2, 3, 4]) { chunkMoments($0, firstIndex: 0, needs: .all) }
        XCTAssertEqual(m.mean(skipNaN: false), 2.5)
        XCTAssertEqual(m.variance(ddof: 0, skipNaN: false), 1.25)
        XCTAssertEqual(m.variance(ddof: 1, skipNaN: false), 5.0 / 3)
        XCTAssertTrue(m.variance(ddof: 4, skipNaN: false).isNaN)
        XCTAssertEqual(m.std(ddof: 0, skipNaN: true), 1.25.squareRoot())
        XCTAssertEqual(m.l2norm, 30.0.squareRoot())
        XCTAssertEqual(m.total(skipNaN: false), 10)
        XCTAssertEqual(m.minimum(skipNaN: false), 1)
        XCTAssertEqual(m.maximum(skipNaN: false), 4)
    }
}

final class PairwiseCombineTests: XCTestCase {
    func testTreeShapeIsMidpointSplitInIndexOrder() {
        let parts = ["a", "b", "c", "d", "e"]
        XCTAssertEqual(pairwiseCombine(parts, { "(\($0)\($1))" }, identity: "_"), "((ab)(c(de)))")
        XCTAssertEqual(pairwiseCombine(["a"], { "(\($0)\($1))" }, identity: "_"), "a")
        XCTAssertEqual(pairwiseCombine([String](), { "(\($0)\($1))" }, identity: "_"), "_")
        XCTAssertEqual(pairwiseCombine(["a", "b", "c", "d"], { "(\($0)\($1))" }, identity: "_"), "((ab)(cd))")
    }

    func testBufferVariantMatchesArrayVariant() {
        let parts = (0..<37).map { Double($0) * 0.1 }
        let a = pairwiseCombine(parts, +, identity: 0)
        let b = parts.withUnsafeBufferPointer { pairwiseCombine($0, +, identity: 0) }
        XCTAssertEqual(a.bitPattern, b.bitPattern)
    }
}
