import Foundation
import XCTest
@testable import SharedArrays

/// Streaming a `.npy` file through bounded windows gives the in-memory statistics bit for bit, for any
/// window count and worker count, on hostile values and odd lengths.
final class StreamedReductionTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try NpyTestSupport.makeDirectory()
        // Odd lengths that are not a multiple of the 256 KiB grid chunk, with NaN, ±inf and -0.0.
        try NpyTestSupport.python("""
            import numpy as np
            rng = np.random.default_rng(7)
            x = rng.normal(3.0, 2.0, 300_001)
            x[[5, 170_000]] = np.nan; x[77] = np.inf; x[299_999] = -np.inf; x[1000] = -0.0
            np.save('be_f8.npy', x.astype('>f8'))
            np.save('finite_f8.npy', rng.normal(-1.0, 5.0, 262_145).astype('>f8'))
            np.save('f4.npy', rng.normal(0, 1, 200_003).astype('<f4'))
            np.save('i2.npy', rng.integers(-30000, 30000, 400_007).astype('<i2'))
            np.save('be_i8.npy', rng.integers(-2**40, 2**40, 150_001).astype('>i8'))
            np.save('u1.npy', rng.integers(0, 256, 1_000_003).astype('u1'))
            """, in: directory)
    }

    override func tearDown() { NpyTestSupport.removeDirectory(directory) }

    private func bits(_ s: Statistics) -> [UInt64?] { s.values.map { $0.1?.bitPattern } }

    /// Limits giving one window, two windows and one chunk per window for `count` elements of `E`.
    /// `partials`: the bytes of the partials (default: one ``Moments`` per grid chunk).
    private func limits<E: SharedElement>(_: E.Type, count: Int, partials given: Int? = nil) -> [Int] {
        let grid = ChunkPlan(count: count, elementSize: MemoryLayout<E>.stride)
        let chunk = grid.chunkLength * MemoryLayout<E>.stride
        let partials = given ?? grid.chunkCount * MemoryLayout<Moments>.stride
        let half = (grid.chunkCount + 1) / 2
        return [2 * grid.chunkCount * chunk + partials, 2 * half * chunk + partials, 2 * chunk + partials]
    }

    private func assertStreamEqualsInMemory<E: SharedElement>(_ file: String, as _: E.Type, ops: [Statistic] = Statistic.allCases) throws {
        let path = directory + "/" + file
        let source = try NpyStreamSource(path: path)
        var expectedWindows: [Int] = []
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            let loaded = try SharedArray<E>.load(npy: path, on: pool)
            let expected = try loaded.statistics(ops, ddof: 1)
            var windowCounts: [Int] = []
            for limit in limits(E.self, count: source.count) {
                var seen = 0
                let streamed = try StreamedReduction.statistics(
                    ops, of: source, as: E.self, ddof: 1, memoryLimit: limit, on: pool) { seen = $0.windows }
                XCTAssertEqual(bits(streamed), bits(expected), "\(file) as \(E.dtype), \(workers) workers, limit \(limit)")
                XCTAssertEqual(streamed.count, expected.count)
                windowCounts.append(seen)
            }
            if expectedWindows.isEmpty { expectedWindows = windowCounts }
            XCTAssertEqual(windowCounts, expectedWindows, "windows depend on the data and the limit only")
        }
        XCTAssertEqual(expectedWindows.first, 1, "\(file): the largest limit holds one window")
        XCTAssertEqual(expectedWindows.dropFirst().first, 2, "\(file): the middle limit gives two windows")
        XCTAssertGreaterThan(expectedWindows.last ?? 0, 2, "\(file): the smallest limit gives many windows")
    }

    func testStreamedStatisticsEqualInMemoryBitForBitForEveryDTypeWindowAndWorkerCount() throws {
        try assertStreamEqualsInMemory("be_f8.npy", as: Double.self)
        try assertStreamEqualsInMemory("finite_f8.npy", as: Double.self)
        try assertStreamEqualsInMemory("f4.npy", as: Float.self)
        try assertStreamEqualsInMemory("f4.npy", as: Double.self)
        try assertStreamEqualsInMemory("i2.npy", as: Int32.self)
        try assertStreamEqualsInMemory("be_i8.npy", as: Int64.self)
        try assertStreamEqualsInMemory("u1.npy", as: Int32.self)
    }

    func testStreamedHistogramEqualsInMemory() throws {
        let path = directory + "/finite_f8.npy"
        let source = try NpyStreamSource(path: path)
        let histogram = try HistogramReduction<Double>(lower: -20, upper: 20, bins: 37)
        for workers in [1, 3] {
            let pool = try TestPools.pool(workers)
            let expected = try SharedArray<Double>.load(npy: path, on: pool).reduce(histogram)
            // Histograms accumulate one partial per worker.
            for limit in limits(Double.self, count: source.count, partials: workers * 37 * 8) {
                XCTAssertEqual(try StreamedReduction.reduce(histogram, of: source, memoryLimit: limit, on: pool), expected)
            }
        }
    }

    func testTooSmallMemoryLimitIsAClearError() throws {
        let source = try NpyStreamSource(path: directory + "/be_f8.npy")
        XCTAssertThrowsError(
            try StreamedReduction.statistics([.mean], of: source, as: Double.self, memoryLimit: 100_000, on: try TestPools.pool(2))
        ) { error in
            XCTAssertTrue("\(error)".contains("memory limit of"), "\(error)")
            XCTAssertTrue("\(error)".contains("too small"), "\(error)")
        }
    }

    func testStreamingAnEmptyFileGivesTheEmptyAnswer() throws {
        try NpyTestSupport.python("import numpy as np; np.save('empty.npy', np.zeros(0, '>f8'))", in: directory)
        let source = try NpyStreamSource(path: directory + "/empty.npy")
        let pool = try TestPools.pool(2)
        let streamed = try StreamedReduction.statistics([.count, .mean, .min], of: source, as: Double.self, memoryLimit: 1 << 20, on: pool)
        let expected = try SharedArray<Double>.load(npy: directory + "/empty.npy", on: pool).statistics([.count, .mean, .min])
        XCTAssertEqual(bits(streamed), bits(expected))
    }

    func testAStepsItemsAreEveryReadAndEveryChunkOnceWithTheReadsSpreadEvenly() {
        for reads in 0...9 {
            for others in 0...23 {
                let kinds = (0..<(reads + others)).map { StreamWindows.interleaved($0, reads: reads, others: others) }
                XCTAssertEqual(kinds.filter(\.isRead).map(\.index), Array(0..<reads), "\(reads) reads, \(others) others")
                XCTAssertEqual(kinds.filter { !$0.isRead }.map(\.index), Array(0..<others), "\(reads) reads, \(others) others")
                if reads > 0 && others >= reads {
                    // No run of reads: each worker's contiguous share holds both kinds.
                    XCTAssertFalse(zip(kinds, kinds.dropFirst()).contains { $0.isRead && $1.isRead }, "\(reads) reads, \(others) others")
                }
            }
        }
    }
}
