#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// `--timeout` on stats and batch, and crash output of spawned workers, with real processes and signals.
final class TimeoutCommandTests: XCTestCase {
    /// A running `mproc` whose stdout and stderr go to files (read after it exits). Started and reaped
    /// with posix_spawn/waitpid directly, so the hang guard does not depend on Foundation noticing the exit.
    final class Running {
        let dir: TemporaryDirectory
        private(set) var pid: Int32 = 0
        private(set) var terminationStatus: Int32 = -1
        private var exited = false

        init(_ arguments: [String]) throws {
            dir = try TemporaryDirectory()
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, dir.file("out"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, dir.file("err"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let argv = ([CLI.executable] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let rc = posix_spawn(&pid, CLI.executable, &actions, nil, argv, environ)
            guard rc == 0 else { throw CocoaError(.executableLoad) }
        }

        var isRunning: Bool {
            guard !exited else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                exited = true
                terminationStatus = status
                return false
            }
            return true
        }

        var stderr: String { (try? String(contentsOfFile: dir.file("err"), encoding: .utf8)) ?? "" }
        var stdout: String { (try? String(contentsOfFile: dir.file("out"), encoding: .utf8)) ?? "" }

        /// The pids of its worker processes, once `count` exist (empty after `within`).
        func workers(_ count: Int, within: Duration = .seconds(20)) -> [Int32] {
            let deadline = ContinuousClock.now + within
            while ContinuousClock.now < deadline {
                let found = childPIDs(of: pid)
                if found.count >= count { return found }
                usleep(10_000)
            }
            return []
        }

        /// Waits for the exit at most `limit` (a hang guard: SIGKILL then, and false).
        func waitForExit(within limit: Duration) -> Bool {
            let deadline = ContinuousClock.now + limit
            while isRunning {
                if ContinuousClock.now > deadline {
                    kill(pid, SIGKILL)
                    while isRunning { usleep(1_000) }
                    return false
                }
                usleep(5_000)
            }
            return true
        }

        deinit { if isRunning { _ = waitForExit(within: .zero) } }
    }

    func testStatsWithAStoppedWorkerExitsNonZeroSoonAfterTheTimeoutNamingTheStoppedWorker() throws {
        let run = try Running(["stats", CLI.root + "/datasets/sensors.npy", "--repeat", "1000000", "--workers", "2", "--timeout", "1"])
        let workers = run.workers(2)
        XCTAssertEqual(workers.count, 2, "workers not found")
        guard let victim = workers.first else { return }
        kill(victim, SIGSTOP)
        defer { kill(victim, SIGKILL) }
        XCTAssertTrue(run.waitForExit(within: .milliseconds(2500)), "mproc stats --timeout 1 still running 2.5 s after the stop")
        XCTAssertNotEqual(run.terminationStatus, 0)
        let lines = run.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("timed out after 1 s"), run.stderr)
        XCTAssertTrue(run.stderr.contains("pid \(victim) (stopped)"), run.stderr)
        for pid in workers { XCTAssertTrue(waitUntilGone(pid), "worker \(pid) outlived mproc") }
    }

    func testBatchFileThatTimesOutIsAFailedRecordAndTheBatchGoesOn() throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.file("stuck.h5")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let start = ContinuousClock.now
        let result = try CLI.run(["batch", fifo, "datasets/sensors.h5", "--timeout", "1", "--workers", "2"])
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(60), "hang guard")
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("stuck.h5: timed out after 1 s"), result.stderr)
        XCTAssertTrue(result.stdout.contains("/readings/pressure"), "the other file was summarized: \(result.stdout)")
    }

    func testTimeoutOptionMustBeAPositiveFiniteNumberOfSeconds() throws {
        for bad in ["0", "-1", "nan", "inf", "1e300"] {
            let result = try CLI.run(["stats", "datasets/sensors.npy", "--timeout=\(bad)"])
            XCTAssertNotEqual(result.status, 0, bad)
            XCTAssertTrue(result.stderr.contains("--timeout must be a positive number of seconds"), "\(bad): \(result.stderr)")
        }
        let fine = try CLI.run(["stats", "datasets/sensors.npy", "--timeout", "60", "--json"])
        XCTAssertEqual(fine.status, 0, fine.stderr)
    }

    func testSpawnedWorkerKilledBySIGSEGVPrintsNoBacktrace() throws {
        let run = try Running(["stats", CLI.root + "/datasets/sensors.npy", "--repeat", "1000000", "--workers", "2", "--start-method", "spawn"])
        XCTAssertEqual(run.workers(2).count, 2, "workers not found")
        // Until one is hit while it holds a chunk (then the call fails): every worker, every few ms.
        let deadline = ContinuousClock.now + .seconds(20)
        while run.isRunning, ContinuousClock.now < deadline {
            for pid in childPIDs(of: run.pid) { kill(pid, SIGSEGV) }
            usleep(20_000)
        }
        XCTAssertTrue(run.waitForExit(within: .seconds(5)), "hang guard")
        XCTAssertNotEqual(run.terminationStatus, 0)
        let text = run.stderr
        for marker in ["Backtrac", "Current stack trace", "Program crashed", "Thread 0", "0x0000"] {
            XCTAssertFalse(text.contains(marker), "stderr: \(text)")
        }
        XCTAssertEqual(text.split(separator: "\n").count, 1, text)
        XCTAssertTrue(text.contains("SIGSEGV") && text.contains("worker pid"), text)
    }
}

/// The pids whose parent is `parent` (from /proc).
func childPIDs(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && Int32(fields[1]) == parent
    }.sorted()
}

/// Whether `pid` is gone (or only a zombie waiting for init) within a few seconds.
func waitUntilGone(_ pid: Int32) -> Bool {
    for _ in 0..<300 {
        if kill(pid, 0) == -1 && errno == ESRCH { return true }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].hasPrefix(" Z")
        {
            return true
        }
        usleep(10_000)
    }
    return false
}
