import Synchronization

/// Process-private scratch buffers for gathering a chunk's elements (a strided view, a column, the elements
/// a mask selects) into contiguous memory before a fold. Buffers are kept for reuse, so a worker allocates
/// once per size, not once per chunk.
enum ChunkScratch {
    /// Free buffers as (address, bytes); addresses as integers, since pointers are not Sendable.
    private static let free = Mutex<[(address: UInt, bytes: Int)]>([])
    /// The size of every buffer handed out, by address.
    private static let sizes = Mutex<[UInt: Int]>([:])

    /// At least `bytes` bytes, 64-byte aligned, until ``giveBack(_:)``.
    static func take(bytes: Int) -> UnsafeMutableRawPointer {
        let found: UInt? = free.withLock { list in
            guard let i = list.firstIndex(where: { $0.bytes >= bytes }) else { return nil }
            return list.remove(at: i).address
        }
        if let found, let base = UnsafeMutableRawPointer(bitPattern: found) { return base }
        var size = 64 << 10
        while size < bytes { size = size &* 2 }
        let base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        let address = UInt(bitPattern: base)
        sizes.withLock { $0[address] = size }
        return base
    }

    /// Returns a buffer from ``take(bytes:)``; at most four are kept.
    static func giveBack(_ base: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: base)
        let bytes = sizes.withLock { $0[address] ?? 0 }
        let dropped: UInt? = free.withLock { list in
            list.append((address, bytes))
            guard list.count > 4 else { return nil }
            list.sort { $0.bytes > $1.bytes }
            return list.removeLast().address
        }
        if let dropped {
            sizes.withLock { _ = $0.removeValue(forKey: dropped) }
            UnsafeMutableRawPointer(bitPattern: dropped)?.deallocate()
        }
    }
}
