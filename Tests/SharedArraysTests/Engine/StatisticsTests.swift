import SharedArrays
import XCTest

final class StatisticsTests: XCTestCase {
    func testWholeArrayStatisticsMatchReference() throws {
        let pool = try TestPools.pool(2)
        for n in [1, 7, 1000, 100_003, 300_001] {
            let values = testValues(n, seed: UInt64(n))
            let x = try SharedArray(values, on: pool)
            let s = try x.statistics(Statistic.allCases, ddof: 0)
            XCTAssertEqual(s[.count], Double(n))
            XCTAssertClose(s[.sum], Reference.kahan(values), relative: 1e-11)
            XCTAssertClose(s[.mean], Reference.mean(values), relative: 1e-11)
            XCTAssertClose(s[.var], Reference.variance(values), relative: 1e-10)
            XCTAssertClose(s[.std], Reference.variance(values).squareRoot(), relative: 1e-10)
            XCTAssertEqual(s[.min], values.min())
            XCTAssertEqual(s[.max], values.max())
            XCTAssertEqual(s[.argmin], Double(values.firstIndex(of: values.min()!)!))
            XCTAssertEqual(s[.argmax], Double(values.firstIndex(of: values.max()!)!))
            XCTAssertClose(s[.norm], Reference.kahan(values.map { $0 * $0 }).squareRoot(), relative: 1e-11)
            XCTAssertClose(try x.variance(ddof: 1), Reference.variance(values, ddof: 1), relative: 1e-10)
        }
    }

    func testResultsAreBitIdenticalForAnyWorkerCount() throws {
        let values = testValues(1_234_567, seed: 9)
        var results: [[Double?]] = []
        for workers in [1, 2, 3, 8] {
            let pool = try TestPools.pool(workers)
            let x = try SharedArray(values, on: pool)
            let s = try x.statistics([.sum, .mean, .var, .std, .min, .argmax, .norm], ddof: 1)
            var row = s.values.map(\.1)
            row.append(try x.dot(x))
            let table = try SharedArray(Array(values.prefix(1_234_560)), shape: [123_456, 10], on: pool)
            row += try table.statistics([.mean, .var], axis: 0).values.flatMap(\.1)
            row.append(try x.strided(by: 5).meanOfMeans())
            results.append(row)
        }
        for row in results.dropFirst() {
            XCTAssertEqual(row.count, results[0].count)
            for (a, b) in zip(row, results[0]) { XCTAssertEqual(a?.bitPattern, b?.bitPattern) }
        }
    }

    func testNaNPropagatesAndNanVariantsSkip() throws {
        let pool = try TestPools.pool(2)
        var values = testValues(200_000)
        values[150_000] = .nan
        values[170_000] = .nan
        let clean = values.filter { !$0.isNaN }
        let x = try SharedArray(values, on: pool)
        let s = try x.statistics(Statistic.allCases)
        for plain in [Statistic.sum, .mean, .var, .std, .min, .max, .norm] { XCTAssertTrue(s[plain]!.isNaN, "\(plain)") }
        XCTAssertEqual(s[.argmin], 150_000)
        XCTAssertEqual(s[.argmax], 150_000)
        XCTAssertEqual(s[.count], 200_000)
        XCTAssertEqual(s[.nancount], 199_998)
        XCTAssertClose(s[.nanmean], Reference.mean(clean), relative: 1e-11)
        XCTAssertClose(s[.nanvar], Reference.variance(clean), relative: 1e-10)
        XCTAssertEqual(s[.nanmin], clean.min())
        XCTAssertEqual(s[.nanargmax], Double(values.firstIndex(of: clean.max()!)!))
    }

    func testEmptyArrayFollowsNumpy() throws {
        let x = try SharedArray<Double>([], on: try TestPools.pool(2))
        let s = try x.statistics([.count, .sum, .mean, .var, .min, .argmin])
        XCTAssertEqual(s[.count], 0)
        XCTAssertEqual(s[.sum], 0)
        XCTAssertTrue(s[.mean]!.isNaN)
        XCTAssertTrue(s[.var]!.isNaN)
        XCTAssertNil(s[.min])
        XCTAssertNil(s[.argmin])
    }

    func testIntegerArrays() throws {
        let pool = try TestPools.pool(2)
        let values: [Int64] = (0..<100_000).map { Int64($0 % 977) - 400 }
        let x = try SharedArray(values, on: pool)
        let s = try x.statistics([.sum, .mean, .min, .argmax])
        XCTAssertEqual(s[.sum], Double(values.reduce(0, +)))
        XCTAssertClose(s[.mean], Double(values.reduce(0, +)) / 100_000)
        XCTAssertEqual(s[.min], -400)
        XCTAssertEqual(s[.argmax], 976)
        let y = try SharedArray<Int32>((0..<1000).map { Int32($0) }, on: pool)
        XCTAssertEqual(try y.sum(), 499_500)
    }

    func testColumnAndRowStatistics() throws {
        let pool = try TestPools.pool(3)
        let rows = 50_001, columns = 6
        let values = testValues(rows * columns, seed: 4)
        let table = try SharedArray(values, shape: [rows, columns], on: pool)
        let perColumn = try table.statistics([.mean, .std, .min, .argmax], axis: 0, ddof: 1)
        for c in 0..<columns {
            let column = (0..<rows).map { values[$0 * columns + c] }
            XCTAssertClose(perColumn[.mean]![c], Reference.mean(column), relative: 1e-11)
            XCTAssertClose(perColumn[.std]![c], Reference.variance(column, ddof: 1).squareRoot(), relative: 1e-10)
            XCTAssertEqual(perColumn[.min]![c], column.min())
            XCTAssertEqual(perColumn[.argmax]![c], Double(column.firstIndex(of: column.max()!)!))
        }
        let perRow = try table.statistics([.sum, .max], axis: 1)
        XCTAssertEqual(perRow[.sum]!.count, rows)
        for r in [0, 17, rows - 1] {
            let row = Array(values[r * columns..<(r + 1) * columns])
            XCTAssertClose(perRow[.sum]![r], row.reduce(0, +), relative: 1e-12)
            XCTAssertEqual(perRow[.max]![r], row.max())
        }
        XCTAssertThrowsError(try table.statistics([.mean], axis: 2))
        XCTAssertThrowsError(try table.flattened().statistics([.mean], axis: 0))
    }

    func testStridedMeanOfMeansIsCountWeighted() throws {
        let pool = try TestPools.pool(2)
        // 1_000_003 is not a multiple of 5: the parts have 200_001 and 200_000 elements.
        let values = testValues(1_000_003, seed: 5)
        let x = try SharedArray(values, on: pool)
        let parts = try x.strided(by: 5)
        XCTAssertEqual(parts.counts(), [200_001, 200_001, 200_001, 200_000, 200_000])
        let means = try parts.means()
        for i in 0..<5 {
            let part = stride(from: i, to: values.count, by: 5).map { values[$0] }
            XCTAssertClose(means[i], Reference.mean(part), relative: 1e-11)
            XCTAssertClose(try parts.part(i).mean(), Reference.mean(part), relative: 1e-11)
            XCTAssertEqual(try parts.part(i).argmax(), part.firstIndex(of: part.max()!))
        }
        XCTAssertClose(try parts.meanOfMeans(), Reference.mean(values), relative: 1e-12)
        // The seed's unweighted average differs when the parts differ in length.
        let seed = means.reduce(0, +) / 5
        XCTAssertEqual(try parts.unweightedMeanOfMeans(), seed)
        XCTAssertNotEqual(seed, try parts.meanOfMeans())
    }

    /// With NaN in the data, the mean of means is NaN (np.mean), or with `skipNaN` the weighted mean of
    /// the non-NaN values of each part, which is np.nanmean of the whole.
    func testMeanOfMeansSkippingNaN() throws {
        let pool = try TestPools.pool(2)
        var values = (0..<10_007).map { Double($0 % 97) * 0.5 }
        for i in stride(from: 3, to: values.count, by: 11) { values[i] = .nan }
        let x = try SharedArray<Double>(values, on: pool)
        let parts = try x.strided(by: 7)
        XCTAssertTrue(try parts.meanOfMeans().isNaN)
        let kept = values.filter { !$0.isNaN }
        XCTAssertClose(try parts.meanOfMeans(skipNaN: true), Reference.mean(kept), relative: 1e-12)
        let partMeans = try parts.means(skipNaN: true)
        let part2 = stride(from: 2, to: values.count, by: 7).map { values[$0] }.filter { !$0.isNaN }
        XCTAssertClose(partMeans[2], Reference.mean(part2), relative: 1e-12)
    }

    func testViewsShareMemory() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>.arange(100, on: pool)
        let middle = try x.slice(10..<20)
        XCTAssertEqual(try middle.sum(), Double((10..<20).reduce(0, +)))
        middle[0] = -1
        XCTAssertEqual(x[10], -1)
        let odd = try x.strided(from: 1, by: 2)
        XCTAssertEqual(odd.count, 50)
        XCTAssertEqual(odd[1], 3)
        XCTAssertEqual(try odd.copy().toArray(), stride(from: 1, to: 100, by: 2).map(Double.init))
        XCTAssertThrowsError(try x.slice(90..<101))
        XCTAssertNil(x.element(at: 100))
    }
}
