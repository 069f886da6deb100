/// The shared memory a pool keeps from one map to the next: the item table and the raw output buffer.
///
/// A map of 100,000 tiny tasks touches about 1.6 MB of fresh shared memory (state words and outputs);
/// on a new segment every page is zeroed by the kernel and faulted in by the parent and by each worker,
/// which cost more than the tasks themselves. Reused, the pages are already there and the workers keep
/// them mapped. Only one map at a time uses the kept memory; a concurrent one makes its own.
struct MapScratch {
    /// Tables and buffers larger than this are not kept (a huge map would pin its memory).
    static let keptBytes = 64 << 20

    var table: ItemTable?
    var outputs: SharedMemory?
}

extension WorkerPool {
    /// A pending table of `count` items (the kept one when it is large enough, else a new one), and an
    /// output buffer of at least `outputBytes` when `outputBytes` is not nil.
    func takeMapScratch(count: Int, arenaBytes: Int, outputBytes: Int?) throws -> (ItemTable, SharedMemory?) {
        let kept = mapScratch.withLock { scratch -> MapScratch in
            defer { scratch = MapScratch() }
            return scratch
        }
        let table: ItemTable
        if let reused = kept.table, reused.reset(count: count) {
            try reused.reserveArena(arenaBytes)
            table = reused
        } else {
            table = try ItemTable(count: count, arenaBytes: arenaBytes)
        }
        guard let outputBytes else { return (table, nil) }
        if let outputs = kept.outputs, outputs.byteCount >= outputBytes { return (table, outputs) }
        return (table, try SharedMemory(byteCount: max(outputBytes, 1)))
    }

    /// Keeps `table` and `outputs` for the next map, unless they are too large or others are kept already.
    func keepMapScratch(_ table: ItemTable, _ outputs: SharedMemory?) {
        let tableBytes = ItemTableLayout.byteCount(items: table.capacity) ?? Int.max
        mapScratch.withLock { scratch in
            if scratch.table == nil, tableBytes <= MapScratch.keptBytes, table.arenaCapacity <= MapScratch.keptBytes {
                scratch.table = table
            }
            if scratch.outputs == nil, let outputs, outputs.byteCount <= MapScratch.keptBytes { scratch.outputs = outputs }
        }
    }
}
