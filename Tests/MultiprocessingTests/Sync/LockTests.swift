#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class LockTests: XCTestCase {
    func testFourProcessesIncrementingUnderLockLoseNoUpdate() throws {
        let lock = try Lock()
        let counter = try SharedValue(0, lock: false)
        let start = try Barrier(parties: 4)
        let children = forkChildren(4) { _ in
            try start.wait(timeout: .seconds(5))  // all four contend from the first increment
            for _ in 0..<10_000 {
                try lock.acquire()
                try counter.store(counter.load() + 1)
                lock.release()
            }
            return 0
        }
        assertChildrenSucceed(children)
        XCTAssertEqual(try counter.load(), 40_000)
    }

    func testAcquireTimesOutWhileAnotherProcessHoldsTheLock() throws {
        let lock = try Lock()
        try lock.acquire()
        let children = forkChildren(1) { _ in
            let start = ContinuousClock.now
            guard try !lock.acquire(timeout: .milliseconds(100)) else { return 1 }
            let waited = ContinuousClock.now - start
            guard waited >= .milliseconds(100), waited < .seconds(2) else { return 2 }
            return try lock.tryAcquire() ? 3 : 0
        }
        assertChildrenSucceed(children)
        lock.release()
        XCTAssertTrue(try lock.tryAcquire())
        lock.release()
    }

    func testRelockIsAnErrorNotAHang() throws {
        let lock = try Lock()
        try lock.acquire()
        XCTAssertThrowsError(try lock.acquire()) { XCTAssertEqual(($0 as? SyncError)?.code, .wouldDeadlock) }
        XCTAssertTrue(lock.isHeldByCurrentThread)
        // A forked child does not inherit the hold: it cannot take the lock.
        let children = forkChildren(1) { _ in
            guard !lock.isHeldByCurrentThread else { return 1 }
            return try lock.tryAcquire() ? 3 : 0
        }
        assertChildrenSucceed(children)
        lock.release()
    }

    func testReleasingALockNotHeldTrapsWithAMessage() throws {
        let lock = try Lock()
        assertTrapsInChild("Lock.release(): the calling thread does not hold the lock") { lock.release() }
        // Held by this process: a forked child does not inherit the hold, so its release is misuse too.
        try lock.acquire()
        assertTrapsInChild("Lock.release(): the calling thread does not hold the lock") { lock.release() }
        XCTAssertTrue(lock.isHeldByCurrentThread)
        lock.release()
        let rlock = try RLock()
        assertTrapsInChild("RLock.release(): the calling thread does not hold the lock") { rlock.release() }
    }

    func testDeferReleaseReadsAsInPython() throws {
        let lock = try Lock()
        func critical() throws -> Int {
            try lock.acquire()
            defer { lock.release() }
            XCTAssertTrue(lock.isHeldByCurrentThread)
            return 42
        }
        XCTAssertEqual(try critical(), 42)
        XCTAssertFalse(lock.isHeldByCurrentThread)
        XCTAssertEqual(try lock.withLock { 7 }, 7)
        struct Failure: Error {}
        XCTAssertThrowsError(try lock.withLock { throw Failure() }) { XCTAssertTrue($0 is Failure) }
        XCTAssertFalse(lock.isHeldByCurrentThread, "withLock releases when its body throws")
    }

    func testRLockIsReentrantAndExcludesOtherProcessesUntilFullyReleased() throws {
        let lock = try RLock()
        try lock.acquire()
        try lock.withLock {
            try lock.withLock { XCTAssertEqual(lock.recursionDepth, 3) }
        }
        try lock.acquire()
        XCTAssertEqual(lock.recursionDepth, 2)
        lock.release()
        // Still held once: another process must not get it.
        assertChildrenSucceed(forkChildren(1) { _ in try lock.acquire(timeout: .milliseconds(50)) ? 1 : 0 })
        lock.release()
        XCTAssertEqual(lock.recursionDepth, 0)
        // Free now: a child re-enters it on its own and releases every level.
        assertChildrenSucceed(forkChildren(1) { _ in
            guard try lock.acquire(timeout: .seconds(2)) else { return 1 }
            try lock.acquire()
            guard lock.recursionDepth == 2 else { return 2 }
            lock.release()
            lock.release()
            return 0
        })
        XCTAssertTrue(try lock.tryAcquire())
        lock.release()
    }

    func testHolderKilledWhileHoldingIsReportedAndTheLockRecovers() throws {
        let lock = try Lock()
        let holding = try Event()
        let holder = forkChildren(1) { _ in
            try lock.acquire()
            holding.set()
            sleepForever()
        }[0]
        XCTAssertTrue(holding.wait(timeout: .seconds(5)))
        XCTAssertFalse(try lock.acquire(timeout: .milliseconds(20)))
        kill(holder, SIGKILL)
        XCTAssertEqual(reap([holder]), [.signaled(SIGKILL)])

        let waited = try elapsed {
            XCTAssertThrowsError(try lock.acquire(timeout: .seconds(2))) { error in
                let error = error as? SyncError
                XCTAssertEqual(error?.code, .ownerDied)
                XCTAssertEqual(error?.pid, holder)
                XCTAssertTrue("\(error!)".contains("process \(holder) died"), "\(error!)")
            }
        }
        XCTAssertLessThan(waited, .seconds(1))
        // The report came with the lock: this thread holds it and releases it after "repairing".
        XCTAssertTrue(lock.isHeldByCurrentThread)
        lock.release()

        // It works normally afterwards, in this process and in others.
        try lock.withLock {}
        assertChildrenSucceed(forkChildren(2) { _ in
            for _ in 0..<100 { guard try lock.withLock(timeout: .seconds(2), { true }) == true else { return 1 } }
            return 0
        })
        XCTAssertTrue(try lock.tryAcquire())
        lock.release()
    }

    func testRLockHolderKilledMakesWithLockThrowOnceThenWork() throws {
        let lock = try RLock()
        let holding = try Event()
        let holder = forkChildren(1) { _ in
            try lock.acquire()
            try lock.acquire()
            holding.set()
            sleepForever()
        }[0]
        XCTAssertTrue(holding.wait(timeout: .seconds(5)))
        kill(holder, SIGKILL)
        reap([holder])

        var ran = false
        XCTAssertThrowsError(try lock.withLock { ran = true }) { error in
            XCTAssertEqual((error as? SyncError)?.code, .ownerDied)
            XCTAssertEqual((error as? SyncError)?.pid, holder)
        }
        XCTAssertFalse(ran, "withLock must not run the body after an owner death")
        XCTAssertFalse(lock.isHeldByCurrentThread, "withLock releases before rethrowing")
        XCTAssertEqual(try lock.withLock { lock.recursionDepth }, 1)
        assertChildrenSucceed(forkChildren(1) { _ in try lock.acquire(timeout: .seconds(2)) ? 0 : 1 })
    }
}
