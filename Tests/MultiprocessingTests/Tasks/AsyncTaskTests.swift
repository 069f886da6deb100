#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Multiprocessing
import XCTest

/// Async tasks (`AsyncParallelTask`) run concurrently in spawned workers, and are refused, before anything
/// runs, on a forked pool. The spawned case runs in Tests/AsyncTaskProbe (a spawned worker reruns its program).
final class AsyncTaskTests: XCTestCase {
    struct Echo: AsyncParallelTask {
        static func run(_ input: Int) async throws -> Int { input }
    }

    func testAsyncTaskOnAForkedPoolIsRefusedAtSubmit() throws {
        let pool = try WorkerPool(workers: 1)
        defer { pool.shutdown() }
        XCTAssertThrowsError(try pool.map(Echo.self, over: [1, 2])) { error in
            XCTAssertTrue(error is AsyncTaskError, "\(error)")
            XCTAssertTrue("\(error)".contains("startMethod: .spawn"), "\(error)")
        }
        XCTAssertThrowsError(try pool.apply(Echo.self, 1)) { XCTAssertTrue($0 is AsyncTaskError) }
    }

    func testAsyncTasksRunConcurrentlyInSpawnedWorkersAndFailAlone() throws {
        let output = try runProbe()
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        XCTAssertEqual(values["async_workers"], "2", output)
        XCTAssertEqual(values["async_worker_pids_are_pool_pids"], "true", output)
        XCTAssertEqual(values["even_outputs"], "[0, 1, 2, 3, 4]", output)
        XCTAssertEqual(values["odd_failures"], "[1, 3, 5, 7, 9]", output)
        XCTAssertTrue(values["failure_3"]?.contains("EvenOnly task 3 (input 3) threw") == true, output)
        XCTAssertTrue(values["failure_3"]?.contains("input 3 is odd") == true, output)
        XCTAssertEqual(values["from_async"], "[2, 4]", output)
        XCTAssertEqual(values["apply"], "6", output)
        // 64 waits of 50 ms on 2 workers: 1.6 s one at a time; at 16 per worker about 0.1 s.
        let asyncMS = Double(values["async_ms"] ?? "") ?? .infinity
        let blockingMS = Double(values["blocking_ms"] ?? "") ?? 0
        XCTAssertGreaterThan(blockingMS, 1_500, output)
        XCTAssertLessThan(asyncMS, blockingMS / 3, output)
        print("async tasks on 2 spawned workers: \(asyncMS) ms for 64 x 50 ms waits, blocking tasks \(blockingMS) ms")
    }

    private func runProbe() throws -> String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("AsyncTaskProbe").path }
            + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent().appendingPathComponent("AsyncTaskProbe").path }
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            XCTFail("AsyncTaskProbe was not built beside the tests (swift build --build-tests builds it)")
            return ""
        }
        let probe = Foundation.Process()
        probe.executableURL = URL(fileURLWithPath: executable)
        let out = Foundation.Pipe()
        probe.standardOutput = out
        try probe.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        probe.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertEqual(probe.terminationStatus, 0, text)
        return text
    }
}
