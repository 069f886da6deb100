import Atomics
import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// A 32-bit word in shared memory that processes sleep on and wake through the shared futex.
///
/// All waits are "sleep while the word still holds the value I saw", so a change made between reading
/// the word and going to sleep is never missed (the kernel compares before sleeping).
struct SyncFutexWord {
    let pointer: UnsafeMutablePointer<UInt32>

    init(_ raw: UnsafeMutableRawPointer) {
        pointer = raw.assumingMemoryBound(to: UInt32.self)
    }

    var atomic: UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    /// Sleeps while the word holds `expected`, until woken or the deadline.
    /// - Returns: `false` only when the deadline passed; `true` when woken, when the word had already
    ///   changed, or when a signal interrupted the sleep (callers re-check their condition either way).
    func sleep(whileValueIs expected: UInt32, until deadline: SyncDeadline) -> Bool {
        let remaining = deadline.remainingNanoseconds
        if remaining == 0 { return false }
        if mp_futex_wait(pointer, expected, remaining ?? -1) == -1, mp_errno() == ETIMEDOUT { return false }
        return true
    }

    /// Wakes up to `count` sleepers.
    func wake(_ count: Int) {
        _ = mp_futex_wake(pointer, Int32(clamping: count))
    }

    func wakeAll() { wake(Int(Int32.max)) }
}
