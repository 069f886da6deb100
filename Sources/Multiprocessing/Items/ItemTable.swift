import Atomics

/// How far one item of an ``ItemTable`` got.
public enum ItemState: UInt8, Sendable, Equatable {
    /// Not started (or to be run again).
    case pending = 0
    /// A worker started it (``ItemRecord/pid`` names the worker); if that worker dies, the item is lost.
    case running = 1
    /// Ran, but its result is not saved yet (it is saved with the rest of its chunk): if the worker dies
    /// now, the item is run again, not failed.
    case ran = 2
    /// Finished with a result.
    case done = 3
    /// Failed; its payload is the reason (UTF-8).
    case failed = 4
    /// Finished, but its payload did not fit the arena (``ItemRecord/length`` bytes were needed): it runs
    /// again with a larger arena.
    case overflow = 5
}

/// What the parent reads about one item of an ``ItemTable``: its state word.
public struct ItemRecord: Sendable, Equatable {
    public var state: ItemState
    /// The worker that ran (or runs) the item; 0 before any did.
    public var pid: Int32
    /// A small mark the worker left with the outcome (its meaning is the job's).
    public var flags: UInt8
}

/// A table of work items in shared memory that worker processes claim chunk by chunk and fill, where a
/// worker's death fails only the item it was running.
///
/// Each item has a state word (state, owner pid, flags) that workers update as they go, and an optional
/// payload (a result, or a failure's reason) written into a shared arena. The parent runs the table
/// with ``WorkerPool/runItems(_:items:chunkSize:arenaLimit:chunkTimeout:describeChunk:job:whileWaiting:stillWanted:reportsDone:settled:lost:)``:
/// items a dead worker was running are *lost* (reported with the worker's pid and signal), items it did
/// not reach run again on the other workers, and payloads that did not fit run again with a larger arena.
/// Pool.map, the batch scan and the batch pieces all keep their items here.
///
/// Segment layout (bytes): 0 finished items (atomic) · 64 arena cursor (atomic) · 128 chunks logged
/// (atomic) · 192 run header (selected, chunk size, selects all, arena capacity) · 256 state words
/// (8 bytes per item) · payload locations (24 bytes per item) · selection (8 bytes per item) · chunk
/// log (8 bytes per item). The arena is a second segment, replaced when it must grow.
///
/// ```swift
/// let table = try ItemTable(count: files.count, arenaBytes: 1 << 20)
/// try pool.runItems(table, chunkSize: { _ in 1 }, job: { ScanJob(items: $0, ...) },
///                   settled: { item, record in ... }, lost: { item, record, cause in ... })
/// ```
public final class ItemTable: @unchecked Sendable {
    /// The number of items.
    public private(set) var count: Int
    /// The most items the table can hold (see ``reset(count:)``).
    public let capacity: Int
    private let segment: SharedMemory
    private var arena: SharedMemory
    private let layout: ItemTableLayout
    /// Whether every state word is still as created (zero), so a first run need not reset them.
    private var fresh = true

    /// Creates a table of `count` pending items with an arena of `arenaBytes` for payloads.
    public init(count: Int, arenaBytes: Int = 0) throws {
        guard count >= 0, let bytes = ItemTableLayout.byteCount(items: count) else {
            throw SharedMemoryError.invalidSize(count)
        }
        self.count = count
        capacity = count
        segment = try SharedMemory(byteCount: bytes)
        arena = try SharedMemory(byteCount: max(arenaBytes, 64))
        layout = ItemTableLayout(base: segment.base, count: count)
        layout.arenaCapacity = arena.byteCount
    }

    /// Makes this table one of `count` pending items (at most ``capacity``) for a new use, keeping its
    /// memory: pages already touched (here and in the workers, which keep the table mapped) are not
    /// zeroed and faulted in again. Returns false when `count` is over the capacity.
    public func reset(count: Int) -> Bool {
        guard count >= 0, count <= capacity else { return false }
        layout.clearStates(count: count)
        self.count = count
        fresh = true
        return true
    }

    /// Grows the arena to at least `bytes` (payloads of an earlier run are gone afterwards).
    public func reserveArena(_ bytes: Int) throws {
        guard bytes > arena.byteCount else { return }
        arena = try SharedMemory(byteCount: bytes)
        layout.arenaCapacity = arena.byteCount
    }

    /// The bytes the arena holds now.
    public var arenaCapacity: Int { arena.byteCount }

    /// What a job carries to find the table in a worker.
    public var reference: ItemTableReference {
        ItemTableReference(items: segment.reference, arena: arena.reference, count: capacity)
    }

    /// Sets up a run over `items` (every item when nil), `chunkSize` items per chunk, with an arena of at
    /// least `arenaBytes`; returns the number of chunks. Payloads of an earlier run are gone afterwards.
    func prepareRun(items: [Int]?, chunkSize: Int, arenaBytes: Int) throws -> Int {
        let chunkSize = max(1, chunkSize)
        if let items, let bad = items.first(where: { $0 < 0 || $0 >= count }) {
            throw WorkerPoolError(.invalidItem, value: bad, limit: count)
        }
        try reserveArena(arenaBytes)
        layout.arenaCapacity = arena.byteCount
        layout.arenaCursor.store(0, ordering: .relaxed)
        layout.finished.store(0, ordering: .relaxed)
        layout.logged.store(0, ordering: .relaxed)
        let selected = items?.count ?? count
        if let items {
            for (position, item) in items.enumerated() {
                layout.selection[position] = item
                if !fresh { layout.resetState(item) }
            }
        } else if !fresh {
            for item in 0..<count { layout.resetState(item) }
        }
        fresh = false
        layout.selectedCount = selected
        layout.selectsAll = items == nil
        layout.chunkSize = chunkSize
        let chunks = selected == 0 ? 0 : (selected - 1) / chunkSize + 1
        for i in 0..<chunks { layout.log[i] = 0 }
        return chunks
    }

    /// The record of `item` now (its state read first, with acquire ordering).
    public func record(_ item: Int) -> ItemRecord { layout.record(item) }

    /// Calls `body` with the payload of `item` (a result, or a failed item's reason), read in place; valid
    /// only during the call and until the next run. Empty for an item without one.
    public func withPayload<R>(of item: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let (offset, length, _) = layout.location(item)
        // A worker wrote the location: trust it only inside the arena.
        let inside = offset >= 0 && length >= 0 && length <= arena.byteCount - offset
        return try body(UnsafeRawBufferPointer(start: arena.base + (inside ? offset : 0), count: inside ? length : 0))
    }

    /// Which element of its payload `item` is (for items saved together), and where that payload starts
    /// (the same for all items saved together in the current run).
    public func payloadElement(of item: Int) -> (payload: Int, element: Int) {
        let (offset, _, element) = layout.location(item)
        return (offset, element)
    }

    /// The payload of `item` as text (a failed item's reason).
    public func message(of item: Int) -> String {
        withPayload(of: item) { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes an ``ItemState/overflow`` item needed.
    func neededBytes(of item: Int) -> Int { max(0, layout.location(item).length) }

    /// Items finished in the current run so far, as workers report them (per chunk).
    public var finishedItems: Int { layout.finished.load(ordering: .acquiring) }

    /// The item at `position` of the current run's selection.
    func item(atPosition position: Int) -> Int { layout.item(atPosition: position) }

    /// The positions of chunk `chunk` in the current run's selection.
    func positions(ofChunk chunk: Int) -> Range<Int> { layout.positions(ofChunk: chunk) }

    /// Chunks the workers have finished, in the order they finished, from log entry `cursor` on; advances it.
    func finishedChunks(from cursor: inout Int) -> [Int] {
        var chunks: [Int] = []
        let logged = layout.logged.load(ordering: .acquiring)
        while cursor < logged {
            let entry = layout.logEntry(cursor).load(ordering: .acquiring)
            if entry == 0 { break }  // claimed, not yet written
            chunks.append(entry - 1)
            cursor += 1
        }
        return chunks
    }
}

/// The plain-data handle a job carries to reach an ``ItemTable`` in a worker.
public struct ItemTableReference: BitwiseCopyable, Sendable {
    var items: SegmentReference
    var arena: SegmentReference
    var count: Int

    /// The table as a worker writes it.
    public func open(in context: WorkerContext) throws -> ItemTableWriter {
        let base = try context.address(of: items)
        let arenaBase = try context.address(of: arena)
        return ItemTableWriter(layout: ItemTableLayout(base: base, count: count), arena: arenaBase)
    }
}
