extension WorkerPool {
    /// Runs `job` over the items of `table` until every item is settled (done or failed) or lost, and
    /// reports each one once.
    ///
    /// The items are cut into chunks of `chunkSize(pending)` items that the workers claim; a job writes
    /// each item's progress and outcome through ``ItemTableReference/open(in:)``. When a worker dies (or
    /// is killed at a deadline), the item it was running is *lost*: `lost` gets it with the cause (a
    /// ``WorkerPoolError`` naming the pid, the signal or state, and the chunk). The items it had not reached,
    /// and those whose payload did not fit the arena, run again in another pass (the arena doubled, or
    /// more); the pool replaces the worker. An item whose payload needs more than `arenaLimit` bytes is
    /// settled as ``ItemState/overflow``.
    ///
    /// - Parameters:
    ///   - items: the items to run (nil: all of them).
    ///   - describeChunk: names a chunk's items in errors (e.g. "tasks 40...").
    ///   - whileWaiting: called every few milliseconds while a pass runs; when given, items are also
    ///     settled as their chunks finish, not only at the end of the pass.
    ///   - settled: called once per item that is done, failed or over the limit, with its record; read a
    ///     payload with ``ItemTable/withPayload(of:_:)`` inside the call.
    ///   - stillWanted: filters the items about to run again in a later pass; those it drops are not
    ///     run or reported again (e.g. the other pieces of a dataset that already failed).
    ///   - reportsDone: false to report only failed and over-limit items to `settled` (a job that writes
    ///     its results in place has nothing to read for the others).
    ///   - doneInBatches: when given, done items are reported here, several at once (those settled in
    ///     one look at the table), instead of one by one to `settled`.
    ///   - lost: called once per item whose worker died or was stopped while running it; may throw to end
    ///     the call.
    /// - Throws: what `lost` throws, and ``WorkerPoolError``s that concern no item (a shut-down pool, a
    ///   deadline that passed before a pass could start).
    public func runItems<Job: WorkerJob>(
        _ table: ItemTable, items: [Int]? = nil, chunkSize: (_ pending: Int) -> Int, arenaLimit: Int = Int.max,
        chunkTimeout: Duration? = nil, describeChunk: ((_ items: [Int]) -> String)? = nil,
        job: (ItemTableReference) -> Job, whileWaiting: (() -> Void)? = nil, stillWanted: ((Int) -> Bool)? = nil,
        reportsDone: Bool = true, doneInBatches: (([Int]) -> Void)? = nil, settled: (_ item: Int, _ record: ItemRecord) -> Void,
        lost: (_ item: Int, _ record: ItemRecord, _ cause: WorkerPoolError) throws -> Void
    ) throws {
        // The pool calls `whileWaiting` from this thread during `run`: the closures never outlive this call.
        try withoutActuallyEscaping(settled) { settled in
            try runPasses(
                table, items: items, chunkSize: chunkSize, arenaLimit: arenaLimit, chunkTimeout: chunkTimeout,
                describeChunk: describeChunk, job: job, whileWaiting: whileWaiting, stillWanted: stillWanted,
                reportsDone: reportsDone, doneInBatches: doneInBatches, settled: settled, lost: lost)
        }
    }

    private func runPasses<Job: WorkerJob>(
        _ table: ItemTable, items: [Int]?, chunkSize: (Int) -> Int, arenaLimit: Int, chunkTimeout: Duration?,
        describeChunk: (([Int]) -> String)?, job: (ItemTableReference) -> Job, whileWaiting: (() -> Void)?,
        stillWanted: ((Int) -> Bool)?, reportsDone: Bool, doneInBatches: (([Int]) -> Void)?, settled: @escaping (Int, ItemRecord) -> Void, lost: (Int, ItemRecord, WorkerPoolError) throws -> Void
    ) throws {
        var pending: [Int]? = items
        var pendingCount = items?.count ?? table.count
        var arenaBytes = table.arenaCapacity
        var strikes: [Int: Int] = [:]
        let jobName = String(describing: Job.self)
        while pendingCount > 0 {
            let size = max(1, chunkSize(pendingCount))
            let chunks = try table.prepareRun(items: pending, chunkSize: size, arenaBytes: arenaBytes)
            var settledChunk = [Bool](repeating: false, count: chunks)
            var cursor = 0
            var doneBatch: [Int] = []
            func settleDone(_ item: Int, _ record: ItemRecord) {
                if doneInBatches != nil { doneBatch.append(item) } else if reportsDone { settled(item, record) }
            }
            func reportDoneBatch() {
                guard let doneInBatches, !doneBatch.isEmpty else { return }
                doneInBatches(doneBatch)
                doneBatch.removeAll(keepingCapacity: true)
            }
            func settleFinishedChunks() {
                // Captured variables are checked for exclusive access on every use: collect done items
                // in a local array and hand them over once.
                var done: [Int] = []
                let batches = doneInBatches != nil
                for chunk in table.finishedChunks(from: &cursor) where chunk < chunks && !settledChunk[chunk] {
                    settledChunk[chunk] = true
                    for position in table.positions(ofChunk: chunk) {
                        let item = table.item(atPosition: position)
                        let record = table.record(item)
                        if record.state == .done {
                            if batches { done.append(item) } else if reportsDone { settled(item, record) }
                        } else if record.state == .failed {
                            if !done.isEmpty { doneInBatches?(done) }
                            done.removeAll(keepingCapacity: true)
                            settled(item, record)
                        }
                    }
                }
                if !done.isEmpty { doneInBatches?(done) }
            }
            func itemsOf(_ chunk: Int) -> [Int] { table.positions(ofChunk: chunk).map(table.item(atPosition:)) }
            var failure: WorkerPoolError?
            do {
                try run(
                    job(table.reference), chunks: chunks, chunkTimeout: chunkTimeout,
                    describeChunk: { chunk in describeChunk?(itemsOf(chunk)) ?? "chunk \(chunk)" },
                    whileWaiting: whileWaiting.map { report -> () -> Void in
                        {
                            settleFinishedChunks()
                            report()
                        }
                    })
            } catch let error as WorkerPoolError where [.workerDied, .chunkFailed].contains(error.code) {
                failure = error
            } catch let error as WorkerPoolError where error.code == .timedOut && !error.stuck.isEmpty {
                failure = error
            }
            settleFinishedChunks()
            // Sort what the pass left: settled, lost with its worker, or to run again.
            var again: [Int] = []
            var needed = 0
            var lostAny = false
            var runningIn = Set<Int>()
            var unsettled: [(chunk: Int, item: Int, record: ItemRecord)] = []
            for chunk in 0..<chunks {
                for position in table.positions(ofChunk: chunk) {
                    let item = table.item(atPosition: position)
                    let record = table.record(item)
                    switch record.state {
                    case .done:
                        if !settledChunk[chunk] { settleDone(item, record) }
                    case .failed:
                        if !settledChunk[chunk] {
                            reportDoneBatch()
                            settled(item, record)
                        }
                    case .overflow:
                        if table.neededBytes(of: item) > arenaLimit {
                            settled(item, record)
                        } else {
                            needed = max(needed, table.neededBytes(of: item))
                            again.append(item)
                        }
                    case .running:
                        reportDoneBatch()
                        runningIn.insert(chunk)
                        lostAny = true
                        try lost(item, record, Self.cause(of: record, chunk: chunk, failure: failure, job: jobName))
                    case .pending, .ran:
                        unsettled.append((chunk, item, record))
                    }
                }
            }
            reportDoneBatch()
            // A chunk whose worker died (or threw, or was stopped) while no item of it was running and
            // none was finished: its items run again once; a second time, they are lost (running them
            // again would fail the same way, forever).
            let failedChunks = Set([failure?.chunk].compactMap { $0 } + (failure?.stuck.compactMap(\.chunk) ?? []))
            var progressed = Set<Int>()
            for chunk in failedChunks where chunk < chunks {
                let states = table.positions(ofChunk: chunk).map { table.record(table.item(atPosition: $0)).state }
                if states.contains(where: { $0 != .pending && $0 != .ran }) { progressed.insert(chunk) }
            }
            for entry in unsettled {
                if let failure, failedChunks.contains(entry.chunk), !runningIn.contains(entry.chunk), !progressed.contains(entry.chunk) {
                    strikes[entry.item, default: 0] += 1
                    if strikes[entry.item, default: 0] >= 2 {
                        lostAny = true
                        try lost(entry.item, entry.record, failure)
                        continue
                    }
                    lostAny = true  // the failure concerned these items: they run again
                }
                again.append(entry.item)
            }
            // A failure that concerned no item (nothing lost, no chunk of it got anywhere) ends the call.
            if let failure, !lostAny, progressed.isEmpty { throw failure }
            if needed > 0 {
                let (doubled, o1) = table.arenaCapacity.multipliedReportingOverflow(by: 2)
                let (twice, o2) = needed.multipliedReportingOverflow(by: 2)
                arenaBytes = max(o1 ? Int.max : doubled, o2 ? Int.max : twice)
            }
            if let stillWanted { again = again.filter(stillWanted) }
            pending = again
            pendingCount = again.count
        }
    }

    /// Why a running item was lost: the pass's failure when it concerns the item's worker (or, for a
    /// thrown chunk, the item's chunk), otherwise the death of the item's own worker.
    private static func cause(of record: ItemRecord, chunk: Int, failure: WorkerPoolError?, job: String) -> WorkerPoolError {
        if let failure {
            switch failure.code {
            case .workerDied where failure.pid == record.pid: return failure
            case .chunkFailed where failure.chunk == chunk: return failure
            case .timedOut where failure.stuck.contains { $0.pid == record.pid }: return failure
            default: break
            }
        }
        return WorkerPoolError(.workerDied, pid: record.pid, chunk: chunk, job: job)
    }
}
