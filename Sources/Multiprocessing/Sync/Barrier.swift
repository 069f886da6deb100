/// A meeting point for a fixed number of processes (Python's `multiprocessing.Barrier`): each
/// ``wait()`` blocks until `parties` processes have called it, then all continue together.
///
/// ```swift
/// let phase = try Barrier(parties: 4)
/// // in each of 4 processes:
/// for step in steps {
///     compute(step)
///     let index = try phase.wait()          // 0...3, different for each process
///     if index == 0 { report(step) }
/// }
/// ```
///
/// Like Python's, a barrier *breaks* when ``abort()`` is called, when a wait times out, or when the
/// action throws: every current and later ``wait()`` then throws ``SyncError/Code/brokenBarrier``
/// until ``reset()``. ``reset()`` also makes processes still waiting in the current round throw.
///
/// Its whole state is one futex word in shared memory (no mutex), so a process that dies mid-wait
/// leaves nothing locked; the others' timeouts break the barrier. Layout of the word: bits 0-14 the
/// arrivals in this round, 15-29 the round number, 30 broken, 31 "the previous round ended by reset".
public final class Barrier: @unchecked Sendable {
    /// How many processes must call ``wait()`` for the barrier to open.
    public let parties: Int
    /// The timeout ``wait()`` uses when none is given; `nil` waits forever.
    public let timeout: Duration?
    private let action: (@Sendable () throws -> Void)?
    private let segment: SharedMemory
    private let word: SyncFutexWord

    /// - Parameters:
    ///   - parties: the number of processes that meet, `1...32767`.
    ///   - timeout: the default timeout of ``wait()``.
    ///   - action: run once per round by the last process to arrive, before the others are released;
    ///     if it throws, the barrier breaks. It runs in whichever process arrives last, so create the
    ///     barrier before forking (every process then holds the same closure).
    public init(parties: Int, timeout: Duration? = nil, action: (@Sendable () throws -> Void)? = nil) throws {
        guard parties >= 1, parties <= Int(State.countMask) else {
            throw SyncError(.invalidArgument, "Barrier: parties must be in 1...\(State.countMask), not \(parties)")
        }
        self.parties = parties
        self.timeout = timeout
        self.action = action
        segment = try SharedMemory(byteCount: 64)
        word = SyncFutexWord(segment.base)
    }

    /// Waits for all parties, using the barrier's default ``timeout``.
    /// - Returns: this process's arrival index in the round, `0..<parties` (Python's return value).
    /// - Throws: ``SyncError/Code/brokenBarrier``.
    @discardableResult
    public func wait() throws(SyncError) -> Int {
        try wait(until: .after(timeout))
    }

    /// Waits for all parties at most `timeout`; on timeout the barrier breaks and this throws.
    @discardableResult
    public func wait(timeout: Duration) throws(SyncError) -> Int {
        try wait(until: .after(timeout))
    }

    /// Breaks the barrier: current and later waits throw ``SyncError/Code/brokenBarrier`` until ``reset()``.
    public func abort() {
        let atomic = word.atomic
        var current = State(raw: atomic.load(ordering: .relaxed))
        while !current.isBroken {
            let (stored, seen) = atomic.weakCompareExchange(
                expected: current.raw, desired: current.breaking.raw, ordering: .acquiringAndReleasing)
            if stored { break }
            current = State(raw: seen)
        }
        word.wakeAll()
    }

    /// Returns the barrier to its initial, empty state. Processes still waiting in the current round
    /// throw ``SyncError/Code/brokenBarrier``.
    public func reset() {
        let atomic = word.atomic
        var current = State(raw: atomic.load(ordering: .relaxed))
        while current.count > 0 || current.isBroken {
            let next = State(count: 0, generation: current.generation &+ 1, broken: false, endedByReset: true)
            let (stored, seen) = atomic.weakCompareExchange(
                expected: current.raw, desired: next.raw, ordering: .acquiringAndReleasing)
            if stored {
                word.wakeAll()
                return
            }
            current = State(raw: seen)
        }
    }

    /// Whether the barrier is broken (Python's `broken`).
    public var isBroken: Bool { State(raw: word.atomic.load(ordering: .acquiring)).isBroken }

    /// How many processes are waiting in the current round (Python's `n_waiting`).
    public var waitingCount: Int {
        let state = State(raw: word.atomic.load(ordering: .acquiring))
        return state.isBroken || state.count >= parties ? 0 : state.count
    }

    // MARK: - The round protocol

    func wait(until deadline: SyncDeadline) throws(SyncError) -> Int {
        let atomic = word.atomic
        var state = State(raw: atomic.load(ordering: .acquiring))
        let generation: UInt32
        let index: Int
        // Arrive: count ourselves into the current round.
        while true {
            if state.isBroken { throw Self.broken("the barrier is broken") }
            if state.count >= parties {
                // The previous round's last arrival is still running the action: wait for it to open.
                if !word.sleep(whileValueIs: state.raw, until: deadline) { try breakOnTimeout(seen: state) }
                state = State(raw: atomic.load(ordering: .acquiring))
                continue
            }
            let next = State(
                count: state.count + 1, generation: state.generation, broken: false, endedByReset: state.endedByReset)
            let (stored, seen) = atomic.weakCompareExchange(
                expected: state.raw, desired: next.raw, ordering: .acquiringAndReleasing)
            if stored {
                generation = state.generation
                index = state.count
                state = next
                break
            }
            state = State(raw: seen)
        }

        if index + 1 == parties {
            if let action {
                do {
                    try action()
                } catch {
                    abort()
                    throw Self.broken("the barrier action threw (\(error)); the barrier is now broken")
                }
            }
            // Open: start the next round, unless the barrier was aborted or reset meanwhile.
            while true {
                if state.generation != generation || state.isBroken {
                    throw Self.broken("the barrier was aborted or reset while its action ran")
                }
                let next = State(count: 0, generation: generation &+ 1, broken: false, endedByReset: false)
                let (stored, seen) = atomic.weakCompareExchange(
                    expected: state.raw, desired: next.raw, ordering: .acquiringAndReleasing)
                if stored { break }
                state = State(raw: seen)
            }
            word.wakeAll()
            return index
        }

        // Wait for the last arrival to open the round.
        while true {
            let current = State(raw: atomic.load(ordering: .acquiring))
            if current.generation != generation {
                // The round ended. Only a reset ends one with the flag set; a waiter cannot lag two rounds
                // behind unless more processes than `parties` share the barrier and reset it meanwhile.
                if current.generation == State.nextGeneration(after: generation) && current.endedByReset {
                    throw Self.broken("the barrier was reset while this process waited")
                }
                return index
            }
            if current.isBroken { throw Self.broken("the barrier is broken") }
            if !word.sleep(whileValueIs: current.raw, until: deadline) { try breakOnTimeout(seen: current) }
        }
    }

    /// After a timeout: breaks the round seen, unless it changed meanwhile (then the caller looks again).
    private func breakOnTimeout(seen state: State) throws(SyncError) {
        let (stored, _) = word.atomic.compareExchange(
            expected: state.raw, desired: state.breaking.raw, ordering: .acquiringAndReleasing)
        guard stored else { return }
        word.wakeAll()
        throw Self.broken("Barrier.wait() timed out; the barrier is now broken")
    }

    private static func broken(_ reason: String) -> SyncError {
        SyncError(.brokenBarrier, "Barrier: \(reason)")
    }

    struct State {
        static let countMask: UInt32 = 0x7FFF
        var raw: UInt32

        init(raw: UInt32) { self.raw = raw }

        init(count: Int, generation: UInt32, broken: Bool, endedByReset: Bool) {
            raw = UInt32(count) & Self.countMask
                | (generation & Self.countMask) << 15
                | (broken ? 1 << 30 : 0)
                | (endedByReset ? 1 << 31 : 0)
        }

        var count: Int { Int(raw & Self.countMask) }
        var generation: UInt32 { (raw >> 15) & Self.countMask }
        var isBroken: Bool { raw & (1 << 30) != 0 }
        var endedByReset: Bool { raw & (1 << 31) != 0 }
        var breaking: State { State(raw: raw | 1 << 30) }

        static func nextGeneration(after generation: UInt32) -> UInt32 { (generation &+ 1) & countMask }
    }
}
