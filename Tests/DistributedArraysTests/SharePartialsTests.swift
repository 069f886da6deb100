import Foundation
import DistributedArrays
import Multiprocessing
import SharedArrays
import XCTest

/// What every rank of a distributed reduction computes, without MPI: the partials of a run of chunks read
/// from the file, combined over all runs in chunk order, equal the single-node statistics bit for bit.
final class SharePartialsTests: XCTestCase {
    func testPartialsOfSharesCombineToTheSingleNodeBits() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let path = NSTemporaryDirectory() + "share-partials-\(getpid()).npy"
        defer { unlink(path) }
        // Offset data (a large mean over small noise) of an odd length: many chunks, a short last one.
        let data = try SharedArray<Double>.normal(mean: 1e6, std: 3, shape: [300_007], seed: 11, on: pool)
        try data.save(npy: path)
        let needs = MomentNeeds.all
        let whole = try SharedArray<Double>.load(npy: path, on: pool).reduce(MomentsReduction<Double>(needs: needs))[0]
        let source = try NpyStreamSource(path: path)
        let grid = StreamedReduction.grid(of: source, as: Double.self)
        XCTAssertGreaterThan(grid.chunkCount, 3)
        for parts in 1...4 {
            var all: [Moments] = []
            for part in 0..<parts {
                let chunks = try grid.share(part, of: parts)
                all += try StreamedReduction.partials(MomentsReduction<Double>(needs: needs), of: source, chunks: chunks, on: pool)
            }
            XCTAssertEqual(all.count, grid.chunkCount)
            let combined = try MomentsReduction<Double>(needs: needs).combine(all, width: 1)[0]
            XCTAssertEqual(combined, whole, "\(parts) parts")
            XCTAssertEqual(combined.sum.bitPattern, whole.sum.bitPattern)
            XCTAssertEqual(combined.m2.bitPattern, whole.m2.bitPattern)
        }
    }

    /// The seed's strided mean of means (`data[r::5]`, residue classes) and per-column moments of a table
    /// read in shares give the single-node partials bit for bit too.
    func testResidueClassesAndColumnsInShares() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let path = NSTemporaryDirectory() + "share-partials-layouts-\(getpid()).npy"
        defer { unlink(path) }
        let data = try SharedArray<Double>.normal(mean: 50, std: 2, shape: [70_003 * 5], seed: 3, on: pool)
        try data.save(npy: path)
        let source = try NpyStreamSource(path: path)
        let reduction = MomentsReduction<Double>(needs: .all)
        for layout in [ReductionLayout.residueClasses(5), .columns(5)] {
            let table = layout == .columns(5) ? try data.reshaped([70_003, 5]) : data
            let whole = try table.reduce(reduction, layout: layout)
            let grid = try StreamedReduction.grid(of: source, as: Double.self, layout: layout)
            XCTAssertGreaterThan(grid.chunkCount, 2)
            for parts in [1, 2, 3] {
                var all: [Moments] = []
                for part in 0..<parts {
                    all += try StreamedReduction.partials(reduction, of: source, chunks: try grid.share(part, of: parts), layout: layout, on: pool)
                }
                let combined = try reduction.combine(all, width: 5)
                XCTAssertEqual(combined, whole, "\(layout), \(parts) parts")
                XCTAssertEqual(combined.map(\.sum.bitPattern), whole.map(\.sum.bitPattern), "\(layout), \(parts) parts")
            }
        }
    }

    func testChunksOutsideTheGridAreAnError() throws {
        let pool = try WorkerPool(workers: 1)
        defer { pool.shutdown() }
        let path = NSTemporaryDirectory() + "share-partials-bad-\(getpid()).npy"
        defer { unlink(path) }
        try SharedArray<Double>.arange(10, on: pool).save(npy: path)
        let source = try NpyStreamSource(path: path)
        XCTAssertThrowsError(try StreamedReduction.partials(MomentsReduction<Double>(needs: [.sum]), of: source, chunks: 0..<2, on: pool)) { error in
            XCTAssertTrue("\(error)".contains("outside the grid"), "\(error)")
        }
    }
}
