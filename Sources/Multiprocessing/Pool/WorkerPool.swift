#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing
import Synchronization

/// Persistent forked worker processes that run ``WorkerJob``s chunk by chunk.
///
/// Workers are forked once and stay alive across calls with their mappings, because a freshly forked
/// process pays a page fault for every 4 KiB page it touches (DESIGN.md). Each worker owns the same
/// contiguous range of chunk indices on every call (chunk affinity, so it touches the same pages) and
/// steals from the others' ranges once its own is done (a balanced tail). A call is posted through a
/// shared futex word: workers spin briefly, then sleep in the kernel, so waking them costs
/// microseconds, not a pipe round trip per chunk.
///
/// A worker that dies mid-call (a signal, `abort()`, the OOM killer) fails that call with an error
/// naming its pid, the signal and the chunk it held; the pool forks a replacement and stays usable.
/// A call can have a deadline (``timeout``, a call's `timeout:`, or ``withTimeout(_:_:)``): when it
/// passes, the workers that have not finished (stopped, looping, blocked) are killed and replaced, and
/// the call throws ``WorkerPoolError/Code/timedOut`` naming each one's pid, state and chunk.
/// Workers die with the parent (`PR_SET_PDEATHSIG`) and ignore SIGINT, which the parent handles.
///
/// ```swift
/// let pool = try WorkerPool(workers: 4)
/// try pool.run(myJob, chunks: 256)
/// ```
public final class WorkerPool: @unchecked Sendable {
    /// The most workers one pool can have.
    public static let maximumWorkers = 256

    /// Number of worker processes.
    public let workerCount: Int

    private let control: ControlBlock
    private let controlSegment: SharedMemory
    private let lock = Mutex<Void>(())
    /// Parent-side state, only touched with `lock` held.
    private var records: [WorkerRecord]
    private var releaseCursor: Int
    private var isShutDown = false
    /// Job type names already resolved in this process (see `run`).
    private var warmedJobTypes: Set<String> = []

    private struct WorkerRecord {
        var pid: pid_t
    }

    /// The number of CPUs this process may run on: its affinity mask (`taskset`, a container's cpuset),
    /// like Python's `len(os.sched_getaffinity(0))`, not the machine's count (`os.cpu_count()`).
    public static var availableCores: Int {
        let usable = Int(mp_usable_cpu_count())
        return max(1, usable > 0 ? usable : Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Chunks a worker runs before it is replaced by a fresh one (nil: never; Python's `maxtasksperchild`,
    /// which also counts chunks). Checked between calls, so a worker finishes the call it is in first.
    /// Bounds what a leaky task can accumulate.
    public let maxTasksPerChild: Int?
    /// Runs once in every worker process right after it is forked (Python's `initializer`).
    private let initializer: (@Sendable () -> Void)?
    /// How worker processes are started.
    public let startMethod: StartMethod
    /// Shared memory kept from one map to the next (see ``MapScratch``).
    let mapScratch = PthreadProtected(MapScratch())
    /// The executor behind ``applyAsync(_:_:)``, made on first use.
    private let asyncExecutor = PthreadProtected<Executor?>(nil)
    private let defaultTimeout: PthreadProtected<Duration?>

    /// How long any one call on this pool (a reduction, map, load, task map) may take before it is
    /// stopped with ``WorkerPoolError/Code/timedOut``; nil (the default) waits forever.
    /// A call's own `timeout:` and an enclosing ``withTimeout(_:_:)`` apply too: the earliest deadline wins.
    public var timeout: Duration? {
        get { defaultTimeout.withLock { $0 } }
        set { defaultTimeout.withLock { $0 = newValue } }
    }

    /// The pool's own executor (for `applyAsync`), created on first use.
    var executor: Executor {
        asyncExecutor.withLock { existing in
            if let existing { return existing }
            let made = Executor(pool: self)
            existing = made
            return made
        }
    }

    /// Starts `workers` worker processes (default: one per core).
    ///
    /// - Parameters:
    ///   - initializer: runs once in each worker after its fork (open a file, seed a generator...).
    ///   - maxTasksPerChild: replace a worker after it has run this many chunks.
    ///   - startMethod: `.fork` (default) or `.spawn` (see ``StartMethod``).
    ///   - timeout: the default deadline of every call (see ``timeout``); nil waits forever.
    public init(
        workers: Int? = nil, initializer: (@Sendable () -> Void)? = nil, maxTasksPerChild: Int? = nil,
        startMethod: StartMethod = .fork, timeout: Duration? = nil
    ) throws {
        try Self.validateTimeout(timeout)
        defaultTimeout = PthreadProtected(timeout)
        let count = workers ?? Self.availableCores
        if startMethod == .spawn, initializer != nil { throw WorkerPoolError.spawnFailed(StartMethod.initializerMessage) }
        self.startMethod = startMethod
        guard count >= 1, count <= Self.maximumWorkers else { throw WorkerPoolError.invalidWorkerCount(count) }
        if let maxTasksPerChild, maxTasksPerChild < 1 { throw WorkerPoolError.invalidChunkSize(maxTasksPerChild) }
        self.initializer = initializer
        self.maxTasksPerChild = maxTasksPerChild
        workerCount = count
        controlSegment = try SharedMemory(byteCount: ControlBlock.byteCount(workers: count))
        control = ControlBlock(base: controlSegment.base)
        releaseCursor = SegmentReleaseLog.nextSequence
        records = []
        mp_cleanup_install_handlers()
        for index in 0..<count {
            control.slot(index).currentChunk.store(-1, ordering: .relaxed)
            control.slot(index).errorChunk.store(-1, ordering: .relaxed)
            records.append(WorkerRecord(pid: 0))
        }
        do {
            for index in 0..<count { try spawnWorker(index) }
        } catch {
            stopWorkers()
            throw error
        }
    }

    deinit {
        stopWorkers()
    }

    /// The worker processes' pids, by worker index; empty once the pool is shut down.
    public var workerPIDs: [Int32] { lock.withLock { _ in records.compactMap { $0.pid > 0 ? $0.pid : nil } } }

    /// Stops the workers (SIGTERM, then SIGKILL after a grace period). Later calls fail with ``WorkerPoolError/shutDown``.
    public func shutdown() {
        let executor = asyncExecutor.withLock { $0 }
        executor?.shutdown(wait: true, cancelPending: true)
        lock.withLock { _ in stopWorkers() }
    }

    /// Runs chunks `0..<chunks` of `job` across the workers and returns when all are done.
    ///
    /// - Parameters:
    ///   - timeout: the most this call may take (nil: the pool's ``timeout``); an enclosing
    ///     ``withTimeout(_:_:)`` also applies, and the earliest deadline wins.
    ///   - chunkTimeout: the most one chunk may take (nil: no limit), for jobs whose chunks are
    ///     independent units such as files; a worker that holds one chunk longer is killed and replaced.
    ///   - describeChunk: names a chunk in errors (e.g. "chunk 3 (elements 3145728..<4194304)").
    ///   - whileWaiting: called in this thread every few milliseconds until the job is done (progress).
    /// - Throws: ``WorkerPoolError`` when a worker died, a chunk threw or a deadline passed; the pool
    ///   stays usable.
    public func run<Job: WorkerJob>(
        _ job: Job, chunks: Int, timeout: Duration? = nil, chunkTimeout: Duration? = nil,
        describeChunk: ((Int) -> String)? = nil, whileWaiting: (() -> Void)? = nil
    ) throws {
        try Self.validateTimeout(timeout)
        try Self.validateTimeout(chunkTimeout)
        let start = ContinuousClock.now
        let poolTimeout = self.timeout
        try Self.validateTimeout(poolTimeout)
        let deadline = CallDeadline.earliest(CallDeadline.scoped, (timeout ?? poolTimeout).map { CallDeadline($0, from: start) })
        let typeName = jobTypeName(Job.self)
        let jobName = String(describing: Job.self)
        let size = MemoryLayout<Job>.size
        guard size <= ControlBlock.payloadCapacity else {
            throw WorkerPoolError.jobTooLarge(job: jobName, bytes: size, limit: ControlBlock.payloadCapacity)
        }
        guard typeName.utf8.count <= ControlBlock.nameCapacity else {
            throw WorkerPoolError.jobTooLarge(job: jobName, bytes: typeName.utf8.count, limit: ControlBlock.nameCapacity)
        }
        guard chunks > 0 else { return }
        try lock.withLock { _ in
            guard !isShutDown else { throw WorkerPoolError.shutDown }
            // Resolve the type here first (once per type), so the runtime's lookup caches that forked
            // workers inherit are already warm: a worker's own lookup then rarely needs a runtime lock a
            // parent thread could have held at fork time.
            if warmedJobTypes.insert(typeName).inserted { _ = _typeByName(typeName) as? any WorkerJob.Type }
            try replaceDeadWorkers()
            if let limit = maxTasksPerChild {
                for index in 0..<workerCount where control.slot(index).chunksRun.load(ordering: .relaxed) >= limit {
                    try restartWorker(index)
                }
            }
            if let deadline, deadline.remainingNanoseconds == 0 {
                // An enclosing scope's deadline is already spent: do not start what cannot finish in time.
                throw WorkerPoolError.timedOut(timeout: deadline.timeout, job: jobName, stuck: [])
            }
            try post(job, typeName: typeName, chunks: chunks)
            try awaitCompletion(
                jobName: jobName, describeChunk: describeChunk ?? { "chunk \($0)" }, whileWaiting: whileWaiting,
                deadline: deadline, chunkTimeout: chunkTimeout)
        }
    }

    /// Runs chunks `0..<chunks` of `job` one after another in the calling thread, without waking the
    /// workers: for work so small that a wake-up costs more than the work itself. The chunks and the code
    /// that runs them are the same as in ``run(_:chunks:timeout:chunkTimeout:describeChunk:whileWaiting:)``,
    /// so are the results; the job sees worker index 0 (``Job/prepareWorker()`` is not called: the caller's
    /// process keeps its own settings). A chunk that throws fails the call as
    /// ``WorkerPoolError/chunkFailed(pid:chunk:chunkDescription:job:message:)`` with this process's pid.
    ///
    /// ```swift
    /// try pool.runInCaller(smallJob, chunks: 2)
    /// ```
    public func runInCaller<Job: WorkerJob>(
        _ job: Job, chunks: Int, timeout: Duration? = nil, describeChunk: ((Int) -> String)? = nil
    ) throws {
        try Self.validateTimeout(timeout)
        guard chunks > 0 else { return }
        try checkCallerMayRun(job: String(describing: Job.self))
        let context = WorkerContext(workerIndex: 0, inheritedWatermark: 0, releaseStart: Int.max)
        defer { context.detachAll() }
        for chunk in 0..<chunks {
            do {
                try Job.run(job, chunk: chunk, context: context)
            } catch {
                throw WorkerPoolError.chunkFailed(
                    pid: getpid(), chunk: chunk, chunkDescription: (describeChunk ?? { "chunk \($0)" })(chunk),
                    job: String(describing: Job.self), message: String(describing: error))
            }
        }
    }

    /// Throws what a pool call would throw before it starts: ``WorkerPoolError/shutDown`` once the pool is
    /// shut down, ``WorkerPoolError/timedOut(timeout:job:stuck:)`` when an enclosing ``withTimeout(_:_:)``
    /// deadline has already passed. For work the caller
    /// does itself instead of waking the workers, so that it fails the same way.
    /// `job` names the work in the error; it is built only then (a type's name costs more than a small reduction).
    public func checkCallerMayRun(job: @autoclosure () -> String) throws {
        try lock.withLock { _ in
            guard !isShutDown else { throw WorkerPoolError.shutDown }
        }
        // A deadline that starts now (this call's or the pool's) cannot have passed yet: only an enclosing
        // scope's can.
        if let scoped = CallDeadline.scoped, scoped.remainingNanoseconds == 0 {
            throw WorkerPoolError.timedOut(timeout: scoped.timeout, job: job(), stuck: [])
        }
    }

    // MARK: - Posting and waiting

    private func post<Job: WorkerJob>(_ job: Job, typeName: String, chunks: Int) throws {
        withUnsafeBytes(of: job) { control.payload.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        control.jobTypeName = typeName
        control.chunkCount = chunks
        control.workerCount = workerCount
        control.abort.store(0, ordering: .relaxed)
        // Segments freed since the last job: workers unmap them before running this one.
        var pending = SegmentReleaseLog.entries(from: releaseCursor, limit: ControlBlock.releaseCapacity)
        if pending.lostSome {
            // So many segments were freed that the log dropped some: fork fresh workers instead.
            for index in 0..<workerCount { try restartWorker(index) }
            pending = SegmentReleaseLog.entries(from: releaseCursor, limit: ControlBlock.releaseCapacity)
        }
        for (i, entry) in pending.entries.enumerated() { control.setReleasedSegment(i, entry) }
        control.releaseCount = pending.entries.count
        releaseCursor = pending.next
        // Chunk affinity: worker w owns chunks [chunks*w/W, chunks*(w+1)/W) on every call.
        for index in 0..<workerCount {
            let slot = control.slot(index)
            slot.cursor.store(chunks * index / workerCount, ordering: .relaxed)
            slot.rangeEnd.store(chunks * (index + 1) / workerCount, ordering: .relaxed)
            slot.errorChunk.store(-1, ordering: .relaxed)
        }
        control.jobSequence.wrappingIncrement(ordering: .releasing)
        _ = mp_futex_wake(control.jobSequenceWord, Int32.max)
    }

    /// Waits until every live worker has finished the posted job. Spins briefly, then sleeps on the
    /// completion futex; the clock is read only before sleeping, so a deadline costs nothing per chunk.
    private func awaitCompletion(
        jobName: String, describeChunk: (Int) -> String, whileWaiting: (() -> Void)?,
        deadline: CallDeadline?, chunkTimeout: Duration?
    ) throws {
        let sequence = Int(control.jobSequence.load(ordering: .relaxed))
        var deaths: [(index: Int, pid: pid_t, status: ExitStatus, chunk: Int)] = []
        var stuck: [StuckWorker] = []
        var progress = chunkTimeout.map { ChunkWatch(workers: workerCount, limit: $0) }
        var spin = SpinWait()
        while true {
            let observed = control.completions.load(ordering: .acquiring)
            var pending = 0
            for index in 0..<workerCount where records[index].pid > 0 {
                if control.slot(index).finishedSequence.load(ordering: .acquiring) != sequence { pending += 1 }
            }
            if pending == 0 { break }
            if spin.again() { continue }
            whileWaiting?()
            var sleep: Int64 = whileWaiting == nil ? 10_000_000 : 2_000_000
            if let deadline {
                let left = deadline.remainingNanoseconds
                if left == 0 {
                    // Too late: every worker that has not finished is stuck as far as this call goes.
                    control.abort.store(1, ordering: .releasing)
                    stuck += killUnfinished(sequence: sequence, describeChunk: describeChunk) { _ in true }
                    try throwAfterReplacing(stuck: stuck, timeout: deadline.timeout, jobName: jobName)
                }
                sleep = min(sleep, left)
            }
            _ = mp_futex_wait(control.completionsWord, observed, sleep)
            if progress != nil {
                let overdue = progress!.overdue(control: control, records: records.map(\.pid), sequence: sequence)
                if !overdue.isEmpty {
                    // One chunk ran too long: stop the others claiming chunks, kill its worker.
                    control.abort.store(1, ordering: .releasing)
                    stuck += killUnfinished(sequence: sequence, describeChunk: describeChunk) { overdue.contains($0) }
                }
            }
            // A worker that died cannot report: look for it.
            for index in 0..<workerCount where records[index].pid > 0 {
                let pid = records[index].pid
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    mp_cleanup_remove_worker(pid)
                    records[index].pid = 0
                    let chunk = control.slot(index).currentChunk.load(ordering: .acquiring)
                    deaths.append((index, pid, ExitStatus(waitStatus: status), chunk))
                    if chunk >= 0 { control.abort.store(1, ordering: .releasing) }
                }
            }
        }
        if !stuck.isEmpty, let chunkTimeout {
            try throwAfterReplacing(stuck: stuck, timeout: chunkTimeout, jobName: jobName)
        }
        for death in deaths { try spawnWorker(death.index) }
        if let death = deaths.first(where: { $0.chunk >= 0 }) {
            throw WorkerPoolError.workerDied(
                pid: death.pid, status: death.status, chunk: death.chunk,
                chunkDescription: describeChunk(death.chunk), job: jobName)
        }
        for index in 0..<workerCount {
            let slot = control.slot(index)
            let chunk = slot.errorChunk.load(ordering: .acquiring)
            if chunk >= 0 {
                throw WorkerPoolError.chunkFailed(
                    pid: records[index].pid, chunk: chunk, chunkDescription: describeChunk(chunk), job: jobName,
                    message: slot.errorMessage)
            }
        }
    }

    /// Kills (SIGKILL, then reaps) each live worker `selected` by index that has not finished job
    /// `sequence`, after reading its state; a killed worker never writes again, so nothing it was doing
    /// can reach a later call.
    private func killUnfinished(
        sequence: Int, describeChunk: (Int) -> String, selected: (Int) -> Bool
    ) -> [StuckWorker] {
        var stuck: [StuckWorker] = []
        var killed: [pid_t] = []
        for index in 0..<workerCount where selected(index) {
            let pid = records[index].pid
            let slot = control.slot(index)
            guard pid > 0, slot.finishedSequence.load(ordering: .acquiring) != sequence else { continue }
            let state = ProcessState(pid: pid)
            kill(pid, SIGKILL)
            let chunk = slot.currentChunk.load(ordering: .acquiring)
            stuck.append(StuckWorker(pid: pid, state: state, chunk: chunk >= 0 ? chunk : nil,
                                     held: chunk >= 0 ? describeChunk(chunk) : "no chunk"))
            killed.append(pid)
            records[index].pid = 0
        }
        for pid in killed {
            var status: Int32 = 0
            _ = retryingOnInterrupt { waitpid(pid, &status, 0) }
            mp_cleanup_remove_worker(pid)
        }
        return stuck
    }

    /// Replaces the killed and dead workers (`records[i].pid == 0` marks exactly those of this call),
    /// then throws the timeout; a replacement that cannot be started is the error instead.
    private func throwAfterReplacing(stuck: [StuckWorker], timeout: Duration, jobName: String) throws -> Never {
        for index in 0..<workerCount where records[index].pid == 0 { try spawnWorker(index) }
        throw WorkerPoolError.timedOut(timeout: timeout, job: jobName, stuck: stuck)
    }

    // MARK: - Worker processes

    private func replaceDeadWorkers() throws {
        for index in 0..<workerCount {
            let pid = records[index].pid
            var status: Int32 = 0
            if pid == 0 || waitpid(pid, &status, WNOHANG) == pid {
                if pid != 0 { mp_cleanup_remove_worker(pid) }
                records[index].pid = 0
                try spawnWorker(index)
            }
        }
    }

    private func restartWorker(_ index: Int) throws {
        let pid = records[index].pid
        if pid > 0 {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = retryingOnInterrupt { waitpid(pid, &status, 0) }
            mp_cleanup_remove_worker(pid)
            records[index].pid = 0
        }
        try spawnWorker(index)
    }

    private func spawnWorker(_ index: Int) throws {
        let parent = getpid()
        let startSequence = control.jobSequence.load(ordering: .acquiring)
        let slot = control.slot(index)
        slot.finishedSequence.store(Int(startSequence), ordering: .relaxed)
        slot.currentChunk.store(-1, ordering: .relaxed)
        slot.chunksRun.store(0, ordering: .relaxed)
        if startMethod == .spawn {
            let pid = try SpawnedWorker.launch(
                control: controlSegment, index: index, startSequence: startSequence, slot: slot)
            _ = mp_cleanup_add_worker(pid)
            records[index] = WorkerRecord(pid: pid)
            return
        }
        fflush(nil)
        _ = SpinWait.microseconds  // initialised here, not lazily in the child
        let (pid, watermark, releaseStart) = SegmentReleaseLog.forkingUnderLock { next in
            let watermark = SharedMemory.idWatermark
            return (fork(), watermark, next)
        }
        if pid == 0 {
            let context = WorkerContext(workerIndex: index, inheritedWatermark: watermark, releaseStart: releaseStart)
            WorkerLoop(control: control, index: index, parentPID: parent, context: context, initializer: initializer)
                .run(startSequence: startSequence)
        }
        guard pid > 0 else { throw WorkerPoolError.spawnFailed(SystemError("fork", "").description) }
        _ = mp_cleanup_add_worker(pid)
        records[index] = WorkerRecord(pid: pid)
    }

    private func stopWorkers() {
        guard !isShutDown else { return }
        isShutDown = true
        control.shutdown.store(1, ordering: .releasing)
        control.jobSequence.wrappingIncrement(ordering: .releasing)
        _ = mp_futex_wake(control.jobSequenceWord, Int32.max)
        let pids = records.map(\.pid).filter { $0 > 0 }
        // Grace period: workers exit on their own within microseconds; then SIGTERM, then SIGKILL.
        var remaining = Set(pids)
        for round in 0..<300 where !remaining.isEmpty {
            if round == 100 { remaining.forEach { kill($0, SIGTERM) } }
            if round == 200 { remaining.forEach { kill($0, SIGKILL) } }
            for pid in remaining {
                var status: Int32 = 0
                let rc = waitpid(pid, &status, WNOHANG)
                if rc == pid || (rc == -1 && mp_errno() == ECHILD) { remaining.remove(pid) }
            }
            if !remaining.isEmpty { usleep(1000) }
        }
        for pid in pids { mp_cleanup_remove_worker(pid) }
        for index in records.indices { records[index].pid = 0 }
    }
}
