#if MPI
import HDF5Arrays
import Multiprocessing
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

/// Rank 0 of a ``DistributedBatch``: hands out windows of the plan's files, reads windows on its own pool
/// meanwhile, collects every rank's records, writes checkpoints and the summary.
///
/// Other ranks' messages are answered between rank 0's own windows and while its workers read (from the
/// pool's wait loop, every few milliseconds), so a rank that asks is not kept waiting by rank 0's work.
final class BatchCoordinator {
    private let batch: HDF5Batch
    private let plan: HDF5BatchPlan
    private let pool: WorkerPool
    private let world: MPICommunicator
    private let output: String?
    /// Called after a window's records are stored, at most every `progressInterval`.
    private let progress: ((HDF5BatchProgress) -> Void)?
    private let progressInterval: Duration
    private var lastProgress: ContinuousClock.Instant
    private let format: HDF5BatchSummaryFile.Format?
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastCheckpoint: ContinuousClock.Instant

    /// The files to hand out: the plan's, less the ones already done (read by every rank together).
    private let todo: [HDF5BatchFile]
    /// The next file of `todo` to hand out.
    private var next = 0
    private var records: [String: [HDF5BatchRecord]] = [:]
    private var bytesRead = 0
    /// Per rank: the window it holds (nil: it has none) and when its next message is due.
    private var windows: [[HDF5BatchFile]?]
    private var due: [ContinuousClock.Instant]
    private var hosts: [String?]
    /// Ranks told to stop (rank 0 counts as stopped: it ends with the loop).
    private var stopped: Set<Int> = [0]
    /// The first error a rank reported: no more windows are handed out, and rank 0 throws it at the end.
    private var reported: RankFailure?
    /// An error while answering from the pool's wait loop (which cannot throw): thrown when the window ends.
    private var fatal: (any Error)?

    /// `start` is when the batch began (before planning): the summary's elapsed time counts from it.
    init(
        batch: HDF5Batch, plan: HDF5BatchPlan, done: [String: [HDF5BatchRecord]] = [:], pool: WorkerPool, world: MPICommunicator, output: String?,
        start: ContinuousClock.Instant, progressInterval: Duration = .seconds(5),
        progress: ((HDF5BatchProgress) -> Void)? = nil
    ) throws {
        self.progress = progress
        self.progressInterval = progressInterval
        lastProgress = start
        self.batch = batch
        self.plan = plan
        todo = plan.todo.filter { done[$0.path] == nil }
        records = done
        bytesRead = plan.todo.filter { done[$0.path] != nil }.reduce(0) { CheckedSize.sum($0, $1.size) ?? .max }
        self.pool = pool
        self.world = world
        self.output = output
        format = try output.map { try HDF5BatchSummaryFile.Format(path: $0) }
        self.start = start
        lastCheckpoint = start
        windows = Array(repeating: nil, count: world.size)
        due = Array(repeating: start + world.timeout, count: world.size)
        hosts = Array(repeating: nil, count: world.size)
        hosts[0] = world.hostname
    }

    /// Runs the batch to the end and returns its summary (written to `output`, if any) and the first error a
    /// rank reported (the summary then has the files done).
    func run() throws -> (HDF5BatchSummary, RankFailure?) {
        var pause: UInt32 = 20
        while true {
            try answer()
            if reported == nil, next < todo.count {
                let window = take(forWorkers: pool.workerCount)
                let found = try batch.records(of: window, on: pool) { [self] in
                    guard fatal == nil else { return }
                    do { try answer() } catch { fatal = error }
                }
                if let fatal { throw fatal }
                store(found, of: window)
                try checkpoint()
                pause = 20
                continue
            }
            if stopped.count == world.size { break }
            usleep(pause)
            pause = min(pause * 2, 1000)
        }
        let summary = plan.summary(records, bytesRead: bytesRead, elapsed: clock.now - start)
        if let output, let format { try HDF5BatchSummaryFile.write(summary, to: output, format: format) }
        return (summary, reported)
    }

    /// Takes every message that has arrived and answers it; fails when a rank's message is overdue.
    private func answer() throws {
        while let (rank, bytes) = try world.receiveIfArrived(tag: BatchMessage.reportTag) {
            let report = try BatchMessage.decode(BatchReport.self, bytes, from: rank)
            hosts[rank] = report.host
            if let window = windows[rank] {
                windows[rank] = nil
                if let error = report.error {
                    if reported == nil { reported = RankFailure(rank: rank, message: error) }
                } else {
                    guard report.records.count == window.count else {
                        throw DistributedError("\(describe(rank)) sent the records of \(report.records.count) files for a window of \(window.count)")
                    }
                    store(report.records, of: window)
                }
            }
            let files = reported == nil && next < todo.count ? take(forWorkers: max(1, report.workers)) : []
            try world.send(BatchMessage.encode(BatchAssignment(files: files)), to: rank, tag: BatchMessage.assignmentTag)
            if files.isEmpty {
                stopped.insert(rank)
            } else {
                windows[rank] = files
                due[rank] = clock.now + windowTimeout(files.count)
            }
            try checkpoint()
        }
        let now = clock.now
        for rank in 1..<world.size where !stopped.contains(rank) && now > due[rank] {
            if let window = windows[rank] {
                let first = window.prefix(3).map(\.path).joined(separator: ", ") + (window.count > 3 ? ", ..." : "")
                throw DistributedError("\(describe(rank)) has not sent the records of its \(window.count) file\(window.count == 1 ? "" : "s") (\(first)) within \(windowTimeout(window.count)): it may have died or hung")
            }
            throw DistributedError("\(describe(rank)) has not asked for work within \(world.timeout): it may have died or hung")
        }
    }

    /// The next window: about the remaining files over twice the ranks (so that ranks finish together),
    /// at least one file per worker, at most `filesPerPass` files and `bytesPerPass` bytes (one file at least).
    private func take(forWorkers workers: Int) -> [HDF5BatchFile] {
        let remaining = todo.count - next
        let share = (remaining + 2 * world.size - 1) / (2 * world.size)
        let count = min(max(share, workers), batch.filesPerPass, remaining)
        var end = next + 1
        var bytes = todo[next].size
        while end < next + count, let more = CheckedSize.sum(bytes, todo[end].size), more <= batch.bytesPerPass {
            bytes = more
            end += 1
        }
        defer { next = end }
        return Array(todo[next..<end])
    }

    private func store(_ found: [[HDF5BatchRecord]], of window: [HDF5BatchFile]) {
        for (file, fileRecords) in zip(window, found) {
            records[file.path] = fileRecords
            bytesRead = CheckedSize.sum(bytesRead, file.size) ?? .max
        }
        report()
    }

    /// Tells `progress` how far the batch has got (at most every `progressInterval`).
    private func report() {
        guard let progress else { return }
        let now = clock.now
        guard now - lastProgress >= progressInterval else { return }
        lastProgress = now
        progress(plan.progress(records, elapsed: now - start))
    }

    /// Writes the summary so far when the checkpoint interval has passed and files are still to come.
    private func checkpoint() throws {
        guard let output, let format, clock.now - lastCheckpoint >= batch.checkpointInterval,
              records.count < plan.todo.count else { return }
        try HDF5BatchSummaryFile.write(
            plan.summary(records, bytesRead: bytesRead, elapsed: clock.now - start), to: output, format: format)
        lastCheckpoint = clock.now
    }

    /// How long a rank may take over a window of `files` files: the per-file timeout for each plus a
    /// minute, or the communicator's timeout when the batch has no per-file timeout.
    private func windowTimeout(_ files: Int) -> Duration {
        guard let perFile = batch.fileTimeout else { return world.timeout }
        let (seconds, attoseconds) = perFile.components
        // In seconds as a Double, capped: the per-file timeout comes from the user and must not overflow.
        return .seconds(min(1e12, (Double(seconds) + Double(attoseconds) * 1e-18) * Double(files) + 60))
    }

    private func describe(_ rank: Int) -> String { world.describe(rank: rank, host: hosts[rank]) }
}
#endif
