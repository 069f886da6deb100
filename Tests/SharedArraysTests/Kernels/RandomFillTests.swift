import XCTest
@testable import SharedArrays

final class RandomFillTests: XCTestCase {
    private func filled<E: SharedElement>(_: E.Type, _ d: RandomDistribution, seed: UInt64, pieces: [Range<Int>]) -> [E] {
        var out = [E](repeating: E(fromDouble: 0), count: pieces.last?.upperBound ?? 0)
        out.withUnsafeMutableBufferPointer { all in
            for r in pieces {
                randomFill(d, seed: seed, firstIndex: r.lowerBound, UnsafeMutableBufferPointer(rebasing: all[r]))
            }
        }
        return out
    }

    func testValuesDoNotDependOnChunking() {
        let pieces = [0..<1, 1..<4, 4..<5, 5..<300, 300..<301, 301..<777, 777..<1000]
        for d: RandomDistribution in [.uniform(lower: -2, upper: 3), .normal(mean: 1, std: 2)] {
            let once = filled(Double.self, d, seed: 11, pieces: [0..<1000])
            let inPieces = filled(Double.self, d, seed: 11, pieces: pieces)
            XCTAssertEqual(once.map(\.bitPattern), inPieces.map(\.bitPattern), "\(d)")
            XCTAssertEqual(filled(Float.self, d, seed: 11, pieces: [0..<1000]), filled(Float.self, d, seed: 11, pieces: pieces))
            XCTAssertEqual(filled(Int32.self, d, seed: 11, pieces: [0..<1000]), filled(Int32.self, d, seed: 11, pieces: pieces))
            XCTAssertNotEqual(once, filled(Double.self, d, seed: 12, pieces: [0..<1000]))
        }
        // A chunk that is one odd element in the middle reproduces the sin half of its pair.
        let whole = filled(Double.self, .normal(mean: 0, std: 1), seed: 5, pieces: [0..<10])
        var one = [0.0]
        one.withUnsafeMutableBufferPointer { randomFill(.normal(mean: 0, std: 1), seed: 5, firstIndex: 7, $0) }
        XCTAssertEqual(one[0].bitPattern, whole[7].bitPattern)
    }

    func testUniformStaysInRange() {
        let values = filled(Double.self, .uniform(lower: -3, upper: 5), seed: 1, pieces: [0..<100_000])
        XCTAssertTrue(values.allSatisfy { $0 >= -3 && $0 < 5 })
        let mean = values.reduce(0, +) / Double(values.count)
        XCTAssertEqual(mean, 1, accuracy: 0.05)
        let floats = filled(Float.self, .uniform(lower: 0, upper: 1), seed: 2, pieces: [0..<100_000])
        XCTAssertTrue(floats.allSatisfy { $0 >= 0 && $0 < 1 })
        let ints = filled(Int64.self, .uniform(lower: 0, upper: 10), seed: 3, pieces: [0..<10_000])
        XCTAssertEqual(Set(ints), Set(0..<10))
    }

    func testNormalMomentsAreStandard() {
        let values = filled(Double.self, .normal(mean: 0, std: 1), seed: 99, pieces: [0..<100_000])
        let m = withKernelBuffer(values) { chunkMoments($0, firstIndex: 0, needs: [.variance]) }
        XCTAssertEqual(m.mean(skipNaN: false), 0, accuracy: 0.02)
        XCTAssertEqual(m.std(ddof: 0, skipNaN: false), 1, accuracy: 0.02)
        XCTAssertTrue(values.allSatisfy(\.isFinite))
        let shifted = filled(Double.self, .normal(mean: 10, std: 0.5), seed: 99, pieces: [0..<100_000])
        let s = withKernelBuffer(shifted) { chunkMoments($0, firstIndex: 0, needs: [.variance]) }
        XCTAssertEqual(s.mean(skipNaN: false), 10, accuracy: 0.01)
        XCTAssertEqual(s.std(ddof: 0, skipNaN: false), 0.5, accuracy: 0.01)
    }
}
