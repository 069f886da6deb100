import XCTest
@testable import SharedArrays

/// `Moments.variance(ddof:)` and the statistics read from moments are total: any ddof, and moments built
/// by hand with extreme counts, give a number or NaN, never an overflow trap; ordinary results are
/// unchanged to the bit.
final class MomentsVarianceTotalityTests: XCTestCase {
    func testVarianceWithNegativeOrHugeDdofIsTotalAndKeepsOrdinaryResults() {
        let m = Moments(count: 10, mean: 4.5, m2: 82.5)
        XCTAssertEqual(m.variance(ddof: 0, skipNaN: false).bitPattern, (82.5 / 10).bitPattern)
        XCTAssertEqual(m.variance(ddof: 1, skipNaN: false).bitPattern, (82.5 / 9).bitPattern)
        XCTAssertEqual(m.variance(ddof: -1, skipNaN: false).bitPattern, (82.5 / 11).bitPattern, "numpy's negative ddof")
        XCTAssertTrue(m.variance(ddof: 10, skipNaN: false).isNaN)
        XCTAssertTrue(m.variance(ddof: Int.max, skipNaN: false).isNaN)
        let huge = m.variance(ddof: Int.min, skipNaN: false)
        XCTAssertEqual(huge, 82.5 / (10 + 0x1p63))
        XCTAssertEqual(m.variance(ddof: Int.min + 5, skipNaN: false), 82.5 / (10 + 0x1p63))
        XCTAssertFalse(m.std(ddof: Int.min, skipNaN: false).isNaN)

        let negativeCount = Moments(count: -5, m2: 1)
        XCTAssertTrue(negativeCount.variance(ddof: Int.max, skipNaN: false).isNaN)
        XCTAssertTrue(negativeCount.variance(ddof: 0, skipNaN: false).isNaN)
        let maxCount = Moments(count: .max, m2: 1)
        XCTAssertEqual(maxCount.variance(ddof: -1, skipNaN: false), 1 / 0x1p63)
    }

    func testCountStatisticOfMomentsPastIntMaxDoesNotTrap() {
        let m = Moments(count: .max, nanCount: 2, m2: 1)
        XCTAssertEqual(Statistic.count.value(from: m, ddof: 0, isInteger: false), 0x1p63)
        XCTAssertEqual(Statistic.count.value(from: Moments(count: 3, nanCount: 4), ddof: 0, isInteger: false), 7)
        XCTAssertNotNil(Statistic.min.value(from: m, ddof: 0, isInteger: false))
        XCTAssertNil(Statistic.min.value(from: Moments(), ddof: 0, isInteger: false))
    }
}
