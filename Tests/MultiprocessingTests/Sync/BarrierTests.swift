#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class BarrierTests: XCTestCase {
    /// Four processes, six phases: every phase's work ends (by a global ticket) before any process
    /// starts the next one, each phase hands out the indices 0...3 once, and the action runs once per phase.
    func testNoProcessStartsAPhaseBeforeAllFinishedThePreviousOne() throws {
        let processes = 4, phases = 6
        let actions = try SharedValue(0, lock: false)
        let barrier = try Barrier(parties: processes, timeout: .seconds(10)) { actions.wrappingAdd(1) }
        let ticket = try SharedValue(0, lock: false)
        let started = try SharedBuffer(repeating: 0, count: processes * phases, lock: false)
        let finished = try SharedBuffer(repeating: 0, count: processes * phases, lock: false)
        let indices = try SharedBuffer(repeating: -1, count: processes * phases, lock: false)
        let children = forkChildren(processes) { p in
            for phase in 0..<phases {
                started[phase * processes + p] = ticket.wrappingAdd(1).newValue
                usleep(UInt32((p * 7 + phase * 3) % 5) * 1_000)  // uneven work
                finished[phase * processes + p] = ticket.wrappingAdd(1).newValue
                indices[phase * processes + p] = try barrier.wait()
            }
            return 0
        }
        assertChildrenSucceed(children, timeout: .seconds(15))
        let (starts, ends, order) = (try started.toArray(), try finished.toArray(), try indices.toArray())
        for phase in 0..<phases {
            let row = phase * processes..<(phase + 1) * processes
            XCTAssertEqual(Set(order[row]), Set(0..<processes), "phase \(phase) indices")
            guard phase + 1 < phases else { continue }
            let next = (phase + 1) * processes..<(phase + 2) * processes
            XCTAssertLessThan(ends[row].max()!, starts[next].min()!, "phase \(phase + 1) began before \(phase) ended")
        }
        XCTAssertEqual(actions.atomicLoad(), phases)
        XCTAssertFalse(barrier.isBroken)
        XCTAssertEqual(barrier.waitingCount, 0)
    }

    func testTimeoutBreaksTheBarrierUntilReset() throws {
        let barrier = try Barrier(parties: 2)
        let waited = try elapsed {
            XCTAssertThrowsError(try barrier.wait(timeout: .milliseconds(100))) { error in
                XCTAssertEqual((error as? SyncError)?.code, .brokenBarrier)
                XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
            }
        }
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(100))
        XCTAssertLessThan(waited, .seconds(1))
        XCTAssertTrue(barrier.isBroken)
        // Broken: later waits fail at once, in this process and in others.
        let again = try elapsed { XCTAssertThrowsError(try barrier.wait(timeout: .seconds(5))) }
        XCTAssertLessThan(again, .milliseconds(500))
        assertChildrenSucceed(forkChildren(1) { _ in
            do { try barrier.wait(timeout: .seconds(5)) } catch SyncError.Code.brokenBarrier { return 0 }
            return 1
        })
        barrier.reset()
        XCTAssertFalse(barrier.isBroken)
        let partnerIndex = try SharedValue(-1, lock: false)
        let partner = forkChildren(1) { _ in
            partnerIndex.atomicStore(try barrier.wait(timeout: .seconds(5)))
            return 0
        }
        let index = try barrier.wait(timeout: .seconds(5))
        assertChildrenSucceed(partner)
        XCTAssertEqual(Set([index, partnerIndex.atomicLoad()]), [0, 1])
    }

    func testAbortAndResetReleaseWaitingProcessesWithAnError() throws {
        let barrier = try Barrier(parties: 3)
        for end in [barrier.abort, barrier.reset] {
            let waiters = forkChildren(2) { _ in
                do { try barrier.wait(timeout: .seconds(5)) } catch SyncError.Code.brokenBarrier { return 0 }
                return 1
            }
            for _ in 0..<500 where barrier.waitingCount < 2 { usleep(1_000) }
            XCTAssertEqual(barrier.waitingCount, 2)
            end()
            assertChildrenSucceed(waiters)
            barrier.reset()
        }
        // A throwing action breaks the round for everyone.
        struct Refused: Error {}
        let strict = try Barrier(parties: 2) { throw Refused() }
        let other = forkChildren(1) { _ in
            do { try strict.wait(timeout: .seconds(5)) } catch SyncError.Code.brokenBarrier { return 0 }
            return 1
        }
        XCTAssertThrowsError(try strict.wait(timeout: .seconds(5))) {
            XCTAssertEqual(($0 as? SyncError)?.code, .brokenBarrier)
        }
        assertChildrenSucceed(other)
        XCTAssertThrowsError(try Barrier(parties: 0))
    }
}
