import Foundation
import XCTest
@testable import HDF5Arrays
import Multiprocessing
import SharedArrays
import TestSupport

/// Datasets compressed by filter plugins (blosc, lz4, bitshuffle, lzf, bzip2; Debian's plugin packages, see
/// scripts/install-deps.sh) read as h5py wrote them on 1, 2 and 3 workers; a filter with no plugin (zstd,
/// blosc2) is named, with its id and how to add it.
final class HDF5FilterPluginTests: XCTestCase {
    private var directory = ""
    /// h5py with hdf5plugin, which writes the plugin-compressed test files.
    private static let writer = PythonReference(modules: ["numpy", "h5py", "hdf5plugin"], directoryPrefix: "h5-filters")

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
    }

    override func tearDown() {
        H5TestSupport.removeDirectory(directory)
    }

    private var file: String { directory + "/filters.h5" }

    /// `filters.h5`: the same kind of values under each filter, large enough (about 10 MB as float64) that a
    /// load splits into three chunks; `NAME.f64` holds what h5py reads.
    private static let fixture = """
        import numpy as np, h5py, hdf5plugin
        rng = np.random.default_rng(8)
        rows = 450_000
        grid = rng.normal(0, 1, (rows, 3)); grid[5, 1] = np.nan; grid[6, 2] = -np.inf
        cases = {
            'blosc_lz4_f64': (grid, hdf5plugin.Blosc(cname='lz4', clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE)),
            'blosc_zlib_f32': (grid.astype('<f4'), hdf5plugin.Blosc(cname='zlib', clevel=3, shuffle=hdf5plugin.Blosc.BITSHUFFLE)),
            'lz4_i32': (rng.integers(-2**31, 2**31, (rows, 3)).astype('<i4'), hdf5plugin.LZ4()),
            'bitshuffle_i64': (rng.integers(-2**40, 2**40, (rows, 3)).astype('>i8'), hdf5plugin.Bitshuffle(cname='none')),
            'bitshuffle_lz4_f64': (grid, hdf5plugin.Bitshuffle(cname='lz4')),
            'lzf_f64': (grid, dict(compression='lzf')),
            'bzip2_u16': (rng.integers(0, 2**16, (rows, 3)).astype('<u2'), hdf5plugin.BZip2()),
            'zstd_f64': (grid[:1000], hdf5plugin.Zstd()),
            'blosc2_f64': (grid[:1000], hdf5plugin.Blosc2()),
        }
        with h5py.File('filters.h5', 'w') as f:
            for name, (data, filt) in cases.items():
                f.create_dataset(name, data=data, chunks=(min(len(data), 40_000), 3), **filt)
        with h5py.File('filters.h5', 'r') as f:
            for name in cases:
                f[name][...].astype('<f8').tofile(name + '.f64')
        """

    private func makeFixture() throws {
        try Self.writer.require()
        try Self.writer.python(Self.fixture, in: directory)
    }

    func testReadsPluginFiltersAsH5pyWroteThemOnOneTwoAndThreeWorkers() throws {
        try makeFixture()
        let names = ["blosc_lz4_f64", "blosc_zlib_f32", "lz4_i32", "bitshuffle_i64", "bitshuffle_lz4_f64", "lzf_f64", "bzip2_u16"]
        let filters = ["blosc_lz4_f64": ["blosc"], "lz4_i32": ["lz4"], "bitshuffle_lz4_f64": ["bitshuffle"], "lzf_f64": ["lzf"],
                       "bzip2_u16": ["bzip2"]]
        for (name, expected) in filters {
            XCTAssertEqual(try HDF5.datasetInfo(file: file, dataset: name).filters, expected, name)
        }
        var expected: [String: [Double]] = [:]
        for name in names { expected[name] = try H5TestSupport.readFloat64(directory + "/" + name + ".f64") }
        for workers in 1...3 {
            let pool = try WorkerPool(workers: workers)
            defer { pool.shutdown() }
            for name in names {
                let values = try SharedArray<Double>.load(hdf5: file, dataset: "/" + name, on: pool).toArray()
                let reference = expected[name] ?? []
                XCTAssertEqual(values.count, reference.count, name)
                guard values.count == reference.count else { continue }
                let mismatch = values.indices.first { values[$0].bitPattern != reference[$0].bitPattern }
                XCTAssertNil(mismatch, "\(name) on \(workers) workers: first mismatch at \(mismatch ?? -1)")
            }
        }
    }

    /// Regression: Debian's LZF plugin is built with -ffast-math; loading it set flush-to-zero and
    /// denormals-are-zero in the reading process, so afterwards every subnormal read as zero (np.sign of
    /// 5e-324 gave 0 in the same test run).
    func testReadingAnLZFDatasetLeavesSubnormalArithmeticIntact() throws {
        try makeFixture()
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        _ = try HDF5.datasetInfo(file: file, dataset: "lzf_f64")
        _ = try SharedArray<Double>.load(hdf5: file, dataset: "/lzf_f64", on: pool)
        let tiny = [Double.leastNonzeroMagnitude, -Double.leastNonzeroMagnitude * 3]
        XCTAssertGreaterThan(tiny[0] * 1.0, 0, "this process flushes subnormals to zero")
        XCTAssertEqual(tiny[1] + tiny[0], -2 * Double.leastNonzeroMagnitude)
        let signs = try SharedArray(tiny, on: pool).map(.sign).toArray()
        XCTAssertEqual(signs, [1, -1], "the workers flush subnormals to zero")
    }

    func testAFilterWithoutAPluginIsNamedWithItsIdAndHowToAddIt() throws {
        try makeFixture()
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        for (name, label) in [("zstd_f64", "zstd (filter id 32015)"), ("blosc2_f64", "blosc2 (filter id 32026)")] {
            // Described without trouble: the filter matters only for reading.
            XCTAssertEqual(try HDF5.datasetInfo(file: file, dataset: name).shape, [1000, 3])
            let attempts: [(String, () throws -> Void)] = [
                ("load", { _ = try SharedArray<Double>.load(hdf5: self.file, dataset: name, on: pool) }),
                ("reader", {
                    let reader = try HDF5DatasetReader(file: self.file, dataset: name)
                    reader.close()
                }),
            ]
            for (how, attempt) in attempts {
                XCTAssertThrowsError(try attempt(), "\(name) \(how)") { error in
                    guard let error = error as? ArrayIOError else { return XCTFail("\(error)") }
                    XCTAssertEqual(error.kind, .unsupportedType, "\(error)")
                    let text = error.description
                    XCTAssertTrue(text.hasPrefix("\(self.file):/\(name): compressed with \(label), which this HDF5 cannot decode"), text)
                    XCTAssertTrue(text.contains("set HDF5_PLUGIN_PATH to the directory holding it"), text)
                    XCTAssertFalse(text.contains("https://"), text)
                }
            }
        }
    }

    /// h5py marks plugin filters optional: where the filter was missing when the file was written, the chunks
    /// are stored unfiltered and read without it (no hdf5plugin needed to write this one).
    func testAnOptionalFilterTheChunksSkippedIsNotRefused() throws {
        try H5TestSupport.python(
            """
            import numpy as np, h5py
            with h5py.File('optional.h5', 'w') as f:
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_chunk((100,))
                dcpl.set_filter(32026, h5py.h5z.FLAG_OPTIONAL, (0,))
                d = h5py.h5d.create(f.id, b'x', h5py.h5t.IEEE_F64LE, h5py.h5s.create_simple((1000,)), dcpl=dcpl)
                d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(1000.0))
            """, in: directory)
        let info = try HDF5.datasetInfo(file: directory + "/optional.h5", dataset: "/x")
        XCTAssertEqual(info.filters, ["blosc2"])
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let values = try SharedArray<Double>.load(hdf5: directory + "/optional.h5", dataset: "/x", on: pool).toArray()
        XCTAssertEqual(values, (0..<1000).map(Double.init))
    }

    func testThePluginDirectoryIsReported() {
        let directories = HDF5.pluginDirectories
        XCTAssertFalse(directories.isEmpty)
        if let override = ProcessInfo.processInfo.environment["HDF5_PLUGIN_PATH"] {
            XCTAssertEqual(directories.joined(separator: ":"), override)
        }
    }
}
