/// Submits tasks one at a time and hands back ``Future``s (Python's `ProcessPoolExecutor`).
///
/// Submissions queue up; a dispatcher thread takes every queued submission of the same task type and
/// runs them as one map on the pool, so a burst of `submit` calls costs about as much as one `map`.
/// Each future completes as soon as its own task is done. Unlike Python's executor, a submission made
/// while a batch runs waits for that batch to end, even if a worker is idle (the pool runs one job at
/// a time).
/// A worker that dies fails only the futures of the tasks it held; the executor keeps going.
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
    private var queue: [any Submission] = []
    private var accepting = true
    private var dispatcherRunning = true
    private var submitted = 0
    /// The most tasks one batch carries.
    static let batchLimit = 65_536

    /// An executor on an existing pool.
    public init(pool: WorkerPool) {
        self.pool = pool
        startBackgroundThread { [self] in dispatchLoop() }
    }

    /// An executor with its own pool of `workers` processes (default: one per core).
    public convenience init(workers: Int? = nil) throws {
        self.init(pool: try WorkerPool(workers: workers))
    }

    /// Schedules `Task` on `input` and returns its future at once.
    @discardableResult
    public func submit<Task: ParallelTask>(_ task: Task.Type, _ input: Task.Input) -> Future<Task.Output> {
        lock.withLock {
            let future = Future<Task.Output>(index: submitted)
            submitted += 1
            if accepting {
                queue.append(TypedSubmission<Task>(input: input, future: future))
                lock.broadcast()
            } else {
                future.finish(.failure(FutureError.executorShutDown))
            }
            return future
        }
    }

    /// Submits every input; the futures come back in input order.
    public func map<Task: ParallelTask, Inputs: Sequence>(
        _ task: Task.Type, over inputs: Inputs
    ) -> [Future<Task.Output>] where Inputs.Element == Task.Input {
        inputs.map { submit(task, $0) }
    }

    /// Stops accepting tasks. With `cancelPending`, queued tasks are cancelled; with `wait`, returns
    /// when the running batch (and, without `cancelPending`, the queue) is done.
    public func shutdown(wait: Bool = true, cancelPending: Bool = false) {
        let cancelled: [any Submission] = lock.withLock {
            accepting = false
            lock.broadcast()
            guard cancelPending else { return [] }
            defer { queue = [] }
            return queue
        }
        for item in cancelled { item.cancel() }
        if wait { lock.withLock { _ = lock.wait(until: { !dispatcherRunning }, deadline: nil) } }
    }

    deinit { shutdown(wait: false) }

    private func dispatchLoop() {
        while true {
            let batch: [any Submission] = lock.withLock {
                _ = lock.wait(until: { !queue.isEmpty || !accepting }, deadline: nil)
                guard let first = queue.first else { return [] }
                let key = first.taskKey
                var end = 1
                while end < queue.count, end < Self.batchLimit, queue[end].taskKey == key { end += 1 }
                defer { queue.removeFirst(end) }
                return Array(queue[..<end])
            }
            if batch.isEmpty {
                lock.withLock {
                    dispatcherRunning = false
                    lock.broadcast()
                }
                return
            }
            type(of: batch[0]).runBatch(batch, on: pool)
        }
    }
}

/// A queued submission, typed by its task.
protocol Submission: Sendable {
    var taskKey: ObjectIdentifier { get }
    func cancel()
    static func runBatch(_ items: [any Submission], on pool: WorkerPool)
}

struct TypedSubmission<Task: ParallelTask>: Submission, @unchecked Sendable {
    let input: Task.Input
    let future: Future<Task.Output>

    var taskKey: ObjectIdentifier { ObjectIdentifier(Task.self) }

    func cancel() { future.cancel() }

    static func runBatch(_ items: [any Submission], on pool: WorkerPool) {
        let typed = items.compactMap { $0 as? TypedSubmission<Task> }.filter { $0.future.markRunning() }
        guard !typed.isEmpty else { return }
        do {
            // Each future completes when its own task does, not when the batch does: `mapCore` reports
            // every task's outcome through this callback, during the map or when collecting after it.
            _ = try pool.mapCore(Task.self, values: typed.map(\.input), chunkSize: nil, progress: nil) {
                index, outcome in typed[index].future.finish(outcome.mapError { $0 })
            }
        } catch {
            for item in typed { item.future.finish(.failure(error)) }
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
