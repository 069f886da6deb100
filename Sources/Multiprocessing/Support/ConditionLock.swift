#if canImport(Glibc)
import Glibc
#endif

/// A process-private mutex with a condition variable, for threads of the parent process (futures,
/// executors). Not for shared memory: see the `Sync` types for locks across processes.
final class ConditionLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    init() {
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }

    /// Waits (with the lock held) until `ready()` is true or `deadline` (monotonic) passes; returns `ready()`.
    func wait(until ready: () -> Bool, deadline: ContinuousClock.Instant?) -> Bool {
        while !ready() {
            if let deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                if remaining <= .zero { return ready() }
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let (seconds, attoseconds) = remaining.components
                var nanos = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
                var secs = Int(now.tv_sec) + Int(seconds) + nanos / 1_000_000_000
                nanos %= 1_000_000_000
                if secs < 0 { secs = 0 }
                var ts = timespec(tv_sec: secs, tv_nsec: nanos)
                pthread_cond_timedwait(&condition, &mutex, &ts)
            } else {
                pthread_cond_wait(&condition, &mutex)
            }
        }
        return true
    }

    /// Wakes every waiter (call with the lock held).
    func broadcast() { pthread_cond_broadcast(&condition) }
}
