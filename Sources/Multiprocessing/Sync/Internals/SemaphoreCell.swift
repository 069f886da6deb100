import Atomics

/// A counting semaphore as two words in shared memory, without a mutex: the count (the futex word
/// sleepers wait on while it is zero) and a count of sleepers (so a release without sleepers makes no
/// syscall). A process that dies holding a unit loses that unit, as with POSIX semaphores; a process
/// that dies while waiting leaves nothing behind but an extra wake-up later.
///
/// Layout (bytes): 0 count · 4 sleepers · 8 limit (UInt32.max: unbounded).
struct SemaphoreCell {
    static let byteCount = 64

    let base: UnsafeMutableRawPointer

    var count: SyncFutexWord { SyncFutexWord(base) }
    private var sleepers: UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: (base + 4).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }
    private var limit: UInt32 { base.load(fromByteOffset: 8, as: UInt32.self) }

    static func initialize(at base: UnsafeMutableRawPointer, value: Int, bounded: Bool, primitive: String) throws(SyncError) {
        guard value >= 0, value <= Int(Int32.max) else {
            throw SyncError(.invalidArgument, "\(primitive): initial value \(value) is not in 0...\(Int32.max)")
        }
        base.storeBytes(of: UInt32(value), as: UInt32.self)
        base.storeBytes(of: bounded ? UInt32(value) : UInt32.max, toByteOffset: 8, as: UInt32.self)
    }

    var value: Int { Int(count.atomic.load(ordering: .acquiring)) }

    /// Takes one unit, waiting until `deadline`; `false` when none came in time.
    func acquire(until deadline: SyncDeadline) -> Bool {
        let word = count.atomic
        while true {
            var current = word.load(ordering: .relaxed)
            while current > 0 {
                let (taken, seen) = word.weakCompareExchange(
                    expected: current, desired: current - 1, ordering: .acquiringAndReleasing)
                if taken { return true }
                current = seen
            }
            // A unit that arrives now is taken above even after the deadline passed.
            if deadline.hasPassed { return false }
            // Announce the sleeper before the kernel re-checks the count (both sequentially consistent,
            // pairing with release): either release sees a sleeper, or the sleep sees a non-zero count.
            sleepers.wrappingIncrement(ordering: .sequentiallyConsistent)
            _ = count.sleep(whileValueIs: 0, until: deadline)
            sleepers.wrappingDecrement(ordering: .relaxed)
        }
    }

    /// Adds `units`, waking as many sleepers.
    func release(_ units: Int, primitive: String) throws(SyncError) {
        guard units >= 1 else { throw SyncError(.invalidArgument, "\(primitive).release(\(units)): count must be at least 1") }
        let word = count.atomic
        let ceiling = Int(min(limit, UInt32(Int32.max)))
        var current = word.load(ordering: .relaxed)
        while true {
            guard Int(current) + units <= ceiling else {
                let reason = limit == UInt32.max ? "above \(Int32.max)" : "above its initial value \(limit)"
                throw SyncError(.releasedTooManyTimes, "\(primitive) released too many times: the value would rise \(reason)")
            }
            let (stored, seen) = word.weakCompareExchange(
                expected: current, desired: current + UInt32(units), ordering: .sequentiallyConsistent)
            if stored { break }
            current = seen
        }
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 { count.wake(units) }
    }
}
