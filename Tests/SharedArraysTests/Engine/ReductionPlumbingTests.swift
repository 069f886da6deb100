import SharedArrays
import TestSupport
import XCTest

/// A reduction written here, outside the library, in about fifteen lines: the whole cost of a new
/// reduction is one type plus its tests.
struct CountAbove<Element: SharedElement>: ChunkReduction {
    var threshold: Double
    var identity: Int64 { 0 }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Int64>) {
        var n: Int64 = 0
        for x in chunk.elements where x.asDouble > threshold { n += 1 }
        partial[0] = n
    }

    func merge(_ a: UnsafeMutableBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) {
        a[0] += b[0]
    }
}

/// ``CountAbove`` whose partials accumulate per worker (an exact merge in any order).
struct CountAboveInAnyOrder<Element: SharedElement>: ChunkReduction {
    var counter: CountAbove<Element>
    var identity: Int64 { 0 }
    static var mergesInAnyOrder: Bool { true }
    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Int64>) { counter.fold(chunk, into: partial) }
    func merge(_ a: UnsafeMutableBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) { counter.merge(a, b) }
}

/// Counts the chunks folded in a worker where ``prepareWorker()`` had run first.
struct ChunksAfterPrepare: ChunkReduction {
    typealias Element = Double
    nonisolated(unsafe) static var prepared = false
    static func prepareWorker() { prepared = true }
    var identity: Int64 { 0 }
    func fold(_ chunk: ReductionChunk<Double>, into partial: UnsafeMutableBufferPointer<Int64>) { partial[0] = Self.prepared ? 1 : 0 }
    func merge(_ a: UnsafeMutableBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) { a[0] += b[0] }
}

/// Sums the second operand, for checking which elements of it the engine hands a reduction.
struct SumOfSecond: ChunkReduction {
    typealias Element = Int64
    var identity: Int64 { 0 }
    var secondOperandType: DType? { .int64 }

    func fold(_ chunk: ReductionChunk<Int64>, into partial: UnsafeMutableBufferPointer<Int64>) {
        for (x, y) in zip(chunk.elements, chunk.second(as: Int64.self)) { partial[0] = partial[0] &+ x &* 1_000_003 &+ y }
    }

    func merge(_ a: UnsafeMutableBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) { a[0] = a[0] &+ b[0] }
}

final class ReductionPlumbingTests: XCTestCase {
    let numpy = PythonReference(modules: ["numpy"], directoryPrefix: "reduction-plumbing")
    /// 512 doubles per chunk: many chunks from small test arrays.
    func smallChunks(_ count: Int) -> ChunkPlan { ChunkPlan(count: count, elementSize: 8, targetBytes: 4096) }

    func testANewReductionIsOneTypeOnEveryLayout() throws {
        var values = testValues(10_007)
        values[3] = .nan
        values[500] = .infinity
        values[501] = -.infinity
        let counts = try ReductionHarness.check(CountAbove<Double>(threshold: 2), values: values, plan: smallChunks(values.count))
        XCTAssertEqual(counts, [Int64(values.filter { $0 > 2 }.count)])
        let view = try ReductionHarness.check(
            CountAbove<Double>(threshold: 2), values: values, view: { try $0.strided(from: 1, by: 3) })
        XCTAssertEqual(view, [Int64(stride(from: 1, to: values.count, by: 3).filter { values[$0] > 2 }.count)])
        for n in [0, 1, 511, 513] {
            let short = Array(values.prefix(n))
            XCTAssertEqual(
                try ReductionHarness.check(CountAbove<Double>(threshold: 2), values: short, plan: smallChunks(n)),
                [Int64(short.filter { $0 > 2 }.count)], "\(n) elements")
        }
        let ints = (0..<9_001).map { Int32(truncatingIfNeeded: $0 &* 7919 % 201) - 100 }
        XCTAssertEqual(try ReductionHarness.check(CountAbove<Int32>(threshold: 0), values: ints), [Int64(ints.filter { $0 > 0 }.count)])
    }

    func testPerClassPartialsMergeEachClassSeparately() throws {
        let values = testValues(20_011, seed: 5)
        let classes = 3
        let counts = try ReductionHarness.check(
            CountAbove<Double>(threshold: 0), values: values, layout: .residueClasses(classes), plan: smallChunks(values.count))
        let expected = (0..<classes).map { r in Int64(stride(from: r, to: values.count, by: classes).filter { values[$0] > 0 }.count) }
        XCTAssertEqual(counts, expected)
        let perWorker = try ReductionHarness.check(
            CountAboveInAnyOrder(counter: CountAbove<Double>(threshold: 0)), values: values, layout: .residueClasses(classes),
            plan: smallChunks(values.count))
        XCTAssertEqual(perWorker, expected, "partials accumulated per worker")
    }

    func testPerColumnPartialsMergeEachColumnSeparately() throws {
        let (rows, columns) = (4_001, 5)
        let values = testValues(rows * columns, seed: 9)
        let plan = ChunkPlan(rows: rows, rowLength: columns, elementSize: 8, targetBytes: 4096)
        XCTAssertGreaterThan(plan.chunkCount, 4)
        let counts = try ReductionHarness.check(
            CountAbove<Double>(threshold: 0), values: values, shape: [rows, columns], layout: .columns(columns), plan: plan)
        let expected = (0..<columns).map { c in Int64((0..<rows).filter { values[$0 * columns + c] > 0 }.count) }
        XCTAssertEqual(counts, expected)
        let moments = try ReductionHarness.check(
            MomentsReduction<Double>(needs: [.sum]), values: values, shape: [rows, columns], layout: .columns(columns), plan: plan,
            matches: { abs($0.total(skipNaN: false) - $1.total(skipNaN: false)) <= 1e-9 * max(1, abs($1.total(skipNaN: false))) })
        XCTAssertEqual(moments.count, columns)
    }

    func testContiguousFirstOperandWithStridedSecondGathersTheSecond() throws {
        let n = 5_003
        let x = (0..<n).map { Int64($0 % 97) }
        let y = (0..<3 * n).map { Int64($0) * 11 - 5 }
        let plan = smallChunks(n)
        let sum = try ReductionHarness.check(
            SumOfSecond(), values: x, pairedWith: y, secondView: { try $0.strided(from: 2, by: 3) }, plan: plan)
        var expectedSum: Int64 = 0, expectedDot: Int64 = 0
        for i in 0..<n {
            expectedSum = expectedSum &+ x[i] &* 1_000_003 &+ y[2 + 3 * i]
            expectedDot = expectedDot &+ x[i] &* y[2 + 3 * i]
        }
        XCTAssertEqual(sum, [expectedSum])
        let dot = try ReductionHarness.check(
            DotReduction<Int64>(), values: x, pairedWith: y, secondView: { try $0.strided(from: 2, by: 3) }, plan: plan)
        XCTAssertEqual(dot[0].integerSum, expectedDot)
    }

    func testStridedFirstOperandWithContiguousSecondPairsElementByElement() throws {
        let n = 4_099
        let x = (0..<2 * n).map { Int64($0) }
        let y = (0..<n).map { Int64($0 % 13) - 6 }
        let sum = try ReductionHarness.check(
            SumOfSecond(), values: x, view: { try $0.strided(from: 1, by: 2) }, pairedWith: y, plan: smallChunks(n))
        var expected: Int64 = 0
        for i in 0..<n { expected = expected &+ x[1 + 2 * i] &* 1_000_003 &+ y[i] }
        XCTAssertEqual(sum, [expected])
    }

    func testDotIsThePerChunkCompensatedSumsCombinedPairwise() throws {
        // One compensated Dot2 per chunk of the default grid (it replaced a BLAS ddot per chunk), chunk pairs
        // combined as double-double by pairwiseCombine. The same bits for any number of workers.
        for n in [1, 32_767, 32_769, 300_001] {
            let a = testValues(n, seed: 2), b = testValues(n, seed: 3)
            let plan = ChunkPlan(count: n, elementSize: 8)
            let parts = (0..<plan.chunkCount).map { c in
                let r = plan.range(of: c)
                return a[r].withUnsafeBufferPointer { x in b[r].withUnsafeBufferPointer { chunkCompensatedDot(x, $0) } }
            }
            let before = pairwiseCombine(parts, { var s = $0; s.add($1); return s }, identity: CompensatedSum()).value
            let after = try ReductionHarness.acrossWorkers("dot \(n)") { pool in
                [try SharedArray(a, on: pool).dot(try SharedArray(b, on: pool))]
            }
            XCTAssertEqual(after[0].bitPattern, before.bitPattern, "\(n) elements")
        }
    }

    func testDotOnStridedViewsMatchesNumpy() throws {
        let directory = try numpy.makeDirectory()
        defer { numpy.removeDirectory(directory) }
        try numpy.python(
            """
            import numpy as np
            rng = np.random.default_rng(12)
            expected = []
            for code in ['f8', 'f4', 'i8', 'i4']:
                for n in [1, 7, 200003]:
                    if code[0] == 'f':
                        a = rng.normal(0, 10, n).astype(code)
                        if n > 100:
                            a[5] = np.inf; a[9] = 0; a[17] = 2.5
                    else:
                        a = rng.integers(-1000, 1000, n).astype(code)
                    m = len(a[1::3])
                    b = (rng.integers(-50, 50, max(2 * m - 1, 0)) / (2 if code[0] == 'f' else 1)).astype(code)
                    np.save(f'a_{code}_{n}.npy', a)
                    np.save(f'b_{code}_{n}.npy', b)
                    w = np.float64 if code[0] == 'f' else np.int64
                    x, y = a[1::3].astype(w), b[::2].astype(w)
                    for u, v in [(x, y), (a[:m].astype(w), y), (x, b[:m].astype(w))]:
                        expected += [np.dot(u, v), np.dot(np.abs(u.astype(np.float64)), np.abs(v.astype(np.float64)))]
            np.array(expected, dtype='<f8').tofile('expected.f8')
            """, in: directory)
        let expected = try numpy.readFloat64(directory + "/expected.f8")
        var next = 0
        func check<E: SharedElement>(_: E.Type, _ code: String) throws {
            for n in [1, 7, 200_003] {
                let pool = try TestPools.pool(1)
                let a = try SharedArray<E>.load(npy: "\(directory)/a_\(code)_\(n).npy", on: pool).toArray()
                let b = try SharedArray<E>.load(npy: "\(directory)/b_\(code)_\(n).npy", on: pool).toArray()
                let m = n >= 2 ? (n - 2) / 3 + 1 : 0
                let views: [(String, (SharedArray<E>) throws -> SharedArray<E>, (SharedArray<E>) throws -> SharedArray<E>)] = [
                    ("a[1::3] . b[::2]", { try $0.strided(from: 1, by: 3) }, { try $0.strided(from: 0, by: 2) }),
                    ("a[:m] . b[::2]", { try $0.slice(0..<m) }, { try $0.strided(from: 0, by: 2) }),
                    ("a[1::3] . b[:m]", { try $0.strided(from: 1, by: 3) }, { try $0.slice(0..<m) }),
                ]
                for (what, va, vb) in views {
                    let got = try ReductionHarness.acrossWorkers("\(code) \(n) \(what)") { pool in
                        [try va(try SharedArray(a, on: pool)).dot(try vb(try SharedArray(b, on: pool)))]
                    }[0]
                    let (want, magnitude) = (expected[next], expected[next + 1])
                    next += 2
                    // OpenBLAS's dsdot rounds about as float32 sums do (checked against the library directly).
                    let tolerance = (E.self == Float.self ? 1e-7 : 1e-14) * Swift.max(1, magnitude)
                    XCTAssertTrue(
                        got == want || (got.isNaN && want.isNaN) || abs(got - want) <= tolerance,
                        "\(code) n=\(n) \(what): \(got), numpy \(want)")
                }
            }
        }
        try check(Double.self, "f8")
        try check(Float.self, "f4")
        try check(Int64.self, "i8")
        try check(Int32.self, "i4")
        XCTAssertEqual(next, expected.count)
    }

    func testHistogramOnStridedViewsMatchesNumpy() throws {
        let directory = try numpy.makeDirectory()
        defer { numpy.removeDirectory(directory) }
        try numpy.python(
            """
            import numpy as np
            rng = np.random.default_rng(4)
            counts = []
            for code in ['f8', 'f4', 'i8', 'i4']:
                for n in [1, 8, 100003]:
                    a = (rng.integers(-26, 27, n) / (2 if code[0] == 'f' else 1)).astype(code)
                    if code[0] == 'f' and n > 100:
                        a[3] = np.nan; a[6] = np.inf; a[9] = -np.inf; a[12] = 10; a[15] = -10
                    np.save(f'h_{code}_{n}.npy', a)
                    for view in [a[::3], a[1::5], a]:
                        counts += list(np.histogram(view, bins=8, range=(-10, 10))[0])
            np.array(counts, dtype='<f8').tofile('counts.f8')
            """, in: directory)
        let expected = try numpy.readFloat64(directory + "/counts.f8").map { Int($0) }
        var next = 0
        func check<E: SharedElement>(_: E.Type, _ code: String) throws {
            for n in [1, 8, 100_003] {
                let values = try SharedArray<E>.load(npy: "\(directory)/h_\(code)_\(n).npy", on: try TestPools.pool(1)).toArray()
                let views: [(SharedArray<E>) throws -> SharedArray<E>] = [
                    { try $0.strided(from: 0, by: 3) }, { try $0.strided(from: 1, by: 5) }, { $0 },
                ]
                for (v, view) in views.enumerated() {
                    let reduction = try HistogramReduction<E>(lower: -10, upper: 10, bins: 8)
                    let counts = try ReductionHarness.check(reduction, values: values, view: view)
                    XCTAssertEqual(counts.map { Int($0) }, Array(expected[next..<next + 8]), "\(code) n=\(n) view \(v)")
                    let viaArray = try ReductionHarness.acrossWorkers("histogram") { pool in
                        try view(try SharedArray(values, on: pool)).histogram(bins: 8, range: -10...10).counts
                    }
                    XCTAssertEqual(viaArray, Array(expected[next..<next + 8]), "\(code) n=\(n) view \(v) histogram()")
                    next += 8
                }
            }
        }
        try check(Double.self, "f8")
        try check(Float.self, "f4")
        try check(Int64.self, "i8")
        try check(Int32.self, "i4")
        XCTAssertEqual(next, expected.count)
    }

    func testHistogramReductionRefusesBadBinsAndRanges() {
        XCTAssertThrowsError(try HistogramReduction<Double>(lower: 0, upper: 1, bins: 0))
        XCTAssertThrowsError(try HistogramReduction<Double>(lower: 1, upper: 0, bins: 4))
        XCTAssertThrowsError(try HistogramReduction<Double>(lower: -.infinity, upper: 0, bins: 4))
        XCTAssertThrowsError(try HistogramReduction<Double>(lower: 0, upper: .nan, bins: 4))
    }

    func testAMissingOrMistypedSecondOperandIsAnErrorNotATrap() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertThrowsError(try x.reduce(DotReduction<Double>())) { XCTAssertTrue("\($0)".contains("second operand"), "\($0)") }
        XCTAssertThrowsError(try x.reduce(DotReduction<Double>(), pairedWith: try SharedArray<Float>([1, 2, 3], on: pool))) {
            XCTAssertTrue("\($0)".contains("float32"), "\($0)")
        }
        XCTAssertThrowsError(try x.reduce(DotReduction<Double>(), pairedWith: try SharedArray<Double>([1, 2], on: pool)))
        XCTAssertEqual(try x.reduce(DotReduction<Double>(), pairedWith: x)[0].value, 14)
        // A reduction that reads no second operand ignores one it is given.
        XCTAssertEqual(try x.reduce(CountAbove<Double>(threshold: 1), pairedWith: try SharedArray<Int32>([0, 0, 0], on: pool)), [2])
    }

    func testPrepareWorkerRunsInEveryWorkerBeforeItsFirstChunk() throws {
        let values = testValues(9_000)
        let plan = smallChunks(values.count)
        let prepared = try ReductionHarness.acrossWorkers("prepareWorker") { pool in
            try SharedArray(values, on: pool).reduce(ChunksAfterPrepare(), plan: plan)
        }
        XCTAssertEqual(prepared, [Int64(plan.chunkCount)])
        XCTAssertFalse(ChunksAfterPrepare.prepared, "the parent folds nothing, so it prepares nothing")
    }

    func testCombineMergesPartialsInTheFixedPairwiseOrder() throws {
        let values = testValues(7 * 512 + 3, seed: 11)
        let plan = smallChunks(values.count)
        let needs: MomentNeeds = [.sum, .variance, .extrema, .argExtrema]
        let perChunk = (0..<plan.chunkCount).map { c in
            Array(values[plan.range(of: c)]).withUnsafeBufferPointer { chunkMoments($0, firstIndex: plan.range(of: c).lowerBound, needs: needs) }
        }
        let reduction = MomentsReduction<Double>(needs: needs)
        let combined = try reduction.combine(perChunk, width: 1)
        let engine = try SharedArray(values, on: try TestPools.pool(2)).reduce(reduction, plan: plan)
        XCTAssertTrue(ReductionHarness.bitwiseEqual(combined, engine))
        XCTAssertTrue(ReductionHarness.bitwiseEqual(combined, [pairwiseCombine(perChunk, Moments.merge, identity: .empty)]))
        XCTAssertTrue(ReductionHarness.bitwiseEqual(try reduction.combine([], width: 1), [Moments.empty]))
        // Per-class runs: every class merges with its own.
        let counter = CountAbove<Double>(threshold: 0)
        XCTAssertEqual(try counter.combine([1, 10, 2, 20, 3, 30], width: 2), [6, 60])
        XCTAssertThrowsError(try counter.combine([1, 2, 3], width: 2))
        XCTAssertThrowsError(try counter.combine([1, 2], width: 0))
    }
}
