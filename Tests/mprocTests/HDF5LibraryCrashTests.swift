import Foundation
import XCTest

/// A file on which HDF5 1.10 itself segfaults while listing its datasets (found by the FuzzHDF5Info fuzz
/// target; a damaged group heap). The metadata reads mproc makes before any worker run in a forked child, so the
/// crash is one clear error line and a non-zero exit, never a crash of mproc or a backtrace.
final class HDF5LibraryCrashTests: XCTestCase {
    private let fixture = "Tests/Fixtures/hdf5_library_crash_group_heap.h5"

    private func assertOneClearLineNoTrace(_ result: CLI.Result, _ what: String,
                                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, what, file: file, line: line)
        XCTAssertLessThan(result.status, 128, "\(what): \(result.stderr)", file: file, line: line)
        for trace in ["Backtrace", "Fatal error", "Crashed", "Thread 0", "at /", "0x0000"] {
            XCTAssertFalse(result.stderr.contains(trace), "\(what): \(result.stderr)", file: file, line: line)
        }
        let mentions = result.stderr.split(separator: "\n").filter { $0.contains(fixture) }
        XCTAssertEqual(mentions.count, 1, "\(what): \(result.stderr)", file: file, line: line)
        XCTAssertTrue(mentions.first?.contains("SIGSEGV") == true, "\(what): \(result.stderr)", file: file, line: line)
    }

    func testHDF5LibraryCrashWhileListingDatasetsIsOneClearErrorInStats() throws {
        let result = try CLI.run(["stats", fixture])
        assertOneClearLineNoTrace(result, "stats FILE")
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("damaged file: HDF5 crashed (signal 11, SIGSEGV) while reading its metadata"),
                      result.stderr)
    }

    func testHDF5LibraryCrashWhileLookingUpADatasetIsOneClearErrorInStats() throws {
        let result = try CLI.run(["stats", fixture + ":/x"])
        assertOneClearLineNoTrace(result, "stats FILE:/x")
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("damaged file: HDF5 crashed"), result.stderr)
    }

    func testHDF5LibraryCrashIsOneFailedFileInBatch() throws {
        let result = try CLI.run(["batch", fixture])
        assertOneClearLineNoTrace(result, "batch FILE")
    }
}
