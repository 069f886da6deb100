#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// Forks one child per index, each running `body(index)` and ending with `_exit` of its result (0 for
/// success). A thrown error is printed to stderr and exits 70. Children never return into XCTest.
func forkChildren(_ count: Int, _ body: (Int) throws -> Int32) -> [pid_t] {
    var pids: [pid_t] = []
    for index in 0..<count {
        fflush(nil)
        let pid = fork()
        if pid == 0 {
            let code: Int32
            do {
                code = try body(index)
            } catch {
                let text = "sync test child \(index) (pid \(getpid())): \(error)\n"
                _ = text.withCString { write(2, $0, strlen($0)) }
                code = 70
            }
            _exit(code)
        }
        precondition(pid > 0, "fork failed")
        pids.append(pid)
    }
    return pids
}

/// Waits for every child; one still running after `timeout` is SIGKILLed, so a hang fails the test
/// instead of the suite. Returns each child's status in order.
@discardableResult
func reap(_ pids: [pid_t], timeout: Duration = .seconds(10)) -> [ExitStatus] {
    let deadline = ContinuousClock.now + timeout
    var statuses = [ExitStatus?](repeating: nil, count: pids.count)
    while statuses.contains(where: { $0 == nil }) {
        for (i, pid) in pids.enumerated() where statuses[i] == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { statuses[i] = ExitStatus(waitStatus: status) }
        }
        guard statuses.contains(where: { $0 == nil }) else { break }
        if ContinuousClock.now > deadline {
            for (i, pid) in pids.enumerated() where statuses[i] == nil {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                statuses[i] = .signaled(SIGKILL)
                XCTFail("child \(pid) still running after \(timeout): killed")
            }
            break
        }
        usleep(1_000)
    }
    return statuses.map { $0! }
}

/// Waits for the children and asserts each exited with 0.
func assertChildrenSucceed(
    _ pids: [pid_t], timeout: Duration = .seconds(10), file: StaticString = #filePath, line: UInt = #line
) {
    for (pid, status) in zip(pids, reap(pids, timeout: timeout)) {
        XCTAssertEqual(status, .exited(0), "child \(pid)", file: file, line: line)
    }
}

/// Runs `body` and returns how long it took.
func elapsed(_ body: () throws -> Void) rethrows -> Duration {
    let start = ContinuousClock.now
    try body()
    return ContinuousClock.now - start
}

/// Sleeps until killed (a child that holds something and waits for SIGKILL).
func sleepForever() -> Never {
    while true { pause() }
}
