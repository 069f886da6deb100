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

    /// A `.npy` file that stores the reduced type is mapped and reduced in place; one that needs a conversion
    /// is read chunk by chunk. Both give the same partials, with global indices (argmin) in every run.
    func testMappedAndReadSharesGiveTheSameBits() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let path = NSTemporaryDirectory() + "share-partials-mapped-\(getpid()).npy"
        let swapped = NSTemporaryDirectory() + "share-partials-swapped-\(getpid()).npy"
        defer { unlink(path); unlink(swapped) }
        let data = try SharedArray<Double>.normal(mean: -4e5, std: 7, shape: [250_001], seed: 5, on: pool)
        data[199_999] = -1e9
        data[17] = .nan
        try data.save(npy: path)
        try writeBigEndianCopy(of: path, to: swapped)
        let source = try NpyStreamSource(path: path)
        XCTAssertNotNil(try source.mappedArray(as: Double.self, on: pool))
        XCTAssertNil(try source.mappedArray(as: Float.self, on: pool), "a conversion is a read, not a mapping")
        XCTAssertNil(try NpyStreamSource(path: swapped).mappedArray(as: Double.self, on: pool), "another byte order is a read")
        let reduction = MomentsReduction<Double>(needs: .all)
        let grid = StreamedReduction.grid(of: source, as: Double.self)
        for parts in [1, 2, 3] {
            for part in 0..<parts {
                let chunks = try grid.share(part, of: parts)
                let mapped = try StreamedReduction.partials(reduction, of: source, chunks: chunks, on: pool)
                let read = try StreamedReduction.partials(reduction, of: Unmapped(base: source), chunks: chunks, on: pool)
                let readSwapped = try StreamedReduction.partials(reduction, of: try NpyStreamSource(path: swapped), chunks: chunks, on: pool)
                XCTAssertEqual(mapped, read, "\(part) of \(parts)")
                XCTAssertEqual(mapped, readSwapped, "\(part) of \(parts)")
                XCTAssertEqual(mapped.map(\.sum.bitPattern), read.map(\.sum.bitPattern))
            }
        }
        let all = try StreamedReduction.partials(reduction, of: source, chunks: 0..<grid.chunkCount, on: pool)
        XCTAssertEqual(try reduction.combine(all, width: 1)[0].argmin, 199_999)
        // Any run of elements loads the same values, mapped or read in pieces (a group-by's coarser grid).
        for elements in [0..<250_001, 1..<2, 70_001..<199_999, 250_001..<250_001] {
            let mapped = try StreamedReduction.load(source, as: Double.self, elements: elements, on: pool)
            let read = try StreamedReduction.load(Unmapped(base: source), as: Double.self, elements: elements, on: pool)
            XCTAssertEqual(mapped.count, elements.count)
            XCTAssertEqual((0..<read.count).map { read[$0].bitPattern }, elements.map { data[$0].bitPattern }, "\(elements)")
            XCTAssertEqual((0..<mapped.count).map { mapped[$0].bitPattern }, elements.map { data[$0].bitPattern }, "\(elements)")
        }
        XCTAssertThrowsError(try StreamedReduction.load(source, as: Double.self, elements: 0..<250_002, on: pool))
    }

    /// Per-row results (axis 1) of runs of the row-block grid, put end to end, are the single-node rows,
    /// whether the file is mapped or read.
    func testRowsInSharesAreTheSingleNodeRows() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let path = NSTemporaryDirectory() + "share-partials-rows-\(getpid()).npy"
        defer { unlink(path) }
        let table = try SharedArray<Double>.normal(mean: 9e3, std: 4, shape: [90_001, 3], seed: 8, on: pool)
        table[4] = .nan
        try table.save(npy: path)
        let reduction = MomentsReduction<Double>(needs: .all)
        let whole = try table.reduce(reduction, layout: .rows(3))
        XCTAssertEqual(whole.count, 90_001)
        let source = try NpyStreamSource(path: path)
        let grid = try StreamedReduction.grid(of: source, as: Double.self, layout: .rows(3))
        for parts in [1, 2, 3] {
            var mapped: [Moments] = [], read: [Moments] = []
            for part in 0..<parts {
                let chunks = try grid.share(part, of: parts)
                mapped += try StreamedReduction.partials(reduction, of: source, chunks: chunks, layout: .rows(3), on: pool)
                read += try StreamedReduction.partials(reduction, of: Unmapped(base: source), chunks: chunks, layout: .rows(3), on: pool)
            }
            XCTAssertEqual(mapped, whole, "\(parts) parts, mapped")
            XCTAssertEqual(read, whole, "\(parts) parts, read")
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

    /// A share loaded once (mapped, or read into shared memory) gives the partials of its run with global
    /// indices (argmin), the same bits as reading the run from the file: one read serves the moments and the
    /// order statistics of `stats --mpi`.
    func testALoadedShareGivesItsRunsPartials() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let path = NSTemporaryDirectory() + "share-partials-loaded-\(getpid()).npy"
        defer { unlink(path) }
        let data = try SharedArray<Double>.normal(mean: 3e5, std: 2, shape: [200_003], seed: 8, on: pool)
        data[150_001] = -1e9
        try data.save(npy: path)
        let source = try NpyStreamSource(path: path)
        let reduction = MomentsReduction<Double>(needs: .all)
        let grid = StreamedReduction.grid(of: source, as: Double.self)
        for parts in [1, 2, 3] {
            var all: [Moments] = []
            for part in 0..<parts {
                let mine = try grid.share(part, of: parts)
                let read = try StreamedReduction.partials(reduction, of: source, chunks: mine, on: pool)
                let mapped = try StreamedReduction.load(source, as: Double.self, chunks: mine, on: pool)
                let loaded = try StreamedReduction.load(Unmapped(base: source), as: Double.self, chunks: mine, on: pool)
                XCTAssertEqual(try mapped.partials(reduction, ofRun: mine, of: grid), read, "mapped, \(part) of \(parts)")
                XCTAssertEqual(try loaded.partials(reduction, ofRun: mine, of: grid), read, "loaded, \(part) of \(parts)")
                all += read
            }
            XCTAssertEqual(try reduction.combine(all, width: 1)[0].argmin, 150_001)
        }
        let first = try StreamedReduction.load(source, as: Double.self, chunks: 0..<1, on: pool)
        XCTAssertThrowsError(try first.partials(reduction, ofRun: 0..<2, of: grid)) { XCTAssertTrue("\($0)".contains("the run covers"), "\($0)") }
    }

    /// A paired reduction (the dot product) read in shares, mapped or read chunk by chunk, combines to the
    /// single-node dot bit for bit; a pair of different lengths, or a reduction without a second operand, is refused.
    func testPairedSharesGiveTheSingleNodeDot() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let base = NSTemporaryDirectory() + "share-partials-dot-\(getpid())"
        defer { for suffix in ["x", "y", "short"] { unlink("\(base)-\(suffix).npy") } }
        let x = try SharedArray<Double>.normal(mean: 1e6, std: 3, shape: [300_007], seed: 5, on: pool)
        let y = try SharedArray<Double>.normal(mean: 0, std: 1, shape: [300_007], seed: 6, on: pool)
        try x.save(npy: "\(base)-x.npy")
        try y.save(npy: "\(base)-y.npy")
        try y.slice(0..<1000).save(npy: "\(base)-short.npy")
        let whole = try x.reduce(DotReduction<Double>(), pairedWith: y)[0]
        XCTAssertEqual(whole.value, try x.dot(y))
        let (sx, sy) = (try NpyStreamSource(path: "\(base)-x.npy"), try NpyStreamSource(path: "\(base)-y.npy"))
        let grid = StreamedReduction.grid(of: sx, as: Double.self)
        func combined<S: StreamSource>(_ a: S, _ b: S, parts: Int) throws -> DotPartial {
            var all: [DotPartial] = []
            for part in 0..<parts {
                all += try StreamedReduction.partials(DotReduction<Double>(), of: a, pairedWith: b, chunks: try grid.share(part, of: parts), on: pool)
            }
            XCTAssertEqual(all.count, grid.chunkCount)
            return try DotReduction<Double>().combine(all, width: 1)[0]
        }
        for parts in [1, 2, 3] {
            XCTAssertEqual(try combined(sx, sy, parts: parts), whole, "mapped, \(parts) parts")
            XCTAssertEqual(try combined(Unmapped(base: sx), Unmapped(base: sy), parts: parts), whole, "read, \(parts) parts")
        }
        let short = try NpyStreamSource(path: "\(base)-short.npy")
        XCTAssertThrowsError(try StreamedReduction.partials(DotReduction<Double>(), of: sx, pairedWith: short, chunks: 0..<1, on: pool)) {
            XCTAssertTrue("\($0)".contains("300007 and 1000 elements"), "\($0)")
        }
        XCTAssertThrowsError(try StreamedReduction.partials(DotReduction<Double>(), of: sx, chunks: 0..<1, on: pool)) {
            XCTAssertTrue("\($0)".contains("pairedWith"), "\($0)")
        }
    }
}

/// Writes the float64 `.npy` file at `path` again as big-endian (`>f8`) at `copy`.
private func writeBigEndianCopy(of path: String, to copy: String) throws {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let header = try NpyFile.read(path: path)
    let little = Array("'<f8'".utf8)
    let at = try XCTUnwrap((0...header.dataOffset - little.count).first { Array(bytes[$0..<$0 + little.count]) == little })
    bytes[at + 1] = UInt8(ascii: ">")
    for start in stride(from: header.dataOffset, to: bytes.count, by: 8) { bytes[start..<start + 8].reverse() }
    try Data(bytes).write(to: URL(fileURLWithPath: copy))
}

/// A source read chunk by chunk even where it could be mapped (internal: workers find job types by name).
struct Unmapped<Base: StreamSource>: StreamSource {
    var base: Base
    var count: Int { base.count }
    var readAlignment: Int { base.readAlignment }
    func read(_ range: Range<Int>, into destination: UnsafeMutableRawPointer, as dtype: DType) throws {
        try base.read(range, into: destination, as: dtype)
    }
}
