extension WorkerPool {
    /// ``map(_:over:chunkSize:timeout:progress:)`` for async code: the map runs on a background thread, so no
    /// Swift-concurrency thread blocks while the workers compute. `timeout` bounds the whole map.
    ///
    /// ```swift
    /// let squares = try await pool.map(Square.self, over: 0..<10_000)
    /// ```
    public func map<Task: ParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, chunkSize: Int? = nil, timeout: Duration? = nil
    ) async throws -> [Task.Output] where Inputs.Element == Task.Input {
        let values = Array(inputs)
        return try await withCheckedThrowingContinuation { continuation in
            startBackgroundThread { [self] in
                continuation.resume(with: Result { try map(task, over: values, chunkSize: chunkSize, timeout: timeout) })
            }
        }
    }

    /// Outputs in input order as they become available (Python's `imap`): output `i` is delivered as
    /// soon as outputs `0...i` are done. A failed task's ``TaskError`` is thrown at its position, after
    /// the outputs of the inputs before it. With `timeout`, the sequence throws
    /// ``WorkerPoolError/Code/timedOut`` once the whole map has run that long.
    public func imap<Task: ParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, chunkSize: Int? = nil, timeout: Duration? = nil
    ) -> AsyncThrowingStream<Task.Output, any Error> where Inputs.Element == Task.Input {
        stream(task, over: MapInputs(inputs), chunkSize: chunkSize, timeout: timeout, ordered: true)
    }

    /// Outputs in the order tasks finish (Python's `imap_unordered`), with each task's input index.
    /// The sequence throws the first failed task's ``TaskError``, or the timeout as ``imap(_:over:chunkSize:timeout:)``.
    public func imapUnordered<Task: ParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, chunkSize: Int? = nil, timeout: Duration? = nil
    ) -> AsyncThrowingStream<(index: Int, output: Task.Output), any Error> where Inputs.Element == Task.Input {
        AsyncThrowingStream { continuation in
            let values = MapInputs(inputs)
            startBackgroundThread { [self] in
                do {
                    _ = try mapOutcomes(task, inputs: values, chunkSize: chunkSize, timeout: timeout, progress: nil) { index, outcome in
                        switch outcome {
                        case .success(let output): continuation.yield((index, output))
                        case .failure(let error): continuation.finish(throwing: error)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// (finished, total) updates of a map as an async sequence, ending with the outputs' arrival.
    public func mapWithProgress<Task: ParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, chunkSize: Int? = nil, timeout: Duration? = nil
    ) -> (progress: AsyncStream<(done: Int, total: Int)>, outputs: _MapOutputs<Task.Output>)
    where Inputs.Element == Task.Input {
        let values = Array(inputs)
        let (progress, reporter) = AsyncStream<(done: Int, total: Int)>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let outputs = _MapOutputs<Task.Output>()
        startBackgroundThread { [self] in
            let result = Result {
                try map(task, over: values, chunkSize: chunkSize, timeout: timeout) { done, total in reporter.yield((done, total)) }
            }
            reporter.finish()
            outputs.set(result)
        }
        return (progress, outputs)
    }

    private func stream<Task: ParallelTask>(
        _ task: Task.Type, over values: MapInputs<Task.Input>, chunkSize: Int?, timeout: Duration?, ordered: Bool
    ) -> AsyncThrowingStream<Task.Output, any Error> {
        AsyncThrowingStream { continuation in
            startBackgroundThread { [self] in
                // A failure is delivered at its own position, after the outputs before it (as Python's
                // `imap` raises only when iteration reaches the failed task).
                var buffered: [Int: Result<Task.Output, TaskError>] = [:]
                var next = 0
                var ended = false
                do {
                    _ = try mapOutcomes(task, inputs: values, chunkSize: chunkSize, timeout: timeout, progress: nil) { index, outcome in
                        buffered[index] = outcome
                        while !ended, let ready = buffered.removeValue(forKey: next) {
                            switch ready {
                            case .success(let output): continuation.yield(output)
                            case .failure(let error):
                                continuation.finish(throwing: error)
                                ended = true
                            }
                            next += 1
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }
}

/// The outputs of ``WorkerPool/mapWithProgress(_:over:chunkSize:)``, awaited with ``value``.
public final class _MapOutputs<Output: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var result: Result<[Output], any Error>?
    private var waiting: [CheckedContinuation<[Output], any Error>] = []

    func set(_ result: Result<[Output], any Error>) {
        let continuations = lock.withLock {
            self.result = result
            defer { waiting = [] }
            return waiting
        }
        for continuation in continuations { continuation.resume(with: result) }
    }

    /// The outputs, in input order.
    public var value: [Output] {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = lock.withLock {
                    if result == nil { waiting.append(continuation) }
                    return result
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
