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

/// Runs `body` in a forked child and asserts that it stopped the child with a trap (a programming error,
/// as `fatalError` does) whose message on stderr contains `message`.
func assertTrapsInChild(
    _ message: String, file: StaticString = #filePath, line: UInt = #line, _ body: @escaping () throws -> Void
) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return XCTFail("pipe failed", file: file, line: line) }
    let child = forkChildren(1) { _ in
        close(fds[0])
        dup2(fds[1], 2)
        // No crash handler: the trap ends the child at once, without a backtrace.
        for signal in [SIGILL, SIGTRAP, SIGABRT, SIGSEGV] { Glibc.signal(signal, SIG_DFL) }
        try body()
        return 0
    }
    close(fds[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
        if n <= 0 { break }
        output += buffer[..<n]
    }
    close(fds[0])
    let status = reap(child)[0]
    let text = String(decoding: output, as: UTF8.self)
    guard case .signaled(let signal) = status, [SIGILL, SIGTRAP].contains(signal) else {
        return XCTFail("expected a trap, got \(status); stderr: \(text)", file: file, line: line)
    }
    XCTAssertTrue(text.contains(message), "stderr: \(text)", file: file, line: line)
}
