#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class SemaphoreTests: XCTestCase {
    func testSemaphoreLimitsConcurrentHoldersAcrossProcesses() throws {
        let slots = try Semaphore(value: 2)
        let inside = try SharedValue(0, lock: false)
        let mostInside = try SharedValue(0)
        let children = forkChildren(4) { _ in
            for _ in 0..<40 {
                try slots.withLock {
                    let now = inside.wrappingAdd(1).newValue
                    try mostInside.withLock { $0 = max($0, now) }
                    usleep(300)
                    inside.wrappingAdd(-1)
                }
            }
            return 0
        }
        assertChildrenSucceed(children)
        XCTAssertEqual(inside.atomicLoad(), 0)
        XCTAssertLessThanOrEqual(try mostInside.load(), 2)
        XCTAssertEqual(try mostInside.load(), 2, "two holders should have overlapped at some point")
        XCTAssertEqual(slots.value, 2)
    }

    func testReleaseWakesAWaiterInAnotherProcess() throws {
        let signal = try Semaphore(value: 0)
        let children = forkChildren(2) { _ in try signal.acquire(timeout: .seconds(5)) ? 0 : 1 }
        usleep(50_000)
        try signal.release(count: 2)
        assertChildrenSucceed(children)
        XCTAssertEqual(signal.value, 0)
    }

    func testAcquireTimeoutReturnsFalseOnTime() throws {
        let empty = try Semaphore(value: 0)
        let waited = try elapsed { XCTAssertFalse(try empty.acquire(timeout: .milliseconds(100))) }
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(100))
        XCTAssertLessThan(waited, .seconds(1))
        XCTAssertFalse(try empty.tryAcquire())
        XCTAssertThrowsError(try Semaphore(value: -1)) { XCTAssertEqual(($0 as? SyncError)?.code, .invalidArgument) }
    }

    func testBoundedSemaphoreRefusesToReleaseAboveItsInitialValue() throws {
        let bounded = try BoundedSemaphore(value: 2)
        XCTAssertThrowsError(try bounded.release()) { error in
            XCTAssertEqual((error as? SyncError)?.code, .releasedTooManyTimes)
            XCTAssertTrue("\(error)".contains("initial value 2"), "\(error)")
        }
        try bounded.acquire()
        try bounded.acquire()
        XCTAssertFalse(try bounded.tryAcquire())
        // A child gives one back; a second give-back from here is fine, a third is not.
        assertChildrenSucceed(forkChildren(1) { _ in try bounded.release(); return 0 })
        try bounded.release()
        XCTAssertEqual(bounded.value, 2)
        XCTAssertThrowsError(try bounded.release())
        XCTAssertEqual(bounded.value, 2)
        // Four processes released at once into two free places: exactly two succeed.
        try bounded.acquire()
        try bounded.acquire()
        let start = try Barrier(parties: 4)
        let accepted = try SharedValue(0, lock: false)
        assertChildrenSucceed(forkChildren(4) { _ in
            try start.wait(timeout: .seconds(5))
            do { try bounded.release() } catch SyncError.Code.releasedTooManyTimes { return 0 }
            accepted.wrappingAdd(1)
            return 0
        })
        XCTAssertEqual(accepted.atomicLoad(), 2)
        XCTAssertLessThanOrEqual(bounded.value, 2)
    }
}
