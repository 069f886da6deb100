#if canImport(Glibc)
import Glibc
#endif
import SharedArrays

/// A buffer private to this (worker) process, grown on demand and kept for the next job.
enum WorkerScratch {
    nonisolated(unsafe) private static var base: UnsafeMutableRawPointer?
    nonisolated(unsafe) private static var capacity = 0

    /// At least `bytes` bytes, 64-byte aligned; valid until the next call. Throws when memory is short (under
    /// `ulimit -v`, say) instead of trapping in the worker with a runtime trace.
    static func buffer(bytes: Int) throws -> UnsafeMutableRawPointer {
        if let base, capacity >= bytes { return base }
        base?.deallocate()
        base = nil
        capacity = 0
        let size = max(bytes, 64 << 10)
        base = try alignedAllocation(bytes: size, for: "a read buffer")
        capacity = size
        return base!
    }
}

/// `bytes` bytes aligned to 64 from the C heap (released with `deallocate()`, which frees), or an
/// out-of-memory error naming `what` where `UnsafeMutableRawPointer.allocate` would trap.
func alignedAllocation(bytes: Int, for what: String) throws -> UnsafeMutableRawPointer {
    var pointer: UnsafeMutableRawPointer?
    guard posix_memalign(&pointer, 64, max(bytes, 1)) == 0, let pointer else {
        throw ArrayIOError(.tooLarge, path: "", "out of memory: cannot allocate \(bytes) bytes for \(what)")
    }
    return pointer
}
