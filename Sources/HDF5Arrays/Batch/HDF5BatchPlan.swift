import SharedArrays

/// A batch's inputs once listed: its files in input order, the failed records of inputs that do not exist
/// and, when resuming, the records a previous summary holds for files unchanged since. ``todo`` are the
/// files still to read.
///
/// ``HDF5Batch/run(on:output:resume:progress:)`` makes a plan, reads ``todo`` in windows with
/// ``HDF5Batch/records(of:on:whileWaiting:)`` and assembles the summary with ``summary(_:bytesRead:elapsed:)``.
/// A program that spreads the windows across machines does the same steps, so its summary has the same
/// records in the same order as a run on one machine.
///
/// ```swift
/// let plan = try batch.plan(output: "summary.csv", resume: true)
/// var records: [String: [HDF5BatchRecord]] = [:]
/// for (file, found) in zip(plan.todo, try batch.records(of: plan.todo, on: pool)) { records[file.path] = found }
/// try HDF5BatchSummaryFile.write(plan.summary(records, bytesRead: 0, elapsed: .zero), to: "summary.csv")
/// ```
public struct HDF5BatchPlan: Sendable {
    /// Every file of the batch, in input order (directories expanded and sorted by path).
    public let files: [HDF5BatchFile]
    /// The files to read: ``files`` without those whose records were resumed.
    public let todo: [HDF5BatchFile]
    /// Files whose records were taken from the previous summary.
    public var resumedFiles: Int { resumed.count }
    /// The statistics and ddof of the batch the plan was made for.
    public let statistics: [Statistic]
    public let ddof: Int

    let missing: [HDF5BatchRecord]
    let resumed: [String: [HDF5BatchRecord]]

    /// The summary of the batch with `records` (by file path) for the files read so far: the records of
    /// missing inputs first, then every file's records in input order (resumed or read; a file with
    /// neither is left out, as in a checkpoint written mid-run).
    public func summary(_ records: [String: [HDF5BatchRecord]], bytesRead: Int, elapsed: Duration) -> HDF5BatchSummary {
        var all = missing
        for file in files { all += resumed[file.path] ?? records[file.path] ?? [] }
        return HDF5BatchSummary(
            records: all, statistics: statistics, ddof: ddof, fileCount: files.count + missing.count,
            resumedFiles: resumed.count, bytesRead: bytesRead, elapsed: elapsed)
    }
}

extension HDF5Batch {
    /// Lists the batch's files and, with `resume`, takes the records of unchanged files from the summary
    /// at `output` (see ``run(on:output:resume:progress:)`` for when a record is reused). Checks the
    /// arguments and that `output` can be written before anything is read.
    public func plan(output: String? = nil, resume: Bool = false) throws -> HDF5BatchPlan {
        guard !statistics.isEmpty else { throw ArrayError(.invalidArgument, operation: "HDF5Batch", input: "statistics", "no statistics asked for") }
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "HDF5Batch", input: "ddof", "ddof must be >= 0, got \(ddof)") }
        if let output {
            _ = try HDF5BatchSummaryFile.Format(path: output)
            try HDF5BatchSummaryFile.checkWritable(output)
        }
        var (files, missing) = Self.expand(inputs)
        if let output {
            // The summary may sit among the inputs: never read it as one.
            let summaryPath = Self.canonicalPath(output)
            files.removeAll { Self.canonicalPath($0.path) == summaryPath }
        }
        var resumed: [String: [HDF5BatchRecord]] = [:]
        if resume, let output, Self.identity(of: output) != nil {
            let previous = try HDF5BatchSummaryFile.read(output)
            let byFile = Dictionary(grouping: previous, by: \.file)
            for file in files {
                if let records = byFile[file.path], reusable(records, for: file) { resumed[file.path] = records }
            }
        }
        return HDF5BatchPlan(
            files: files, todo: files.filter { resumed[$0.path] == nil }, statistics: statistics, ddof: ddof,
            missing: missing, resumed: resumed)
    }

    /// The records of each of `files`, in order, read and reduced on `pool` exactly as
    /// ``run(on:output:resume:progress:)`` reads them (a file that cannot be read gives failed records).
    ///
    /// - Parameter whileWaiting: called on this thread every few milliseconds while the workers read.
    /// - Throws: only for problems with the pool itself, as ``run(on:output:resume:progress:)``.
    public func records(
        of files: [HDF5BatchFile], on pool: WorkerPool, whileWaiting: (() -> Void)? = nil
    ) throws -> [[HDF5BatchRecord]] {
        let clock = ContinuousClock()
        let tracker = ProgressTracker(filesTotal: files.count, bytesTotal: 0, clock: clock, start: clock.now, report: nil)
        tracker.poll = whileWaiting
        return try runPass(files, pool: pool, tracker: tracker)
    }
}
