/// Finds workers that have held one chunk (or made no progress at all) for longer than a per-chunk
/// limit, from the parent, without any clock read in the workers.
///
/// A worker's progress is the pair (current chunk, chunks run so far): it changes whenever the
/// worker starts or finishes a chunk. The parent samples it each time it wakes from its completion
/// wait and notes when it last changed; a worker whose pair has not changed for `limit` and that has
/// not finished the job is overdue (running one chunk too long, or stopped before it took any).
struct ChunkWatch {
    private struct Seen {
        var chunk = Int.min
        var chunksRun = Int.min
        var since = ContinuousClock.now
    }

    private var seen: [Seen]
    let limit: Duration

    init(workers: Int, limit: Duration) {
        seen = Array(repeating: Seen(), count: workers)
        self.limit = limit
    }

    /// Indices of live workers (pid > 0) that have not finished `sequence` and are overdue.
    mutating func overdue(control: ControlBlock, records pids: [Int32], sequence: Int) -> Set<Int> {
        let now = ContinuousClock.now
        var late: Set<Int> = []
        for index in seen.indices where pids[index] > 0 {
            let slot = control.slot(index)
            if slot.finishedSequence.load(ordering: .acquiring) == sequence { continue }
            let chunk = slot.currentChunk.load(ordering: .acquiring)
            let run = slot.chunksRun.load(ordering: .relaxed)
            if chunk != seen[index].chunk || run != seen[index].chunksRun {
                seen[index] = Seen(chunk: chunk, chunksRun: run, since: now)
            } else if seen[index].since.duration(to: now) >= limit {
                late.insert(index)
            }
        }
        return late
    }
}
