/// A buffer private to this (worker) process, grown on demand and kept for the next job.
enum WorkerScratch {
    nonisolated(unsafe) private static var base: UnsafeMutableRawPointer?
    nonisolated(unsafe) private static var capacity = 0

    /// At least `bytes` bytes, 64-byte aligned; valid until the next call.
    static func buffer(bytes: Int) -> UnsafeMutableRawPointer {
        if let base, capacity >= bytes { return base }
        base?.deallocate()
        let size = max(bytes, 64 << 10)
        base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        capacity = size
        return base!
    }
}
