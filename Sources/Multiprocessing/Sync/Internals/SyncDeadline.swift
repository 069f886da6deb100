#if canImport(Glibc)
import Glibc
#endif

/// A point on CLOCK_MONOTONIC (the clock the futex and pthread timeouts use), or never.
///
/// Timeouts are turned into a deadline once, so a wait that wakes early and sleeps again does not
/// restart its clock.
struct SyncDeadline: Sendable {
    /// Nanoseconds on CLOCK_MONOTONIC; `nil` waits forever.
    let instant: Int64?

    static let never = SyncDeadline(instant: nil)

    /// Now plus `timeout`; a negative timeout is zero, one too large to represent is never.
    static func after(_ timeout: Duration) -> SyncDeadline {
        guard timeout > .zero else { return SyncDeadline(instant: now()) }
        let (seconds, attoseconds) = timeout.components
        guard seconds < Int64.max / 2_000_000_000 else { return .never }
        return SyncDeadline(instant: now() + seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// An optional timeout: `nil` is never.
    static func after(_ timeout: Duration?) -> SyncDeadline {
        timeout.map { after($0) } ?? .never
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Nanoseconds left (0 once passed), or `nil` for never.
    var remainingNanoseconds: Int64? {
        instant.map { max(0, $0 - Self.now()) }
    }

    var hasPassed: Bool { remainingNanoseconds == 0 }
}
