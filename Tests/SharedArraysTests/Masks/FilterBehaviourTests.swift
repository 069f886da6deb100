import XCTest
@testable import SharedArrays

/// `filter` and `where` beyond numpy's values: rows of a table, order, errors, sizes around chunks.
final class FilterBehaviourTests: XCTestCase {
    func testFilterKeepsOrderAcrossChunksForAnyWorkerCount() throws {
        for n in [0, 1, 4095, 32_768, 32_769, 1_000_003] {
            let values = testValues(n, seed: UInt64(n) + 3)
            var results: [[Double]] = []
            for workers in [1, 2, 3] {
                let pool = try TestPools.pool(workers)
                let x = try SharedArray(values, on: pool)
                let kept = try x.filter(try x > 3)
                XCTAssertEqual(kept.shape, [values.filter { $0 > 3 }.count])
                results.append(kept.toArray())
            }
            XCTAssertEqual(results[0], values.filter { $0 > 3 }, "n = \(n)")
            XCTAssertEqual(results[1], results[0])
            XCTAssertEqual(results[2], results[0])
        }
    }

    func testAllAndNoneSelected() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Int32>((0..<100_000).map { Int32($0 % 7) }, on: pool)
        XCTAssertEqual(try x.filter(try x >= 0).toArray(), x.toArray())
        let none = try x.filter(try x > 6)
        XCTAssertEqual(none.shape, [0])
        XCTAssertEqual(none.toArray(), [])
    }

    func testOneDimensionalMaskSelectsRowsOfATable() throws {
        let pool = try TestPools.pool(3)
        let rows = 50_001, columns = 5
        let values = testValues(rows * columns, seed: 8)
        let table = try SharedArray(values, shape: [rows, columns], on: pool)
        let third = try table.flattened().strided(from: 3, by: columns)
        let kept = try table.filter(try third > 10)
        let expected = (0..<rows).filter { values[$0 * columns + 3] > 10 }
        XCTAssertEqual(kept.shape, [expected.count, columns])
        XCTAssertEqual(kept.toArray(), expected.flatMap { values[$0 * columns..<($0 + 1) * columns] })
        // A mask of the table's own shape selects elements, numpy's t[t > 10].
        XCTAssertEqual(try table.filter(try table > 10).toArray(), values.filter { $0 > 10 })
    }

    func testFilterOfAStridedView() throws {
        let pool = try TestPools.pool(2)
        let values = testValues(200_001, seed: 5)
        let view = try SharedArray(values, on: pool).strided(from: 2, by: 3)
        let expected = stride(from: 2, to: values.count, by: 3).map { values[$0] }
        XCTAssertEqual(try view.filter(try view < 0).toArray(), expected.filter { $0 < 0 })
    }

    func testMasksOfAnotherShapeAreErrors() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>((0..<12).map(Double.init), on: pool)
        let table = try x.reshaped([3, 4])
        XCTAssertThrowsError(try x.filter(try SharedMask(Array(repeating: true, count: 11), on: pool))) { error in
            XCTAssertTrue("\(error)".contains("mask has shape [11]"), "\(error)")
        }
        XCTAssertThrowsError(try table.filter(try SharedMask([true, false, true, true], on: pool))) { error in
            XCTAssertTrue("\(error)".contains("rows with shape [3]"), "\(error)")
        }
        XCTAssertThrowsError(try SharedArray.where(try x > 3, table, x))
        XCTAssertThrowsError(try SharedArray.where(try table > 3, x, 0))
        XCTAssertThrowsError(try SharedArray.where(try x > 3, 1, table))
    }

    func testWhereWithScalars() throws {
        let pool = try TestPools.pool(2)
        let values: [Float] = [1, -2, .nan, 4, -.infinity]
        let x = try SharedArray(values, on: pool)
        let mask = try x > 0
        XCTAssertEqual(try SharedArray.where(mask, x, 0).toArray(), [1, 0, 0, 4, 0])
        XCTAssertEqual(try SharedArray.where(mask, -1, x).toArray().map(\.bitPattern), [-1, -2, .nan, -1, -.infinity].map(\.bitPattern))
        XCTAssertEqual(try SharedArray<Float>.where(mask, 1, 2).toArray(), [1, 2, 2, 1, 2])
    }

    func testWhereAndComparisonsReadStridedViewsInPlace() throws {
        let pool = try TestPools.pool(3)
        let values = testValues(150_000, seed: 11)
        let table = try SharedArray(values, shape: [50_000, 3], on: pool)
        let first = try table.flattened().strided(from: 0, by: 3)
        let last = try table.flattened().strided(from: 2, by: 3)
        let a = stride(from: 0, to: 150_000, by: 3).map { values[$0] }
        let b = stride(from: 2, to: 150_000, by: 3).map { values[$0] }
        let mask = try first < last
        XCTAssertEqual(mask.toArray(), zip(a, b).map { $0 < $1 })
        XCTAssertEqual(try SharedArray.where(mask, first, last).toArray(), zip(a, b).map { $0 < $1 ? $0 : $1 })
        XCTAssertEqual(try SharedArray.where(mask, 0, last).toArray(), zip(a, b).map { $0 < $1 ? 0 : $1 })
    }
}
