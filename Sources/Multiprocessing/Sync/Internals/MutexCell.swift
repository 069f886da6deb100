import Atomics
import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// A robust, process-shared pthread mutex in shared memory, plus who holds it.
///
/// Layout (bytes): 0 `pthread_mutex_t` (40 on Linux) · 48 holder pid · 56 recursion depth.
///
/// The mutex is `PTHREAD_PROCESS_SHARED` (it lives in a `MAP_SHARED` mapping and may be taken by any
/// process that maps it), `PTHREAD_MUTEX_ROBUST` (when its holder dies the kernel marks it and the next
/// locker gets `EOWNERDEAD` instead of sleeping forever) and `PTHREAD_MUTEX_ERRORCHECK` (relocking by the
/// holder is `EDEADLK`, not a hang). It is never destroyed: another process may still use it, and
/// unmapping is all a robust mutex needs.
struct MutexCell {
    static let byteCount = 64
    private static let pidOffset = 48
    private static let depthOffset = 56

    let base: UnsafeMutableRawPointer

    var mutex: UnsafeMutablePointer<pthread_mutex_t> { base.assumingMemoryBound(to: pthread_mutex_t.self) }

    /// The pid of the holder, written after locking and cleared before unlocking: after an owner
    /// death it names the process that died.
    private var holderPID: UnsafeAtomic<Int32> {
        UnsafeAtomic(at: (base + Self.pidOffset).assumingMemoryBound(to: Int32.AtomicRepresentation.self))
    }

    /// How many times the holder acquired it (RLock); written by the holder only.
    var depth: UnsafeAtomic<Int> {
        UnsafeAtomic(at: (base + Self.depthOffset).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    /// Initializes the mutex in fresh (zeroed) shared memory.
    static func initialize(at base: UnsafeMutableRawPointer) throws(SyncError) {
        precondition(MemoryLayout<pthread_mutex_t>.size <= pidOffset, "pthread_mutex_t outgrew its slot")
        var attributes = pthread_mutexattr_t()
        guard pthread_mutexattr_init(&attributes) == 0 else { throw .system("pthread_mutexattr_init", ENOMEM) }
        defer { pthread_mutexattr_destroy(&attributes) }
        for (call, rc) in [
            ("pthread_mutexattr_settype", pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK))),
            ("pthread_mutexattr_setpshared", pthread_mutexattr_setpshared(&attributes, Int32(PTHREAD_PROCESS_SHARED))),
            ("pthread_mutexattr_setrobust", pthread_mutexattr_setrobust(&attributes, Int32(PTHREAD_MUTEX_ROBUST))),
        ] where rc != 0 {
            throw .system(call, rc)
        }
        let mutex = base.bindMemory(to: pthread_mutex_t.self, capacity: 1)
        let rc = pthread_mutex_init(mutex, &attributes)
        guard rc == 0 else { throw .system("pthread_mutex_init", rc) }
    }

    enum Acquisition {
        case acquired
        /// Acquired from a holder that died; the mutex was made consistent again.
        case ownerDied(pid_t?)
        case timedOut
    }

    /// Locks, waiting until `deadline`. Records the caller as holder on success.
    /// - Throws: ``SyncError/Code/wouldDeadlock`` when the caller already holds it,
    ///   ``SyncError/Code/notRecoverable`` or ``SyncError/Code/system``.
    func lock(until deadline: SyncDeadline, in primitive: String) throws(SyncError) -> Acquisition {
        let rc: Int32
        switch deadline.remainingNanoseconds {
        case nil: rc = pthread_mutex_lock(mutex)
        case 0?: rc = pthread_mutex_trylock(mutex)
        case _?: rc = mp_mutex_lock_until(mutex, deadline.instant!)
        }
        switch rc {
        case 0:
            holderPID.store(mp_current_pid(), ordering: .relaxed)
            return .acquired
        case EOWNERDEAD:
            let dead = holderPID.load(ordering: .relaxed)
            // Mark it usable again at once: left inconsistent, the next unlock would make it
            // ENOTRECOVERABLE for everyone. Reporting is the caller's job.
            pthread_mutex_consistent(mutex)
            holderPID.store(mp_current_pid(), ordering: .relaxed)
            return .ownerDied(dead == 0 ? nil : dead)
        case EBUSY, ETIMEDOUT:
            return .timedOut
        case EDEADLK:
            throw SyncError(.wouldDeadlock, "\(primitive): the calling thread already holds this lock (use RLock to re-enter)")
        case ENOTRECOVERABLE:
            throw SyncError(.notRecoverable, "\(primitive): the lock is not recoverable after its holder died")
        default:
            throw .system("pthread_mutex_lock", rc)
        }
    }

    /// Whether the calling thread holds the mutex (from the kernel-maintained owner tid).
    var isHeldByCaller: Bool { mp_mutex_held_by_caller(mutex) != 0 }

    /// Unlocks; the caller must hold it.
    func unlock() {
        holderPID.store(0, ordering: .relaxed)
        pthread_mutex_unlock(mutex)
    }
}

