/// A unit of user work written with Swift concurrency (`async`), for I/O-bound work: requests, sockets,
/// waiting on other programs. Each worker runs up to `concurrency` inputs at once, so a pool of 2
/// workers keeps 2 x 16 requests in flight.
///
/// Runs only on a pool started with ``StartMethod/spawn``: a worker forked from a process that has already
/// used Swift concurrency or Dispatch inherits their thread pools' bookkeeping but not their threads, and
/// tasks started there silently never run. A spawned worker is a fresh process where they work. With a
/// forked pool the map throws ``AsyncTaskError`` before anything runs.
///
/// ```swift
/// struct Fetch: AsyncParallelTask {
///     static func run(_ url: String) async throws -> Int { try await download(url).count }
/// }
/// WorkerPool.runSpawnedWorkerIfRequested()                 // first thing in main
/// let pool = try WorkerPool(workers: 2, startMethod: .spawn)
/// let sizes = try pool.map(Fetch.self, over: urls, concurrency: 16)
/// ```
public protocol AsyncParallelTask: SendableMetatype {
    associatedtype Input: Codable & Sendable
    associatedtype Output: Codable & Sendable
    /// Runs one input, in a worker process, concurrently with others. A thrown error fails this input only.
    static func run(_ input: Input) async throws -> Output
}

/// Why an async map could not run.
public struct AsyncTaskError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public var description: String { message }

    static func needsSpawn(_ task: String) -> AsyncTaskError {
        AsyncTaskError(
            message: "\(task) is an AsyncParallelTask: it runs only on a pool with startMethod: .spawn (Swift "
                + "concurrency does not run in workers forked from a process that has used it)")
    }
}

extension WorkerPool {
    /// Runs the async `Task` on every input and returns the outputs in input order. Each worker takes
    /// batches of `concurrency` inputs and runs a batch's inputs at the same time. A task that throws, or
    /// whose worker dies, fails alone (with its index) as in ``map(_:over:chunkSize:timeout:progress:)``.
    /// - Throws: ``AsyncTaskError`` unless the pool was started with ``StartMethod/spawn``; the first
    ///   failed input's ``TaskError``; a timeout as ``map(_:over:chunkSize:timeout:progress:)``.
    public func map<Task: AsyncParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, concurrency: Int = 16, timeout: Duration? = nil
    ) throws -> [Task.Output] where Inputs.Element == Task.Input {
        try mapResults(task, over: inputs, concurrency: concurrency, timeout: timeout).map { try $0.get() }
    }

    /// Runs the async `Task` on one input in a worker (Python's `apply`).
    public func apply<Task: AsyncParallelTask>(_ task: Task.Type, _ input: Task.Input, timeout: Duration? = nil) throws -> Task.Output {
        try map(task, over: [input], concurrency: 1, timeout: timeout)[0]
    }

    /// Like ``map(_:over:concurrency:timeout:)`` but returns each input's outcome.
    public func mapResults<Task: AsyncParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, concurrency: Int = 16, timeout: Duration? = nil
    ) throws -> [Result<Task.Output, TaskError>] where Inputs.Element == Task.Input {
        guard startMethod == .spawn else { throw AsyncTaskError.needsSpawn(String(describing: Task.self)) }
        guard concurrency >= 1 else {
            throw AsyncTaskError(message: "concurrency must be at least 1 (got \(concurrency))")
        }
        let values = Array(inputs)
        let batches = stride(from: 0, to: values.count, by: concurrency).map {
            Array(values[$0..<min($0 + concurrency, values.count)])
        }
        let outcomes = try mapResults(AsyncBatch<Task>.self, over: batches, chunkSize: 1, timeout: timeout)
        let name = String(describing: Task.self)
        var results: [Result<Task.Output, TaskError>] = []
        results.reserveCapacity(values.count)
        for (b, outcome) in outcomes.enumerated() {
            let first = b * concurrency
            switch outcome {
            case .success(let reply):
                for (offset, item) in reply.outcomes.enumerated() {
                    if let output = item.output {
                        results.append(.success(output))
                    } else {
                        let index = first + offset
                        results.append(.failure(TaskError(
                            index: index, input: describeInput(values[index]), pid: reply.pid,
                            reason: .threw(type: item.errorType ?? "Error", message: item.message ?? ""), task: name)))
                    }
                }
            case .failure(let error):
                // The whole batch was lost (its worker died): each of its inputs fails with that reason.
                for index in first..<min(first + concurrency, values.count) {
                    results.append(.failure(TaskError(
                        index: index, input: describeInput(values[index]), pid: error.pid, reason: error.reason, task: name)))
                }
            }
        }
        return results
    }

    /// ``map(_:over:concurrency:timeout:)`` for async callers: the map waits on a background thread.
    public func map<Task: AsyncParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, concurrency: Int = 16, timeout: Duration? = nil
    ) async throws -> [Task.Output] where Inputs.Element == Task.Input {
        let values = Array(inputs)
        return try await withCheckedThrowingContinuation { continuation in
            startBackgroundThread { [self] in
                continuation.resume(with: Result { try map(task, over: values, concurrency: concurrency, timeout: timeout) })
            }
        }
    }
}

/// What a worker sends back for one input of an async batch: the output, or the error's type and text.
struct AsyncItemOutcome<Output: Codable & Sendable>: Codable, Sendable {
    var output: Output?
    var errorType: String?
    var message: String?
}

/// A batch's outcomes and the worker that ran it.
struct AsyncBatchReply<Output: Codable & Sendable>: Codable, Sendable {
    var pid: Int32
    var outcomes: [AsyncItemOutcome<Output>]
}

/// Runs a batch of an ``AsyncParallelTask``'s inputs concurrently in one (spawned) worker, blocking the
/// worker's thread (not a Swift-concurrency thread) until all are done.
enum AsyncBatch<Task: AsyncParallelTask>: ParallelTask {
    static func run(_ inputs: [Task.Input]) throws -> AsyncBatchReply<Task.Output> {
        let outcomes = BlockingResult<[AsyncItemOutcome<Task.Output>]>()
        _Concurrency.Task.detached {
            let done = await withTaskGroup(of: (Int, AsyncItemOutcome<Task.Output>).self) { group in
                for (index, input) in inputs.enumerated() {
                    group.addTask {
                        do {
                            return (index, AsyncItemOutcome(output: try await Task.run(input)))
                        } catch {
                            return (index, AsyncItemOutcome(errorType: String(reflecting: type(of: error)), message: "\(error)"))
                        }
                    }
                }
                var ordered = [AsyncItemOutcome<Task.Output>?](repeating: nil, count: inputs.count)
                for await (index, outcome) in group { ordered[index] = outcome }
                return ordered.map { $0! }
            }
            outcomes.set(done)
        }
        return AsyncBatchReply(pid: CurrentProcess.id, outcomes: outcomes.wait())
    }
}

/// A value handed from a Swift-concurrency task to a thread that waits for it.
final class BlockingResult<Value: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: Value?

    func set(_ newValue: Value) {
        lock.withLock {
            value = newValue
            lock.broadcast()
        }
    }

    func wait() -> Value {
        lock.withLock {
            _ = lock.wait(until: { value != nil }, deadline: nil)
            return value!
        }
    }
}
