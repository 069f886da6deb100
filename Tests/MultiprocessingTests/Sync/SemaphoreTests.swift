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
        assertTrapsInChild("BoundedSemaphore released too many times: the value would rise above its initial value 2") {
            bounded.release()
        }
        XCTAssertEqual(bounded.value, 2)
        try bounded.acquire()
        try bounded.acquire()
        XCTAssertFalse(try bounded.tryAcquire())
        // A child gives one back; a second give-back from here is fine, a third is not.
        assertChildrenSucceed(forkChildren(1) { _ in bounded.release(); return 0 })
        bounded.release()
        XCTAssertEqual(bounded.value, 2)
        assertTrapsInChild("released too many times") { bounded.release() }
        XCTAssertEqual(bounded.value, 2)
        // Four processes released at once into two free places: exactly two succeed, two stop on the misuse.
        try bounded.acquire()
        try bounded.acquire()
        let start = try Barrier(parties: 4)
        let accepted = try SharedValue(0, lock: false)
        let racers = forkChildren(4) { _ in
            for signal in [SIGILL, SIGTRAP] { Glibc.signal(signal, SIG_DFL) }
            let quiet = open("/dev/null", O_WRONLY)
            dup2(quiet, 2)
            try start.wait(timeout: .seconds(5))
            bounded.release()
            accepted.wrappingAdd(1)
            return 0
        }
        let statuses = reap(racers)
        XCTAssertEqual(statuses.filter { $0 == .exited(0) }.count, 2, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == .signaled(SIGILL) || $0 == .signaled(SIGTRAP) }.count, 2, "\(statuses)")
        XCTAssertEqual(accepted.atomicLoad(), 2)
        XCTAssertEqual(bounded.value, 2)
    }

    func testWithPermitReturnsTheBodysValueAndGivesTheUnitBackOnThrow() throws {
        let slots = try Semaphore(value: 1)
        XCTAssertEqual(slots.withPermit { slots.value }, 0)
        XCTAssertEqual(slots.value, 1)
        struct Failure: Error {}
        XCTAssertThrowsError(try slots.withPermit { throw Failure() }) { XCTAssertTrue($0 is Failure) }
        XCTAssertEqual(slots.value, 1)
        try slots.acquire()
        XCTAssertNil(slots.withPermit(timeout: .milliseconds(20)) { 1 })
        slots.release()
        let bounded = try BoundedSemaphore(value: 2)
        XCTAssertEqual(bounded.withPermit { bounded.withPermit { bounded.value } }, 0)
        XCTAssertEqual(bounded.withPermit(timeout: .zero) { "in" }, "in")
        XCTAssertEqual(bounded.value, 2)
        // defer reads as in Python: release() does not throw.
        func guarded() throws -> Int {
            try slots.acquire()
            defer { slots.release() }
            return slots.value
        }
        XCTAssertEqual(try guarded(), 0)
        XCTAssertEqual(slots.value, 1)
    }
}
