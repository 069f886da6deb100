#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// Reaps the children this library starts (``Process``) as soon as they end, so none lingers as a zombie,
/// and keeps each one's exit status until its ``Process`` asks for it.
///
/// One thread, started with the first child and ended when none is left. It sleeps in `poll` on a pidfd
/// per child (readable when that child ends) and an eventfd (rung when a child is added), then
/// `waitpid`s exactly the pids that ended. It never calls `waitpid(-1)`, which would take the exit status
/// of children the program started itself, and installs no SIGCHLD handler (the program's own stays
/// as it was). Where a pidfd cannot be had (an old kernel, no descriptors left) it looks at those children
/// every 10 ms instead.
///
/// Fork: the state is per process. A fork handler holds the lock across `fork()`, and in the child
/// drops what belonged to the parent (its children, descriptors, thread), so a forked child starts
/// children of its own with a fresh reaper.
final class ChildReaper: @unchecked Sendable {
    /// How a child ended, as far as the reaper knows.
    enum Outcome: Equatable {
        case running
        case ended(ExitStatus)
        /// It ended, but its status was taken by someone else's `waitpid` (e.g. `waitpid(-1)` in the program).
        case endedStatusLost
    }

    static let shared: ChildReaper = {
        let reaper = ChildReaper()
        pthread_atfork(
            { ChildReaper.shared.lock() },
            { ChildReaper.shared.unlock() },
            { ChildReaper.shared.resetInForkedChild() })
        return reaper
    }()

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Children not yet reaped: pid -> pidfd (-1: none, looked at by polling).
    private var children: [pid_t: Int32] = [:]
    /// Children reaped and not yet collected: nil when the status was lost.
    private var ended: [pid_t: ExitStatus?] = [:]
    /// Children whose ``Process`` is gone: their status is dropped when they end.
    private var abandoned: Set<pid_t> = []
    private var wakeFD: Int32 = -1
    private var threadRunning = false

    private init() {
        initializeLock()
    }

    private func initializeLock() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    private func lock() { pthread_mutex_lock(mutex) }
    private func unlock() { pthread_mutex_unlock(mutex) }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// In the child of a fork (its only thread): the parent's children are not this process's.
    private func resetInForkedChild() {
        initializeLock()   // it was held by the forking thread at the fork: start from a fresh one
        for fd in children.values where fd >= 0 { close(fd) }
        if wakeFD >= 0 { close(wakeFD) }
        wakeFD = -1
        children = [:]
        ended = [:]
        abandoned = []
        threadRunning = false
    }

    /// Starts watching `pid`, a child this process has just forked.
    func track(_ pid: pid_t) {
        let pidfd = mp_pidfd_open(pid)
        let startThread: Bool = locked {
            children[pid] = pidfd
            if threadRunning {
                mp_wake_fd_signal(wakeFD)
                return false
            }
            if wakeFD < 0 { wakeFD = mp_wake_fd_open() }
            threadRunning = true
            return true
        }
        guard startThread else { return }
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<ChildReaper>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, box)
        if rc == 0 {
            pthread_detach(thread)
        } else {
            // No thread (a thread limit): waits reap for themselves (see `wait`), and the next child retries.
            Unmanaged<ChildReaper>.fromOpaque(box).release()
            locked { threadRunning = false }
        }
    }

    /// What is known about `pid` now.
    func outcome(of pid: pid_t) -> Outcome {
        locked { outcomeLocked(pid) }
    }

    private func outcomeLocked(_ pid: pid_t) -> Outcome {
        guard let status = ended[pid] else { return .running }
        guard let status else { return .endedStatusLost }
        return .ended(status)
    }

    /// Waits until `pid` has ended or `deadline` passes (nil: no limit).
    func wait(for pid: pid_t, until deadline: ContinuousClock.Instant?) -> Outcome {
        locked {
            while true {
                if !threadRunning { reapEnded(readable: UnsafeBufferPointer(start: nil, count: 0), all: true) }
                let outcome = outcomeLocked(pid)
                if outcome != .running || children[pid] == nil { return outcome }
                var remaining = deadline.map { ContinuousClock.now.duration(to: $0) } ?? .seconds(3600)
                if remaining <= .zero { return outcome }
                if !threadRunning { remaining = min(remaining, .milliseconds(10)) }
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let (seconds, attoseconds) = remaining.components
                let nanos = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
                var until = timespec(tv_sec: now.tv_sec + Int(seconds) + nanos / 1_000_000_000, tv_nsec: nanos % 1_000_000_000)
                pthread_cond_timedwait(changed, mutex, &until)
            }
        }
    }

    /// Drops what is kept for `pid` (its ``Process`` has its status, or is gone).
    func forget(_ pid: pid_t) {
        locked {
            if ended.removeValue(forKey: pid) == nil, children[pid] != nil { abandoned.insert(pid) }
        }
    }

    /// Sends `signal` to `pid` if it has not been reaped yet. Under the lock, so the pid cannot be reaped
    /// (and reused by an unrelated process) between the check and the signal.
    func send(_ signal: Int32, to pid: pid_t) {
        locked {
            if children[pid] != nil { _ = kill(pid, signal) }
        }
    }

    /// The reaper thread. It runs Swift code only while it holds the lock (which the fork handler takes), and
    /// releases it only around the `poll` system call: so a `fork()` in another thread never happens while
    /// this thread is inside the Swift runtime (holding, say, its metadata cache lock, which the child would
    /// then wait for forever).
    private func run() {
        lock()
        var capacity = 16
        var polled = UnsafeMutablePointer<pollfd>.allocate(capacity: capacity)
        var count = 0
        while true {
            // Reap what ended, or end the thread when nothing is left to watch.
            reapEnded(readable: UnsafeBufferPointer(start: polled, count: count))
            if children.isEmpty {
                threadRunning = false
                break
            }
            if children.count + 1 > capacity {
                polled.deallocate()
                capacity = (children.count + 1) * 2
                polled = UnsafeMutablePointer<pollfd>.allocate(capacity: capacity)
            }
            polled[0] = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
            count = 1
            var needsPolling = wakeFD < 0
            for (_, fd) in children {
                if fd >= 0 {
                    polled[count] = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    count += 1
                } else {
                    needsPolling = true
                }
            }
            let timeout: Int32 = needsPolling ? 10 : -1
            unlock()
            let rc = poll(polled, nfds_t(count), timeout)
            let failed = rc < 0 && mp_errno() != EINTR
            if rc >= 0, polled[0].revents != 0, polled[0].fd >= 0 { mp_wake_fd_drain(polled[0].fd) }
            if failed { usleep(10_000) }
            lock()
            if rc < 0 { count = 0 }
        }
        unlock()
        polled.deallocate()
    }

    /// Reaps the children whose pidfd is readable in `readable`, and every child without a pidfd.
    /// Called with the lock held.
    /// With `all`, every child is looked at.
    private func reapEnded(readable: UnsafeBufferPointer<pollfd>, all: Bool = false) {
        var candidates = Set(readable.dropFirst().filter { $0.revents != 0 }.map(\.fd))
        for (_, fd) in children where fd < 0 { candidates.insert(fd) }
        guard all || !candidates.isEmpty else { return }
        for (pid, fd) in children where all || candidates.contains(fd) {
            var raw: Int32 = 0
            let rc = waitpid(pid, &raw, WNOHANG)
            let status: ExitStatus??
            if rc == pid {
                status = .some(ExitStatus(waitStatus: raw))
            } else if rc == -1, mp_errno() == ECHILD {
                status = .some(nil)
            } else {
                status = nil   // still running (or EINTR): look again later
            }
            guard let status else { continue }
            if fd >= 0 { close(fd) }
            children[pid] = nil
            if abandoned.remove(pid) == nil { ended[pid] = .some(status) }
        }
        pthread_cond_broadcast(changed)
    }
}
