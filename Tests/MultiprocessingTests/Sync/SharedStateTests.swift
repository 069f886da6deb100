#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class SharedStateTests: XCTestCase {
    struct Pair: Equatable { var count: Int; var sum: Double }

    func testSharedValueWithLockAndAtomicAddAreExactAcrossProcesses() throws {
        let locked = try SharedValue(Pair(count: 0, sum: 0))
        let atomic = try SharedValue(Int64(0), lock: false)
        let start = try Barrier(parties: 4)
        let children = forkChildren(4) { _ in
            try start.wait(timeout: .seconds(5))
            for _ in 0..<10_000 {
                try locked.withLock {
                    $0.count += 1
                    $0.sum += 0.5
                }
                atomic.wrappingAdd(1)
            }
            return 0
        }
        assertChildrenSucceed(children)
        XCTAssertEqual(try locked.load(), Pair(count: 40_000, sum: 20_000))
        XCTAssertEqual(atomic.atomicLoad(), 40_000)
        try locked.store(Pair(count: 1, sum: 2))
        assertChildrenSucceed(forkChildren(1) { _ in try locked.load() == Pair(count: 1, sum: 2) ? 0 : 1 })
        XCTAssertThrowsError(try atomic.withLock { $0 += 1 }) { XCTAssertEqual(($0 as? SyncError)?.code, .noLock) }
        XCTAssertNil(atomic.lock)
        XCTAssertNotNil(locked.lock)
    }

    func testSharedBufferSlotsAndLockedUpdatesAreSeenByEveryProcess() throws {
        let slots = try SharedBuffer(repeating: 0.0, count: 8)
        let histogram = try SharedBuffer([0, 0, 0], lock: true)
        XCTAssertEqual(slots.count, 8)
        let children = forkChildren(4) { p in
            slots[2 * p] = Double(p) + 0.25
            slots[2 * p + 1] = Double(p) * 10
            for i in 0..<1_000 {
                try histogram.withLock { $0[i % 3] += 1 }
            }
            return 0
        }
        assertChildrenSucceed(children)
        XCTAssertEqual(try slots.toArray(), [0.25, 0, 1.25, 10, 2.25, 20, 3.25, 30])
        XCTAssertEqual(try histogram.toArray(), [1_336, 1_332, 1_332])
        let counters = try SharedBuffer(repeating: UInt32(0), count: 2, lock: false)
        assertChildrenSucceed(forkChildren(4) { _ in
            for _ in 0..<5_000 { counters.wrappingAdd(1, at: 1) }
            return 0
        })
        XCTAssertEqual(counters.atomicLoad(at: 1), 20_000)
        XCTAssertEqual(counters[0], 0)
        XCTAssertThrowsError(try counters.withLock { _ in }) { XCTAssertEqual(($0 as? SyncError)?.code, .noLock) }
    }
}
