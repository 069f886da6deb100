#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import HDF5Arrays
import SharedArrays

/// A valid 2 KB HDF5 file can declare 2^62 chunked elements that were never written. Every path that
/// reads datasets (load, map, batch streaming and shared) refuses such a declared size before any read,
/// with one rule (``SizeLimit``), and nothing traps on the size arithmetic.
final class HDF5SizeLimitTests: XCTestCase {
    private var directory = ""
    private var pool: WorkerPool!

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
        try H5TestSupport.python("""
            import h5py, numpy as np
            with h5py.File('huge.h5', 'w') as f:
                f.create_dataset('big', shape=(2**62,), maxshape=(2**62,), chunks=(1024,), dtype='f8')
                f.create_dataset('square', shape=(2**32, 2**32), maxshape=(2**32, 2**32), chunks=(32, 32), dtype='i2')
                f.create_dataset('tib', shape=(2**40,), chunks=(2**16,), dtype='f8')
                f.create_dataset('tall_chunks', shape=(3, 4), maxshape=(None, 4), chunks=(1024, 4), data=np.arange(12.0).reshape(3, 4))
            with h5py.File('ok.h5', 'w') as f:
                f['x'] = np.arange(100.0)
            """, in: directory)
        pool = try WorkerPool(workers: 2)
    }

    override func tearDown() {
        pool?.shutdown()
        H5TestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func assertTooLarge(_ body: @autoclosure () throws -> Any, _ texts: [String], line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertEqual((error as? ArrayIOError)?.kind, .tooLarge, "\(error)", line: line)
            for text in texts {
                XCTAssertTrue("\(error)".contains(text), "'\(error)' lacks '\(text)'", line: line)
            }
        }
    }

    func testDatasetDeclaring2To62ElementsIsRefusedBeforeAnyRead() throws {
        let info = try HDF5.datasetInfo(file: path("huge.h5"), dataset: "/big")
        XCTAssertEqual(info.shape, [1 << 62])
        XCTAssertEqual(info.count, 1 << 62)
        let square = try HDF5.datasetInfo(file: path("huge.h5"), dataset: "/square")
        XCTAssertEqual(square.count, .max, "the element count saturates instead of trapping")
        XCTAssertEqual(try HDF5.listDatasets(file: path("huge.h5")).count, 4, "listing still works")

        assertTooLarge(try SharedArray<Double>.load(hdf5: path("huge.h5"), dataset: "/big", on: pool),
                       ["huge.h5:/big", "[4611686018427387904]", "float64", "32.0 EiB", "--max-bytes"])
        assertTooLarge(try SharedArray<Int32>.load(hdf5: path("huge.h5"), dataset: "/square", on: pool),
                       ["huge.h5:/square", "[4294967296, 4294967296]", "int32"])
        assertTooLarge(try SharedArray<Double>.load(hdf5: path("huge.h5"), dataset: "/big", limit: .unlimited, on: pool),
                       ["huge.h5:/big", "32.0 EiB"])
        assertTooLarge(try SharedArray<Double>.load(hdf5: path("huge.h5"), dataset: "/tib", on: pool),
                       ["huge.h5:/tib", "8796093022208 bytes (8.0 TiB)"])
        // A chunk taller than the dataset (extendible) still loads.
        let tall = try SharedArray<Double>.load(hdf5: path("huge.h5"), dataset: "/tall_chunks", on: pool)
        XCTAssertEqual(tall.toArray(), (0..<12).map(Double.init))
    }

    func testLoadAndMapEnforceTheirLimitParameter() throws {
        assertTooLarge(try SharedArray<Double>.load(hdf5: path("ok.h5"), dataset: "/x", limit: SizeLimit(bytes: 799), on: pool),
                       ["ok.h5:/x", "800 bytes", "799 bytes"])
        XCTAssertEqual(try SharedArray<Double>.load(hdf5: path("ok.h5"), dataset: "/x", limit: SizeLimit(bytes: 800), on: pool).count, 100)
        // map checks the output type's size: 100 float32 values are 400 bytes.
        assertTooLarge(try HDF5Transform.map(.sqrt, file: path("ok.h5"), dataset: "/x", to: path("out.h5"), dataset: "/y",
                                             dtype: .float32, limit: SizeLimit(bytes: 399), on: pool), ["ok.h5:/x", "400 bytes"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.h5")), "refused before any output is made")
        try HDF5Transform.map(.sqrt, file: path("ok.h5"), dataset: "/x", to: path("out.h5"), dataset: "/y", dtype: .float32,
                              limit: SizeLimit(bytes: 400), on: pool)
        assertTooLarge(try HDF5Transform.map(.sqrt, file: path("huge.h5"), dataset: "/big", to: path("out2.h5"), dataset: "/y",
                                             on: pool), ["huge.h5:/big"])
    }

    /// Streaming reads no memory for a dataset, but the bound applies to its declared extent all the same:
    /// a refused dataset is a failed record naming its declared size, and the others are still computed.
    func testBatchRecordsAnOversizedDatasetAsFailedAndGoesOn() throws {
        for strategy in HDF5Batch.Strategy.allCases {
            var batch = HDF5Batch(inputs: [path("huge.h5"), path("ok.h5")], statistics: [.count, .mean])
            batch.strategy = strategy
            let summary = try batch.run(on: pool)
            let byDataset = Dictionary(uniqueKeysWithValues: summary.records.map { ($0.dataset ?? "", $0) })
            for name in ["/big", "/square", "/tib"] {
                let record = try XCTUnwrap(byDataset[name], "\(strategy) \(name)")
                XCTAssertEqual(record.status, .failed, "\(strategy) \(name)")
                XCTAssertTrue(record.message?.contains("declared shape") == true, "\(strategy): \(String(describing: record.message))")
                XCTAssertTrue(record.message?.contains("more than the limit") == true, "\(strategy): \(String(describing: record.message))")
            }
            XCTAssertTrue(byDataset["/big"]?.message?.contains("[4611686018427387904]") == true)
            XCTAssertEqual(byDataset["/tall_chunks"]?.status, .ok, "\(strategy)")
            XCTAssertEqual(byDataset["/x"]?.status, .ok, "\(strategy)")
            XCTAssertEqual(byDataset["/x"]?.statistics?[.mean], 49.5, "\(strategy)")
        }
    }

    func testBatchSizeLimitAppliesToStreamedAndSplitDatasets() throws {
        var batch = HDF5Batch(inputs: [path("ok.h5")], statistics: [.sum])
        batch.sizeLimit = SizeLimit(bytes: 799)
        var summary = try batch.run(on: pool)
        XCTAssertEqual(summary.records.map(\.status), [.failed])
        XCTAssertTrue(summary.records[0].message?.contains("800 bytes") == true, "\(String(describing: summary.records[0].message))")
        batch.sizeLimit = SizeLimit(bytes: 800)
        batch.smallDatasetBytes = 16  // split into pieces across the workers
        summary = try batch.run(on: pool)
        XCTAssertEqual(summary.results.first?.statistics?[.sum], 4950)
    }

    /// An attribute's value count comes from the file: past the cap it is refused before anything is
    /// allocated for it (a damaged dataspace could otherwise declare terabytes).
    func testAttributeDeclaringMoreValuesThanTheCapIsRefused() throws {
        try H5TestSupport.python("""
            import h5py, numpy as np
            with h5py.File('attr.h5', 'w', libver='latest') as f:
                d = f.create_dataset('x', data=np.arange(3.0))
                d.attrs['small'] = np.arange(5)
                d.attrs.create('big', np.zeros(2**21))
            """, in: directory)
        XCTAssertThrowsError(try HDF5.attributes(file: path("attr.h5"), object: "/x")) {
            XCTAssertEqual(($0 as? ArrayIOError)?.kind, .tooLarge, "\($0)")
            XCTAssertTrue("\($0)".contains("attribute 'big' declares 2097152 values"), "\($0)")
        }
    }

    /// A summary to resume from is input too: a column declaring 2^40 rows (a tiny file) is refused
    /// before anything is allocated for it.
    func testResumedSummaryWithColumnDeclaring2To40RowsIsAnError() throws {
        let summaryPath = path("summary.h5")
        _ = try HDF5Batch(inputs: [path("ok.h5")], statistics: [.count]).run(on: pool, output: summaryPath)
        try H5TestSupport.python("""
            import h5py
            with h5py.File('summary.h5', 'r+') as f:
                del f['summary/status']
                f.create_dataset('summary/status', shape=(2**40,), maxshape=(2**40,), chunks=(1024,), dtype=h5py.string_dtype())
            """, in: directory)
        XCTAssertThrowsError(try HDF5Batch(inputs: [path("ok.h5")], statistics: [.count])
            .run(on: pool, output: summaryPath, resume: true)) {
            XCTAssertTrue("\($0)".contains("/summary/status: the column declares 1099511627776 rows"), "\($0)")
        }
    }

    /// A JSON summary to resume from with a broken surrogate pair, 100,000 levels of nesting or a shape
    /// whose product overflows is read or refused, never a trap or a stack overflow.
    func testResumedJSONSummaryWithBrokenSurrogateDeepNestingOrHugeShapeDoesNotTrap() throws {
        let summaryPath = path("summary.json")
        let batch = HDF5Batch(inputs: [path("ok.h5")], statistics: [.count])
        _ = try batch.run(on: pool, output: summaryPath)
        let honest = try String(contentsOfFile: summaryPath, encoding: .utf8)
        let hostile = [
            honest.replacingOccurrences(of: "\"/x\"", with: "\"/x\\ud800\\u0041\""),
            honest.replacingOccurrences(of: "\"filters\": []", with: "\"filters\": " + String(repeating: "[", count: 100_000)
                + String(repeating: "]", count: 100_000)),
            honest.replacingOccurrences(of: "\"shape\": [100]", with: "\"shape\": [4294967296, 4294967296]")
                .replacingOccurrences(of: "\"count\": 100, ", with: ""),
        ]
        XCTAssertEqual(Set(hostile).count, 3, "every forgery changed the file")
        for text in hostile {
            try text.write(toFile: summaryPath, atomically: true, encoding: .utf8)
            do {
                _ = try batch.run(on: pool, output: summaryPath, resume: true)
            } catch {
                XCTAssertTrue("\(error)".contains("summary.json"), "\(error)")
            }
        }
    }

    /// A file modified after the year 2262 (ext4 stores such times) does not overflow the batch's
    /// nanosecond timestamps.
    func testBatchOfFileWithFarFutureModificationTime() throws {
        var times = [timespec(tv_sec: 10_400_000_000, tv_nsec: 0), timespec(tv_sec: 10_400_000_000, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, path("ok.h5"), &times, 0) == 0 else { throw XCTSkip("cannot set a far-future time here") }
        let summary = try HDF5Batch(inputs: [path("ok.h5")], statistics: [.count]).run(on: pool)
        XCTAssertEqual(summary.results.count, 1)
    }
}
