#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// Every command that builds a pool honours `--start-method`: spawned workers are new runs of mproc, and
/// their initial environment (`/proc/PID/environ`, which `unsetenv` does not change) carries the marker the
/// pool passes them; forked workers have their parent's.
final class StartMethodCommandTests: XCTestCase {
    /// Runs mproc, finds its two workers while it runs, and says whether they were spawned.
    private func workersWereSpawned(_ arguments: [String]) throws -> Bool? {
        let run = try TimeoutCommandTests.Running(arguments + ["--workers", "2"])
        // Its pool's workers (not, say, a child that reads HDF5 metadata in isolation).
        var workers: [Int32] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while workers.count < 2, run.isRunning, ContinuousClock.now < deadline {
            workers = childPIDs(of: run.pid).filter { pid in
                let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
                return name.hasPrefix("mproc-worker-")
            }
            if workers.count < 2 { usleep(2_000) }
        }
        let spawned = workers.map { pid -> Bool in
            let environment = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data()
            return environment.split(separator: 0).contains { $0.starts(with: Array("MPROC_SPAWNED_WORKER=".utf8)) }
        }
        XCTAssertTrue(run.waitForExit(within: .seconds(120)), "hang guard")
        XCTAssertEqual(run.terminationStatus, 0, run.stderr)
        guard workers.count == 2 else {
            XCTFail("the workers of \(arguments) were not seen while it ran")
            return nil
        }
        return spawned.allSatisfy { $0 }
    }

    func testMapAndBatchHonourStartMethod() throws {
        let dir = try TemporaryDirectory()
        let input = dir.file("in.h5")
        // Big enough, and compressed, that the workers live long enough (a few hundred ms) to be looked at.
        let gen = try CLI.run(["gen", input + ":/x", "--count", "1M", "--gzip", "1", "--workers", "2"])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        for method in ["spawn", "fork"] {
            let out = dir.file("out-\(method).h5")
            let map = try workersWereSpawned(
                ["map", input + ":/x", "--op", "sqrt", "--out", out + ":/y", "--gzip", "1", "--start-method", method])
            XCTAssertEqual(map, method == "spawn", "map --start-method \(method)")
            let batch = try workersWereSpawned(["batch", input, out, "--ops", "mean,std", "--start-method", method])
            XCTAssertEqual(batch, method == "spawn", "batch --start-method \(method)")
        }
    }
}
