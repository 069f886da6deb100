#if canImport(Glibc)
import Glibc
#endif
import SharedArrays

/// Per-dataset statistics over many HDF5 files, computed by the workers of a ``WorkerPool``, with
/// failures collected per file and dataset instead of stopping the batch.
///
/// Files are spread across the workers: each worker opens a file itself (after the fork), selects its
/// datasets and reduces every small one while streaming it through a cache-sized buffer. A dataset larger
/// than ``smallDatasetBytes`` is split into pieces of whole chunks that all the workers read in parallel.
/// Results are bit-identical to ``SharedArray/statistics(_:ddof:)`` on the loaded dataset, for any number
/// of workers.
///
/// With an `output` path the summary (CSV, JSON or HDF5, by extension) is written through
/// ``AtomicOutputFile`` at the end and as a checkpoint every few seconds, so an interrupted batch leaves a
/// complete summary of the files done so far; `resume: true` reuses its records (see
/// ``run(on:output:resume:progress:)``).
///
/// ```swift
/// let batch = HDF5Batch(inputs: ["runs/"], datasets: ["/**/temperature"], statistics: [.mean, .std])
/// let summary = try batch.run(on: pool, output: "summary.csv")
/// for failure in summary.failures { print(failure.description) }
/// ```
public struct HDF5Batch: Sendable {
    /// How datasets are read and reduced.
    public enum Strategy: String, Sendable, CaseIterable {
        /// Small datasets one per worker, large ones split into pieces across the workers, each streamed
        /// through a buffer the worker reuses (nothing is held in memory). The default.
        case streaming
        /// Every dataset loaded into a ``SharedArray`` (the workers reading hyperslabs in parallel), then
        /// reduced with ``SharedArray/statistics(_:ddof:)``, one dataset after another.
        case sharedArrays
    }

    /// Files and directories (expanded recursively to the HDF5 files inside).
    public var inputs: [String]
    /// Which datasets of each file: paths or globs.
    public var selectors: [HDF5DatasetSelector]
    /// The statistics to compute, in output order.
    public var statistics: [Statistic]
    /// Delta degrees of freedom for `var` and `std`.
    public var ddof: Int
    public var strategy: Strategy = .streaming
    /// Datasets up to this size (in the type computed in) are done by one worker; larger ones are split.
    public var smallDatasetBytes = 16 << 20
    /// The size of a piece of a split dataset.
    public var pieceBytes = 16 << 20
    /// Bytes a worker reads per HDF5 call while streaming.
    public var slabBytes = MomentStreaming.defaultSlabBytes
    /// Files per pass over the pool (bounds the results segment and sets the checkpoint granularity).
    public var filesPerPass = 128
    /// File bytes per pass: a pass ends at ``filesPerPass`` files or this many bytes, whichever comes first.
    public var bytesPerPass = 2 << 30
    /// Least time between two checkpoints of the output.
    public var checkpointInterval: Duration = .seconds(2)
    /// The admission rule: a dataset whose declared size in the type computed in exceeds this is a failed
    /// record (naming its declared shape and size) and the batch goes on. Applies to streamed datasets
    /// too, on their declared extent. Default: ``SizeLimit/default``.
    public var sizeLimit: SizeLimit = .default
    /// The most one file may take (nil: no limit). A worker still reading a file after this long
    /// (stopped, looping, blocked) is killed and replaced, and the file is a failed record saying so;
    /// the batch goes on. For a dataset split into pieces it bounds each piece.
    public var fileTimeout: Duration?
    /// Apply each dataset's CF attributes (``CFDecoding``) before reducing it; statistics of a dataset with a
    /// mask then skip the masked values. `false` reduces the stored values.
    public var decode = true

    public init(inputs: [String], datasets: [String] = ["/**"], statistics: [Statistic] = Statistic.summary,
                ddof: Int = 0) {
        self.inputs = inputs
        selectors = (datasets.isEmpty ? ["/**"] : datasets).map(HDF5DatasetSelector.init)
        self.statistics = statistics
        self.ddof = ddof
    }

    /// Runs the batch.
    ///
    /// - Parameters:
    ///   - output: where to write the summary: `.csv`, `.json`, or `.h5`/`.hdf5`. Written through
    ///     ``AtomicOutputFile`` when the batch ends and every ``checkpointInterval`` meanwhile. Its directory
    ///     is checked for writability before any file is read.
    ///   - resume: reuse the records of an existing `output`: a file is skipped when every record of it
    ///     there is ok (or skipped), was made with the same patterns and ddof, has every statistic asked
    ///     for, and the file's size and modification time are unchanged. Other files are read again.
    ///   - progress: called on this thread every ~100 ms while the batch runs.
    /// - Throws: only for problems with the batch itself (a bad argument, an output that cannot be written,
    ///   a pool that cannot run); problems with inputs are failed records in the summary.
    public func run(
        on pool: WorkerPool, output: String? = nil, resume: Bool = false,
        progress: ((HDF5BatchProgress) -> Void)? = nil
    ) throws -> HDF5BatchSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let plan = try plan(output: output, resume: resume)
        let format = try output.map { try HDF5BatchSummaryFile.Format(path: $0) }
        let todo = plan.todo
        var done: [String: [HDF5BatchRecord]] = [:]
        let tracker = ProgressTracker(
            filesTotal: todo.count, bytesTotal: todo.reduce(0) { CheckedSize.sum($0, $1.size) ?? .max }, clock: clock,
            start: start,
            report: progress)

        func assemble() -> HDF5BatchSummary {
            plan.summary(done, bytesRead: tracker.bytesDone, elapsed: clock.now - start)
        }

        var lastCheckpoint = clock.now
        var next = 0
        while next < todo.count {
            var end = next + 1
            var bytes = todo[next].size
            while end < todo.count, end - next < filesPerPass,
                  let more = CheckedSize.sum(bytes, todo[end].size), more <= bytesPerPass {
                bytes = more
                end += 1
            }
            let window = Array(todo[next..<end])
            next = end
            let results = try runPass(window, pool: pool, tracker: tracker)
            for (index, file) in window.enumerated() { done[file.path] = results[index] }
            tracker.failed(results.joined().filter { $0.status == .failed }.count)
            if let output, let format, clock.now - lastCheckpoint >= checkpointInterval, next < todo.count {
                try HDF5BatchSummaryFile.write(assemble(), to: output, format: format)
                lastCheckpoint = clock.now
            }
        }
        tracker.emit(force: true)
        let summary = assemble()
        if let output, let format { try HDF5BatchSummaryFile.write(summary, to: output, format: format) }
        return summary
    }

    /// Whether a previous summary's records of `file` can stand for reading it again.
    func reusable(_ records: [HDF5BatchRecord], for file: BatchFile) -> Bool {
        let patterns = Set(selectors.map(\.pattern))
        guard !records.isEmpty, Set(records.map(\.pattern)) == patterns else { return false }
        return records.allSatisfy { record in
            guard record.fileSize == file.size, record.fileModified == file.modified else { return false }
            switch record.status {
            case .failed: return false
            case .skipped: return true
            case .ok:
                guard let values = record.statistics, record.ddof == ddof else { return false }
                let present = Set(values.values.map(\.0))
                return statistics.allSatisfy(present.contains)
            }
        }
    }

    // MARK: - One pass over a window of files

    /// The records of each file of `window`, in order.
    func runPass(_ window: [BatchFile], pool: WorkerPool, tracker: ProgressTracker) throws -> [[HDF5BatchRecord]] {
        var found = try scan(window, pool: pool, tracker: tracker)
        var deferred: [(file: Int, record: SlotRecord)] = []
        for (index, records) in found.enumerated() {
            for record in records where record.kind == .deferred { deferred.append((index, record)) }
        }
        var results: [[HDF5BatchRecord]] = found.enumerated().map { index, records in
            records.compactMap { convert($0, file: window[index]) }
        }
        found = []
        if !deferred.isEmpty {
            let outcomes: [(file: Int, record: HDF5BatchRecord)] =
                switch strategy {
                case .streaming: try reducePieces(deferred, window: window, pool: pool, tracker: tracker)
                case .sharedArrays: reduceShared(deferred, window: window, pool: pool, tracker: tracker)
                }
            for (file, record) in outcomes { results[file].append(record) }
        }
        // Datasets in path order within each file, whichever pass computed them.
        return results.map { records in records.sorted { ($0.dataset ?? "") < ($1.dataset ?? "") } }
    }

    func statistics(from moments: Moments, dtype: DType, skippingMasked: Bool = false) -> Statistics {
        Statistics(
            values: statistics.map {
                ($0, $0.skippingMasked(skippingMasked).value(from: moments, ddof: ddof, isInteger: !dtype.isFloatingPoint))
            },
            count: moments.count + moments.nanCount)
    }

    /// The public record for a worker's record (nil for a deferred one, which the second pass completes).
    func convert(_ record: SlotRecord, file: BatchFile, kind: SlotRecord.Kind? = nil) -> HDF5BatchRecord? {
        let kind = kind ?? record.kind
        let status: HDF5BatchRecord.Status
        switch kind {
        case .ok: status = .ok
        case .skipped: status = .skipped
        case .failed, .fileFailed: status = .failed
        case .deferred: return nil
        }
        let info = record.info
        return HDF5BatchRecord(
            file: file.path, dataset: record.kind == .fileFailed ? nil : record.dataset, pattern: record.pattern,
            status: status, message: record.message.isEmpty ? nil : record.message, dtype: record.dtype,
            storedType: info?.typeDescription, shape: info?.shape, layout: info?.layout.rawValue,
            filters: info?.filters ?? [],
            bytes: info.flatMap { CheckedSize.byteCount(shape: $0.shape, elementSize: record.dtype?.byteSize ?? 0) } ?? 0,
            statistics: kind == .ok
                ? statistics(from: record.moments, dtype: record.dtype ?? .float64, skippingMasked: record.masked) : nil,
            ddof: ddof, fileSize: file.size, fileModified: file.modified)
    }
}
