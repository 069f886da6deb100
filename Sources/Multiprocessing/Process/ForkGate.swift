#if canImport(Glibc)
import Glibc
#endif

/// A lock that `fork()` takes (through `pthread_atfork`) for library threads that run Swift code in the
/// parent while other threads may fork: such a thread holds the gate for everything but its blocking system
/// call, so no child is forked while that thread is inside the Swift runtime (holding, say, its metadata
/// cache lock, which the child would inherit held and wait on forever).
enum ForkGate {
    // Written once (the lazy initialiser), then used only through pthread calls.
    nonisolated(unsafe) private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        pthread_atfork(
            { ForkGate.enter() },
            { ForkGate.leave() },
            { pthread_mutex_init(ForkGate.mutex, nil) })  // the child's only thread: a fresh, free lock
        return m
    }()

    /// Registers the fork handlers; call before starting a thread that uses the gate.
    static func prepare() { _ = mutex }

    static func enter() { pthread_mutex_lock(mutex) }
    static func leave() { pthread_mutex_unlock(mutex) }
}
