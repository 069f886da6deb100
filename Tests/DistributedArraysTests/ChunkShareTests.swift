import DistributedArrays
import SharedArrays
import XCTest

/// The pure parts of the distributed reductions, which need no MPI: how the grid is shared among ranks.
final class ChunkShareTests: XCTestCase {
    func testSharesTileTheGridInRankOrder() throws {
        for count in [0, 1, 4095, 32768, 1_000_003, 10_000_000] {
            let grid = ChunkPlan(count: count, elementSize: 8)
            for parts in [1, 2, 3, 7, 64] {
                var next = 0
                var lengths: [Int] = []
                for part in 0..<parts {
                    let share = try grid.share(part, of: parts)
                    XCTAssertEqual(share.lowerBound, next, "count \(count), part \(part) of \(parts)")
                    next = share.upperBound
                    lengths.append(share.count)
                }
                XCTAssertEqual(next, grid.chunkCount, "count \(count), \(parts) parts")
                XCTAssertLessThanOrEqual((lengths.max() ?? 0) - (lengths.min() ?? 0), 1)
            }
        }
    }

    func testElementsOfARunOfChunks() throws {
        let grid = ChunkPlan(count: 1_000_003, elementSize: 8)
        XCTAssertEqual(grid.elements(of: 0..<grid.chunkCount), 0..<1_000_003)
        XCTAssertEqual(grid.elements(of: 1..<2), grid.range(of: 1))
        XCTAssertTrue(grid.elements(of: 3..<3).isEmpty)
    }

    func testABadPartIsAnError() {
        let grid = ChunkPlan(count: 100, elementSize: 8)
        XCTAssertThrowsError(try grid.share(2, of: 2))
        XCTAssertThrowsError(try grid.share(0, of: 0))
        XCTAssertThrowsError(try grid.share(-1, of: 3))
    }

    /// The grid of a run is the run's chunks, shifted to start at 0: a share held on its own folds the same chunks.
    func testTheGridOfARunHasTheRunsChunks() throws {
        for grid in [ChunkPlan(count: 1_000_003, elementSize: 8), ChunkPlan(count: 999_999, elementSize: 8, targetBytes: 1 << 20)] {
            for parts in [1, 2, 3] {
                for part in 0..<parts {
                    let mine = try grid.share(part, of: parts)
                    let run = grid.run(mine)
                    let first = grid.elements(of: mine).lowerBound
                    XCTAssertEqual(run.count, grid.elements(of: mine).count)
                    XCTAssertEqual(run.chunkCount, mine.count)
                    for i in 0..<run.chunkCount {
                        let global = grid.range(of: mine.lowerBound + i)
                        XCTAssertEqual(run.range(of: i), global.lowerBound - first..<global.upperBound - first)
                    }
                }
            }
        }
        XCTAssertEqual(ChunkPlan(count: 100, elementSize: 8).run(0..<0).chunkCount, 0)
    }
}
