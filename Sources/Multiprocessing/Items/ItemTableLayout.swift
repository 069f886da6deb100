import Atomics

/// The raw layout of an ``ItemTable``'s segment (see the table for the byte map); the only code that
/// touches its memory. Parent and workers use the same layout over their own mapping.
struct ItemTableLayout: @unchecked Sendable {
    static let statesOffset = 256
    static let locationStride = 24

    let base: UnsafeMutableRawPointer
    /// The table's capacity: the areas' sizes, so the same offsets hold whatever number of items is in use.
    let count: Int

    /// Bytes for `items` items, or nil when that overflows.
    static func byteCount(items: Int) -> Int? {
        let (perItem, o1) = items.multipliedReportingOverflow(by: 8 + locationStride + 8 + 8)
        let (total, o2) = perItem.addingReportingOverflow(statesOffset)
        return o1 || o2 ? nil : total
    }

    private func atomicInt(_ offset: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    /// Items finished in the current run (workers add a chunk's items at once).
    var finished: UnsafeAtomic<Int> { atomicInt(0) }
    /// Next free byte of the arena.
    var arenaCursor: UnsafeAtomic<Int> { atomicInt(64) }
    /// Chunk-log entries claimed so far.
    var logged: UnsafeAtomic<Int> { atomicInt(128) }

    // The run header: written by the parent before it posts the job, read by workers after.
    var selectedCount: Int {
        get { base.load(fromByteOffset: 192, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 192, as: Int.self) }
    }
    var chunkSize: Int {
        get { base.load(fromByteOffset: 200, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 200, as: Int.self) }
    }
    var selectsAll: Bool {
        get { base.load(fromByteOffset: 208, as: Int.self) != 0 }
        nonmutating set { base.storeBytes(of: newValue ? 1 : 0, toByteOffset: 208, as: Int.self) }
    }
    var arenaCapacity: Int {
        get { base.load(fromByteOffset: 216, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 216, as: Int.self) }
    }

    private var locationsOffset: Int { Self.statesOffset + count * 8 }
    private var selectionOffset: Int { locationsOffset + count * Self.locationStride }
    private var logOffset: Int { selectionOffset + count * 8 }

    var selection: UnsafeMutablePointer<Int> { (base + selectionOffset).assumingMemoryBound(to: Int.self) }
    var log: UnsafeMutablePointer<Int> { (base + logOffset).assumingMemoryBound(to: Int.self) }

    /// Log entry `i`: chunk index + 1 once written, 0 before.
    func logEntry(_ i: Int) -> UnsafeAtomic<Int> { atomicInt(logOffset + i * 8) }

    /// Item `item`'s state word: state in bits 0-7, flags in 8-15, owner pid in 32-63.
    func stateWord(_ item: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (base + Self.statesOffset + item * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    static func word(_ state: ItemState, pid: Int32, flags: UInt8 = 0) -> UInt64 {
        UInt64(UInt32(bitPattern: pid)) << 32 | UInt64(flags) << 8 | UInt64(state.rawValue)
    }

    private func locationAddress(_ item: Int) -> UnsafeMutableRawPointer { base + locationsOffset + item * Self.locationStride }

    func setLocation(_ item: Int, offset: Int, length: Int, element: Int) {
        let at = locationAddress(item)
        at.storeBytes(of: offset, as: Int.self)
        at.storeBytes(of: length, toByteOffset: 8, as: Int.self)
        at.storeBytes(of: element, toByteOffset: 16, as: Int.self)
    }

    func resetState(_ item: Int) { stateWord(item).store(0, ordering: .relaxed) }

    /// Sets the state words of items `0..<count` to pending at once (before a run is posted).
    func clearStates(count: Int) { (base + Self.statesOffset).initializeMemory(as: UInt8.self, repeating: 0, count: count * 8) }

    func record(_ item: Int) -> ItemRecord {
        let word = stateWord(item).load(ordering: .acquiring)
        return ItemRecord(
            state: ItemState(rawValue: UInt8(truncatingIfNeeded: word)) ?? .pending,
            pid: Int32(bitPattern: UInt32(truncatingIfNeeded: word >> 32)), flags: UInt8(truncatingIfNeeded: word >> 8))
    }

    /// Item `item`'s payload location (meaningful once its state, read first, says it has one).
    func location(_ item: Int) -> (offset: Int, length: Int, element: Int) {
        let at = locationAddress(item)
        return (at.load(as: Int.self), at.load(fromByteOffset: 8, as: Int.self), at.load(fromByteOffset: 16, as: Int.self))
    }

    func item(atPosition position: Int) -> Int { selectsAll ? position : selection[position] }

    func positions(ofChunk chunk: Int) -> Range<Int> {
        let size = chunkSize
        let start = min(chunk * size, selectedCount)
        return start..<min(start + size, selectedCount)
    }
}
