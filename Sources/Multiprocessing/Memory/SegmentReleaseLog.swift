#if canImport(Glibc)
import Glibc
#endif

/// A segment that was freed in this process; workers that mapped it unmap it at their next job.
struct ReleasedSegment: Sendable, BitwiseCopyable {
    var id: UInt64
    var address: UInt
    var byteCount: Int
    var sequence: Int
}

/// The process-wide log of freed segments, read by every ``WorkerPool`` before it posts a job so its
/// workers drop their mappings (otherwise a worker would keep a freed array's memory alive).
///
/// Unmapping and recording happen under one lock, and workers are forked under the same lock, so a
/// worker knows exactly which released segments it inherited: those released at or after the
/// sequence number current at its fork.
enum SegmentReleaseLog {
    private struct State {
        var entries: [ReleasedSegment] = []
        /// Sequence number of `entries[0]`.
        var firstSequence = 0
        var next: Int { firstSequence + entries.count }
    }

    /// A pthread mutex, not `Synchronization.Mutex`: a forked child returns through the unlock of
    /// ``forkingUnderLock(_:)``, and `Mutex` checks (with a thread id cached before the fork) that the
    /// unlocking thread is the owner, which crashed children now and then.
    private static let state = PthreadProtected(State())
    private static let capacity = 8192

    /// Runs `unmap` and records the segment, atomically with respect to ``forkingUnderLock(_:)``.
    static func unmapAndRecord(id: UInt64, address: UInt, byteCount: Int, unmap: () -> Void) {
        state.withLock { s in
            unmap()
            s.entries.append(ReleasedSegment(id: id, address: address, byteCount: byteCount, sequence: s.next))
            if s.entries.count > capacity {
                let drop = s.entries.count - capacity
                s.entries.removeFirst(drop)
                s.firstSequence += drop
            }
        }
    }

    /// Runs `body` (which forks) with no segment being released meanwhile; passes the next sequence number.
    static func forkingUnderLock<T>(_ body: (_ nextSequence: Int) -> T) -> T {
        // The segment registry too, so a forked worker inherits a consistent, unlocked copy of it.
        state.withLock { s in SegmentRegistry.live.withLock { _ in body(s.next) } }
    }

    /// The sequence number the next released segment will get.
    static var nextSequence: Int { state.withLock { $0.next } }

    /// Entries from `sequence` on (at most `limit`), the sequence after them, and whether some
    /// entries before them were already dropped from the log.
    static func entries(from sequence: Int, limit: Int) -> (entries: [ReleasedSegment], next: Int, lostSome: Bool) {
        state.withLock { s in
            let lost = sequence < s.firstSequence
            let start = max(sequence, s.firstSequence) - s.firstSequence
            let end = min(s.entries.count, start + limit)
            let slice = start < end ? Array(s.entries[start..<end]) : []
            return (slice, s.firstSequence + max(start, end), lost)
        }
    }
}

/// A value guarded by a process-private pthread mutex that a forked child may unlock.
final class PthreadProtected<Value>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }
}
