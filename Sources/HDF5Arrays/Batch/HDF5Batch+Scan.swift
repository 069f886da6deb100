#if canImport(Glibc)
import Glibc
#endif
import SharedArrays

extension HDF5Batch {
    /// Runs ``BatchScanJob`` over `window` until every file has its records (the ``ItemTable`` runs the
    /// files a crashed worker did not reach again, and with more room the files whose records did not fit).
    func scan(_ window: [BatchFile], pool: WorkerPool, tracker: ProgressTracker) throws -> [[SlotRecord]] {
        var results = [[SlotRecord]?](repeating: nil, count: window.count)
        let patterns = try SharedMemory(byteCount: max(1, selectors.count) * MemoryLayout<JobString>.stride)
        for (i, selector) in selectors.enumerated() {
            guard let text = JobString(selector.pattern) else {
                throw ArrayError(.invalidArgument, operation: "HDF5Batch", input: "pattern", "dataset pattern is too long: \(selector.pattern)")
            }
            (patterns.base.assumingMemoryBound(to: JobString.self) + i).initialize(to: text)
        }
        let needs = MomentNeeds(for: statistics)
        let paths = try SharedMemory(byteCount: max(1, window.count) * MemoryLayout<JobString>.stride)
        for (i, file) in window.enumerated() {
            guard let text = JobString(file.path) else {
                results[i] = [SlotRecord(kind: .fileFailed, dataset: "", pattern: "", message: "path is too long")]
                (paths.base.assumingMemoryBound(to: JobString.self) + i).initialize(to: JobString("")!)
                continue
            }
            (paths.base.assumingMemoryBound(to: JobString.self) + i).initialize(to: text)
        }
        let table = try ItemTable(count: window.count, arenaBytes: min(window.count, 1 << 13) * (32 << 10))
        func finish(_ file: Int, _ records: [SlotRecord]) {
            results[file] = records
            if !(records.contains { $0.kind == .deferred }) { tracker.commit(files: 1, bytes: window[file].size) }
        }
        try pool.runItems(
            table, items: window.indices.filter { results[$0] == nil }, chunkSize: { _ in 1 }, arenaLimit: 256 << 20,
            chunkTimeout: fileTimeout, describeChunk: { files in files.first.map { window[$0].path } ?? "no file" },
            job: { items in
                BatchScanJob(
                    items: items, files: paths.reference, patterns: patterns.reference, patternCount: selectors.count,
                    needs: needs.rawValue, smallLimit: strategy == .sharedArrays ? -1 : smallDatasetBytes,
                    slabBytes: slabBytes, maxBytes: sizeLimit.bytes, decode: decode)
            },
            whileWaiting: { tracker.live(files: 0, bytes: 0) },
            settled: { file, record in
                switch record.state {
                case .done: finish(file, table.withPayload(of: file) { SlotRecord.decodeAll($0) })
                case .overflow:
                    finish(file, [SlotRecord(kind: .fileFailed, dataset: "", pattern: "", message: "too many datasets selected in one file")])
                default:
                    finish(file, [SlotRecord(kind: .fileFailed, dataset: "", pattern: "", message: table.message(of: file))])
                }
            },
            lost: { file, record, cause in
                finish(file, [SlotRecord(kind: .fileFailed, dataset: "", pattern: "", message: Self.lostMessage(cause, pid: record.pid, reading: "the file"))])
            })
        tracker.live(files: 0, bytes: 0)
        return results.map { $0 ?? [] }
    }

    /// Why an item was lost, without the file and dataset (the record carries those): "the worker reading
    /// the file died with signal 9 (SIGKILL)", "timed out after 1 s (the worker reading the file, pid 123,
    /// was stopped)", or the message a chunk threw.
    static func lostMessage(_ cause: WorkerPoolError, pid: Int32, reading what: String) -> String {
        switch cause.code {
        case .workerDied:
            return "the worker reading \(what) died with \(cause.status.map { "\($0)" } ?? "an unknown status")"
        case .chunkFailed:
            return cause.message ?? "\(cause)"
        case .timedOut:
            let worker = cause.stuck.first { $0.pid == pid }
            return "timed out after \(describeSeconds(cause.timeout ?? .zero)) (the worker reading \(what), pid \(pid), was \(worker?.state ?? .unknown))"
        default:
            return "\(cause)"
        }
    }

    private static func describeSeconds(_ timeout: Duration) -> String {
        let (seconds, attoseconds) = timeout.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value == value.rounded() ? "\(Int64(value)) s" : "\(value) s"
    }
}
