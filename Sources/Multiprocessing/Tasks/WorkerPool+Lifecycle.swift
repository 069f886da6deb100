extension WorkerPool {
    /// Runs `body` with a new pool and always shuts the pool down afterwards, even when `body` throws
    /// (Python's `with Pool(...) as pool:`). The options are those of ``init(workers:initializer:maxTasksPerChild:startMethod:timeout:)``.
    ///
    /// ```swift
    /// let squares = try WorkerPool.with(workers: 4) { pool in try pool.map(Square.self, over: 0..<100) }
    /// ```
    public static func with<Result>(
        workers: Int? = nil, initializer: (@Sendable () -> Void)? = nil, maxTasksPerChild: Int? = nil,
        startMethod: StartMethod = .fork, timeout: Duration? = nil, _ body: (WorkerPool) throws -> Result
    ) throws -> Result {
        let pool = try WorkerPool(
            workers: workers, initializer: initializer, maxTasksPerChild: maxTasksPerChild, startMethod: startMethod,
            timeout: timeout)
        defer { pool.shutdown() }
        return try body(pool)
    }

    /// Python's `terminate()`: stops the workers now (SIGTERM, then SIGKILL after a grace period).
    public func terminate() { shutdown() }

    /// Python's `close()` followed by `join()`: calls already running finish (they hold the pool's
    /// lock), then the workers exit and are reaped. Later calls throw ``WorkerPoolError/shutDown``.
    public func closeAndJoin() { shutdown() }
}

/// A task of two arguments, for ``WorkerPool/starmap(_:over:chunkSize:timeout:)`` (Python's `starmap` unpacks
/// argument tuples; Swift tuples are not Codable, so the pair travels as a struct).
public protocol ParallelTask2: SendableMetatype {
    associatedtype First: Codable & Sendable
    associatedtype Second: Codable & Sendable
    associatedtype Output: Codable & Sendable
    static func run(_ first: First, _ second: Second) throws -> Output
}

/// The pair of arguments of a ``ParallelTask2``.
public struct ArgumentPair<First: Codable & Sendable, Second: Codable & Sendable>: Codable, Sendable {
    public var first: First
    public var second: Second
}

/// Adapts a ``ParallelTask2`` to ``ParallelTask``.
public enum StarTask<Task: ParallelTask2>: ParallelTask {
    public static func run(_ input: ArgumentPair<Task.First, Task.Second>) throws -> Task.Output {
        try Task.run(input.first, input.second)
    }
}

extension WorkerPool {
    /// Runs a two-argument task on every `(first, second)` pair (Python's `starmap`).
    ///
    /// ```swift
    /// struct Power: ParallelTask2 { static func run(_ x: Double, _ n: Int) throws -> Double { pow(x, Double(n)) } }
    /// let values = try pool.starmap(Power.self, over: [(2, 10), (3, 3)])
    /// ```
    public func starmap<Task: ParallelTask2>(
        _ task: Task.Type, over pairs: [(Task.First, Task.Second)], chunkSize: Int? = nil, timeout: Duration? = nil
    ) throws -> [Task.Output] {
        try map(StarTask<Task>.self, over: Self.argumentPairs(pairs), chunkSize: chunkSize, timeout: timeout)
    }
}

extension WorkerPool {
    /// `pairs` as ``ArgumentPair``s. A tuple and a struct of the same two plain-data fields have the same
    /// layout, so those are copied as bytes: this code is not specialised for the task's types, and a
    /// generic per-element conversion would cost more than the map itself.
    static func argumentPairs<First, Second>(_ pairs: [(First, Second)]) -> [ArgumentPair<First, Second>] {
        typealias Pair = ArgumentPair<First, Second>
        // A tuple places its second element at the first's size rounded up to the second's alignment.
        let align = MemoryLayout<Second>.alignment
        let tupleSecond = (MemoryLayout<First>.size + align - 1) / align * align
        guard _isPOD(Pair.self), MemoryLayout<(First, Second)>.stride == MemoryLayout<Pair>.stride,
            MemoryLayout<Pair>.offset(of: \Pair.first) == 0, MemoryLayout<Pair>.offset(of: \Pair.second) == tupleSecond
        else { return pairs.map { ArgumentPair(first: $0.0, second: $0.1) } }
        return [Pair](unsafeUninitializedCapacity: pairs.count) { buffer, initialized in
            pairs.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress, let target = buffer.baseAddress {
                    UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: bytes.count)
                }
            }
            initialized = pairs.count
        }
    }

    /// Runs `Task` on `input` in the background and returns its ``Future`` at once (Python's
    /// `apply_async`: `get` is ``Future/result(timeout:)``, `wait`, `ready` is ``Future/isDone``,
    /// `successful` is ``Future/isSuccessful``). Submissions made close together run as one batch.
    public func applyAsync<Task: ParallelTask>(_ task: Task.Type, _ input: Task.Input) -> Future<Task.Output> {
        executor.submit(task, input, reportedIndex: 0)
    }
}

/// A task that runs a whole chunk of plain-data inputs itself, in one loop (see ``StarTask``).
protocol PlainDataChunkRunner {
    /// Runs the items of `chunk`: inputs read from `inputs`, outputs written to `outputs`, by item index.
    static func runPlainChunk(inputs: UnsafeRawPointer, outputs: UnsafeMutableRawPointer, table: ItemTableWriter, chunk: Int)
}

extension StarTask: PlainDataChunkRunner {
    /// Reads each pair's two fields in place and calls the task: one loop, so the pair's type metadata is
    /// looked up once per chunk instead of once per task (this code is not specialised for `Task`).
    static func runPlainChunk(inputs: UnsafeRawPointer, outputs: UnsafeMutableRawPointer, table: ItemTableWriter, chunk: Int) {
        typealias Pair = ArgumentPair<Task.First, Task.Second>
        let pairStride = MemoryLayout<Pair>.stride
        let secondOffset = MemoryLayout<Pair>.offset(of: \Pair.second) ?? 0
        let outputStride = MemoryLayout<Task.Output>.stride
        let layout = table.layout
        for position in layout.positions(ofChunk: chunk) {
            let item = layout.item(atPosition: position)
            table.begin(item)
            do {
                let pair = inputs + item * pairStride
                let output = try Task.run(pair.load(as: Task.First.self), pair.load(fromByteOffset: secondOffset, as: Task.Second.self))
                outputs.storeBytes(of: output, toByteOffset: item * outputStride, as: Task.Output.self)
                table.complete(item)
            } catch {
                table.fail(item, message: failureText(error))
            }
        }
    }
}
