import Foundation
import XCTest
@testable import HDF5Arrays
@testable import SharedArrays

/// Streaming an HDF5 dataset through bounded windows gives the same statistics, bit for bit, as loading it:
/// contiguous and gzip-chunked storage, several types, odd lengths, 1, 2 and 3 workers, one, two and many
/// windows.
final class HDF5StreamingTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
        try H5TestSupport.python("""
            import numpy as np, h5py
            rng = np.random.default_rng(5)
            x = rng.normal(10, 3, 300_001); x[[1, 250_000]] = np.nan; x[4] = -np.inf
            with h5py.File('s.h5', 'w') as f:
                f.create_dataset('contig_f8', data=x)
                f.create_dataset('gzip_f8', data=x, chunks=(7_777,), compression='gzip', compression_opts=4, shuffle=True)
                f.create_dataset('gzip_be_i16', data=rng.integers(-30000, 30000, 500_003).astype('>i2'), chunks=(10_000,),
                                 compression='gzip', compression_opts=1)
                f.create_dataset('chunked_f4_2d', data=rng.normal(0, 1, (1_001, 131)).astype('<f4'), chunks=(64, 131),
                                 compression='gzip')
                f.create_dataset('contig_i64', data=rng.integers(-2**50, 2**50, 200_001).astype('<i8'))
            """, in: directory)
    }

    override func tearDown() { H5TestSupport.removeDirectory(directory) }

    private func bits(_ s: Statistics) -> [UInt64?] { s.values.map { $0.1?.bitPattern } }

    private func limits<E: SharedElement>(_: E.Type, count: Int) -> [Int] {
        let grid = ChunkPlan(count: count, elementSize: MemoryLayout<E>.stride)
        let chunk = grid.chunkLength * MemoryLayout<E>.stride
        let partials = grid.chunkCount * MemoryLayout<Moments>.stride
        return [2 * grid.chunkCount * chunk + partials, 2 * ((grid.chunkCount + 1) / 2) * chunk + partials, 2 * chunk + partials]
    }

    private func assertStreamEqualsLoad<E: SharedElement>(_ dataset: String, as _: E.Type) throws {
        let file = directory + "/s.h5"
        let (source, info) = try HDF5StreamSource.open(file: file, dataset: dataset, computeType: E.dtype)
        XCTAssertEqual(source.count, info.count)
        var windows: [Int] = []
        for workers in [1, 2, 3] {
            let pool = try WorkerPool(workers: workers)
            defer { pool.shutdown() }
            let expected = try SharedArray<E>.load(hdf5: file, dataset: dataset, on: pool).statistics(Statistic.allCases, ddof: 1)
            windows = []
            for limit in limits(E.self, count: source.count) {
                var seen = 0
                let streamed = try StreamedReduction.statistics(
                    Statistic.allCases, of: source, as: E.self, ddof: 1, memoryLimit: limit, on: pool) { seen = $0.windows }
                XCTAssertEqual(bits(streamed), bits(expected), "\(dataset) as \(E.dtype), \(workers) workers, limit \(limit)")
                windows.append(seen)
            }
        }
        XCTAssertEqual(windows.prefix(2), [1, 2], dataset)
        XCTAssertGreaterThan(windows.last ?? 0, 2, dataset)
    }

    func testStreamedHDF5StatisticsEqualTheLoadedArrayBitForBit() throws {
        try assertStreamEqualsLoad("/contig_f8", as: Double.self)
        try assertStreamEqualsLoad("/gzip_f8", as: Double.self)
        try assertStreamEqualsLoad("/gzip_be_i16", as: Int32.self)
        try assertStreamEqualsLoad("/chunked_f4_2d", as: Float.self)
        try assertStreamEqualsLoad("/contig_i64", as: Int64.self)
    }

    func testStreamSourceAppliesTheAdmissionRule() throws {
        XCTAssertThrowsError(
            try HDF5StreamSource.open(file: directory + "/s.h5", dataset: "/contig_f8", computeType: .float64, limit: SizeLimit(bytes: 1000))
        ) { error in
            XCTAssertTrue("\(error)".contains("--max-bytes"), "\(error)")
        }
    }
}
