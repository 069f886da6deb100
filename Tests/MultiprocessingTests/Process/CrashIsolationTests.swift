#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// ``CrashIsolation`` with real forked children: a value comes back, an error comes back as its description,
/// a segfault is an error naming the signal (and the test process lives on), a run past the timeout is killed.
final class CrashIsolationTests: XCTestCase {
    func testIsolatedClosureReturnsItsValue() throws {
        let value = try CrashIsolation.run(name: "value") { ["pid": Int(getpid()), "answer": 42] }
        XCTAssertEqual(value["answer"], 42)
        XCTAssertNotEqual(value["pid"], Int(getpid()), "the closure ran in this process, not in a child")
    }

    func testIsolatedClosureThatThrowsGivesItsErrorDescription() {
        struct Refused: Error, CustomStringConvertible { var description: String { "refused: bad header" } }
        XCTAssertThrowsError(try CrashIsolation.run(name: "thrower") { () throws -> Int in throw Refused() }) { error in
            XCTAssertEqual(error as? CrashIsolationError, .failed("refused: bad header"))
        }
    }

    func testSegfaultInIsolatedClosureIsAnErrorNamingTheSignal() {
        XCTAssertThrowsError(try CrashIsolation.run(name: "crasher") { () -> Int in
            raise(SIGSEGV)
            return 0
        }) { error in
            XCTAssertEqual(error as? CrashIsolationError, .crashed("crasher", SIGSEGV))
            XCTAssertEqual("\(error)", "crasher crashed (signal 11, SIGSEGV)")
        }
        // This process is alive and can isolate again.
        XCTAssertEqual(try CrashIsolation.run { 7 }, 7)
    }

    func testIsolatedClosurePastItsTimeoutIsKilled() {
        let started = ContinuousClock.now
        XCTAssertThrowsError(try CrashIsolation.run(name: "sleeper", timeout: .milliseconds(300)) { () -> Int in
            while true { sleep(1) }
        }) { error in
            XCTAssertEqual(error as? CrashIsolationError, .timedOut("sleeper", .milliseconds(300)))
        }
        // Hang guard only: the call returned instead of waiting for the endless child.
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(60))
    }
}
