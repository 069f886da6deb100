import Foundation
import XCTest

/// `--max-bytes` and the sizes users type or files declare: one clear line and a non-zero exit, never a
/// trap, and batch goes on past a refused dataset.
final class SizeLimitCommandTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import h5py, numpy as np
            with h5py.File('huge.h5', 'w') as f:
                f.create_dataset('big', shape=(2**62,), maxshape=(2**62,), chunks=(1024,), dtype='f8')
            with h5py.File('square.h5', 'w') as f:
                f.create_dataset('big', shape=(2**32, 2**32), maxshape=(2**32, 2**32), chunks=(32, 32), dtype='f8')
            with h5py.File('ok.h5', 'w') as f:
                f['x'] = np.arange(100.0)
            np.save('ok.npy', np.arange(100.0))
            """]
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy and h5py is needed to make the files") }
    }

    /// One line on stderr, nothing on stdout, a non-zero exit, no crash trace.
    private func assertOneClearLine(_ arguments: [String], _ texts: [String], line: UInt = #line) throws {
        let r = try CLI.run(arguments)
        XCTAssertNotEqual(r.status, 0, "\(arguments)", line: line)
        XCTAssertLessThan(r.status, 128, "exit by a signal: \(arguments)\n\(r.stderr)", line: line)
        XCTAssertEqual(r.stdout, "", "\(arguments)", line: line)
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage:") && !$0.contains("--help") }
        XCTAssertEqual(lines.count, 1, "\(arguments): \(r.stderr)", line: line)
        for text in texts {
            XCTAssertTrue(r.stderr.contains(text), "\(arguments): '\(r.stderr)' lacks '\(text)'", line: line)
        }
        for crash in ["Fatal error", "Backtrace", "Stack dump", "Swift runtime failure"] {
            XCTAssertFalse(r.stderr.contains(crash), "\(arguments): \(r.stderr)", line: line)
        }
    }

    func testStatsOfDatasetDeclaring2To62ElementsIsOneClearLine() throws {
        try assertOneClearLine(["stats", dir.file("huge.h5") + ":/big"],
                               ["huge.h5:/big", "[4611686018427387904]", "32.0 EiB", "--max-bytes"])
        try assertOneClearLine(["stats", dir.file("square.h5")], ["square.h5:/big", "[4294967296, 4294967296]"])
        try assertOneClearLine(["stats", dir.file("huge.h5") + ":/big", "--max-bytes", "7E"], ["32.0 EiB"])
        XCTAssertEqual(packageSegments(), [])
        XCTAssertEqual(orphanedWorkers(), [])
    }

    func testBatchWithDatasetDeclaring2To62ElementsFailsThatRecordAndComputesTheRest() throws {
        for strategy in ["streaming", "shared"] {
            let r = try CLI.run(["batch", dir.file("huge.h5"), dir.file("square.h5"), dir.file("ok.h5"),
                                 "--ops", "count,sum", "--format", "json", "--strategy", strategy], timeout: 120)
            XCTAssertEqual(r.status, 1, "\(strategy): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("4950"), "\(strategy): ok.h5 is still computed: \(r.stdout)")
            XCTAssertTrue(r.stderr.contains("2 of 3 files failed"), "\(strategy): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("huge.h5:/big: declared shape [4611686018427387904] of float64"), "\(strategy): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("square.h5:/big: declared shape [4294967296, 4294967296]"), "\(strategy): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Backtrace") || r.stderr.contains("died"), "\(strategy): \(r.stderr)")
        }
        XCTAssertEqual(packageSegments(), [])
    }

    func testGenWithUnaddressableCountOrShapeIsAClearError() throws {
        try assertOneClearLine(["gen", dir.file("a.npy"), "--count", "4611686018427387904"],
                               ["--count 4611686018427387904", "float64", "more than can be addressed"])
        try assertOneClearLine(["gen", dir.file("a.npy"), "--count", "2^62"], ["more than can be addressed"])
        try assertOneClearLine(["gen", dir.file("a.npy"), "--shape", "4294967296,4294967296"],
                               ["--shape 4294967296,4294967296", "more than can be addressed"])
        try assertOneClearLine(["gen", dir.file("a.h5"), "--shape", "4G,4G", "--dtype", "int32"], ["more than can be addressed"])
        try assertOneClearLine(["gen", dir.file("a.npy"), "--count", "9000000000G"], ["--count", "not a count"])
        try assertOneClearLine(["gen", dir.file("a.npy"), "--count", "2^64"], ["--count", "not a count"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("a.npy")))
    }

    /// Numbers typed on the command line that used to trap converting to Int: a seed past Int.max kept in
    /// an HDF5 attribute, and a checkpoint interval of NaN or 1e300 seconds.
    func testSeedPastIntMaxAndAbsurdCheckpointIntervalsAreNotTraps() throws {
        let gen = try CLI.run(["gen", dir.file("seed.h5"), "--count", "10", "--seed", "18446744073709551615"])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        for interval in ["nan", "1e300", "inf", "-1"] {
            try assertOneClearLine(["batch", dir.file("ok.h5"), "--checkpoint=\(interval)"], ["--checkpoint"])
        }
    }

    func testMaxBytesIsAcceptedAndEnforcedByStatsMapAndBatch() throws {
        // 100 float64 values: 800 bytes.
        for input in [dir.file("ok.npy"), dir.file("ok.h5") + ":/x"] {
            let fits = try CLI.run(["stats", input, "--ops", "sum", "--json", "--max-bytes", "800"])
            XCTAssertEqual(fits.status, 0, fits.stderr)
            XCTAssertEqual(fits.json?["sum"] as? Double, 4950)
            try assertOneClearLine(["stats", input, "--max-bytes", "799"], ["800 bytes", "799 bytes", "--max-bytes"])
        }
        let mapped = try CLI.run(["map", dir.file("ok.h5") + ":/x", "--op", "sqrt", "--out", dir.file("m.h5") + ":/y",
                                  "--max-bytes", "1K"])
        XCTAssertEqual(mapped.status, 0, mapped.stderr)
        try assertOneClearLine(["map", dir.file("ok.h5") + ":/x", "--op", "sqrt", "--out", dir.file("n.h5") + ":/y",
                                "--max-bytes", "799"], ["ok.h5:/x", "800 bytes"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("n.h5")))

        let refused = try CLI.run(["batch", dir.file("ok.h5"), "--max-bytes", "799", "--format", "csv"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("ok.h5:/x: declared shape [100] of float64 is 800 bytes"), refused.stderr)
        let admitted = try CLI.run(["batch", dir.file("ok.h5"), "--max-bytes", "800", "--ops", "sum", "--format", "json"])
        XCTAssertEqual(admitted.status, 0, admitted.stderr)
        XCTAssertTrue(admitted.stdout.contains("4950"), admitted.stdout)

        for command in [["stats", dir.file("ok.npy")], ["batch", dir.file("ok.h5")],
                        ["map", dir.file("ok.h5"), "--op", "sqrt", "--out", dir.file("o.h5")]] {
            for bad in ["lots", "8E", "-1", "99999999999999999999"] {
                let r = try CLI.run(command + ["--max-bytes", bad])
                XCTAssertNotEqual(r.status, 0, "\(command) \(bad)")
                XCTAssertLessThan(r.status, 128, "\(command) \(bad)")
                XCTAssertTrue(r.stderr.contains("--max-bytes"), "\(command) \(bad): \(r.stderr)")
            }
        }
    }
}
