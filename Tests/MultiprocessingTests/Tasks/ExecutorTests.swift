#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// Sleeps `ms` milliseconds in the worker, then returns it.
struct Nap: ParallelTask {
    static func run(_ ms: Int) throws -> Int {
        if ms < 0 { throw NapError() }
        usleep(UInt32(ms) * 1000)
        return ms
    }
    struct NapError: Error {}
}

final class ExecutorTests: XCTestCase {
    func testSubmitResultDoneAndCallbacks() throws {
        let executor = try Executor(workers: 2)
        defer { executor.shutdown() }
        let future = executor.submit(Square.self, 12)
        XCTAssertEqual(try future.result(timeout: .seconds(30)), 144)
        XCTAssertTrue(future.isDone)
        let fired = ManagedFlag()
        future.addDoneCallback { _ in fired.set() }
        XCTAssertTrue(fired.isSet, "a callback on a done future runs at once")
        let futures = executor.map(Square.self, over: 0..<500)
        XCTAssertEqual(try futures.map { try $0.result() }, (0..<500).map { $0 * $0 })
    }

    func testTimeoutCancelAndShutdown() throws {
        let executor = try Executor(workers: 1)
        let slow = executor.submit(Nap.self, 300)
        XCTAssertThrowsError(try slow.result(timeout: .milliseconds(20))) { XCTAssertEqual($0 as? FutureError, .timedOut) }
        // Queued behind the running batch: can still be cancelled.
        let queued = (0..<5).map { _ in executor.submit(Nap.self, 1) }
        let cancelled = queued[4].cancel()
        XCTAssertEqual(try slow.result(timeout: .seconds(30)), 300)
        if cancelled {
            XCTAssertTrue(queued[4].isCancelled)
            XCTAssertThrowsError(try queued[4].result()) { XCTAssertEqual($0 as? FutureError, .cancelled) }
        }
        XCTAssertEqual(try queued[0].result(timeout: .seconds(30)), 1)
        executor.shutdown()
        XCTAssertThrowsError(try executor.submit(Square.self, 1).result()) {
            XCTAssertEqual($0 as? FutureError, .executorShutDown)
        }
    }

    func testWaitAndAsCompleted() throws {
        let executor = try Executor(workers: 2)
        defer { executor.shutdown() }
        // Different task types go in separate batches: the fast Square finishes first.
        let slow = executor.submit(Nap.self, 400)
        let fast = executor.submit(Square.self, 3)
        let (done, notDone) = Futures.wait([slow, fast], returnWhen: .firstCompleted, timeout: .seconds(30))
        XCTAssertGreaterThanOrEqual(done.count, 1)
        XCTAssertLessThanOrEqual(notDone.count, 1)
        let naps = [200, 10, 100].map { executor.submit(Nap.self, $0) }
        let failing = executor.submit(Nap.self, -1)
        let all = naps + [failing]
        let first = Futures.wait(all, returnWhen: .firstException, timeout: .seconds(30))
        XCTAssertTrue(first.done.contains { $0 === failing })
        var order: [Int] = []
        for future in Futures.asCompleted(naps, timeout: .seconds(30)) { order.append(try future.result()) }
        XCTAssertEqual(Set(order), [200, 10, 100])
        XCTAssertNotNil(try failing.exception())
    }

    func testAsyncMapAwaitableFuturesAndStreams() async throws {
        let pool = try Pool(workers: 2)
        let squares = try await pool.map(Square.self, over: 0..<1000)
        XCTAssertEqual(squares[999], 998_001)
        let executor = Executor(pool: pool)
        let value = try await executor.submit(Square.self, 9).value
        XCTAssertEqual(value, 81)
        var ordered: [Int] = []
        for try await x in pool.imap(Square.self, over: 0..<300, chunkSize: 7) { ordered.append(x) }
        XCTAssertEqual(ordered, (0..<300).map { $0 * $0 })
        var seen = Set<Int>()
        for try await (index, output) in pool.imapUnordered(Nap.self, over: [30, 1, 1, 1], chunkSize: 1) {
            XCTAssertEqual(output, [30, 1, 1, 1][index])
            seen.insert(index)
        }
        XCTAssertEqual(seen, [0, 1, 2, 3])
        let (progress, outputs) = pool.mapWithProgress(Square.self, over: 0..<2000)
        var last = (done: 0, total: 0)
        for await p in progress { last = p }
        XCTAssertEqual(last.done, 2000)
        let all = try await outputs.value
        XCTAssertEqual(all.count, 2000)
        var completed = 0
        for await _ in Futures.completions(executor.map(Square.self, over: 0..<50)) { completed += 1 }
        XCTAssertEqual(completed, 50)
        executor.shutdown()
    }

    /// A future completes when its own task ends, not when the batch it was dispatched in ends.
    func testFuturesOfOneBatchCompleteOneByOne() throws {
        let executor = try Executor(workers: 2)
        defer { executor.shutdown() }
        let first = executor.submit(Nap.self, 300)
        usleep(50_000)   // the first batch is running: the next two queue up and go out as one batch
        let slow = executor.submit(Nap.self, 1500)
        let fast = executor.submit(Nap.self, 10)
        XCTAssertEqual(try fast.result(timeout: .seconds(30)), 10)
        XCTAssertFalse(slow.isDone, "the fast task's future waited for the slow one")
        XCTAssertEqual(try slow.result(timeout: .seconds(30)), 1500)
        XCTAssertEqual(try first.result(), 300)
    }

    /// `imap` throws a failed task's error at its position, after the outputs before it.
    func testImapThrowsAtTheFailedPosition() async throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        var received: [Int] = []
        do {
            for try await x in pool.imap(Nap.self, over: [50, 50, -1, 4], chunkSize: 1) { received.append(x) }
            XCTFail("imap did not throw")
        } catch let error as TaskError {
            XCTAssertEqual(error.index, 2)
        }
        XCTAssertEqual(received, [50, 50])
    }
}
