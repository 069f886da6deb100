#if canImport(Glibc)
import Glibc
#endif
import SharedArrays

extension HDF5Batch {
    /// Runs ``BatchScanJob`` over `window` until every file has its records (re-running the files a
    /// crashed worker did not reach, and with more room the files whose records did not fit).
    func scan(_ window: [BatchFile], pool: WorkerPool, tracker: ProgressTracker) throws -> [[SlotRecord]] {
        var results = [[SlotRecord]?](repeating: nil, count: window.count)
        let patterns = try SharedMemory(byteCount: max(1, selectors.count) * MemoryLayout<JobString>.stride)
        for (i, selector) in selectors.enumerated() {
            guard let text = JobString(selector.pattern) else {
                throw ArrayError("HDF5Batch: dataset pattern is too long: \(selector.pattern)")
            }
            (patterns.base.assumingMemoryBound(to: JobString.self) + i).initialize(to: text)
        }
        var pending = Array(window.indices)
        var slotBytes = 32 << 10
        let needs = statistics.reduce(into: MomentNeeds()) { $0.formUnion($1.needs) }
        while !pending.isEmpty {
            let paths = try SharedMemory(byteCount: pending.count * MemoryLayout<JobString>.stride)
            let slots = try SharedMemory(byteCount: pending.count * slotBytes)
            for (i, index) in pending.enumerated() {
                guard let text = JobString(window[index].path) else {
                    results[index] = [SlotRecord(kind: .fileFailed, dataset: "", pattern: "", message: "path is too long")]
                    (paths.base.assumingMemoryBound(to: JobString.self) + i).initialize(to: JobString("")!)
                    continue
                }
                (paths.base.assumingMemoryBound(to: JobString.self) + i).initialize(to: text)
            }
            let job = BatchScanJob(
                files: paths.reference, patterns: patterns.reference, patternCount: selectors.count,
                slots: slots.reference, slotBytes: slotBytes, needs: needs.rawValue,
                smallLimit: strategy == .sharedArrays ? -1 : smallDatasetBytes, slabBytes: slabBytes,
                maxBytes: sizeLimit.bytes, decode: decode)
            let slot = { (i: Int) in ResultSlot(base: slots.base + i * slotBytes, capacity: slotBytes) }
            var crashed: [Int: String] = [:]
            do {
                try pool.run(job, chunks: pending.count, chunkTimeout: fileTimeout, describeChunk: { window[pending[$0]].path }) {
                    var files = 0, bytes = 0
                    for i in pending.indices where results[pending[i]] == nil {
                        let s = slot(i)
                        if s.state != .pending && !s.hasDeferred {
                            files += 1
                            bytes += window[pending[i]].size
                        }
                    }
                    tracker.live(files: files, bytes: bytes)
                }
            } catch let error as WorkerPoolError {
                switch error {
                case .workerDied(_, let status, let chunk, _, _):
                    crashed[chunk] = "the worker reading the file died with \(status)"
                case .chunkFailed(_, let chunk, _, _, let message):
                    crashed[chunk] = message
                case .timedOut(let timeout, _, let stuck):
                    crashed.merge(Self.timeoutMessages(timeout, stuck, reading: "the file")) { a, _ in a }
                default:
                    throw error
                }
            }
            var next: [Int] = []
            var bigger: [Int] = []
            for (i, index) in pending.enumerated() where results[index] == nil {
                let s = slot(i)
                switch s.state {
                case .done: results[index] = s.records()
                case .overflow: bigger.append(index)
                case .pending:
                    if let message = crashed[i] {
                        results[index] = [SlotRecord(kind: .fileFailed, dataset: "", pattern: "", message: message)]
                    } else {
                        next.append(index)
                    }
                }
            }
            for index in pending where results[index] != nil {
                if !(results[index]!.contains { $0.kind == .deferred }) {
                    tracker.commit(files: 1, bytes: window[index].size)
                }
            }
            tracker.live(files: 0, bytes: 0)
            if next.isEmpty && !bigger.isEmpty {
                // Files with more records than a slot holds: again, alone, with more room.
                guard slotBytes < 256 << 20 else {
                    for index in bigger {
                        results[index] = [SlotRecord(kind: .fileFailed, dataset: "", pattern: "",
                                                     message: "too many datasets selected in one file")]
                    }
                    break
                }
                slotBytes *= 16
                next = bigger
            } else {
                next += bigger
            }
            pending = next
        }
        return results.map { $0 ?? [] }
    }

    /// "timed out after 1 s (worker pid 123 was stopped)" for each chunk a stuck worker held.
    static func timeoutMessages(_ timeout: Duration, _ stuck: [StuckWorker], reading what: String) -> [Int: String] {
        var messages: [Int: String] = [:]
        for worker in stuck {
            guard let chunk = worker.chunk else { continue }
            messages[chunk] = "timed out after \(describeSeconds(timeout)) (the worker reading \(what), pid \(worker.pid), was \(worker.state))"
        }
        return messages
    }

    private static func describeSeconds(_ timeout: Duration) -> String {
        let (seconds, attoseconds) = timeout.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value == value.rounded() ? "\(Int64(value)) s" : "\(value) s"
    }
}
