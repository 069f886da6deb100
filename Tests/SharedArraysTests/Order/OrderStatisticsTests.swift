import Foundation
import SharedArrays
import XCTest

final class OrderStatisticsTests: XCTestCase {
    /// Every quantile method, scalar and list q, nan variants, medians and percentiles of hostile arrays of
    /// every dtype match numpy; 1, 2 and 3 workers give the same bits.
    func testOrderStatisticsMatchNumpyOnHostileData() throws {
        try checkAgainstNumpy(big: false, workers: [2, 1, 3])
    }

    /// Arrays of 300k-1.1M elements (all equal, a narrow band that forces extra narrowing passes, several
    /// histogram chunks) match numpy, and 1, 2 and 3 workers give the same bits.
    func testLargeArraysMatchNumpyForAnyWorkerCount() throws {
        try checkAgainstNumpy(big: true, workers: [2, 1, 3])
    }

    func testEmptyArrayAndBadQuantilesAreErrors() throws {
        let pool = try TestPools.pool(2)
        let empty = try SharedArray<Double>([], on: pool)
        XCTAssertThrowsError(try empty.median()) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        XCTAssertThrowsError(try empty.quantile(0.5))
        XCTAssertThrowsError(try empty.nanmedian())
        let x = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertThrowsError(try x.quantile(1.5)) { XCTAssertTrue("\($0)".contains("[0, 1]"), "\($0)") }
        XCTAssertThrowsError(try x.quantile([0.5, -0.1]))
        XCTAssertThrowsError(try x.quantile(.nan))
        XCTAssertThrowsError(try x.quantile([]))
        XCTAssertThrowsError(try x.percentile(100.5)) { XCTAssertTrue("\($0)".contains("[0, 100]"), "\($0)") }
        XCTAssertThrowsError(try x.nanpercentile(-1))
        XCTAssertEqual(QuantileMethod(name: "inverted_cdf"), .invertedCDF)
        XCTAssertEqual(QuantileMethod(name: "medianUnbiased"), .medianUnbiased)
        XCTAssertNil(QuantileMethod(name: "cubic"))
    }

    func testStridedViewAndTwoDimensionalArrayAreFlattened() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>((0..<101).map { Double(($0 * 37) % 101) }, on: pool)
        let view = try x.strided(from: 1, by: 2)
        let values = view.toArray().sorted()
        XCTAssertEqual(try view.median(), values[values.count / 2 - 1] / 2 + values[values.count / 2] / 2)
        let table = try SharedArray<Int32>((0..<12).map { Int32(11 - $0) }, shape: [3, 4], on: pool)
        XCTAssertEqual(try table.median(), 5.5)
    }

    // MARK: - Helpers

    private func checkAgainstNumpy(big: Bool, workers: [Int]) throws {
        let directory = try OrderTestSupport.makeDirectory()
        defer { OrderTestSupport.removeDirectory(directory) }
        let cases = try OrderTestSupport.orderCases(in: directory, big: big)
        var checked = 0
        for c in cases where big == c.name.hasPrefix("big_") {
            var first: [[Double]]?
            for w in workers {
                let pool = try TestPools.pool(w)
                let answers: [[Double]]
                // Other worker counts repeat the list queries (every method, every q) and compare bits.
                let listsOnly = first != nil
                switch c.dtype {
                case .float64: answers = try answerAll(try c.load(Double.self, on: pool), c, listsOnly: listsOnly)
                case .float32: answers = try answerAll(try c.load(Float.self, on: pool), c, listsOnly: listsOnly)
                case .int64: answers = try answerAll(try c.load(Int64.self, on: pool), c, listsOnly: listsOnly)
                case .int32: answers = try answerAll(try c.load(Int32.self, on: pool), c, listsOnly: listsOnly)
                default: continue
                }
                if let first {
                    XCTAssertEqual(first.filter { $0.count > 1 }.map { $0.map(\.bitPattern) }, answers.map { $0.map(\.bitPattern) },
                                   "\(c.dtype) \(c.name): \(w) workers differ from \(workers[0])")
                } else {
                    first = answers
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }

    /// Runs every order-statistic query of `c` and checks it against numpy's answer.
    private func answerAll<E: SharedElement>(_ x: SharedArray<E>, _ c: OrderCase, listsOnly: Bool) throws -> [[Double]] {
        var all: [[Double]] = []
        for query in c.queries {
            let fn = query["fn"] as! String
            guard fn != "sorted" && fn != "argsort", !listsOnly || fn.hasSuffix("_list") else { continue }
            let method = QuantileMethod(name: query["method"] as? String ?? "linear")!
            let q = hexDoubles(query["q"])
            let got: [Double] =
                switch fn {
                case "median": [try x.median()]
                case "nanmedian": [try x.nanmedian()]
                case "quantile": [try x.quantile(q[0], method: method)]
                case "nanquantile": [try x.nanquantile(q[0], method: method)]
                case "quantile_list": try x.quantile(q, method: method)
                case "nanquantile_list": try x.nanquantile(q, method: method)
                case "percentile": [try x.percentile(q[0], method: method)]
                case "nanpercentile": [try x.nanpercentile(q[0], method: method)]
                case "percentile_list": try x.percentile(q, method: method)
                default: []
                }
            let want = hexDoubles(query["want"])
            XCTAssertEqual(got.count, want.count, "\(c.dtype) \(c.name) \(fn)")
            for (i, (g, w)) in zip(got, want).enumerated() where !sameResult(g, w) {
                XCTFail("\(c.dtype) \(c.name) \(fn) \(method.name) q=\(q.count > i ? q[i] : q.first ?? .nan): got \(g), numpy \(w)")
            }
            all.append(got)
        }
        return all
    }
}
