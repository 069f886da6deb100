#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class ConditionTests: XCTestCase {
    /// A bounded ring of 4 slots between one producer and two consumer processes.
    func testProducerAndConsumersHandOffEveryItemOnce() throws {
        let changed = try Condition()
        let ring = try SharedBuffer(repeating: 0, count: 4, lock: false)
        let cursors = try SharedBuffer(repeating: 0, count: 2, lock: false)  // [written, read]
        let consumed = try SharedValue(0, lock: false)
        let total = try SharedValue(0, lock: false)
        let items = 300
        let children = forkChildren(3) { role in
            if role == 0 {
                for item in Array(1...items) + [-1, -1] {
                    try changed.withLock {
                        try changed.wait(for: { cursors[0] - cursors[1] < ring.count })
                        ring[cursors[0] % ring.count] = item
                        cursors[0] += 1
                        try changed.notifyAll()
                    }
                }
                return 0
            }
            while true {
                let item = try changed.withLock {
                    try changed.wait(for: { cursors[0] > cursors[1] })
                    let item = ring[cursors[1] % ring.count]
                    cursors[1] += 1
                    try changed.notifyAll()
                    return item
                }
                if item < 0 { return 0 }
                consumed.wrappingAdd(1)
                total.wrappingAdd(item)
            }
        }
        assertChildrenSucceed(children, timeout: .seconds(15))
        XCTAssertEqual(consumed.atomicLoad(), items)
        XCTAssertEqual(total.atomicLoad(), items * (items + 1) / 2)
    }

    func testNotifyWakesAWaiterOverAPlainLock() throws {
        let lock = try Lock()
        let ready = try Condition(lock: lock)
        let flag = try SharedValue(0, lock: false)
        let children = forkChildren(1) { _ in
            try ready.withLock {
                try ready.wait(for: { flag.atomicLoad() == 1 }, timeout: .seconds(5)) ? 0 : 1
            }
        }
        usleep(50_000)
        try lock.withLock {
            flag.atomicStore(1)
            try ready.notify()
        }
        assertChildrenSucceed(children)
    }

    func testWaitTimesOutHoldingTheLockAndMisuseThrows() throws {
        let condition = try Condition()
        XCTAssertThrowsError(try condition.wait(timeout: .milliseconds(1))) {
            XCTAssertEqual(($0 as? SyncError)?.code, .notOwner)
        }
        XCTAssertThrowsError(try condition.notify()) { XCTAssertEqual(($0 as? SyncError)?.code, .notOwner) }
        try condition.withLock {
            try condition.withLock {  // two levels of the RLock: wait releases both and restores both
                let waited = try elapsed { XCTAssertFalse(try condition.wait(timeout: .milliseconds(100))) }
                XCTAssertGreaterThanOrEqual(waited, .milliseconds(100))
                XCTAssertLessThan(waited, .seconds(1))
                XCTAssertEqual((condition.lock as? RLock)?.recursionDepth, 2)
                XCTAssertFalse(try condition.wait(for: { false }, timeout: .milliseconds(20)))
            }
        }
        XCTAssertFalse((condition.lock as? RLock)?.isHeldByCurrentThread ?? true)
    }

    func testWaiterRetakesTheLockFromAHolderThatDiedAndIsTold() throws {
        let condition = try Condition()
        let holding = try Event()
        try condition.acquire()
        let holder = forkChildren(1) { _ in
            try condition.acquire()  // gets it once the parent's wait releases it
            holding.set()
            sleepForever()  // never notifies, never releases
        }
        // While this process waits, a second child kills the holder.
        let killer = forkChildren(1) { _ in
            guard holding.wait(timeout: .seconds(5)) else { return 1 }
            return kill(holder[0], SIGKILL)
        }
        XCTAssertThrowsError(try condition.wait(timeout: .milliseconds(300))) { error in
            XCTAssertEqual((error as? SyncError)?.code, .ownerDied)
            XCTAssertEqual((error as? SyncError)?.pid, holder[0])
        }
        XCTAssertTrue(holding.isSet)
        XCTAssertTrue((condition.lock as? RLock)?.isHeldByCurrentThread ?? false, "wait returns holding the lock")
        condition.release()
        XCTAssertEqual(reap(holder), [.signaled(SIGKILL)])
        assertChildrenSucceed(killer)
    }
}
