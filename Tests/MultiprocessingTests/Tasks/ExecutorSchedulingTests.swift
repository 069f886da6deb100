#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// Writes its worker's pid to the file named by its input, then sleeps (to be killed from outside).
struct ReportPidThenSleep: ParallelTask {
    static func run(_ path: String) throws -> Int32 {
        let text = "\(getpid())"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if fd >= 0 {
            _ = text.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        sleep(60)
        return getpid()
    }
}

/// The text of a small file, empty if it cannot be read.
private func readSmallFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 64)
    let n = read(fd, &buffer, buffer.count)
    return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
}

final class ExecutorSchedulingTests: XCTestCase {
    /// Python's ProcessPoolExecutor semantics: a task submitted while another runs starts on the idle worker.
    func testTaskSubmittedDuringALongTaskStartsOnTheIdleWorker() throws {
        let executor = try Executor(workers: 2)
        defer { executor.shutdown() }
        let long = executor.submit(Nap.self, 4000)
        usleep(100_000)
        let start = ContinuousClock.now
        let other = executor.submit(Square.self, 5)
        XCTAssertEqual(try other.result(timeout: .seconds(30)), 25)
        let sameType = executor.submit(Nap.self, 10)
        XCTAssertEqual(try sameType.result(timeout: .seconds(30)), 10)
        let latency = ContinuousClock.now - start
        XCTAssertFalse(long.isDone, "the short tasks waited for the long one (\(latency))")
        XCTAssertEqual(try long.result(timeout: .seconds(30)), 4000)
    }

    /// Latency of a task submitted during a long batch is about one task's run time, not the batch's.
    func testTaskSubmittedDuringALongBatchWaitsOneTaskNotTheBatch() throws {
        let executor = try Executor(workers: 2)
        defer { executor.shutdown() }
        // Three 2-second tasks on two workers: the batch takes about 4 s; a worker frees up after about 2 s.
        let batch = executor.map(Nap.self, over: [2000, 2000, 2000])
        usleep(100_000)
        let start = ContinuousClock.now
        let short = executor.submit(Nap.self, 10)
        XCTAssertEqual(try short.result(timeout: .seconds(60)), 10)
        let latency = ContinuousClock.now - start
        XCTAssertFalse(batch[2].isDone, "the short task waited for the whole batch (\(latency))")
        XCTAssertEqual(try batch.map { try $0.result(timeout: .seconds(60)) }, [2000, 2000, 2000])
    }

    func testWorkerCrashFailsOnlyItsTaskWithPidAndSignalAndIsReplaced() throws {
        let executor = try Executor(workers: 2)
        defer { executor.shutdown() }
        let before = Set(executor.pool.workerPIDs)
        let inputs = Array(0..<40)
        let futures = executor.map(Unlucky.self, over: inputs)
        for (input, future) in zip(inputs, futures) {
            if input == 13 {
                XCTAssertThrowsError(try future.result(timeout: .seconds(60))) { error in
                    guard let error = error as? TaskError else { return XCTFail("\(error)") }
                    XCTAssertEqual(error.index, 13)
                    XCTAssertEqual(error.reason, .workerDied(.signaled(SIGABRT)))
                    XCTAssertTrue(before.contains(error.pid), "names the worker that died: \(error)")
                    let text = "\(error)"
                    XCTAssertFalse(text.contains("\n"), text)
                    XCTAssertTrue(text.contains("task 13") && text.contains("pid \(error.pid)") && text.contains("SIGABRT"), text)
                }
            } else {
                XCTAssertNoThrow(try future.result(timeout: .seconds(60)), "input \(input)")
            }
        }
        XCTAssertEqual(try executor.submit(Square.self, 6).result(timeout: .seconds(60)), 36)
        let after = executor.pool.workerPIDs
        XCTAssertEqual(after.count, 2, "the dead worker was replaced")
        XCTAssertEqual(Set(after).intersection(before).count, 1)
    }

    func testWorkerKilledFromOutsideFailsItsTaskAndTheOthersFinish() throws {
        let executor = try Executor(workers: 2)
        defer { executor.shutdown() }
        let path = "/tmp/mproc-executor-pid-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        defer { unlink(path) }
        let victim = executor.submit(ReportPidThenSleep.self, path)
        let naps = executor.map(Nap.self, over: Array(repeating: 30, count: 20))
        var pid: Int32 = 0
        let waitStart = ContinuousClock.now
        while pid == 0, ContinuousClock.now - waitStart < .seconds(30) {
            if let value = Int32(readSmallFile(path)) { pid = value }
            usleep(5000)
        }
        XCTAssertGreaterThan(pid, 0, "the task reported its worker")
        kill(pid, SIGKILL)
        XCTAssertThrowsError(try victim.result(timeout: .seconds(60))) { error in
            XCTAssertEqual((error as? TaskError)?.reason, .workerDied(.signaled(SIGKILL)), "\(error)")
            XCTAssertEqual((error as? TaskError)?.pid, pid)
        }
        XCTAssertEqual(try naps.map { try $0.result(timeout: .seconds(60)) }, Array(repeating: 30, count: 20))
        XCTAssertFalse(executor.pool.workerPIDs.contains(pid))
    }

    func testLargeOutputsAndManySmallTasksAllArrive() throws {
        let executor = try Executor(workers: 2)
        defer { executor.shutdown() }
        let big = executor.map(Big.self, over: [10, 100_000, 20, 300_000])
        let small = executor.map(Square.self, over: 0..<20_000)
        XCTAssertEqual(try small.map { try $0.result(timeout: .seconds(120)) }, (0..<20_000).map { $0 * $0 })
        for (n, future) in zip([10, 100_000, 20, 300_000], big) {
            XCTAssertEqual(try future.result(timeout: .seconds(120)), Array(repeating: Double(n), count: n))
        }
    }

    func testShutdownWaitCanTimeOut() throws {
        let executor = try Executor(workers: 1)
        let long = executor.submit(Nap.self, 1500)
        usleep(100_000)
        XCTAssertFalse(executor.shutdown(wait: true, timeout: .milliseconds(100)), "the task still runs")
        XCTAssertEqual(try long.result(timeout: .seconds(60)), 1500)
        XCTAssertTrue(executor.shutdown(wait: true, timeout: .seconds(60)))
    }

    func testPoolIsFreeForMapsOnceTheExecutorIsIdle() throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        let executor = Executor(pool: pool)
        XCTAssertEqual(try executor.submit(Square.self, 3).result(timeout: .seconds(30)), 9)
        XCTAssertEqual(try pool.map(Square.self, over: 0..<100, timeout: .seconds(30)), (0..<100).map { $0 * $0 })
        XCTAssertEqual(try executor.submit(Square.self, 4).result(timeout: .seconds(30)), 16)
        executor.shutdown()
    }
}
