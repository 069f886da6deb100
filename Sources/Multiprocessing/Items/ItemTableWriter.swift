#if canImport(Glibc)
import Glibc
#endif

/// An ``ItemTable`` as a worker writes it: which items a chunk holds, and each item's progress and outcome.
///
/// Mark an item ``begin(_:)`` before running it, then ``complete(_:flags:)`` (the result was written in
/// place elsewhere), ``complete(_:payload:flags:)`` (the result goes into the table's arena) or
/// ``fail(_:message:)``; call ``finishChunk(_:)`` once a chunk is through. The state word is written
/// last with release ordering, so the parent never sees an outcome before its payload.
///
/// ```swift
/// let table = try job.items.open(in: context)
/// for item in table.items(inChunk: chunk) {
///     table.begin(item)
///     table.complete(item, payload: encodedResult)
/// }
/// table.finishChunk(chunk)
/// ```
public struct ItemTableWriter {
    let layout: ItemTableLayout
    let arena: UnsafeMutableRawPointer
    private let pid = getpid()

    init(layout: ItemTableLayout, arena: UnsafeMutableRawPointer) {
        self.layout = layout
        self.arena = arena
    }

    /// The items of chunk `chunk` of the current run, in order.
    public func items(inChunk chunk: Int) -> [Int] {
        layout.positions(ofChunk: chunk).map(layout.item(atPosition:))
    }

    /// The number of items of chunk `chunk` (without listing them).
    public func itemCount(inChunk chunk: Int) -> Int { layout.positions(ofChunk: chunk).count }

    /// Calls `body` with each item of chunk `chunk`, in order (without building a list).
    @inline(__always)
    public func forEachItem(inChunk chunk: Int, _ body: (Int) throws -> Void) rethrows {
        let positions = layout.positions(ofChunk: chunk)
        if layout.selectsAll {
            for item in positions { try body(item) }
        } else {
            let selection = layout.selection
            for position in positions { try body(selection[position]) }
        }
    }

    /// Marks `item` as running in this worker: if the worker dies before its outcome, the item is lost.
    public func begin(_ item: Int) {
        layout.stateWord(item).store(ItemTableLayout.word(.running, pid: pid), ordering: .releasing)
    }

    /// Marks `item` as run with its result kept in this worker, to be saved with others by
    /// ``complete(_:in:flags:)``; if the worker dies first, the item runs again.
    public func markRan(_ item: Int) {
        layout.stateWord(item).store(ItemTableLayout.word(.ran, pid: pid), ordering: .releasing)
    }

    /// Marks `item` done; its result was written in place (an output buffer the job owns), so it has no
    /// payload here.
    public func complete(_ item: Int, flags: UInt8 = 0) {
        layout.stateWord(item).store(ItemTableLayout.word(.done, pid: pid, flags: flags), ordering: .releasing)
    }

    /// Marks `item` done with `payload` copied into the arena; when the arena is full, marks it
    /// ``ItemState/overflow`` (to be run again with more room) and returns false.
    @discardableResult
    public func complete(_ item: Int, payload: UnsafeRawBufferPointer, flags: UInt8 = 0) -> Bool {
        guard let offset = claim(payload.count) else {
            overflow(item, needed: payload.count)
            return false
        }
        if let source = payload.baseAddress { (arena + offset).copyMemory(from: source, byteCount: payload.count) }
        layout.setLocation(item, offset: offset, length: payload.count, element: 0)
        layout.stateWord(item).store(ItemTableLayout.word(.done, pid: pid, flags: flags), ordering: .releasing)
        return true
    }

    /// Marks `items` done with one shared payload (e.g. their results encoded together), item `k` being
    /// element `k` of it; on a full arena, marks them all ``ItemState/overflow`` and returns false.
    @discardableResult
    public func complete(_ items: [Int], in payload: UnsafeRawBufferPointer, flags: UInt8 = 0) -> Bool {
        guard let offset = claim(payload.count) else {
            for item in items { overflow(item, needed: payload.count) }
            return false
        }
        if let source = payload.baseAddress { (arena + offset).copyMemory(from: source, byteCount: payload.count) }
        for (element, item) in items.enumerated() {
            layout.setLocation(item, offset: offset, length: payload.count, element: element)
            layout.stateWord(item).store(ItemTableLayout.word(.done, pid: pid, flags: flags), ordering: .releasing)
        }
        return true
    }

    /// Marks `item` failed with `message` as its reason (an overflow when the arena is full).
    public func fail(_ item: Int, message: String) {
        var text = message
        let stored = text.withUTF8 { bytes -> Bool in
            guard let offset = claim(bytes.count) else {
                overflow(item, needed: bytes.count)
                return false
            }
            if let source = bytes.baseAddress { (arena + offset).copyMemory(from: source, byteCount: bytes.count) }
            layout.setLocation(item, offset: offset, length: bytes.count, element: 0)
            return true
        }
        if stored { layout.stateWord(item).store(ItemTableLayout.word(.failed, pid: pid), ordering: .releasing) }
    }

    /// Reports chunk `chunk` finished: its items count as finished, and the parent can read their
    /// outcomes before the whole run ends.
    public func finishChunk(_ chunk: Int) {
        layout.finished.wrappingIncrement(by: itemCount(inChunk: chunk), ordering: .releasing)
        let slot = layout.logged.loadThenWrappingIncrement(ordering: .relaxed)
        if slot < layout.count { layout.logEntry(slot).store(chunk + 1, ordering: .releasing) }
    }

    private func overflow(_ item: Int, needed: Int) {
        layout.setLocation(item, offset: 0, length: needed, element: 0)
        layout.stateWord(item).store(ItemTableLayout.word(.overflow, pid: pid), ordering: .releasing)
    }

    /// Claims `bytes` of the arena; nil when they do not fit (the cursor never moves past the end).
    private func claim(_ bytes: Int) -> Int? {
        let capacity = layout.arenaCapacity
        var current = layout.arenaCursor.load(ordering: .relaxed)
        while true {
            guard bytes <= capacity - current else { return nil }
            let (exchanged, original) = layout.arenaCursor.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return current }
            current = original
        }
    }
}
