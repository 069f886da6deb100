#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import MultiprocessingCore
import XCTest

final class BlockingCallTimeoutTests: XCTestCase {
    func testMapWithATaskThatNeverReturnsThrowsNamingTheTaskIndex() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let start = ContinuousClock.now
        XCTAssertThrowsError(try pool.map(HangsOnThree.self, over: 0..<8, chunkSize: 1, timeout: .seconds(1))) { error in
            guard let error = error as? WorkerPoolError, error.code == .timedOut, let task = error.job else { return XCTFail("\(error)") }
            let stuck = error.stuck
            XCTAssertEqual(task, "HangsOnThree")
            XCTAssertTrue(stuck.contains { $0.held.hasPrefix("task 3 ") }, "\(error)")
            XCTAssertTrue("\(error)".contains("task 3 (input 3)"), "\(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(10), "hang guard")
        XCTAssertEqual(try pool.map(HangsOnThree.self, over: [0, 1, 2, 4, 5]), [0, 1, 2, 4, 5])
        XCTAssertThrowsError(try pool.apply(HangsOnThree.self, 3, timeout: .milliseconds(300)))
        XCTAssertEqual(try pool.apply(HangsOnThree.self, 9), 9)
    }

    func testImapThrowsTheTimeoutAfterTheOutputsThatFinished() async throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        var received: [Int] = []
        do {
            for try await value in pool.imap(HangsOnThree.self, over: 0..<6, chunkSize: 1, timeout: .milliseconds(800)) {
                received.append(value)
            }
            XCTFail("no timeout")
        } catch let error as WorkerPoolError where error.code == .timedOut {
            XCTAssertTrue(error.stuck.contains { $0.held.hasPrefix("task 3") })
        }
        XCTAssertEqual(received, [0, 1, 2])
    }

    func testFutureValueWithTimeoutThrowsInTimeWhileTheTaskRuns() async throws {
        let pool = try WorkerPool(workers: 1, timeout: .seconds(2))  // ends the stuck batch afterwards
        defer { pool.shutdown() }
        let future = pool.applyAsync(HangsOnThree.self, 3)
        let start = ContinuousClock.now
        do {
            _ = try await future.value(timeout: .milliseconds(200))
            XCTFail("no timeout")
        } catch FutureError.timedOut {}
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "hang guard")
        XCTAssertThrowsError(try future.result(timeout: .milliseconds(100)))
        let quick = pool.applyAsync(HangsOnThree.self, 5)
        let value = try await quick.value(timeout: .seconds(20))
        XCTAssertEqual(value, 5)
    }

    func testQueueGetTimesOutWhileAStoppedProcessHoldsItsLock() throws {
        let queue = try Queue<Int>()
        try queue.put(1)
        let children = forkChildren(1) { _ in
            try queue.condition.acquire()
            while true { pause() }
        }
        defer { reap(children.map { kill($0, SIGKILL); return $0 }) }
        usleep(100_000)
        kill(children[0], SIGSTOP)
        let start = ContinuousClock.now
        XCTAssertThrowsError(try queue.get(timeout: .milliseconds(300))) { error in
            XCTAssertEqual(error as? QueueError, .empty)
        }
        XCTAssertThrowsError(try queue.put(2, timeout: .milliseconds(300))) { error in
            XCTAssertEqual(error as? QueueError, .full)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "hang guard")
    }

    func testLockAcquireAndBarrierWaitReturnInTimeWithAStoppedPeer() throws {
        let lock = try Lock()
        let barrier = try Barrier(parties: 2)
        let children = forkChildren(1) { _ in
            try lock.acquire()
            while true { pause() }
        }
        defer { reap(children.map { kill($0, SIGKILL); return $0 }) }
        usleep(100_000)
        kill(children[0], SIGSTOP)
        let start = ContinuousClock.now
        XCTAssertFalse(try lock.acquire(timeout: .milliseconds(200)))
        XCTAssertThrowsError(try barrier.wait(timeout: .milliseconds(200))) { error in
            XCTAssertEqual((error as? SyncError)?.code, .brokenBarrier)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "hang guard")
    }

    func testConnectionReceiveTimesOutAndStaysUsable() throws {
        let (a, b) = try Pipe.open()
        let start = ContinuousClock.now
        XCTAssertThrowsError(try a.receive(Int.self, timeout: .milliseconds(200))) { error in
            XCTAssertEqual(error as? ConnectionError, .timedOut)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "hang guard")
        try b.send(42)
        XCTAssertEqual(try a.receive(Int.self, timeout: .seconds(5)), 42)
    }
}

final class JoinableQueueTimeoutTests: XCTestCase {
    func testJoinWithTimeoutReturnsFalseWhileAStoppedProcessHoldsTheQueueLock() throws {
        let queue = try JoinableQueue<Int>()
        try queue.put(1)
        let children = forkChildren(1) { _ in
            try queue.condition.acquire()
            while true { pause() }
        }
        defer { reap(children.map { kill($0, SIGKILL); return $0 }) }
        usleep(100_000)
        kill(children[0], SIGSTOP)
        let start = ContinuousClock.now
        XCTAssertFalse(try queue.join(timeout: .milliseconds(300)))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "hang guard")
    }
}
