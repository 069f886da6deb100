import Atomics
import CMultiprocessing

/// The shared page through which an ``Executor`` hands tasks to the pool's workers one assignment at a
/// time: an event word the parent's dispatcher sleeps on, and one mailbox per worker.
///
/// Layout (bytes): 0 events (futex word, bumped by workers) · 64 parent-waiting flag · from 4096, one
/// 1024-byte ``ExecutorMailbox`` per worker. This file and ``ExecutorMailbox`` are the only places the
/// executor touches raw shared memory.
struct ExecutorBoard: @unchecked Sendable {
    static let headerSize = 4096
    static let mailboxSize = 1024

    let base: UnsafeMutableRawPointer

    static func byteCount(mailboxes: Int) -> Int { headerSize + mailboxes * mailboxSize }

    /// Bumped on every event the dispatcher must look at (a task finished, a worker started or left
    /// serving, a worker needs output space, a submission, a session ended).
    var events: UnsafeAtomic<UInt32> { UnsafeAtomic(at: base.assumingMemoryBound(to: UInt32.AtomicRepresentation.self)) }
    var eventsWord: UnsafeMutablePointer<UInt32> { base.assumingMemoryBound(to: UInt32.self) }
    /// Set by the dispatcher while it sleeps on ``events``, so workers make the wake call only then.
    var parentWaiting: UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: (base + 64).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    func mailbox(_ index: Int) -> ExecutorMailbox {
        ExecutorMailbox(base: base + Self.headerSize + index * Self.mailboxSize)
    }

    /// Records an event and wakes the dispatcher if it sleeps. (Sequentially consistent: the bump and
    /// the flag read cannot both miss the dispatcher's flag write and its futex check.)
    func signalParent() {
        events.wrappingIncrement(ordering: .sequentiallyConsistent)
        if parentWaiting.load(ordering: .sequentiallyConsistent) != 0 { _ = mp_futex_wake(eventsWord, 1) }
    }

    /// Sleeps until ``events`` differs from `observed`, at most `nanoseconds` (the dispatcher's wait).
    func waitForEvent(after observed: UInt32, nanoseconds: Int64) {
        parentWaiting.store(1, ordering: .sequentiallyConsistent)
        if events.load(ordering: .sequentiallyConsistent) == observed {
            _ = mp_futex_wait(eventsWord, observed, nanoseconds)
        }
        parentWaiting.store(0, ordering: .sequentiallyConsistent)
    }
}

/// One worker's mailbox: the assignment the parent posted (task type, inputs, output space) and the
/// worker's progress through it.
///
/// Layout (bytes): 0 command (futex word: bumped by the parent for a new assignment or a stop) · 8 stop ·
/// 16 serving pid · 24 started · 32 finished · 40 task count · 48 output bytes needed · 56 output
/// generation (futex word) · 64 input segment · 128 output segment · 256 task type name (NUL-terminated).
///
/// Inputs segment: (offset, length) per task, then the encoded inputs. Output segment: (state, offset,
/// length) per task (``outputEntriesSize(tasks:)`` bytes), then encoded outputs or error texts.
struct ExecutorMailbox {
    static let nameOffset = 256
    static let nameCapacity = 255

    let base: UnsafeMutableRawPointer

    private func atomicInt(_ offset: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    var command: UnsafeAtomic<UInt32> { UnsafeAtomic(at: base.assumingMemoryBound(to: UInt32.AtomicRepresentation.self)) }
    var commandWord: UnsafeMutablePointer<UInt32> { base.assumingMemoryBound(to: UInt32.self) }
    /// Set by the parent: leave the serve loop after the task in progress.
    var stop: UnsafeAtomic<Int> { atomicInt(8) }
    /// The pid of the worker serving this mailbox, 0 when none is.
    var servingPID: UnsafeAtomic<Int> { atomicInt(16) }
    /// Tasks of the current assignment the worker has begun.
    var started: UnsafeAtomic<Int> { atomicInt(24) }
    /// Tasks of the current assignment whose output entry is written.
    var finished: UnsafeAtomic<Int> { atomicInt(32) }
    /// Output bytes the worker needs and has no room for (0: none); it waits for a new output segment.
    var outputNeeded: UnsafeAtomic<Int> { atomicInt(48) }
    /// Bumped by the parent when it replaced the output segment.
    var outputGeneration: UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: (base + 56).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }
    var outputGenerationWord: UnsafeMutablePointer<UInt32> { (base + 56).assumingMemoryBound(to: UInt32.self) }

    /// Tasks in the current assignment (written before the command bump).
    var taskCount: Int {
        get { base.load(fromByteOffset: 40, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 40, as: Int.self) }
    }
    var input: SegmentReference {
        get { base.load(fromByteOffset: 64, as: SegmentReference.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 64, as: SegmentReference.self) }
    }
    var output: SegmentReference {
        get { base.load(fromByteOffset: 128, as: SegmentReference.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 128, as: SegmentReference.self) }
    }

    /// The task type's mangled name.
    var typeName: String {
        get {
            let bytes = UnsafeRawBufferPointer(start: base + Self.nameOffset, count: Self.nameCapacity + 1)
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        nonmutating set {
            var utf8 = Array(newValue.utf8.prefix(Self.nameCapacity))
            utf8.append(0)
            utf8.withUnsafeBytes { (base + Self.nameOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    /// Bytes of the per-task entries at the start of an output segment.
    static func outputEntriesSize(tasks: Int) -> Int { tasks * 24 }

    /// Bytes of the per-task (offset, length) pairs at the start of an input segment.
    static func inputEntriesSize(tasks: Int) -> Int { tasks * 16 }

    /// How a task ended, in its output entry.
    enum OutputState: Int {
        case returned = 1, threw = 2
    }
}
