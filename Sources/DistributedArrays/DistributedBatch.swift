#if MPI
import HDF5Arrays
import Multiprocessing
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

/// An ``HDF5Arrays/HDF5Batch`` across the ranks of an MPI job: rank 0 lists the files (and, when resuming,
/// takes the records of unchanged ones from the summary), then hands the files out in windows as ranks
/// become free; every rank, rank 0 included, reads its windows on its own pool exactly as a one-node batch
/// does and sends the records to rank 0, which writes one summary, the same records in the same order as
/// ``HDF5Arrays/HDF5Batch/run(on:output:resume:progress:)`` on one node.
///
/// Windows shrink as the work runs out (about the remaining files over twice the ranks, at least one per
/// local worker, at most ``HDF5Arrays/HDF5Batch/filesPerPass``), so ranks finish together. Every wait has a
/// deadline: a rank waits for rank 0's answer at most ``MPICommunicator/timeout``; rank 0 waits for a
/// window's records at most the batch's ``HDF5Arrays/HDF5Batch/fileTimeout`` per file plus a minute (or
/// ``MPICommunicator/timeout`` without one), then fails naming the rank.
///
/// ```swift
/// let pool = try WorkerPool()             // before MPI starts
/// let world = try MPICommunicator()
/// if let summary = try DistributedBatch.run(batch, on: pool, world: world, output: "summary.csv") {
///     print(summary.records.count)          // rank 0 only
/// }
/// world.finalize()
/// ```
public enum DistributedBatch {
    /// Runs `batch` across the ranks of `world`; returns the summary on rank 0 and nil on the others.
    ///
    /// - Parameters:
    ///   - output: the summary to write at rank 0 (with checkpoints, as on one node).
    ///   - resume: skip the files whose records `output` already has (see ``HDF5Arrays/HDF5Batch/plan(output:resume:)``).
    ///   - checkFirst: run on rank 0 before the files are listed (a refusal it throws ends every rank).
    ///   - splitBytes: files at least this large are read first by every rank together, each rank a run of
    ///     each large dataset's chunks (``LargeFileSharing``); nil: every file is read whole by one rank.
    ///   - progressInterval: how often at most rank 0 calls `progress`.
    ///   - progress: called on rank 0 as records come in from every rank (files and bytes done across ranks).
    /// - Throws: on rank 0 a ``RankFailure`` when the batch could not start (its message is rank 0's
    ///   refusal) or a rank reported an error (its message names the rank; the summary of the files done is
    ///   written first); the rank that failed throws a quiet ``DistributedFailure``, the others return nil. The ranks are in step after both: print, finalize, exit. Any other
    ///   error (a message that did not come in time, rank 0's own pool failing mid-run) leaves the ranks
    ///   out of step: the caller should ``MPICommunicator/abort(_:)``.
    public static func run(
        _ batch: HDF5Batch, on pool: WorkerPool, world: MPICommunicator, output: String? = nil, resume: Bool = false,
        checkFirst: (() throws -> Void)? = nil, splitBytes: Int? = nil, progressInterval: Duration = .seconds(5),
        progress: ((HDF5BatchProgress) -> Void)? = nil
    ) throws -> HDF5BatchSummary? {
        let start = ContinuousClock.now
        // Rank 0 plans; a refusal (bad output, unreadable summary) is printed once, by rank 0.
        var planned: Result<HDF5BatchPlan, any Error>?
        if world.rank == 0 {
            planned = Result {
                try checkFirst?()
                return try batch.plan(output: output, resume: resume)
            }
        }
        let failed: [UInt8] = if case .failure = planned { [1] } else { [0] }
        let verdict = try world.broadcast(failed)
        guard verdict.first == 0 else {
            if case .failure(let error) = planned { throw RankFailure(rank: 0, message: "\(error)") }
            throw DistributedFailure(reportedBy: 0)
        }
        // Files of at least `splitBytes` are read by every rank together, first (rank 0 chooses them).
        var chosen: [HDF5BatchFile] = []
        if world.rank == 0, let splitBytes, case .success(let plan) = planned { chosen = plan.todo.filter { $0.size >= splitBytes } }
        let large = try BatchMessage.decode([HDF5BatchFile].self, try world.broadcast(try BatchMessage.encode(chosen)), from: 0)
        var shared: [String: [HDF5BatchRecord]] = [:]
        var lastProgress = start
        for file in large {
            if let records = try LargeFileSharing.share(file, batch: batch, pool: pool, world: world) { shared[file.path] = records }
            if world.rank == 0, let progress, case .success(let plan) = planned, ContinuousClock.now - lastProgress >= progressInterval {
                lastProgress = ContinuousClock.now
                progress(plan.progress(shared, elapsed: ContinuousClock.now - start))
            }
        }
        // The ranks end together once rank 0 has written the summary (a deadline-bound broadcast, not
        // MPI_Finalize's wait without end). A rank exits non-zero only when it failed itself: mpirun ends
        // every rank still running when one exits non-zero, and rank 0 may still be printing.
        guard world.rank == 0 else {
            let failedHere = try serveRankZero(batch, on: pool, world: world)
            _ = try world.broadcast([])
            if failedHere { throw DistributedFailure(reportedBy: 0) }
            return nil
        }
        guard case .success(let plan) = planned else { throw DistributedError("the batch was not planned") }
        let coordinator = try BatchCoordinator(
            batch: batch, plan: plan, done: shared, pool: pool, world: world, output: output, start: start,
            progressInterval: progressInterval, progress: progress)
        let (summary, reported) = try coordinator.run()
        _ = try world.broadcast([reported == nil ? 0 : 1])
        if let reported { throw reported }
        return summary
    }

    /// A rank other than 0: asks for files, reads them, sends their records, until rank 0 says stop.
    /// Returns whether this rank failed (and told rank 0 why).
    private static func serveRankZero(_ batch: HDF5Batch, on pool: WorkerPool, world: MPICommunicator) throws -> Bool {
        var report = BatchReport(host: world.hostname, workers: pool.workerCount, records: [], error: nil)
        while true {
            try world.send(BatchMessage.encode(report), to: 0, tag: BatchMessage.reportTag)
            let answer = try world.receive(tag: BatchMessage.assignmentTag, from: 0)
            let assignment = try BatchMessage.decode(BatchAssignment.self, answer.bytes, from: 0)
            if assignment.files.isEmpty { break }
            do {
                report.records = try batch.records(of: assignment.files, on: pool)
            } catch {
                // The pool cannot run: rank 0 reports it once and stops the batch.
                report.records = []
                report.error = "\(world.describe(rank: world.rank)): \(error)"
            }
        }
        return report.error != nil
    }
}
extension HDF5BatchPlan {
    /// How far a distributed batch has got when rank 0 holds `records` (by file path): the files of ``todo``
    /// among them, their bytes, and their failed records.
    func progress(_ records: [String: [HDF5BatchRecord]], elapsed: Duration) -> HDF5BatchProgress {
        let done = todo.filter { records[$0.path] != nil }
        return HDF5BatchProgress(
            filesDone: done.count, filesTotal: todo.count, bytesDone: done.reduce(0) { CheckedSize.sum($0, $1.size) ?? .max },
            bytesTotal: todo.reduce(0) { CheckedSize.sum($0, $1.size) ?? .max },
            failures: done.reduce(0) { $0 + (records[$1.path] ?? []).filter { $0.status == .failed }.count }, elapsed: elapsed)
    }
}
#endif
