#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// Submits tasks one at a time and hands back ``Future``s (Python's `ProcessPoolExecutor`).
///
/// Scheduling is continuous, as in Python: a submitted task starts on the first idle worker, also
/// while other tasks (of any type) run on the other workers. Tasks start in submission order. While it
/// has work the executor keeps one pool call open in which each worker serves a mailbox; the
/// dispatcher thread posts each idle worker the next tasks of the queue. When many small tasks of one
/// type are queued, a worker gets several at once (as many as run in about half a millisecond, from
/// their measured cost, and at most its fair share of the queue), so a burst of `submit` calls costs
/// little more than one `map`; a slow task is always posted alone. Each future completes as soon as
/// its own task is done.
///
/// A worker that dies (a signal, `abort()`, the OOM killer) fails only the task it was running, with a
/// ``TaskError`` naming the task, the worker's pid and the signal; its other posted tasks run again
/// elsewhere, and the pool replaces it. With a pool ``WorkerPool/timeout``, a task running longer than
/// that has its worker killed and replaced, and fails with a ``WorkerPoolError`` whose code is
/// `timedOut`, naming the worker and the task.
/// While the executor has work, the pool's workers are its own: a `map` on the same pool waits until the
/// executor has been idle for a few milliseconds.
///
/// ```swift
/// let executor = try Executor(workers: 4)
/// let futures = (0..<100).map { executor.submit(Square.self, $0) }
/// for future in Futures.asCompleted(futures) { print(try future.result()) }
/// executor.shutdown()
/// ```
public final class Executor: @unchecked Sendable {
    /// The pool the tasks run on.
    public let pool: WorkerPool
    private let lock = ConditionLock()
    /// Submissions not posted to a worker yet, in order (`queueHead` is the first live one).
    private var queue: [QueuedTask] = []
    private var queueHead = 0
    private var accepting = true
    private var dispatcherRunning = true
    private var submitted = 0
    private var typeNames: [ObjectIdentifier: String] = [:]
    /// The shared board, made when the first session starts.
    private var boardSegment: SharedMemory?
    private var mailboxes: [MailboxState]
    /// One mailbox per pool worker (constant; read without the lock by the session thread).
    private let mailboxCount: Int
    private var session = SessionState()
    /// Measured seconds per task of each task type (a moving average), for sizing assignments.
    private var secondsPerTask: [ObjectIdentifier: Double] = [:]
    private var idleSince: ContinuousClock.Instant?

    /// How long the executor keeps the pool after its last task before it lets other calls in.
    static let idleLinger = Duration.milliseconds(5)
    /// The running time an assignment of small tasks aims at.
    static let assignmentSeconds = 0.0005
    /// The most tasks one assignment carries.
    static let assignmentLimit = 4096

    /// An executor on an existing pool.
    public init(pool: WorkerPool) {
        self.pool = pool
        mailboxes = Array(repeating: MailboxState(), count: pool.workerCount)
        mailboxCount = pool.workerCount
        startBackgroundThread { [self] in dispatchLoop() }
    }

    /// An executor with its own pool of `workers` processes (default: one per core).
    public convenience init(workers: Int? = nil) throws {
        self.init(pool: try WorkerPool(workers: workers))
    }

    /// Schedules `Task` on `input` and returns its future at once.
    @discardableResult
    public func submit<Task: ParallelTask>(_ task: Task.Type, _ input: Task.Input) -> Future<Task.Output> {
        submit(task, input, reportedIndex: nil)
    }

    /// ``submit(_:_:)``; a failure's ``TaskError/index`` is `reportedIndex` when given (``WorkerPool/applyAsync(_:_:)``
    /// is a call of one task, index 0, as `apply` is), else the submission index.
    func submit<Task: ParallelTask>(_ task: Task.Type, _ input: Task.Input, reportedIndex: Int?) -> Future<Task.Output> {
        let encoded = Result { try BinaryEncoder().encode(input) }
        let (future, board): (Future<Task.Output>, ExecutorBoard?) = lock.withLock {
            let future = Future<Task.Output>(index: submitted)
            submitted += 1
            guard accepting else {
                future.finish(.failure(FutureError.executorShutDown))
                return (future, nil)
            }
            let bytes: [UInt8]
            switch encoded {
            case .success(let encodedInput): bytes = encodedInput
            case .failure(let error):
                future.finish(.failure(error))
                return (future, nil)
            }
            let key = ObjectIdentifier(Task.self)
            let name: String
            if let known = typeNames[key] {
                name = known
            } else {
                name = _mangledTypeName(Task.self) ?? String(reflecting: Task.self)
                // Resolve it here first, so workers forked later inherit warm runtime caches.
                _ = _typeByName(name)
                typeNames[key] = name
            }
            let submission = TypedSubmission<Task>(input: input, future: future, typeName: name, reportedIndex: reportedIndex)
            queue.append(QueuedTask(submission: submission, input: bytes, running: false))
            return (future, boardSegment.map { ExecutorBoard(base: $0.base) })
        }
        if let board { board.signalParent() } else { lock.withLock { lock.broadcast() } }
        return future
    }

    /// Submits every input; the futures come back in input order.
    public func map<Task: ParallelTask, Inputs: Sequence>(
        _ task: Task.Type, over inputs: Inputs
    ) -> [Future<Task.Output>] where Inputs.Element == Task.Input {
        inputs.map { submit(task, $0) }
    }

    /// Stops accepting tasks. With `cancelPending`, tasks not started yet are cancelled; with `wait`,
    /// returns when the running tasks (and, without `cancelPending`, the queued ones) are done, or
    /// `timeout` has passed. Returns whether everything was done by then (always true without `wait`).
    @discardableResult
    public func shutdown(wait: Bool = true, cancelPending: Bool = false, timeout: Duration? = nil) -> Bool {
        let cancelled: [QueuedTask] = lock.withLock {
            accepting = false
            guard cancelPending else { return [] }
            defer {
                queue = []
                queueHead = 0
            }
            return Array(queue[queueHead...])
        }
        for item in cancelled {
            if item.running {
                item.submission.deliver(.failed(FutureError.executorShutDown))
            } else {
                item.submission.cancel()
            }
        }
        wakeDispatcher()
        guard wait else { return true }
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        return lock.withLock { lock.wait(until: { !dispatcherRunning }, deadline: deadline) }
    }

    deinit { shutdown(wait: false) }

    private func wakeDispatcher() {
        let board = lock.withLock {
            lock.broadcast()
            return boardSegment.map { ExecutorBoard(base: $0.base) }
        }
        board?.signalParent()
    }

    // MARK: - Dispatching

    /// The dispatcher thread. Between sessions it waits for submissions; during one it runs the pool
    /// call itself and dispatches from inside it (``serve(_:)``), so the workers the pool forks to replace
    /// dead ones are children of this long-lived thread (a worker dies with the thread that forked it).
    private func dispatchLoop() {
        while true {
            var deliveries: [(any Submission, SubmissionOutcome)] = []
            let next: Step = lock.withLock { idleStep(&deliveries) }
            for (submission, outcome) in deliveries { submission.deliver(outcome) }
            switch next {
            case .exit:
                lock.withLock {
                    dispatcherRunning = false
                    lock.broadcast()
                }
                return
            case .open(let job, let board):
                runSession(job, board: board)
            case .sleep(let observed, let board):
                if let board {
                    board.waitForEvent(after: observed, nanoseconds: 1_000_000_000)
                } else {
                    lock.withLock {
                        _ = lock.wait(
                            until: { queueHead < queue.count || !accepting },
                            deadline: ContinuousClock.now.advanced(by: .seconds(1)))
                    }
                }
            }
        }
    }

    private enum Step {
        case exit
        case open(ExecutorServeJob, ExecutorBoard)
        /// Wait for an event after `observed` (read with the lock held, so no submission is missed).
        case sleep(UInt32, ExecutorBoard?)
    }

    /// Between sessions, with the lock held: opens one when tasks are queued.
    private func idleStep(_ deliveries: inout [(any Submission, SubmissionOutcome)]) -> Step {
        let board = boardSegment.map { ExecutorBoard(base: $0.base) }
        let observed = board?.events.load(ordering: .sequentiallyConsistent) ?? 0
        guard queueHead < queue.count else { return accepting ? .sleep(observed, board) : .exit }
        do {
            return try openSession()
        } catch {
            for item in queue[queueHead...] { deliveries.append((item.submission, .failed(error))) }
            queue = []
            queueHead = 0
            return .sleep(observed, board)
        }
    }

    /// Runs one session: the pool call, with ``serve(_:)`` as its wait; then settles what it left.
    private func runSession(_ job: ExecutorServeJob, board: ExecutorBoard) {
        var failure: (any Error)?
        do {
            // The pool's own timeout bounds each task (see `enforce`), not this open-ended call.
            try pool.run(job, chunks: mailboxCount, timeout: .seconds(1 << 30), whileWaiting: { self.serve(board) })
        } catch {
            failure = error
        }
        var deliveries: [(any Submission, SubmissionOutcome)] = []
        lock.withLock {
            session.failure = failure
            let now = ContinuousClock.now
            for index in mailboxes.indices where !mailboxes[index].batch.isEmpty {
                collect(index, board: board, now: now, into: &deliveries)
            }
            closeSession(board: board, into: &deliveries)
        }
        for (submission, outcome) in deliveries { submission.deliver(outcome) }
    }

    /// The pool call's wait, on this thread: dispatches until the session is stopped and every worker
    /// has left its mailbox. Blocking here also means the pool reaps a dead worker only after
    /// ``recordDeaths(_:)`` has read its exit status (without reaping it).
    private func serve(_ board: ExecutorBoard) {
        while true {
            let observed = board.events.load(ordering: .sequentiallyConsistent)
            var deliveries: [(any Submission, SubmissionOutcome)] = []
            let sleep = lock.withLock { sessionStep(board, into: &deliveries) }
            for (submission, outcome) in deliveries { submission.deliver(outcome) }
            let (stopping, serving) = recordDeaths(board)
            if stopping, serving == 0 { return }
            if serving == 0, ContinuousClock.now - lock.withLock({ session.openedAt }) > .seconds(5) {
                // No worker came to serve (all died on the way): end the call so the pool can replace them.
                lock.withLock { requestStop(board: board) }
            }
            // Deaths are polled (a killed worker cannot signal), so the wait is short while workers serve.
            board.waitForEvent(after: observed, nanoseconds: min(sleep, 2_000_000))
        }
    }

    /// One pass during a session, with the lock held: collects, enforces the pool's timeout, posts
    /// queued tasks to idle workers, and stops the session after a death or when idle. Returns the
    /// nanoseconds until something is due.
    private func sessionStep(_ board: ExecutorBoard, into deliveries: inout [(any Submission, SubmissionOutcome)]) -> Int64 {
        let now = ContinuousClock.now
        for index in mailboxes.indices where !mailboxes[index].batch.isEmpty {
            collect(index, board: board, now: now, into: &deliveries)
        }
        var sleep: Int64 = 50_000_000
        if let timeout = pool.timeout {
            sleep = min(sleep, enforce(timeout, board: board, now: now))
        }
        if !session.deaths.isEmpty || !session.timedOut.isEmpty {
            requestStop(board: board)
        }
        if !session.stopRequested {
            postAssignments(board: board, now: now, into: &deliveries)
            let busy = mailboxes.contains { !$0.batch.isEmpty }
            if busy || queueHead < queue.count {
                idleSince = nil
            } else {
                let since = idleSince ?? now
                idleSince = since
                let left = Self.idleLinger - (now - since)
                if left <= .zero || !accepting {
                    requestStop(board: board)
                } else {
                    sleep = min(sleep, Self.nanoseconds(left))
                }
            }
        }
        return max(sleep, 100_000)
    }

    /// Reads the tasks a worker finished since the last look, and answers its request for output space.
    private func collect(
        _ index: Int, board: ExecutorBoard, now: ContinuousClock.Instant,
        into deliveries: inout [(any Submission, SubmissionOutcome)]
    ) {
        let mailbox = board.mailbox(index)
        var state = mailboxes[index]
        let finished = min(mailbox.finished.load(ordering: .acquiring), state.batch.count)
        if finished > state.collected, let output = state.output {
            let pid = state.pid
            for task in state.collected..<finished {
                let entry = output.base + task * 24
                let status = entry.load(as: Int.self)
                let offset = entry.load(fromByteOffset: 8, as: Int.self)
                let length = entry.load(fromByteOffset: 16, as: Int.self)
                let outcome: SubmissionOutcome
                if offset >= 0, length >= 0, offset <= output.byteCount - length {
                    let bytes = Array(UnsafeRawBufferPointer(start: output.base + offset, count: length))
                    outcome = status == ExecutorMailbox.OutputState.returned.rawValue
                        ? .returned(bytes, pid: pid) : .threw(bytes, pid: pid)
                } else {
                    outcome = .failed(ExecutorProtocolError("task \(task)'s output entry lies outside its segment"))
                }
                deliveries.append((state.batch[task].submission, outcome))
            }
            state.collected = finished
        }
        let needed = mailbox.outputNeeded.load(ordering: .acquiring)
        if needed > 0 {
            // The worker wrote every entry before this one: all are collected above, the segment can go.
            if let larger = try? SharedMemory(byteCount: max(needed + 65_536, (state.output?.byteCount ?? 0) * 2)) {
                state.output = larger
                mailbox.output = larger.reference
                mailbox.outputNeeded.store(0, ordering: .relaxed)
                mailbox.outputGeneration.wrappingIncrement(ordering: .releasing)
                _ = mp_futex_wake(mailbox.outputGenerationWord, 1)
            }
        }
        if state.collected == state.batch.count {
            let count = Double(state.batch.count)
            let seconds = Double((now - state.postedAt).components.attoseconds) / 1e18
                + Double((now - state.postedAt).components.seconds)
            let key = state.batch[0].submission.taskKey
            let perTask = seconds / count
            secondsPerTask[key] = secondsPerTask[key].map { 0.5 * $0 + 0.5 * perTask } ?? perTask
            state.batch = []
            state.collected = 0
        }
        mailboxes[index] = state
    }

    /// Posts the front of the queue to each idle worker that serves its mailbox.
    private func postAssignments(
        board: ExecutorBoard, now: ContinuousClock.Instant, into deliveries: inout [(any Submission, SubmissionOutcome)]
    ) {
        let serving = (0..<mailboxCount).filter {
            board.mailbox($0).servingPID.load(ordering: .acquiring) != 0 && session.deaths[$0] == nil
        }
        if !serving.isEmpty { session.served = true }
        for index in serving where mailboxes[index].batch.isEmpty {
            var batch = takeBatch(workers: serving.count)
            if batch.isEmpty { return }
            do {
                try post(&batch, to: index, board: board, now: now)
            } catch {
                for item in batch { deliveries.append((item.submission, .failed(error))) }
            }
        }
    }

    /// The next assignment: consecutive queued tasks of one type, as many as run in about
    /// ``assignmentSeconds`` and at most a fair share of the queue. Cancelled tasks are dropped.
    private func takeBatch(workers: Int) -> [QueuedTask] {
        var batch: [QueuedTask] = []
        var limit = 1
        while queueHead < queue.count, batch.count < limit {
            var item = queue[queueHead]
            if let first = batch.first, item.submission.taskKey != first.submission.taskKey { break }
            queueHead += 1
            guard item.running || item.submission.markRunning() else { continue }  // cancelled
            item.running = true
            if batch.isEmpty {
                let queued = queue.count - queueHead + 1
                let byTime = secondsPerTask[item.submission.taskKey].map {
                    Int(min(Double(Self.assignmentLimit), Self.assignmentSeconds / max($0, 1e-9)))
                } ?? 1
                limit = max(1, min(byTime, (queued + workers - 1) / max(workers, 1), Self.assignmentLimit))
            }
            batch.append(item)
        }
        if queueHead == queue.count {
            queue = []
            queueHead = 0
        } else if queueHead > 4096, queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return batch
    }

    /// Writes an assignment's inputs into the worker's input segment and posts it.
    private func post(_ batch: inout [QueuedTask], to index: Int, board: ExecutorBoard, now: ContinuousClock.Instant) throws {
        var state = mailboxes[index]
        let entries = ExecutorMailbox.inputEntriesSize(tasks: batch.count)
        let inputBytes = batch.reduce(entries) { $0 + $1.input.count }
        if (state.input?.byteCount ?? 0) < inputBytes {
            state.input = try SharedMemory(byteCount: max(65_536, inputBytes * 2))
        }
        let outputEntries = ExecutorMailbox.outputEntriesSize(tasks: batch.count)
        if (state.output?.byteCount ?? 0) < outputEntries + 4096 {
            state.output = try SharedMemory(byteCount: max(65_536, outputEntries * 2 + 65_536))
        }
        let input = state.input!.base
        var offset = 0
        for (task, item) in batch.enumerated() {
            input.storeBytes(of: offset, toByteOffset: task * 16, as: Int.self)
            input.storeBytes(of: item.input.count, toByteOffset: task * 16 + 8, as: Int.self)
            item.input.withUnsafeBytes { raw in
                if raw.count > 0 { (input + entries + offset).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
            }
            offset += item.input.count
        }
        let mailbox = board.mailbox(index)
        mailbox.typeName = batch[0].submission.typeName
        mailbox.input = state.input!.reference
        mailbox.output = state.output!.reference
        mailbox.taskCount = batch.count
        mailbox.started.store(0, ordering: .relaxed)
        mailbox.finished.store(0, ordering: .relaxed)
        mailbox.outputNeeded.store(0, ordering: .relaxed)
        state.batch = batch
        state.collected = 0
        state.pid = Int32(truncatingIfNeeded: mailbox.servingPID.load(ordering: .acquiring))
        state.postedAt = now
        state.taskStartedAt = now
        state.lastStarted = 0
        mailboxes[index] = state
        mailbox.command.wrappingIncrement(ordering: .releasing)
        _ = mp_futex_wake(mailbox.commandWord, 1)
    }

    /// Kills the worker of each task running longer than the pool's `timeout`; returns the nanoseconds
    /// until the next such deadline.
    private func enforce(_ timeout: Duration, board: ExecutorBoard, now: ContinuousClock.Instant) -> Int64 {
        var next: Int64 = .max
        for index in mailboxes.indices where !mailboxes[index].batch.isEmpty && session.timedOut[index] == nil {
            let mailbox = board.mailbox(index)
            let started = mailbox.started.load(ordering: .acquiring)
            if started != mailboxes[index].lastStarted {
                mailboxes[index].lastStarted = started
                mailboxes[index].taskStartedAt = now
            }
            guard started > mailboxes[index].collected else { continue }
            let left = timeout - (now - mailboxes[index].taskStartedAt)
            if left > .zero {
                next = min(next, Self.nanoseconds(left))
                continue
            }
            let pid = Int32(truncatingIfNeeded: mailbox.servingPID.load(ordering: .acquiring))
            guard pid > 0 else { continue }
            let running = mailboxes[index].batch[mailboxes[index].collected].submission
            session.timedOut[index] = StuckWorker(
                pid: pid, state: ProcessState(pid: pid), chunk: running.index, held: running.describe())
            kill(pid, SIGKILL)
        }
        return next
    }

    // MARK: - Sessions

    /// Prepares the board for a new session; the caller runs the pool call.
    private func openSession() throws -> Step {
        let segment = try boardSegment ?? SharedMemory(byteCount: ExecutorBoard.byteCount(mailboxes: mailboxCount))
        boardSegment = segment
        let board = ExecutorBoard(base: segment.base)
        for index in 0..<mailboxCount {
            let mailbox = board.mailbox(index)
            mailbox.stop.store(0, ordering: .relaxed)
            mailbox.servingPID.store(0, ordering: .relaxed)
            mailbox.taskCount = 0
        }
        session = SessionState()
        idleSince = nil
        return .open(ExecutorServeJob(board: segment.reference), board)
    }

    /// Asks every worker to leave its serve loop after the task in progress.
    private func requestStop(board: ExecutorBoard) {
        guard !session.stopRequested else { return }
        session.stopRequested = true
        for index in 0..<mailboxCount {
            let mailbox = board.mailbox(index)
            mailbox.stop.store(1, ordering: .sequentiallyConsistent)
            mailbox.command.wrappingIncrement(ordering: .releasing)
            _ = mp_futex_wake(mailbox.commandWord, 1)
        }
    }

    /// Records the exit status of each serving worker that died; returns whether the session is
    /// stopping and how many live workers still serve.
    private func recordDeaths(_ board: ExecutorBoard) -> (stopping: Bool, serving: Int) {
        let (stopping, known) = lock.withLock { (session.stopRequested, Set(session.deaths.keys)) }
        var serving = 0
        var found = false
        for index in 0..<mailboxCount where !known.contains(index) {
            let pid = Int32(truncatingIfNeeded: board.mailbox(index).servingPID.load(ordering: .acquiring))
            guard pid > 0 else { continue }
            if let status = Self.exitStatus(ofUnreaped: pid) {
                lock.withLock { session.deaths[index] = (pid, status) }
                found = true
            } else {
                serving += 1
            }
        }
        // A death found now stops the session at the next pass; keep serving until then.
        return (stopping && !found, serving)
    }

    /// How `pid` ended, if it has, leaving it to be reaped by its pool (`waitid` with `WNOWAIT`).
    private static func exitStatus(ofUnreaped pid: Int32) -> ExitStatus? {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
            info._sifields._sigchld.si_pid == pid
        else { return nil }
        let value = info._sifields._sigchld.si_status
        return info.si_code == CLD_EXITED ? .exited(value) : .signaled(value)
    }

    /// After the pool call returned: fails the task each dead worker was running, puts the posted tasks
    /// that did not start back at the front of the queue, and closes the session.
    private func closeSession(board: ExecutorBoard, into deliveries: inout [(any Submission, SubmissionOutcome)]) {
        var requeued: [QueuedTask] = []
        for index in mailboxes.indices where !mailboxes[index].batch.isEmpty {
            let state = mailboxes[index]
            let started = min(board.mailbox(index).started.load(ordering: .acquiring), state.batch.count)
            var rest = state.collected
            if started > state.collected {
                let running = state.batch[state.collected].submission
                if let stuck = session.timedOut[index], let timeout = pool.timeout {
                    deliveries.append((running, .failed(Self.timedOut(timeout, task: running, worker: stuck))))
                } else if let death = session.deaths[index] {
                    deliveries.append((running, .died(death.status, pid: death.pid)))
                } else {
                    deliveries.append((running, .failed(session.failure ?? ExecutorProtocolError("a worker left a task unfinished"))))
                }
                rest += 1
            }
            requeued += state.batch[rest...]
            mailboxes[index].batch = []
            mailboxes[index].collected = 0
        }
        if !requeued.isEmpty {
            queue = requeued + queue[queueHead...]
            queueHead = 0
        }
        if let failure = session.failure, session.deaths.isEmpty, !session.served {
            // The pool call failed before any worker served (shut down, no worker could be started):
            // nothing can run. (After a death the next session retries the queue.)
            for item in queue[queueHead...] { deliveries.append((item.submission, .failed(failure))) }
            queue = []
            queueHead = 0
        }
        session = SessionState()
    }

    /// The error of a task that ran longer than the pool's timeout.
    private static func timedOut(_ timeout: Duration, task: any Submission, worker: StuckWorker) -> any Error {
        WorkerPoolError.timedOut(timeout: timeout, job: task.taskName, stuck: [worker])
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64.max / 1_000_000_000 - 1 else { return .max }
        return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The executor's side of one mailbox.
private struct MailboxState {
    var batch: [QueuedTask] = []
    var collected = 0
    var input: SharedMemory?
    var output: SharedMemory?
    /// The worker serving the mailbox when the batch was posted.
    var pid: Int32 = 0
    var postedAt = ContinuousClock.now
    var taskStartedAt = ContinuousClock.now
    var lastStarted = 0
}

/// One pool call in which the workers serve their mailboxes.
private struct SessionState {
    var openedAt = ContinuousClock.now
    /// Whether any worker served a mailbox in this session.
    var served = false
    var stopRequested = false
    /// The pool call's error, once it returned.
    var failure: (any Error)?
    /// Workers found dead, by mailbox, with the status read before the pool reaped them.
    var deaths: [Int: (pid: Int32, status: ExitStatus)] = [:]
    /// Workers killed for running a task longer than the pool's timeout, by mailbox.
    var timedOut: [Int: StuckWorker] = [:]
}

/// A submission waiting for a worker, with its encoded input.
private struct QueuedTask {
    let submission: any Submission
    let input: [UInt8]
    /// Marked running already (it was posted to a worker that stopped before starting it).
    var running: Bool
}

/// What became of a submitted task.
enum SubmissionOutcome {
    case returned([UInt8], pid: Int32)
    case threw([UInt8], pid: Int32)
    case died(ExitStatus, pid: Int32)
    case failed(any Error)
}

/// A submission, typed by its task.
protocol Submission: Sendable {
    var taskKey: ObjectIdentifier { get }
    /// The task type's mangled name, by which a worker finds it.
    var typeName: String { get }
    /// The task type's name for people.
    var taskName: String { get }
    /// The submission's index (its future's).
    var index: Int { get }
    func markRunning() -> Bool
    func cancel()
    func deliver(_ outcome: SubmissionOutcome)
    /// "task 7 (input 42)", for messages.
    func describe() -> String
}

struct TypedSubmission<Task: ParallelTask>: Submission, @unchecked Sendable {
    let input: Task.Input
    let future: Future<Task.Output>
    let typeName: String
    /// The index a failure reports, when not the submission index.
    var reportedIndex: Int? = nil

    var taskKey: ObjectIdentifier { ObjectIdentifier(Task.self) }
    var taskName: String { String(describing: Task.self) }
    var index: Int { future.index }

    func markRunning() -> Bool { future.markRunning() }

    func cancel() { future.cancel() }

    func describe() -> String { "task \(future.index) (input \(describeInput(input)))" }

    func deliver(_ outcome: SubmissionOutcome) {
        func failure(_ pid: Int32, _ reason: TaskError.Reason) -> Result<Task.Output, any Error> {
            .failure(TaskError(index: reportedIndex ?? future.index, input: describeInput(input), pid: pid, reason: reason, task: taskName))
        }
        switch outcome {
        case .returned(let bytes, let pid):
            do {
                future.finish(.success(try BinaryDecoder().decode(Task.Output.self, from: bytes)))
            } catch {
                future.finish(failure(pid, .threw(type: "CodecError", message: "\(error)")))
            }
        case .threw(let bytes, let pid):
            let parts = String(decoding: bytes, as: UTF8.self)
                .split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
            future.finish(failure(pid, .threw(type: String(parts[0]), message: parts.count > 1 ? String(parts[1]) : "")))
        case .died(let status, let pid):
            future.finish(failure(pid, .workerDied(status)))
        case .failed(let error):
            future.finish(.failure(error))
        }
    }
}

/// Waiting on groups of futures (Python's `concurrent.futures.wait` and `as_completed`).
public enum Futures {
    /// When ``wait(_:returnWhen:timeout:)`` returns.
    public enum ReturnWhen: Sendable {
        case firstCompleted, firstException, allCompleted
    }

    /// Waits until the condition holds or `timeout` passes; returns the done and not-done futures.
    public static func wait<Output>(
        _ futures: [Future<Output>], returnWhen: ReturnWhen = .allCompleted, timeout: Duration? = nil
    ) -> (done: [Future<Output>], notDone: [Future<Output>]) {
        let signal = ConditionLock()
        for future in futures { future.addDoneCallback { _ in signal.withLock { signal.broadcast() } } }
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        func satisfied() -> Bool {
            let done = futures.filter(\.isDone)
            switch returnWhen {
            case .allCompleted: return done.count == futures.count
            case .firstCompleted: return !done.isEmpty || futures.isEmpty
            case .firstException:
                return done.count == futures.count
                    || done.contains { (try? $0.exception(timeout: .zero)).flatMap { $0 } != nil }
            }
        }
        signal.withLock { _ = signal.wait(until: satisfied, deadline: deadline) }
        return (futures.filter(\.isDone), futures.filter { !$0.isDone })
    }

    /// The futures in the order they complete; blocks between them. Stops early at `timeout`, throwing
    /// ``FutureError/timedOut`` from the iterator's `next()`.
    public static func asCompleted<Output>(_ futures: [Future<Output>], timeout: Duration? = nil) -> CompletionSequence<Output> {
        CompletionSequence(futures: futures, timeout: timeout)
    }

    /// The futures in the order they complete, as an async sequence.
    public static func completions<Output>(_ futures: [Future<Output>]) -> AsyncStream<Future<Output>> {
        AsyncStream { continuation in
            let remaining = ManagedCounter(futures.count)
            if futures.isEmpty { continuation.finish() }
            for future in futures {
                future.addDoneCallback { done in
                    continuation.yield(done)
                    if remaining.decrement() == 0 { continuation.finish() }
                }
            }
        }
    }
}

/// Futures in completion order, blocking (see ``Futures/asCompleted(_:timeout:)``).
public struct CompletionSequence<Output: Sendable>: Sequence, IteratorProtocol {
    private let signal = ConditionLock()
    private let queue: CompletionQueue<Output>
    private let total: Int
    private var delivered = 0
    private let deadline: ContinuousClock.Instant?

    init(futures: [Future<Output>], timeout: Duration?) {
        let queue = CompletionQueue<Output>()
        self.queue = queue
        total = futures.count
        deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        let signal = self.signal
        for future in futures {
            future.addDoneCallback { done in signal.withLock {
                queue.items.append(done)
                signal.broadcast()
            } }
        }
    }

    /// The next completed future; nil when all were delivered or the timeout passed.
    public mutating func next() -> Future<Output>? {
        guard delivered < total else { return nil }
        let (queue, deadline) = (self.queue, self.deadline)
        let item: Future<Output>? = signal.withLock {
            guard signal.wait(until: { !queue.items.isEmpty }, deadline: deadline) else { return nil }
            return queue.items.removeFirst()
        }
        if item != nil { delivered += 1 }
        return item
    }
}

final class CompletionQueue<Output: Sendable>: @unchecked Sendable {
    var items: [Future<Output>] = []
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: Int
    init(_ value: Int) { self.value = value }
    func decrement() -> Int { lock.withLock { value -= 1; return value } }
}
