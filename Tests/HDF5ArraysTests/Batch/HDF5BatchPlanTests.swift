#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import HDF5Arrays
import SharedArrays

/// The steps a distributed batch is made of (plan, records of any window of files, summary) give what
/// ``HDF5Batch/run(on:output:resume:progress:)`` gives, and records cross a process boundary bit for bit.
final class HDF5BatchPlanTests: XCTestCase {
    private var directory = ""
    private var pool: WorkerPool!

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
        pool = try WorkerPool(workers: 2)
    }

    override func tearDown() {
        pool?.shutdown()
        H5TestSupport.removeDirectory(directory)
    }

    func testWindowsReadOnTwoPoolsGiveTheSameSummaryAsRun() throws {
        try H5TestSupport.python("""
            import numpy as np, h5py
            rng = np.random.default_rng(3)
            for i in range(5):
                with h5py.File(f'f{i}.h5', 'w') as f:
                    x = rng.standard_normal(5000 + 101 * i)
                    x[i] = np.nan
                    f['x'] = x
                    f['s'] = np.array([b'a'])
            open('bad.h5', 'w').write('not HDF5\\n')
            """, in: directory)
        let batch = HDF5Batch(inputs: [directory, directory + "/missing.h5"], statistics: [.count, .mean, .nanmean, .std, .max])
        let whole = try batch.run(on: pool)
        let plan = try batch.plan()
        XCTAssertEqual(plan.todo.map(\.path), plan.files.map(\.path))
        XCTAssertEqual(plan.files.count, 6)
        let other = try WorkerPool(workers: 1)
        defer { other.shutdown() }
        var records: [String: [HDF5BatchRecord]] = [:]
        for (index, window) in [Array(plan.todo[4...]), Array(plan.todo[0..<1]), Array(plan.todo[1..<4])].enumerated() {
            let found = try batch.records(of: window, on: index == 1 ? other : pool)
            // Through the codec, as ranks send them.
            let sent = try BinaryDecoder().decode([[HDF5BatchRecord]].self, from: BinaryEncoder().encode(found))
            XCTAssertEqual(sent, found)
            for (file, fileRecords) in zip(window, sent) { records[file.path] = fileRecords }
        }
        let assembled = plan.summary(records, bytesRead: 0, elapsed: .zero)
        XCTAssertEqual(assembled.records, whole.records)
        XCTAssertEqual(HDF5BatchSummaryFile.text(assembled, format: .csv), HDF5BatchSummaryFile.text(whole, format: .csv))
        XCTAssertEqual(assembled.failures.count, 2, assembled.failures.map(\.description).description)
    }

    func testRecordsKeepNaNApartFromMissingValuesThroughTheCodec() throws {
        let record = HDF5BatchRecord(
            file: "a.h5", dataset: "/x", pattern: "/**", status: .ok, dtype: .float64, storedType: "float64", shape: [3],
            layout: "chunked", filters: ["shuffle", "gzip"], bytes: 24,
            statistics: Statistics(values: [(.mean, .nan), (.std, nil), (.min, -0.0), (.max, 0x1p-1074)], count: 3),
            ddof: 1, fileSize: 1234, fileModified: 1_700_000_000_123_456_789)
        let back = try BinaryDecoder().decode(HDF5BatchRecord.self, from: BinaryEncoder().encode(record))
        XCTAssertEqual(back, record)
        let values = try XCTUnwrap(back.statistics).values
        XCTAssertEqual(values.map { $0.1?.bitPattern }, [Double.nan.bitPattern, nil, (-0.0).bitPattern, (0x1p-1074).bitPattern])
        let failed = HDF5BatchRecord(file: "b.h5", dataset: nil, pattern: "", status: .failed, message: "truncated")
        XCTAssertEqual(try BinaryDecoder().decode(HDF5BatchRecord.self, from: BinaryEncoder().encode(failed)), failed)
    }
}
