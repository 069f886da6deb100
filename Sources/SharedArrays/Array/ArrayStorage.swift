#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import Synchronization

/// The segment behind a ``SharedArray`` and its views.
///
/// Arrays whose contents are about to be overwritten (the outputs of `map`, `random`, `arange`) may
/// take a recycled segment of the same size: its pages are already populated and mapped in the
/// workers, so no page is faulted in again. This is what malloc does for numpy when a program makes
/// the same large temporary over and over. See ``StorageRecycler``.
final class ArrayStorage: @unchecked Sendable {
    let memory: SharedMemory
    private let recyclable: Bool

    init(memory: SharedMemory, recyclable: Bool) {
        self.memory = memory
        self.recyclable = recyclable
    }

    /// Storage for `byteCount` bytes whose contents the caller overwrites entirely.
    static func forOverwrite(byteCount: Int) throws -> ArrayStorage {
        if let reused = StorageRecycler.take(byteCount: byteCount) { return ArrayStorage(memory: reused, recyclable: true) }
        return ArrayStorage(memory: try SharedMemory(byteCount: byteCount), recyclable: true)
    }

    /// Zero-filled storage for `byteCount` bytes (never recycled memory).
    static func zeroed(byteCount: Int) throws -> ArrayStorage {
        ArrayStorage(memory: try SharedMemory(byteCount: byteCount), recyclable: true)
    }

    /// A read-only mapping of the file at `path` (see ``SharedMemory/init(mappingReadOnlyFileAt:)``).
    static func mappingReadOnly(path: String) throws -> ArrayStorage {
        ArrayStorage(memory: try SharedMemory(mappingReadOnlyFileAt: path), recyclable: false)
    }

    /// Whether the elements are a read-only file mapping, which no kernel may write.
    var isReadOnly: Bool { memory.isReadOnly }

    deinit {
        if recyclable { StorageRecycler.giveBack(memory) }
    }
}

/// A small cache of freed array segments, reused for new arrays of the same size.
///
/// It keeps at most ``maximumSegments`` segments and at most an eighth of available memory; anything
/// else is freed at once. ``SharedArrayMemory/releaseCachedSegments()`` empties it.
enum StorageRecycler {
    static let maximumSegments = 8
    private static let cache = Mutex<[SharedMemory]>([])
    /// Segments smaller than this are cheap to make: not worth keeping.
    static let minimumBytes = 64 << 10

    static func take(byteCount: Int) -> SharedMemory? {
        cache.withLock { list in
            guard let index = list.firstIndex(where: { $0.byteCount == byteCount }) else { return nil }
            return list.remove(at: index)
        }
    }

    static func giveBack(_ memory: SharedMemory) {
        guard memory.byteCount >= minimumBytes, memory.ownerPID == CurrentProcess.id else { return }
        let budget = (SharedMemory.availableMemory() ?? 0) / 8
        let evicted: [SharedMemory] = cache.withLock { list in
            list.append(memory)
            var dropped: [SharedMemory] = []
            while list.count > maximumSegments || list.reduce(0, { $0 + $1.byteCount }) > budget {
                dropped.append(list.removeFirst())
                if list.isEmpty { break }
            }
            return dropped
        }
        _ = evicted  // freed here, outside the lock
    }

    static func removeAll() {
        let all = cache.withLock { list in
            defer { list = [] }
            return list
        }
        _ = all
    }
}

/// Control over the memory shared arrays keep for reuse.
public enum SharedArrayMemory {
    /// Frees the segments kept for reuse by new arrays (see `map`, `random`).
    public static func releaseCachedSegments() { StorageRecycler.removeAll() }
}
