#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// A child process running a closure (Python's `multiprocessing.Process` with the fork start method).
///
/// The child is forked by ``start()``, runs `body`, and exits with status 0, or 1 if `body` threw (the
/// error is printed on its stderr). It sees the parent's memory as it was at the fork, including
/// ``SharedMemory`` segments and the synchronization types, which is how it shares results.
/// A daemon child (the default here, unlike Python) is killed when its parent exits.
///
/// A child that ends is reaped at once by a watcher thread that waits on the pids this library started
/// and no others (``ChildReaper``), so it does not linger as a zombie, and its status is kept for
/// ``join(timeout:)``, ``exitStatus`` and ``exitCode``; the program's own children and SIGCHLD handling are
/// left alone.
///
/// ```swift
/// let p = Process(name: "loader") { print("child", getpid()) }
/// try p.start()
/// try p.join()
/// print(p.exitStatus!)   // exit code 0
/// ```
public final class Process: @unchecked Sendable {
    /// A name for messages (and the child's process name, as `ps` shows it).
    public let name: String
    /// Whether the child dies with its parent (`PR_SET_PDEATHSIG`).
    public let daemon: Bool
    private let body: () throws -> Void
    private let lock = ConditionLock()
    private var childPID: pid_t = 0
    private var status: ExitStatus?

    public init(name: String = "Process", daemon: Bool = true, _ body: @escaping () throws -> Void) {
        self.name = name
        self.daemon = daemon
        self.body = body
    }

    /// The child's pid once started.
    public var pid: Int32? { lock.withLock { childPID > 0 ? childPID : nil } }

    /// How the child ended, once it has ended (nil while it runs).
    public var exitStatus: ExitStatus? { lock.withLock { collectedStatus() } }

    /// With `lock` held: the status, taken from the reaper once the child has ended.
    private func collectedStatus() -> ExitStatus? {
        if status == nil, childPID > 0, case .ended(let ended) = ChildReaper.shared.outcome(of: childPID) {
            status = ended
            ChildReaper.shared.forget(childPID)
        }
        return status
    }

    deinit {
        if childPID > 0, status == nil { ChildReaper.shared.forget(childPID) }
    }

    /// Python's `exitcode`: the exit code, or minus the signal number, nil while running.
    public var exitCode: Int32? {
        switch exitStatus {
        case .exited(let code): code
        case .signaled(let signal): -signal
        case nil: nil
        }
    }

    /// Forks the child. Throws if this process was already started or fork fails.
    public func start() throws {
        try lock.withLock {
            guard childPID == 0 else { throw ProcessError.alreadyStarted(name) }
            let parent = getpid()
            fflush(nil)
            let pid = fork()
            if pid == 0 { runChild(parent: parent) }
            guard pid > 0 else { throw ProcessError.spawnFailed(name, SystemError("fork", name).description) }
            childPID = pid
            ChildReaper.shared.track(pid)
        }
    }

    private func runChild(parent: pid_t) -> Never {
        mp_cleanup_forget_in_child()
        signal(SIGINT, SIG_DFL)
        // As in pool workers: a crash is the exit status the parent sees, not a backtrace (MPROC_BACKTRACE=1 for one).
        if !CrashTraces.requested { mp_reset_crash_signals() }
        if daemon {
            _ = mp_set_parent_death_signal(SIGKILL)
            if getppid() != parent { _exit(1) }
        }
        _ = mp_set_process_name(String(name.prefix(15)))
        var code: Int32 = 0
        do {
            try body()
        } catch {
            let message = "\(name) (pid \(getpid())) failed: \(error)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            code = 1
        }
        fflush(nil)
        mp_cleanup_run()   // the child's own named segments and workers (`_exit` skips atexit)
        _exit(code)
    }

    /// Whether the child is running.
    public var isAlive: Bool {
        lock.withLock {
            guard childPID > 0, collectedStatus() == nil else { return false }
            return ChildReaper.shared.outcome(of: childPID) == .running
        }
    }

    /// Waits for the child to end, at most `timeout`; returns whether it has ended (false also when
    /// the program's own `waitpid(-1)` took its status first).
    @discardableResult
    public func join(timeout: Duration? = nil) throws -> Bool {
        let pid = lock.withLock { childPID }
        guard pid > 0 else { throw ProcessError.notStarted(name) }
        if exitStatus != nil { return true }
        _ = ChildReaper.shared.wait(for: pid, until: timeout.map { ContinuousClock.now.advanced(by: $0) })
        return exitStatus != nil
    }

    /// Sends SIGTERM.
    public func terminate() { send(SIGTERM) }

    /// Sends SIGKILL.
    public func kill() { send(SIGKILL) }

    private func send(_ signal: Int32) {
        let pid = lock.withLock { status == nil ? childPID : 0 }
        // Through the reaper: a pid already reaped (and perhaps reused) is never signalled.
        if pid > 0 { ChildReaper.shared.send(signal, to: pid) }
    }
}

/// Why a ``Process`` call failed.
public enum ProcessError: Error, CustomStringConvertible, Sendable, Equatable {
    case alreadyStarted(String)
    case notStarted(String)
    case spawnFailed(String, String)

    public var description: String {
        switch self {
        case .alreadyStarted(let name): "process \(name) was already started"
        case .notStarted(let name): "process \(name) has not been started"
        case .spawnFailed(let name, let why): "could not start process \(name): \(why)"
        }
    }
}
