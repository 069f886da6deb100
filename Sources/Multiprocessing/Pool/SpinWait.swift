#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing
import Synchronization

/// How long the pool's two waits poll before they sleep in the kernel: a worker waiting for the next job,
/// and the caller waiting for a job's workers. Both then sleep on a futex, and waking a sleeping process
/// costs tens of microseconds (more in a VM, whose idle vCPU halts), which is most of a call of a few
/// hundred microseconds. Calls often follow each other closely, so each wait first polls for up to
/// ``microseconds``, with the CPU's pause hint, yielding the core every few microseconds so that a
/// process that has work (the caller, a busy worker) is not kept from it. OpenMP runtimes do the same
/// (`GOMP_SPINCOUNT`, `KMP_BLOCKTIME`), for far longer.
///
/// The environment variable `MPROC_SPIN_MICROSECONDS` sets the starting value (0: sleep after a few
/// polls, for machines shared with other jobs). Workers take the value in force when they start.
///
/// ```swift
/// SpinWait.microseconds = 0   // pools made from here on sleep at once
/// ```
public struct SpinWait {
    /// The measured default: 200 µs halved the median time of back-to-back calls of 0.1-0.3 ms on the
    /// README's 2-core VM (gemv 1024, sum 2^20, exp 2^16, sqrt 2^18); 50 µs gained less, 1 ms no more.
    public static let defaultMicroseconds = 200

    /// The environment variable that sets the starting value.
    public static let environmentKey = "MPROC_SPIN_MICROSECONDS"

    private static let current = Atomic<Int>(
        clamped(getenv(environmentKey).flatMap { Int(String(cString: $0)) } ?? defaultMicroseconds))

    private static func clamped(_ value: Int) -> Int { Swift.min(Swift.max(0, value), 1_000_000) }

    /// The polling time in force, in microseconds (at most one second).
    public static var microseconds: Int {
        get { current.load(ordering: .relaxed) }
        set { current.store(clamped(newValue), ordering: .relaxed) }
    }

    private let budget: UInt64
    private var polls: UInt32 = 0
    private var start: UInt64 = 0

    /// A wait that polls for ``microseconds``.
    init() { budget = UInt64(SpinWait.microseconds) &* 1000 }

    /// Call once per poll that found nothing: true while the budget lasts (poll again), false once it
    /// is spent (sleep).
    @inline(__always) mutating func again() -> Bool {
        mp_cpu_relax()
        polls &+= 1
        if polls & 63 != 0 { return true }
        let now = SpinWait.monotonicNanoseconds()
        if start == 0 {
            start = now
            return true
        }
        if now &- start >= budget { return false }
        sched_yield()
        return true
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }
}
