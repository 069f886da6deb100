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
    ) -> MapOutputStream<Task.Output> where Inputs.Element == Task.Input {
        stream(task, over: MapInputs(inputs), chunkSize: chunkSize, timeout: timeout, ordered: true)
    }

    /// Outputs in the order tasks finish (Python's `imap_unordered`), with each task's input index.
    /// The sequence throws the first failed task's ``TaskError``, or the timeout as ``imap(_:over:chunkSize:timeout:)``.
    public func imapUnordered<Task: ParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, chunkSize: Int? = nil, timeout: Duration? = nil
    ) -> MapOutputStream<(index: Int, output: Task.Output)> where Inputs.Element == Task.Input {
        let values = MapInputs(inputs)
        return MapOutputStream { continuation in
            startBackgroundThread { [self] in
                let batch = OutputBatch(continuation)
                do {
                    _ = try mapOutcomes(
                        task, inputs: values, chunkSize: chunkSize, timeout: timeout, progress: { _, _ in batch.flush() },
                        onRawOutputs: { items, outputs in batch.addIndexed(items, readingFrom: outputs) }
                    ) { index, outcome in
                        switch outcome {
                        case .success(let output): batch.add((index, output))
                        case .failure(let error): batch.finish(throwing: error)
                        }
                    }
                    batch.finish(throwing: nil)
                } catch {
                    batch.finish(throwing: error)
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
    ) -> MapOutputStream<Task.Output> {
        MapOutputStream { continuation in
            startBackgroundThread { [self] in
                // A failure is delivered at its own position, after the outputs before it (as Python's
                // `imap` raises only when iteration reaches the failed task).
                let batch = OutputBatch(continuation)
                var buffered: [Int: Result<Task.Output, TaskError>] = [:]
                var next = 0
                do {
                    _ = try mapOutcomes(task, inputs: values, chunkSize: chunkSize, timeout: timeout, progress: { _, _ in batch.flush() }) {
                        index, outcome in
                        buffered[index] = outcome
                        while !batch.isFinished, let ready = buffered.removeValue(forKey: next) {
                            switch ready {
                            case .success(let output): batch.add(output)
                            case .failure(let error): batch.finish(throwing: error)
                            }
                            next += 1
                        }
                    }
                    batch.finish(throwing: nil)
                } catch {
                    batch.finish(throwing: error)
                }
            }
        }
    }
}

/// The outputs of ``WorkerPool/imap(_:over:chunkSize:timeout:)`` and
/// ``WorkerPool/imapUnordered(_:over:chunkSize:timeout:)``: an async sequence that receives outputs a
/// batch at a time (as chunks finish) and hands them out one by one, so iterating costs a suspension per
/// batch, not per output.
public struct MapOutputStream<Element: Sendable>: AsyncSequence, Sendable {
    @usableFromInline let batches: AsyncThrowingStream<[Element], any Error>

    init(_ produce: (AsyncThrowingStream<[Element], any Error>.Continuation) -> Void) {
        let (stream, continuation) = AsyncThrowingStream<[Element], any Error>.makeStream()
        produce(continuation)
        batches = stream
    }

    @inlinable
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(batches: batches.makeAsyncIterator()) }

    /// Inlinable, so a caller's loop is specialised for its element type and takes each output of a
    /// batch without a call into this module.
    public struct AsyncIterator: AsyncIteratorProtocol {
        @usableFromInline var batches: AsyncThrowingStream<[Element], any Error>.AsyncIterator
        @usableFromInline var batch: [Element] = []
        @usableFromInline var position = 0

        @inlinable
        init(batches: AsyncThrowingStream<[Element], any Error>.AsyncIterator) { self.batches = batches }

        @inlinable
        public mutating func next() async throws -> Element? {
            while position == batch.count {
                guard let more = try await batches.next() else { return nil }
                batch = more
                position = 0
            }
            defer { position += 1 }
            return batch[position]
        }
    }
}

extension OutputBatch {
    /// Adds `(item, output)` for each item, its plain-data output read from `outputs` (one loop, so the
    /// element type is looked up once, not per output).
    func addIndexed<Output>(_ items: [Int], readingFrom outputs: UnsafeRawPointer) where Element == (index: Int, output: Output) {
        let stride = MemoryLayout<Output>.stride
        let elements = [Element](unsafeUninitializedCapacity: items.count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            for (k, item) in items.enumerated() {
                (base + k).initialize(to: (item, outputs.load(fromByteOffset: item * stride, as: Output.self)))
            }
            initialized = items.count
        }
        add(contentsOf: elements)
    }
}

/// Outputs collected on a map's thread and passed to a ``MapOutputStream`` a batch at a time.
final class OutputBatch<Element: Sendable> {
    private let continuation: AsyncThrowingStream<[Element], any Error>.Continuation
    private var pending: [Element] = []
    private(set) var isFinished = false

    init(_ continuation: AsyncThrowingStream<[Element], any Error>.Continuation) { self.continuation = continuation }

    func add(_ element: Element) {
        guard !isFinished else { return }
        pending.append(element)
    }

    func add(contentsOf elements: [Element]) {
        guard !isFinished else { return }
        if pending.isEmpty { pending = elements } else { pending.append(contentsOf: elements) }
    }

    func flush() {
        guard !pending.isEmpty, !isFinished else { return }
        continuation.yield(pending)
        pending = []
    }

    /// Delivers what is pending, then ends the sequence (with `error`, when given). Later calls do nothing.
    func finish(throwing error: (any Error)?) {
        guard !isFinished else { return }
        flush()
        isFinished = true
        continuation.finish(throwing: error)
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
