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
    /// Whether a reference to the segment left the library (``SharedArray/segmentReference``): such a
    /// segment is freed with its array, so that the reference, kept too long, is refused ("no live
    /// segment") rather than resolved to whatever array reused the segment.
    private let escaped = Atomic<Bool>(false)

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

    func markEscaped() { escaped.store(true, ordering: .relaxed) }

    deinit {
        if recyclable, !escaped.load(ordering: .relaxed) { StorageRecycler.giveBack(memory) }
    }
}

/// A small cache of freed array segments, reused for new arrays of the same size.
///
/// It keeps at most ``maximumSegments`` segments of ``smallBytes`` or more, within an eighth of available
/// memory, and at most ``maximumSmallSegments`` smaller ones; anything else is freed at once. Small segments
/// are kept too: making one, faulting its pages in and tearing it down took 20-40 µs, many times a small
/// map's work. Segments whose reference left the library are never kept (see ``ArrayStorage``).
/// ``SharedArrayMemory/releaseCachedSegments()`` empties it.
enum StorageRecycler {
    static let maximumSegments = 8
    static let maximumSmallSegments = 16
    /// Segments below this size count as small (16 MiB for all of them at most, so no memory check).
    static let smallBytes = 1 << 20
    private static let cache = Mutex<[SharedMemory]>([])

    static func take(byteCount: Int) -> SharedMemory? {
        cache.withLock { list in
            guard let index = list.firstIndex(where: { $0.byteCount == byteCount }) else { return nil }
            return list.remove(at: index)
        }
    }

    static func giveBack(_ memory: SharedMemory) {
        guard memory.byteCount > 0, memory.ownerPID == CurrentProcess.id else { return }
        let small = memory.byteCount < smallBytes
        let budget = small ? Int.max : (SharedMemory.availableMemory() ?? 0) / 8
        let evicted: [SharedMemory] = cache.withLock { list in
            list.append(memory)
            var dropped: [SharedMemory] = []
            let limit = small ? maximumSmallSegments : maximumSegments
            while list.count(where: { ($0.byteCount < smallBytes) == small }) > limit,
                  let oldest = list.firstIndex(where: { ($0.byteCount < smallBytes) == small }) {
                dropped.append(list.remove(at: oldest))
            }
            while list.reduce(0, { $0 + ($1.byteCount < smallBytes ? 0 : $1.byteCount) }) > budget,
                  let oldest = list.firstIndex(where: { $0.byteCount >= smallBytes }) {
                dropped.append(list.remove(at: oldest))
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
