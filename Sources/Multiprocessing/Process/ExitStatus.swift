import CMultiprocessing

/// How a child process ended: with an exit code, or killed by a signal.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// Decodes a `waitpid` status word (the `WIFEXITED` family, via the C shim).
    public init(waitStatus status: Int32) {
        if mp_wifsignaled(status) != 0 {
            self = .signaled(mp_wtermsig(status))
        } else {
            self = .exited(mp_wexitstatus(status))
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let sig): "signal \(sig) (\(signalName(sig)))"
        }
    }
}

/// The conventional name of a signal number, e.g. 9 -> "SIGKILL".
public func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
        8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
        14: "SIGALRM", 15: "SIGTERM",
    ]
    return names[signal] ?? "signal \(signal)"
}
