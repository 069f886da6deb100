#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class EventTests: XCTestCase {
    func testSetWakesWaitersInChildren() throws {
        let go = try Event()
        let woke = try SharedBuffer(repeating: Int32(0), count: 3, lock: false)
        let children = forkChildren(3) { i in
            guard go.wait(timeout: .seconds(5)) else { return 1 }
            woke[i] = 1
            return 0
        }
        usleep(100_000)
        XCTAssertEqual(try woke.toArray(), [0, 0, 0], "nobody may pass before set()")
        XCTAssertFalse(go.isSet)
        go.set()
        assertChildrenSucceed(children)
        XCTAssertEqual(try woke.toArray(), [1, 1, 1])
        // Once set, waits return at once, here and in new children.
        XCTAssertTrue(go.wait(timeout: .zero))
        assertChildrenSucceed(forkChildren(1) { _ in go.isSet && go.wait(timeout: .zero) ? 0 : 1 })
    }

    func testWaitTimeoutReturnsFalseOnTimeAndClearResets() throws {
        let event = try Event()
        let waited = elapsed { XCTAssertFalse(event.wait(timeout: .milliseconds(100))) }
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(100))
        XCTAssertLessThan(waited, .seconds(1))
        event.set()
        event.set()
        XCTAssertTrue(event.isSet)
        event.clear()
        XCTAssertFalse(event.isSet)
        XCTAssertFalse(event.wait(timeout: .milliseconds(10)))
        // A child that only sees the flag cleared by the time it looks still waits for the next set.
        let children = forkChildren(1) { _ in
            guard !event.wait(timeout: .milliseconds(50)) else { return 1 }
            return event.wait(timeout: .seconds(5)) ? 0 : 2
        }
        usleep(200_000)
        event.set()
        assertChildrenSucceed(children)
    }
}
