import XCTest
@testable import SharedArrays

final class HistogramTests: XCTestCase {
    /// The data behind the expected counts, which numpy 2.4 produced with `np.histogram(d, bins, range)`.
    private let data: [Double] = {
        let tenths: [Double] = (0...10).map { Double($0) * 0.1 }
        let sevenths: [Double] = (0..<8).map { Double($0) / 7 }
        let steps: [Double] = (-5..<12).map { Double($0) * 0.3 }
        let edges: [Double] = [-1.0, 2.5, 2.5000000000000004, -1.0000000000000002, .nan, .infinity]
        return tenths + sevenths + steps + edges
    }()

    private func histogram<E: SharedElement>(_ values: [E], _ lower: Double, _ upper: Double, _ bins: Int) -> [Int64] {
        var counts = [Int64](repeating: 0, count: bins)
        values.withUnsafeBufferPointer { v in
            counts.withUnsafeMutableBufferPointer { chunkHistogram(v, lower: lower, upper: upper, bins: bins, into: $0) }
        }
        return counts
    }

    func testMatchesNumpyIncludingEdgeFixups() {
        // 0.3 lands in bin 2 because numpy's edge 3 is 0.30000000000000004.
        XCTAssertEqual(histogram(data, 0, 1, 10), [3, 2, 3, 1, 2, 3, 1, 2, 3, 3])
        XCTAssertEqual(histogram(data, -1, 2.5, 7), [3, 1, 11, 10, 3, 2, 3])
        XCTAssertEqual(histogram(data, 0.1, 0.7, 3), [4, 4, 4])
        XCTAssertEqual(histogram([0.3, 0.7, 0.6], 0, 1, 10), [0, 0, 1, 0, 0, 1, 1, 0, 0, 0])
    }

    func testUpperEdgeGoesInLastBinAndOutOfRangeIsIgnored() {
        XCTAssertEqual(histogram([0, 0.5, 1, 1.5, 2, 2, -1, 3, .nan, -.infinity], 0, 2, 4), [1, 1, 1, 3])
        XCTAssertEqual(histogram([Float(2), 2, 0, -0.0001], 0, 2, 2), [1, 2])
    }

    func testDegenerateRangeExpandsByHalfLikeNumpy() {
        XCTAssertEqual(histogram([5.0, 5, 4.5, 5.5], 5, 5, 2), [1, 3])
    }

    func testIntegersAndAccumulation() {
        let ints = (-3..<20).map { Int64($0) }
        XCTAssertEqual(histogram(ints, 0, 10, 4), [3, 2, 3, 3])
        // Counts add to what is already there (chunk after chunk).
        var counts: [Int64] = [10, 20, 30, 40]
        let pieces = [Array(ints[0..<5]), Array(ints[5...])]
        for piece in pieces {
            piece.withUnsafeBufferPointer { v in
                counts.withUnsafeMutableBufferPointer { chunkHistogram(v, lower: 0, upper: 10, bins: 4, into: $0) }
            }
        }
        XCTAssertEqual(counts, [13, 22, 33, 43])
        XCTAssertEqual(histogram([Int32](), 0, 1, 3), [0, 0, 0])
    }
}
