#if canImport(Glibc)
import Glibc
#endif

/// Why a synchronization primitive refused or could not do what was asked.
///
/// A struct with a ``Code`` rather than a frozen enum, so new cases do not break clients. Match on the
/// code:
///
/// ```swift
/// do {
///     try lock.acquire()
/// } catch let error where error.code == .ownerDied {
///     // We hold the lock now; repair what its dead holder (error.pid) left half-done.
/// }
/// ```
public struct SyncError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Lets `catch SyncError.Code.ownerDied { ... }` match a thrown ``SyncError`` by its code.
        public static func ~= (pattern: Code, value: any Error) -> Bool {
            (value as? SyncError)?.code == pattern
        }

        /// The previous holder of a lock died (or its thread exited) while holding it. The lock was
        /// recovered and **is now held by the caller** of `acquire`/`Condition.wait`; the data it
        /// protects may be half-updated. `withLock` releases it before throwing.
        public static let ownerDied = Code(rawValue: "ownerDied")
        /// A lock was released, or a condition waited on or notified, by a thread that does not hold it.
        public static let notOwner = Code(rawValue: "notOwner")
        /// The calling thread tried to acquire a non-recursive ``Lock`` it already holds.
        public static let wouldDeadlock = Code(rawValue: "wouldDeadlock")
        /// A ``BoundedSemaphore`` was released above its initial value (or a semaphore above `Int32.max`).
        public static let releasedTooManyTimes = Code(rawValue: "releasedTooManyTimes")
        /// A ``Barrier`` is broken (aborted, a wait timed out, its action threw, or it was reset while
        /// this process waited). It stays broken until ``Barrier/reset()``.
        public static let brokenBarrier = Code(rawValue: "brokenBarrier")
        /// A robust mutex can no longer be used (its recovery was abandoned); create a new primitive.
        public static let notRecoverable = Code(rawValue: "notRecoverable")
        /// An argument out of range (a negative semaphore value, a barrier of zero parties).
        public static let invalidArgument = Code(rawValue: "invalidArgument")
        /// `withLock` on a ``SharedValue`` or ``SharedBuffer`` created with `lock: false`.
        public static let noLock = Code(rawValue: "noLock")
        /// A deadline passed while another process held a lock the call needed (a stopped or stuck holder).
        public static let timedOut = Code(rawValue: "timedOut")
        /// An operating-system call failed; see ``SyncError/errno``.
        public static let system = Code(rawValue: "system")
    }

    /// What kind of failure this is.
    public let code: Code
    /// For ``Code/ownerDied``: the pid of the process whose thread died holding the lock, when known.
    public let pid: pid_t?
    /// For ``Code/system``: the errno value.
    public let errno: Int32?
    /// A sentence saying what happened and what it means for the caller.
    public let message: String

    public init(_ code: Code, _ message: String, pid: pid_t? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.pid = pid
        self.errno = errno
    }

    public var description: String { message }

    static func ownerDied(pid: pid_t?, in primitive: String) -> SyncError {
        let who = pid.map { "process \($0)" } ?? "a process"
        return SyncError(
            .ownerDied,
            "\(primitive): \(who) died (or its thread exited) while holding the lock; the lock was recovered and "
                + "is now held by the caller, but the data it protects may be inconsistent",
            pid: pid)
    }

    static func notOwner(_ operation: String) -> SyncError {
        SyncError(.notOwner, "\(operation): the calling thread does not hold the lock")
    }

    static func system(_ call: String, _ code: Int32) -> SyncError {
        SyncError(.system, "\(call) failed: \(String(cString: strerror(code)))", errno: code)
    }
}
