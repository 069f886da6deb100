import Foundation
import XCTest

/// Commands run under `ulimit -v` (RLIMIT_AS). OpenBLAS used to start its thread pool in the parent at load
/// time; under a limit one of those threads looped forever on a failed buffer mmap while fork() waited for it
/// in OpenBLAS's atfork handler, so even `mproc info` never returned.
final class AddressSpaceLimitTests: XCTestCase {
    /// Runs `mproc ARGS` under `ulimit -v KIB`, killed after 60 s (a hang guard, not a speed check).
    private func runLimited(_ kib: Int, _ arguments: String) throws -> CLI.Result {
        try shell("exec /usr/bin/timeout -s KILL 60 /bin/sh -c 'ulimit -v \(kib); exec \"$0\" \(arguments)' '\(CLI.executable)'")
    }

    /// Either the command works, or it ends with one clear error line: never a hang, a trace or a crash.
    private func assertFinishesOrFailsClearly(_ result: CLI.Result, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 137, "\(what) hung (killed by the hang guard)", file: file, line: line)
        XCTAssertLessThan(result.status, 128, "\(what) died of a signal: \(result.stderr)", file: file, line: line)
        for trace in ["Stack dump", "Backtrace", "Fatal error", "Crash", "#0 ", "0x0000"] {
            XCTAssertFalse(result.stderr.contains(trace), "\(what) printed a trace: \(result.stderr)", file: file, line: line)
        }
        if result.status != 0 {
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(what): one error line expected: \(result.stderr)", file: file, line: line)
            let message = result.stderr.lowercased()
            XCTAssertTrue(message.contains("memory") || message.contains("failed to map"),
                          "\(what): the error should say memory ran out: \(result.stderr)", file: file, line: line)
        }
    }

    /// The smallest limit (in 2 MiB steps) at which the program reaches its own code. Below it the dynamic
    /// loader refuses a library, or the Swift runtime traps while registering the binary's conformances,
    /// before `main`: nothing the program can catch. The edge moves with the binary's size (debug builds are
    /// bigger), so the tests start from where it is measured rather than from a fixed number.
    private func loadEdge() throws -> Int {
        for kib in stride(from: 60_000, through: 400_000, by: 2_000) {
            let help = try runLimited(kib, "--help")
            if help.status == 0 && help.stderr.isEmpty { return kib }
        }
        XCTFail("mproc does not even start under ulimit -v 400000")
        return 400_000
    }

    func testInfoAndStatsUnderAnAddressSpaceLimitFinishOrFailClearly() throws {
        let edge = try loadEdge()
        for kib in [edge, 200_000, 400_000, 1_000_000] where kib >= edge {
            let info = try runLimited(kib, "info")
            assertFinishesOrFailsClearly(info, "info under ulimit -v \(kib)")
            if info.status == 0 { XCTAssertTrue(info.stdout.contains("blas"), info.stdout) }
            let stats = try runLimited(kib, "stats datasets/sensors.npy --json")
            assertFinishesOrFailsClearly(stats, "stats under ulimit -v \(kib)")
        }
        // The case that hung: it must now work.
        let stats = try runLimited(200_000, "stats datasets/sensors.npy --json")
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertEqual(stats.json?["count"] as? Int, (try CLI.run(["stats", "datasets/sensors.npy", "--json"])).json?["count"] as? Int)
    }

    /// Regression: just above the limit at which the program loads, HDF5's initialisation (in `info`, or opening
    /// an HDF5 input) dereferenced a failed malloc and the Swift runtime trapped on a failed allocation, each with
    /// a crash trace. mproc now checks for headroom at start: every limit near the edge works or is one line.
    func testLimitsNearTheLoadEdgeNeverCrashInHDF5OrTheRuntime() throws {
        let edge = try loadEdge()
        for kib in stride(from: edge, through: edge + 24_000, by: 4_000) {
            assertFinishesOrFailsClearly(try runLimited(kib, "info"), "info under ulimit -v \(kib)")
            let h5 = try runLimited(kib, "stats datasets/sensors.h5:/readings/temperature --json")
            assertFinishesOrFailsClearly(h5, "stats of an HDF5 dataset under ulimit -v \(kib)")
        }
    }

    /// OpenBLAS's gemm maps a 128 MiB working buffer and retries a failed mmap forever: under a limit that
    /// leaves no room for it, the product runs in plain C loops instead.
    func testMatrixProductUnderAnAddressSpaceLimitDoesNotHang() throws {
        for kib in [200_000, 400_000] {
            let gemm = try runLimited(kib, "bench gemm --size 96 --runs 1 --warmup 0")
            assertFinishesOrFailsClearly(gemm, "gemm under ulimit -v \(kib)")
            XCTAssertEqual(gemm.status, 0, gemm.stderr)
        }
    }

    /// BLAS is loaded at start (not linked) and `info` still names it.
    func testInfoNamesTheLoadedBlas() throws {
        let result = try CLI.run(["info", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let blas = result.json?["blas"] as? String ?? ""
        XCTAssertTrue(blas.hasPrefix("OpenBLAS"), blas)
    }
}
