@testable import DistributedArrays
import SharedArrays
import XCTest

/// Rank 0 finishing the pairwise tree from the subtrees each rank merged gives the bits of one node's tree.
final class PairwiseSubtreesTests: XCTestCase {
    func testSubtreesOfSharesFinishToTheSingleNodeCombine() throws {
        var generator = SystemRandomNumberGenerator()
        for count in [1, 2, 3, 5, 31, 64, 1000] {
            // Partials whose sums depend on the order they are merged in.
            let partials = (0..<count).map { _ in
                let x = Double.random(in: -1...1, using: &generator) * pow(10, Double.random(in: -8...8, using: &generator))
                return Moments(count: 1, sum: x, mean: x)
            }
            let reduction = MomentsReduction<Double>(needs: [.sum, .variance])
            let single = try reduction.combine(partials, width: 1)[0]
            let grid = ChunkPlan(count: count * 4096, elementSize: 1, targetBytes: 4096)
            XCTAssertEqual(grid.chunkCount, count)
            for parts in [1, 2, 3, 7] {
                var subtrees: [Int: (range: Range<Int>, slots: [Moments])] = [:]
                var sent = 0
                for part in 0..<parts {
                    let run = try grid.share(part, of: parts)
                    let nodes = PairwiseSubtrees.maximal(inside: run, of: count)
                    XCTAssertEqual(nodes.reduce(0) { $0 + $1.count }, run.count)
                    sent += nodes.count
                    for node in nodes { subtrees[node.lowerBound] = (node, try reduction.combine(Array(partials[node]), width: 1)) }
                }
                let finished = try PairwiseSubtrees.finish(reduction, subtrees: subtrees, count: count, width: 1)[0]
                XCTAssertEqual(finished.sum.bitPattern, single.sum.bitPattern, "\(count) chunks, \(parts) parts")
                XCTAssertEqual(finished.m2.bitPattern, single.m2.bitPattern, "\(count) chunks, \(parts) parts")
                XCTAssertLessThanOrEqual(sent, parts * 2 * (Int.bitWidth - count.leadingZeroBitCount))
            }
        }
    }

    func testAMissingSubtreeIsAnError() {
        let reduction = MomentsReduction<Double>(needs: [.sum])
        XCTAssertThrowsError(try PairwiseSubtrees.finish(reduction, subtrees: [0: (0..<2, [.empty])], count: 3, width: 1))
    }
}
