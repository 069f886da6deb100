import Atomics

/// The shared-memory layout of a task map.
///
/// Inputs segment: `count` (Int) · `count` entries of (offset, length) · encoded inputs.
/// Results segment: arena cursor (Int, atomic) · finished counter (Int, atomic) · `count` entries of
/// ``TaskResultEntry`` (at byte 64) · arena (encoded outputs and error messages).
/// Selection segment: the task indices to run, in order (a rerun runs a subset).
enum TaskTable {
    static let resultsHeader = 64
    static let entrySize = MemoryLayout<TaskResultEntry>.stride

    static func arenaStart(count: Int) -> Int { resultsHeader + count * entrySize }

    static func cursor(_ results: UnsafeMutableRawPointer) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: results.assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    static func finished(_ results: UnsafeMutableRawPointer) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (results + 8).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    static func entry(_ results: UnsafeMutableRawPointer, _ index: Int) -> UnsafeMutablePointer<TaskResultEntry> {
        (results + resultsHeader + index * entrySize).assumingMemoryBound(to: TaskResultEntry.self)
    }

    /// The entry's state word, written last (release) by the worker and read first (acquire) by the parent.
    static func state(_ results: UnsafeMutableRawPointer, _ index: Int) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: UnsafeMutableRawPointer(entry(results, index)).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    /// A consistent copy of an entry: the state is read with acquire ordering before the other fields.
    static func loadEntry(_ results: UnsafeMutableRawPointer, _ index: Int) -> TaskResultEntry {
        let state = state(results, index).load(ordering: .acquiring)
        var copy = entry(results, index).pointee
        copy.state = state
        return copy
    }

    static func input(_ inputs: UnsafeRawPointer, _ index: Int) -> UnsafeRawBufferPointer {
        let count = inputs.load(as: Int.self)
        let offset = inputs.load(fromByteOffset: 8 + index * 16, as: Int.self)
        let length = inputs.load(fromByteOffset: 16 + index * 16, as: Int.self)
        return UnsafeRawBufferPointer(start: inputs + 8 + count * 16 + offset, count: length)
    }
}

/// One task's state in the results segment.
struct TaskResultEntry {
    enum State: UInt32 {
        case pending = 0, running, done, failed, overflow
    }

    var state: UInt32
    var pid: Int32
    /// Offset of the encoded output (or of the UTF-8 error text) from the arena start.
    var offset: Int
    var length: Int
}
