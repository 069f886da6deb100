/// A flag that processes wait on until another sets it (Python's `multiprocessing.Event`).
///
/// ```swift
/// let stop = try Event()
/// // worker:  while !stop.isSet { work() }     or     stop.wait()
/// // parent:  stop.set()
/// ```
///
/// One futex word in shared memory, no mutex: bit 0 is the flag, the other bits count the times it
/// was set, so a waiter that sleeps through a quick `set()` then `clear()` still learns it was set
/// (as Python's `threading.Event` reports). Nothing is left locked if a process dies.
public final class Event: @unchecked Sendable {
    private let segment: SharedMemory
    private let word: SyncFutexWord

    /// A new event, initially clear.
    public init() throws {
        segment = try SharedMemory(byteCount: 64)
        word = SyncFutexWord(segment.base)
    }

    /// Whether the flag is set (Python's `is_set()`).
    public var isSet: Bool { word.atomic.load(ordering: .acquiring) & 1 != 0 }

    /// Sets the flag and wakes every waiter; waits that start later return at once until ``clear()``.
    public func set() {
        let atomic = word.atomic
        var current = atomic.load(ordering: .relaxed)
        while current & 1 == 0 {
            let (stored, seen) = atomic.weakCompareExchange(
                expected: current, desired: (current &+ 2) | 1, ordering: .acquiringAndReleasing)
            if stored {
                word.wakeAll()
                return
            }
            current = seen
        }
    }

    /// Clears the flag; later waits block until the next ``set()``.
    public func clear() {
        _ = word.atomic.loadThenBitwiseAnd(with: ~1, ordering: .acquiringAndReleasing)
    }

    /// Blocks until the flag is set.
    public func wait() {
        _ = wait(until: .never)
    }

    /// Blocks until the flag is set or `timeout` passes.
    /// - Returns: `true` if the flag was set (now, or at some moment during the wait), `false` on timeout.
    @discardableResult
    public func wait(timeout: Duration) -> Bool {
        wait(until: .after(timeout))
    }

    func wait(until deadline: SyncDeadline) -> Bool {
        let atomic = word.atomic
        var seen = atomic.load(ordering: .acquiring)
        let generation = seen >> 1
        while true {
            if seen & 1 != 0 || seen >> 1 != generation { return true }
            if !word.sleep(whileValueIs: seen, until: deadline) {
                let last = atomic.load(ordering: .acquiring)
                return last & 1 != 0 || last >> 1 != generation
            }
            seen = atomic.load(ordering: .acquiring)
        }
    }
}
