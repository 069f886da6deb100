import XCTest
@testable import SharedArrays

/// How masks behave beyond numpy's values: operators, errors, views, empty selections.
final class MaskBehaviourTests: XCTestCase {
    func testOperatorsAndNamedMethodsAgree() throws {
        let pool = try TestPools.pool(2)
        let values: [Double] = [-1, 0, 0.5, 3, .nan, .infinity, -.infinity, 10, 9.5]
        let x = try SharedArray(values, on: pool)
        XCTAssertEqual(try (x > 0.5).toArray(), values.map { $0 > 0.5 })
        XCTAssertEqual(try x.greater(than: 0.5).toArray(), values.map { $0 > 0.5 })
        XCTAssertEqual(try (x != 3).toArray(), values.map { $0 != 3 })
        XCTAssertEqual(try x.notEqual(to: x).toArray(), values.map { $0 != $0 }, "NaN != NaN is true")
        XCTAssertEqual(try (x == x).toArray(), values.map { $0 == $0 }, "NaN == NaN is false")
        let inRange = try (x > 0) & (x < 10)
        XCTAssertEqual(inRange.toArray(), values.map { $0 > 0 && $0 < 10 })
        XCTAssertEqual(try (~inRange).toArray(), values.map { !($0 > 0 && $0 < 10) })
        XCTAssertEqual(try ((x <= -1) | x.isNaN()).toArray(), values.map { $0 <= -1 || $0.isNaN })
        XCTAssertEqual(try x.isFinite().toArray(), values.map(\.isFinite))
        XCTAssertEqual(try inRange.trueCount, 3)
        XCTAssertEqual(try x.count(where: inRange), 3)
        XCTAssertEqual(try (x >= 9.5).toArray(), try x.greaterOrEqual(to: 9.5).toArray())
        XCTAssertEqual(try (x <= 0).toArray(), try x.lessOrEqual(to: 0).toArray())
        XCTAssertEqual(try (x < x).toArray(), Array(repeating: false, count: values.count))
    }

    func testIntegerArraysCompareExactlyAndWithReals() throws {
        let pool = try TestPools.pool(2)
        let big = Int64(1) << 53
        let values: [Int64] = [big, big + 1, -3, 2, .max, .min]
        let x = try SharedArray(values, on: pool)
        XCTAssertEqual(try (x > big).toArray(), values.map { $0 > big }, "exact in Int64 past 2^53")
        // A real scalar compares as Double, like numpy's int64 array against a Python float.
        XCTAssertEqual(try x.compare(.greater, .real(Double(big))).toArray(), values.map { Double($0) > Double(big) })
        XCTAssertEqual(try x.compare(.greaterOrEqual, .real(1.5)).toArray(), values.map { Double($0) >= 1.5 })
        XCTAssertEqual(try x.isNaN().toArray(), Array(repeating: false, count: values.count))
        XCTAssertEqual(try x.isFinite().toArray(), Array(repeating: true, count: values.count))
        let small = try SharedArray<Int32>([1, -2, .max], on: pool)
        XCTAssertEqual(try small.compare(.less, .integer(3_000_000_000)).toArray(), [true, true, true], "beyond Int32 is no overflow")
    }

    func testShapeMismatchesAreErrors() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>((0..<12).map(Double.init), on: pool)
        let table = try x.reshaped([3, 4])
        let short = try SharedMask(Array(repeating: true, count: 11), on: pool)
        XCTAssertThrowsError(try x.statistics([.mean], where: short)) { error in
            XCTAssertTrue("\(error)".contains("shape [11]"), "\(error)")
        }
        XCTAssertThrowsError(try table.statistics([.mean], where: try x > 3), "a [12] mask on a [3, 4] table")
        XCTAssertThrowsError(try x.count(where: short))
        XCTAssertThrowsError(try x < (try x.slice(0..<11)))
        XCTAssertThrowsError(try (x > 1) & short)
        XCTAssertThrowsError(try SharedMask([true, false], shape: [3], on: pool))
        XCTAssertThrowsError(try SharedMask([], shape: [2, 2, 0], on: pool))
    }

    func testEmptySelectionFollowsNumpy() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>((0..<100_000).map(Double.init), on: pool)
        let none = try x > 1e9
        let s = try x.statistics([.count, .sum, .mean, .var, .nanmean], where: none)
        XCTAssertEqual(s.count, 0)
        XCTAssertEqual(s[.count], 0)
        XCTAssertEqual(s[.sum], 0)
        XCTAssertTrue(s[.mean]!.isNaN)
        XCTAssertTrue(s[.var]!.isNaN)
        XCTAssertTrue(s[.nanmean]!.isNaN)
        for undefined in [Statistic.min, .max, .argmin, .argmax, .nanmin, .nanargmax] {
            XCTAssertThrowsError(try x.statistics([.mean, undefined], where: none)) { error in
                XCTAssertTrue("\(error)".contains("\(undefined.rawValue) of an empty selection"), "\(error)")
            }
        }
        let empty = try SharedArray<Float>([], on: pool)
        XCTAssertEqual(try empty.statistics([.count], where: try empty > 0)[.count], 0)
        XCTAssertEqual(try (empty > 0).trueCount, 0)
    }

    func testStridedViewsAndTablesAreMaskedInPlace() throws {
        let pool = try TestPools.pool(3)
        let values = testValues(300_001, seed: 4)
        let table = try SharedArray(Array(values.prefix(300_000)), shape: [100_000, 3], on: pool)
        let column = try table.flattened().strided(from: 1, by: 3)
        let expectedColumn = stride(from: 1, to: 300_000, by: 3).map { values[$0] }
        let mask = try column > 10
        XCTAssertEqual(mask.toArray(), expectedColumn.map { $0 > 10 })
        let selected = expectedColumn.filter { $0 > 10 }
        let s = try column.statistics([.count, .mean, .max, .argmax], where: mask)
        XCTAssertEqual(s[.count], Double(selected.count))
        XCTAssertClose(s[.mean], Reference.mean(selected), relative: 1e-12)
        XCTAssertEqual(s[.max], selected.max())
        XCTAssertEqual(s[.argmax], Double(selected.firstIndex(of: selected.max()!)!))
        let tableMask = try table.compare(.less, table.copy())
        XCTAssertEqual(tableMask.shape, [100_000, 3])
        XCTAssertEqual(try tableMask.trueCount, 0)
        let whole = try table.statistics([.sum], where: try table > 0)
        XCTAssertClose(whole[.sum], Reference.kahan(values.prefix(300_000).filter { $0 > 0 }), relative: 1e-12)
    }

    func testSelectionCountCountsEveryNonZeroByteFromAnyStart() {
        var bytes: [UInt8] = []
        var state: UInt64 = 5
        for _ in 0..<1_003 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let pick = Int(state >> 60)
            bytes.append([0, 0, 0, 1, 0x7F, 0x80, 0xFF, 0x01, 2, 0, 0x40, 0x81, 0, 0, 1, 0][pick])
        }
        bytes.withUnsafeBufferPointer { flags in
            for range in [0..<1_003, 1..<1_000, 3..<11, 5..<5, 7..<8, 13..<1_003] {
                XCTAssertEqual(countSelected(flags.baseAddress!, range: range, stride: 1), bytes[range].filter { $0 != 0 }.count, "\(range)")
            }
            XCTAssertEqual(countSelected(flags.baseAddress!, range: 0..<334, stride: 3), stride(from: 0, to: 1_002, by: 3).filter { bytes[$0] != 0 }.count)
        }
    }
}
