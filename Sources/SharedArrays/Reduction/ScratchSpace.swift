import Multiprocessing
import Synchronization

/// Per-call scratch segments for chunk partials, reused across calls so that workers keep them mapped.
enum ScratchSpace {
    private static let cache = ScratchCache()

    /// Runs `body` with a segment of at least `bytes` bytes that no other call uses meanwhile.
    static func with<R>(bytes: Int, _ body: (SharedMemory) throws -> R) throws -> R {
        let segment = try cache.take(bytes: bytes)
        defer { cache.giveBack(segment) }
        return try body(segment)
    }
}

private final class ScratchCache: Sendable {
    private let free = Mutex<[SharedMemory]>([])

    func take(bytes: Int) throws -> SharedMemory {
        let found: SharedMemory? = free.withLock { list in
            guard let index = list.firstIndex(where: { $0.byteCount >= bytes }) else { return nil }
            return list.remove(at: index)
        }
        if let found { return found }
        // Round up so that slightly larger calls reuse the segment.
        var size = 64 << 10
        while size < bytes { size = size <= Int.max / 2 ? size * 2 : bytes }
        return try SharedMemory(byteCount: size)
    }

    func giveBack(_ segment: SharedMemory) {
        free.withLock { list in
            list.append(segment)
            // Keep the four largest.
            if list.count > 4 {
                list.sort { $0.byteCount > $1.byteCount }
                list.removeLast(list.count - 4)
            }
        }
    }
}
