#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// Finished `Process` children are reaped at once (no zombies), their statuses kept for `exitCode` and
/// `join`, and the program's own children left alone.
final class ChildReaperTests: XCTestCase {
    func testTwentyFinishedChildrenAreReapedWithoutJoinAndKeepTheirStatus() throws {
        let children = (0..<20).map { i in Process(name: "short-\(i)") { _exit(Int32(i % 4)) } }
        for child in children { try child.start() }
        let pids = children.map { $0.pid! }
        // Nobody joins or asks isAlive: within a moment every child must be gone from /proc, reaped. (A
        // child that has not reached its _exit yet is no zombie either: waiting only for "no zombies" let
        // a slow last child through unreaped, and its status was read too early on a loaded machine.)
        let deadline = ContinuousClock.now + .seconds(5)
        var remaining = pids
        while !remaining.isEmpty, ContinuousClock.now < deadline {
            usleep(5_000)
            remaining = pids.filter { ProcessState(pid: $0) != .unknown }
        }
        XCTAssertEqual(remaining.filter { ProcessState(pid: $0) == .zombie }, [], "children left as zombies")
        XCTAssertEqual(remaining, [], "children neither ended nor reaped within 5 s")
        for (i, child) in children.enumerated() {
            XCTAssertEqual(child.exitCode, Int32(i % 4), "child \(i)")
            XCTAssertFalse(child.isAlive)
            XCTAssertTrue(try child.join(timeout: .zero))
            XCTAssertEqual(child.exitStatus, .exited(Int32(i % 4)))
        }
    }

    func testTheProgramsOwnChildrenKeepTheirStatus() throws {
        // A Process that outlives the program's own child keeps the reaper busy meanwhile.
        let long = Process(name: "long") { usleep(300_000) }
        try long.start()
        fflush(nil)
        let own = fork()
        if own == 0 { _exit(7) }
        XCTAssertGreaterThan(own, 0)
        let short = Process(name: "short") { _exit(3) }
        try short.start()
        XCTAssertTrue(try short.join(timeout: .seconds(10)))
        XCTAssertEqual(short.exitCode, 3)
        usleep(50_000)
        XCTAssertEqual(ProcessState(pid: own), .zombie, "the program's own child is the program's to reap")
        var raw: Int32 = 0
        XCTAssertEqual(waitpid(own, &raw, 0), own)
        XCTAssertEqual(ExitStatus(waitStatus: raw), .exited(7))
        XCTAssertTrue(try long.join(timeout: .seconds(10)))
        XCTAssertEqual(long.exitCode, 0)
    }

    func testJoinWaitsAndTimesOutAndSignalsReachOnlyLiveChildren() throws {
        let sleeper = Process(name: "sleeper") { while true { pause() } }
        try sleeper.start()
        let start = ContinuousClock.now
        XCTAssertFalse(try sleeper.join(timeout: .milliseconds(100)))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(100))
        XCTAssertTrue(sleeper.isAlive)
        sleeper.terminate()
        XCTAssertTrue(try sleeper.join(timeout: .seconds(10)))
        XCTAssertEqual(sleeper.exitCode, -SIGTERM)
        sleeper.kill()   // reaped already: nothing is sent
        XCTAssertEqual(sleeper.exitStatus, .signaled(SIGTERM))
    }

    func testAForkedChildReapsItsOwnChildren() throws {
        let outer = Process(name: "outer") {
            let inner = (0..<3).map { i in Process(name: "inner-\(i)") { _exit(Int32(10 + i)) } }
            for process in inner { try process.start() }
            for process in inner { guard try process.join(timeout: .seconds(10)) else { _exit(2) } }
            _exit(inner.map(\.exitCode) == [10, 11, 12] ? 0 : 1)
        }
        try outer.start()
        XCTAssertTrue(try outer.join(timeout: .seconds(20)))
        XCTAssertEqual(outer.exitCode, 0)
    }
}
