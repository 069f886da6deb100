/// The deadline a pool call runs under: its own `timeout:`, else the enclosing
/// ``WorkerPool/withTimeout(_:_:)`` scope's, else the pool's ``WorkerPool/timeout``; the earliest wins.
///
/// A deadline is a point in time fixed when the call (or scope) starts, so a call made of several pool
/// jobs (a load, then a reduction) is bounded as a whole, not per job.
struct CallDeadline: Sendable {
    /// When the call must be done.
    let instant: ContinuousClock.Instant
    /// The timeout it came from, for the error message.
    let timeout: Duration

    init(_ timeout: Duration, from start: ContinuousClock.Instant = .now) {
        self.timeout = timeout
        // A timeout too large to add is no deadline in practice: cap it at about 30 years.
        let capped = timeout > .seconds(1 << 30) ? Duration.seconds(1 << 30) : timeout
        instant = start.advanced(by: capped)
    }

    /// The deadline in force inside the innermost ``WorkerPool/withTimeout(_:_:)`` on this thread or task.
    @TaskLocal static var scoped: CallDeadline?

    /// The earlier of two optional deadlines.
    static func earliest(_ a: CallDeadline?, _ b: CallDeadline?) -> CallDeadline? {
        guard let a else { return b }
        guard let b else { return a }
        return a.instant <= b.instant ? a : b
    }

    /// Nanoseconds left, at least 0 (reads the clock: call it only before sleeping).
    var remainingNanoseconds: Int64 {
        let left = ContinuousClock.now.duration(to: instant)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return seconds >= Int64.max / 1_000_000_000 ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension WorkerPool {
    /// Runs `body` with every pool call inside it (reductions, maps, loads, task maps) bounded by one
    /// deadline `timeout` from now, like Python's `timeout=` given to a whole block. A `nil` timeout
    /// runs `body` unbounded (as if the call were not there). Scopes nest: the earliest deadline wins.
    ///
    /// On expiry the call in progress throws ``WorkerPoolError/Code/timedOut`` after
    /// killing and replacing the workers that had not finished; the pool stays usable.
    ///
    /// ```swift
    /// let stats = try WorkerPool.withTimeout(.seconds(5)) { try array.statistics([.mean, .std]) }
    /// ```
    public static func withTimeout<Result>(_ timeout: Duration?, _ body: () throws -> Result) throws -> Result {
        guard let timeout else { return try body() }
        try validateTimeout(timeout)
        let deadline = CallDeadline.earliest(CallDeadline.scoped, CallDeadline(timeout))
        return try CallDeadline.$scoped.withValue(deadline) { try body() }
    }

    /// Throws ``WorkerPoolError/invalidTimeout(_:)`` unless `timeout` is positive.
    static func validateTimeout(_ timeout: Duration?) throws {
        if let timeout, timeout <= .zero { throw WorkerPoolError.invalidTimeout(timeout) }
    }
}
