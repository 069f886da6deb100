import Foundation
import XCTest

/// Damaged HDF5 storage (Tests/Fixtures/make_damaged_hdf5.py) through the real commands: one clear error line
/// naming the file, the dataset and the sizes in `stats`, a failed record with that reason in `batch` (both
/// strategies), never a crash trace or a number made of other bytes.
final class DamagedHDF5Tests: XCTestCase {
    private func makeFixtures() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        let made = try shell("python3 Tests/Fixtures/make_damaged_hdf5.py '\(dir.path)'")
        guard made.status == 0 else { throw XCTSkip("python3 with numpy and h5py is needed: \(made.stderr)") }
        return dir
    }

    private func assertNoTrace(_ result: CLI.Result, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan(result.status, 128, result.stderr, file: file, line: line)
        for trace in ["Backtrace", "Fatal error", "SIGSEGV", "signal 11"] {
            XCTAssertFalse(result.stderr.contains(trace), result.stderr, file: file, line: line)
        }
    }

    func testDamagedCompactAndChunkIndexAreOneClearErrorInStatsAndBatch() throws {
        let dir = try makeFixtures()
        let cases: [(file: String, dataset: String, reason: String)] = [
            ("compact_dims_1048576", "/compact", "declares 1048576 bytes, the compact storage holds 2000 bytes"),
            ("compact_dims_2001", "/compact", "declares 2001 bytes, the compact storage holds 2000 bytes"),
            ("gz_chunk3_address_past_eof", "/gz", "chunk [12000] at byte"),
            ("gz_chunk2_all_filters_skipped", "/gz", "chunk [8000] skips every filter"),
            ("raw_chunk1_zero_bytes", "/raw", "chunk [4000] has an address but stores 0 bytes"),
        ]
        for (name, dataset, reason) in cases {
            let path = dir.file(name + ".h5")
            let stats = try CLI.run(["stats", "\(path):\(dataset)", "--json"])
            assertNoTrace(stats)
            XCTAssertEqual(stats.status, 1, "\(name): \(stats.stdout)")
            XCTAssertEqual(stats.stderr.split(separator: "\n").count, 1, stats.stderr)
            XCTAssertTrue(stats.stderr.contains(name + ".h5") && stats.stderr.contains(dataset), stats.stderr)
            // The worker's error line is bounded; the shortest reasons survive whole, the others in part.
            XCTAssertTrue(stats.stderr.contains("damaged"), "\(name): \(stats.stderr)")
            for strategy in ["streaming", "shared"] {
                let batch = try CLI.run(["batch", path, "--dataset", dataset, "--format", "json", "-q", "--strategy", strategy])
                assertNoTrace(batch)
                XCTAssertEqual(batch.status, 1, "\(name) \(strategy): \(batch.stdout) \(batch.stderr)")
                let record = (batch.json?["records"] as? [[String: Any]])?.first
                XCTAssertEqual(record?["status"] as? String, "failed", "\(name) \(strategy): \(batch.stdout)")
                let message = record?["message"] as? String ?? ""
                XCTAssertTrue(message.contains(reason), "\(name) \(strategy): \(message)")
            }
        }
    }

    /// Each refused by h5py (HDF5 2.0); HDF5 1.10.8 read them as other numbers, or spun in H5Dread (the scalar
    /// dataspace over chunks).
    func testDamagedChunkKeysShapesAndFloatFieldsAreRefusedInStatsAndBatch() throws {
        let dir = try makeFixtures()
        let cases: [(file: String, dataset: String, reason: String)] = [
            ("gz_chunk3_offset_past_extent", "/gz", "not a chunk of shape [4000]"),
            ("gz_chunk3_element_offset_8", "/gz", "does not find record 3"),
            ("gz_chunk3_address_of_chunk2", "/gz", "records 2 and 3 share bytes"),
            ("raw_chunk1_size_1", "/raw", "stores 1 of its 32000 bytes"),
            ("many_scalar_space", "/many", "a scalar dataspace with 1-dimensional chunks"),
            ("contig_dims_3001_max_3000", "/contig", "more than its maximum 3000"),
            ("contig_dims_0", "/contig", "declares 0 bytes"),
            ("compact_dims_1999", "/compact", "declares 1999 bytes"),
            ("contig_float_mantissa_30", "/contig", "not IEEE 754"),
        ]
        for (name, dataset, reason) in cases {
            let path = dir.file(name + ".h5")
            let stats = try CLI.run(["stats", "\(path):\(dataset)", "--json", "--timeout", "60"])
            assertNoTrace(stats)
            XCTAssertEqual(stats.status, 1, "\(name): \(stats.stdout)")
            XCTAssertTrue(stats.stderr.contains(name + ".h5") && stats.stderr.contains("damaged"), "\(name): \(stats.stderr)")
            for strategy in ["streaming", "shared"] {
                let batch = try CLI.run(["batch", path, "--dataset", dataset, "--format", "json", "-q", "--strategy", strategy,
                                         "--timeout", "60"])
                assertNoTrace(batch)
                XCTAssertEqual(batch.status, 1, "\(name) \(strategy): \(batch.stdout) \(batch.stderr)")
                let record = (batch.json?["records"] as? [[String: Any]])?.first
                XCTAssertEqual(record?["status"] as? String, "failed", "\(name) \(strategy): \(batch.stdout)")
                let message = record?["message"] as? String ?? ""
                XCTAssertTrue(message.contains(reason), "\(name) \(strategy): \(message)")
            }
        }
    }

    /// Tests/Fixtures/hdf5_library_crash_group_heap.h5 (a fuzzer's find; h5py refuses it, "attempting I/O in temporary
    /// file space") makes HDF5 1.10.8 segfault while looking a name up or listing the file: stats met it in its
    /// own process and printed a crash trace. Parent-side metadata reads run in a child now (CrashIsolation).
    func testFileOnWhoseMetadataHDF5CrashesIsOneClearErrorInStats() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let path = root.path + "/Tests/Fixtures/hdf5_library_crash_group_heap.h5"
        for input in ["\(path):/adc_counts", path] {
            let stats = try CLI.run(["stats", input, "--json"])
            // The one line names the child's signal; what must not appear is the crash of mproc itself.
            XCTAssertLessThan(stats.status, 128, stats.stderr)
            XCTAssertFalse(stats.stderr.contains("Backtrace") || stats.stderr.contains("Fatal error"), stats.stderr)
            XCTAssertEqual(stats.status, 1, stats.stdout)
            XCTAssertEqual(stats.stderr.split(separator: "\n").count, 1, stats.stderr)
            XCTAssertTrue(stats.stderr.contains("hdf5_library_crash_group_heap.h5") && stats.stderr.contains("damaged file: HDF5 crashed (signal 11, SIGSEGV) while reading its metadata"),
                          stats.stderr)
        }
    }

    /// h5py reads this file with the original values (the record claims more bytes than the gzip stream uses):
    /// every path gives those values.
    func testChunkRecordClaimingExtraBytesGivesH5pysValuesInStatsAndBatch() throws {
        let dir = try makeFixtures()
        let path = dir.file("gz_chunk4_size_doubled.h5")
        let stats = try CLI.run(["stats", "\(path):/gz", "--ops", "sum,min,max", "--json"])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertEqual(stats.json?["sum"] as? Double, 799_980_000)
        XCTAssertEqual(stats.json?["max"] as? Double, 39_999)
        for strategy in ["streaming", "shared"] {
            let batch = try CLI.run(["batch", path, "--dataset", "/gz", "--ops", "sum", "--format", "json", "-q", "--strategy", strategy])
            XCTAssertEqual(batch.status, 0, batch.stderr)
            let record = (batch.json?["records"] as? [[String: Any]])?.first
            XCTAssertEqual(record?["sum"] as? Double, 799_980_000, strategy)
        }
    }
}
