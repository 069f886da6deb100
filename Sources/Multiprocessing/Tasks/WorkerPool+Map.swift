/// Python's name for a pool of worker processes: `Pool(workers: 4).map(Task.self, over: inputs)`.
public typealias Pool = WorkerPool

extension WorkerPool {
    /// Runs `Task` on every input across the workers and returns the outputs in input order.
    ///
    /// Inputs are encoded once into shared memory; each worker claims chunks of `chunkSize` inputs
    /// (default: about 8 chunks per worker) and writes encoded outputs back. A task that throws, or whose
    /// worker dies (a signal, `abort()`, the OOM killer), fails alone: the other tasks finish, the pool
    /// replaces the worker, and this call throws the first failure's ``TaskError``. Use
    /// ``mapResults(_:over:chunkSize:timeout:progress:)`` to get every task's outcome instead.
    ///
    /// `timeout` bounds the whole map (Python's `map_async(...).get(timeout)`; nil: the pool's
    /// ``timeout``, by default none). When it passes, the workers still running tasks are killed and
    /// replaced, and the call throws ``WorkerPoolError/timedOut(timeout:job:stuck:)`` naming each
    /// worker's pid, state and the task index it held.
    ///
    /// ```swift
    /// let squares = try pool.map(Square.self, over: 0..<10_000, timeout: .seconds(30))
    /// ```
    public func map<Task: ParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, chunkSize: Int? = nil, timeout: Duration? = nil,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> [Task.Output] where Inputs.Element == Task.Input {
        try mapResults(task, over: inputs, chunkSize: chunkSize, timeout: timeout, progress: progress).map { try $0.get() }
    }

    /// Runs `Task` on one input in a worker (Python's `apply`), waiting at most `timeout` (see ``map(_:over:chunkSize:timeout:progress:)``).
    public func apply<Task: ParallelTask>(_ task: Task.Type, _ input: Task.Input, timeout: Duration? = nil) throws -> Task.Output {
        try map(task, over: [input], timeout: timeout)[0]
    }

    /// Runs `Task` on every input and returns each task's outcome, in input order.
    ///
    /// - Parameters:
    ///   - timeout: bounds the whole map, as in ``map(_:over:chunkSize:timeout:progress:)``; on expiry
    ///     the call throws rather than returning partial outcomes.
    ///   - progress: called with (finished, total) while the map runs, and once at the end.
    public func mapResults<Task: ParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, chunkSize: Int? = nil, timeout: Duration? = nil,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> [Result<Task.Output, TaskError>] where Inputs.Element == Task.Input {
        try mapCore(task, values: Array(inputs), chunkSize: chunkSize, timeout: timeout, progress: progress, onOutcome: nil)
    }

    /// The map machinery; `onOutcome` is called once per task as soon as its outcome is known (from the
    /// calling thread, while the map runs), in completion order. One deadline covers every pass.
    func mapCore<Task: ParallelTask>(
        _ task: Task.Type, values: [Task.Input], chunkSize: Int?, timeout: Duration? = nil,
        progress: ((Int, Int) -> Void)?, onOutcome: ((Int, Result<Task.Output, TaskError>) -> Void)?
    ) throws -> [Result<Task.Output, TaskError>] {
        try Self.withTimeout(timeout) {
            try mapPasses(task, values: values, chunkSize: chunkSize, progress: progress, onOutcome: onOutcome)
        }
    }

    private func mapPasses<Task: ParallelTask>(
        _ task: Task.Type, values: [Task.Input], chunkSize: Int?, progress: ((Int, Int) -> Void)?,
        onOutcome: ((Int, Result<Task.Output, TaskError>) -> Void)?
    ) throws -> [Result<Task.Output, TaskError>] {
        let count = values.count
        guard count > 0 else {
            progress?(0, 0)
            return []
        }
        if let chunkSize, chunkSize < 1 { throw WorkerPoolError.invalidChunkSize(chunkSize) }
        let inputSegment = try Self.encodeInputs(values)
        var outcomes = [Result<Task.Output, TaskError>?](repeating: nil, count: count)
        var pending = Array(0..<count)
        var arenaCapacity = max(1 << 20, inputSegment.byteCount * 2 + count * 16)
        var finishedBefore = 0
        while !pending.isEmpty {
            let size = chunkSize ?? Self.automaticChunkSize(tasks: pending.count, workers: workerCount)
            let chunks = (pending.count + size - 1) / size
            let results = try SharedMemory(byteCount: TaskTable.arenaStart(count: count) + arenaCapacity)
            let selection = try SharedMemory(byteCount: pending.count * MemoryLayout<Int>.stride)
            pending.withUnsafeBytes { selection.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let job = TaskMapJob<Task>(
                inputs: inputSegment.reference, results: results.reference, selection: selection.reference,
                selected: pending.count, chunkSize: size, arenaCapacity: arenaCapacity, taskCount: count)
            var died: (pid: Int32, status: ExitStatus)?
            let arena = UnsafeRawPointer(results.base + TaskTable.arenaStart(count: count))
            var delivered = Set<Int>()
            var lastSeen = 0
            func deliverFinished() {
                guard let onOutcome else { return }
                let finished = TaskTable.finished(results.base).load(ordering: .acquiring)
                guard finished != lastSeen else { return }
                lastSeen = finished
                for index in pending where !delivered.contains(index) {
                    let entry = TaskTable.loadEntry(results.base, index)
                    guard let outcome = Self.outcome(
                        of: Task.self, entry: entry, arena: arena, index: index, input: values[index], died: nil)
                    else { continue }
                    delivered.insert(index)
                    outcomes[index] = outcome
                    onOutcome(index, outcome)
                }
            }
            let report: (() -> Void)? =
                progress == nil && onOutcome == nil
                ? nil
                : {
                    deliverFinished()
                    progress?(finishedBefore + TaskTable.finished(results.base).load(ordering: .relaxed), count)
                }
            do {
                try run(job, chunks: chunks, describeChunk: { "tasks \(pending[$0 * size])... (chunk \($0))" }, whileWaiting: report)
            } catch WorkerPoolError.workerDied(let pid, let status, _, _, _) {
                died = (pid, status)
            } catch WorkerPoolError.timedOut(let timeout, let job, let stuck) {
                // Name the task each killed worker was running, not its chunk of the selection.
                let named = stuck.map { worker -> StuckWorker in
                    var worker = worker
                    let running = pending.filter { index in
                        let entry = TaskTable.loadEntry(results.base, index)
                        return entry.state == TaskResultEntry.State.running.rawValue && entry.pid == worker.pid
                    }
                    if let index = running.first {
                        worker.held = "task \(index) (input \(describeInput(values[index])))"
                    }
                    return worker
                }
                _ = job
                throw WorkerPoolError.timedOut(timeout: timeout, job: String(describing: Task.self), stuck: named)
            }
            // Collect outcomes; what did not run is run again, the task a dead worker held fails.
            var again: [Int] = []
            var overflowed = false
            for index in pending where !delivered.contains(index) {
                let entry = TaskTable.loadEntry(results.base, index)
                if let outcome = Self.outcome(
                    of: Task.self, entry: entry, arena: arena, index: index, input: values[index], died: died)
                {
                    outcomes[index] = outcome
                    onOutcome?(index, outcome)
                } else if entry.state == TaskResultEntry.State.overflow.rawValue {
                    overflowed = true
                    arenaCapacity = max(arenaCapacity, entry.length * 2)
                    again.append(index)
                } else {
                    again.append(index)
                }
            }
            if overflowed { arenaCapacity *= 2 }
            finishedBefore = count - again.count
            pending = again
        }
        progress?(count, count)
        return outcomes.map { $0! }
    }

    /// The outcome recorded in `entry`, or nil while the task has none yet (pending, running, overflowed).
    /// With `died`, a task the dead worker was running fails with its exit status.
    static func outcome<Task: ParallelTask>(
        of _: Task.Type, entry: TaskResultEntry, arena: UnsafeRawPointer, index: Int, input: Task.Input,
        died: (pid: Int32, status: ExitStatus)?
    ) -> Result<Task.Output, TaskError>? {
        func failure(_ reason: TaskError.Reason) -> Result<Task.Output, TaskError> {
            .failure(
                TaskError(
                    index: index, input: describeInput(input), pid: entry.pid, reason: reason,
                    task: String(describing: Task.self)))
        }
        let bytes = UnsafeRawBufferPointer(start: arena + entry.offset, count: entry.length)
        switch TaskResultEntry.State(rawValue: entry.state) ?? .pending {
        case .done:
            do {
                return .success(try BinaryDecoder().decode(Task.Output.self, from: bytes))
            } catch {
                return failure(.threw(type: "CodecError", message: "\(error)"))
            }
        case .failed:
            let parts = String(decoding: bytes, as: UTF8.self)
                .split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
            return failure(.threw(type: String(parts[0]), message: parts.count > 1 ? String(parts[1]) : ""))
        case .running:
            guard let died, entry.pid == died.pid else { return nil }
            return failure(.workerDied(died.status))
        case .pending, .overflow:
            return nil
        }
    }

    /// Python gives each worker about 4 chunks; claiming a chunk here is one atomic increment, so
    /// smaller chunks (about 8 per worker) balance better at no cost.
    static func automaticChunkSize(tasks: Int, workers: Int) -> Int {
        max(1, (tasks + 8 * workers - 1) / (8 * workers))
    }

    /// Encodes inputs into one segment: count, (offset, length) per input, then the bytes.
    static func encodeInputs<T: Encodable>(_ values: [T]) throws -> SharedMemory {
        let encoder = BinaryEncoder()
        let encoded = try values.map { try encoder.encode($0) }
        let total = encoded.reduce(0) { $0 + $1.count }
        let segment = try SharedMemory(byteCount: 8 + values.count * 16 + total)
        let base = segment.base
        base.storeBytes(of: values.count, as: Int.self)
        var offset = 0
        let payload = base + 8 + values.count * 16
        for (i, bytes) in encoded.enumerated() {
            base.storeBytes(of: offset, toByteOffset: 8 + i * 16, as: Int.self)
            base.storeBytes(of: bytes.count, toByteOffset: 16 + i * 16, as: Int.self)
            bytes.withUnsafeBytes { (payload + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset += bytes.count
        }
        return segment
    }
}
