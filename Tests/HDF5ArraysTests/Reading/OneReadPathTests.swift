import Foundation
import XCTest
@testable import HDF5Arrays
import SharedArrays

/// `load(hdf5:)` (and so `stats`, `map`) reads through the same raw-chunk lane as `batch`: each worker inflates
/// the whole chunks of its own part straight into the shared array. The values must be h5py's, bit for bit,
/// and the statistics the same for 1, 2 and 3 workers.
final class OneReadPathTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
    }

    override func tearDown() { H5TestSupport.removeDirectory(directory) }

    /// Hostile values (NaN, ±inf, -0.0, subnormals), odd lengths, chunks cut by the extent, chunks never
    /// written, several dtypes; each dataset's values as h5py reads them go to `<name>.bin` (native bytes).
    private static let fixture = """
        import numpy as np, h5py
        rng = np.random.default_rng(23)
        def hostile(n, dtype):
            x = rng.normal(0, 1e3, n).astype(dtype)
            x[::97] = np.nan; x[5::101] = np.inf; x[7::103] = -np.inf; x[11::107] = -0.0
            x[13::109] = np.finfo(dtype).tiny / 4
            return x
        with h5py.File('r.h5', 'w') as f:
            f.create_dataset('f64_shuffle', data=hostile(100003, '<f8'), chunks=(4099,), compression='gzip',
                             compression_opts=4, shuffle=True)
            f.create_dataset('f32_gzip', data=hostile(30011, '<f4'), chunks=(1000,), compression='gzip')
            f.create_dataset('i64_shuffle', data=rng.integers(-2**62, 2**62, 20001), chunks=(777,),
                             compression='gzip', shuffle=True)
            f.create_dataset('i32_rows', data=rng.integers(-2**31, 2**31, (1001, 7)).astype('<i4'), chunks=(37, 7),
                             compression='gzip', shuffle=True)
            d = f.create_dataset('f64_sparse', shape=(50021,), dtype='<f8', chunks=(3000,), fillvalue=-2.5,
                                 compression='gzip', shuffle=True)
            d[7000:20000] = hostile(13000, '<f8')
            d[49000:] = 1.25
            f.create_dataset('f64_tall_chunk', data=hostile(900, '<f8'), chunks=(2000,), maxshape=(None,),
                             compression='gzip', shuffle=True)
            for name in f:
                f[name][...].astype(f[name].dtype.newbyteorder('=')).tofile(name + '.bin')
        """

    private static let cases: [(name: String, dtype: DType)] = [
        ("f64_shuffle", .float64), ("f32_gzip", .float32), ("i64_shuffle", .int64), ("i32_rows", .int32),
        ("f64_sparse", .float64), ("f64_tall_chunk", .float64),
    ]

    func testLoadInflatesRawChunksIntoEachWorkersPartWithH5pysBytes() throws {
        guard LibDeflate.shared != nil else { throw XCTSkip("libdeflate is not installed: HDF5's gzip filter is used") }
        try H5TestSupport.python(Self.fixture, in: directory)
        let file = directory + "/r.h5"
        for (name, dtype) in Self.cases {
            let reader = try HDF5DatasetReader(file: file, dataset: "/" + name)
            XCTAssertTrue(reader.inflatesRawChunks(as: dtype), "\(name) should take the raw-chunk lane")
            reader.close()
        }
        var statistics: [String: [Statistics]] = [:]
        for workers in 1...3 {
            let pool = try WorkerPool(workers: workers)
            defer { pool.shutdown() }
            for (name, dtype) in Self.cases {
                let expected = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name + ".bin"))
                let (bytes, stats) = try load(dtype, file: file, dataset: "/" + name, pool: pool)
                XCTAssertEqual(bytes, expected, "\(name) with \(workers) workers differs from h5py")
                statistics[name, default: []].append(stats)
            }
        }
        for (name, results) in statistics {
            XCTAssertEqual(results.count, 3)
            for result in results.dropFirst() {
                XCTAssertTrue(Self.sameBits(result, results[0]), "\(name): statistics depend on the worker count")
            }
        }
    }

    /// The raw-chunk lane and `H5Dread` give the same bytes for ranges that split chunks anywhere.
    func testRawChunkLaneAndH5DreadAgreeOnEveryRange() throws {
        guard LibDeflate.shared != nil else { throw XCTSkip("libdeflate is not installed: HDF5's gzip filter is used") }
        try H5TestSupport.python(Self.fixture, in: directory)
        let file = directory + "/r.h5"
        for (name, dtype) in Self.cases {
            let fast = try HDF5DatasetReader(file: file, dataset: "/" + name)
            let slow = try HDF5DatasetReader(file: file, dataset: "/" + name, field: nil, rawChunks: false)
            let n = fast.info.count
            for range in [0..<n, 1..<n, 4098..<4100, 2999..<9001, (n - 1)..<n, 777..<778, 6999..<20001] where range.upperBound <= n {
                let size = range.count * dtype.byteSize
                var a = [UInt8](repeating: 0, count: size), b = [UInt8](repeating: 1, count: size)
                try a.withUnsafeMutableBytes { try fast.readElements(range: range, into: $0.baseAddress!, as: dtype) }
                try b.withUnsafeMutableBytes { try slow.readElements(range: range, into: $0.baseAddress!, as: dtype) }
                XCTAssertEqual(a, b, "\(name) \(range)")
            }
        }
    }

    /// `stats` streams whole-dataset moments without a shared array: the same bits as loading and reducing,
    /// for 1, 2 and 3 workers, in every dtype and layout (the raw-chunk lane and `H5Dread` alike).
    func testStreamedStatisticsAreTheBitsOfLoadingAndReducing() throws {
        try H5TestSupport.python(Self.fixture, in: directory)
        let file = directory + "/r.h5"
        let all = Statistic.allCases
        for workers in 1...3 {
            let pool = try WorkerPool(workers: workers)
            defer { pool.shutdown() }
            for (name, dtype) in Self.cases + [("f64_shuffle", .float32), ("i32_rows", .float64)] {
                let loaded: Statistics
                switch dtype {
                case .float64: loaded = try SharedArray<Double>.load(hdf5: file, dataset: "/" + name, on: pool).statistics(all, ddof: 1)
                case .float32: loaded = try SharedArray<Float>.load(hdf5: file, dataset: "/" + name, on: pool).statistics(all, ddof: 1)
                case .int64: loaded = try SharedArray<Int64>.load(hdf5: file, dataset: "/" + name, on: pool).statistics(all, ddof: 1)
                default: loaded = try SharedArray<Int32>.load(hdf5: file, dataset: "/" + name, on: pool).statistics(all, ddof: 1)
                }
                let streamed = try HDF5.streamedStatistics(
                    file: file, dataset: "/" + name, statistics: all, ddof: 1, dtype: dtype, on: pool)
                XCTAssertEqual(streamed.statistics.count, loaded.count, name)
                for statistic in all {
                    XCTAssertEqual(streamed.statistics[statistic]?.bitPattern, loaded[statistic]?.bitPattern,
                                   "\(name) as \(dtype) \(statistic) on \(workers) workers")
                }
            }
        }
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        XCTAssertThrowsError(try HDF5.streamedStatistics(file: file, dataset: "/f64_shuffle", statistics: all, dtype: .float64,
                                                         limit: SizeLimit(bytes: 1000), on: pool))
        XCTAssertThrowsError(try HDF5.streamedStatistics(file: file, dataset: "/missing", statistics: all, dtype: .float64, on: pool))
    }

    private func load(_ dtype: DType, file: String, dataset: String, pool: WorkerPool) throws -> (Data, Statistics) {
        switch dtype {
        case .float64: try load(Double.self, file: file, dataset: dataset, pool: pool)
        case .float32: try load(Float.self, file: file, dataset: dataset, pool: pool)
        case .int64: try load(Int64.self, file: file, dataset: dataset, pool: pool)
        default: try load(Int32.self, file: file, dataset: dataset, pool: pool)
        }
    }

    private func load<E: SharedElement>(_: E.Type, file: String, dataset: String, pool: WorkerPool) throws -> (Data, Statistics) {
        let array = try SharedArray<E>.load(hdf5: file, dataset: dataset, on: pool)
        let bytes = array.toArray().withUnsafeBytes { Data($0) }
        return (bytes, try array.statistics([.count, .sum, .mean, .std, .min, .max]))
    }

    /// Equal as bits: NaN equals NaN, -0.0 differs from 0.0.
    private static func sameBits(_ a: Statistics, _ b: Statistics) -> Bool {
        for statistic in [Statistic.count, .sum, .mean, .std, .min, .max] {
            guard a[statistic]?.bitPattern == b[statistic]?.bitPattern else { return false }
        }
        return true
    }
}
