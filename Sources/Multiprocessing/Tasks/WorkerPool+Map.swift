/// Python's name for a pool of worker processes: `Pool(workers: 4).map(Task.self, over: inputs)`.
public typealias Pool = WorkerPool

extension WorkerPool {
    /// Runs `Task` on every input across the workers and returns the outputs in input order.
    ///
    /// Each worker claims chunks of `chunkSize` inputs (default: about 8 chunks per worker). Inputs and
    /// outputs of plain-data types (`Int`, `Double`, structs and tuples of them) travel as raw elements
    /// in shared memory, read and written in place; an `Int` range is never materialised; other types are
    /// encoded a chunk at a time, not one value at a time. A task that throws, or whose
    /// worker dies (a signal, `abort()`, the OOM killer), fails alone: the other tasks finish, the pool
    /// replaces the worker, and this call throws the first failure's ``TaskError``. Use
    /// ``mapResults(_:over:chunkSize:timeout:progress:)`` to get every task's outcome instead.
    ///
    /// `timeout` bounds the whole map (Python's `map_async(...).get(timeout)`; nil: the pool's
    /// ``timeout``, by default none). When it passes, the workers still running tasks are killed and
    /// replaced, and the call throws ``WorkerPoolError/Code/timedOut`` naming each
    /// worker's pid, state and the task index it held.
    ///
    /// ```swift
    /// let squares = try pool.map(Square.self, over: 0..<10_000, timeout: .seconds(30))
    /// ```
    public func map<Task: ParallelTask, Inputs: Collection>(
        _ task: Task.Type, over inputs: Inputs, chunkSize: Int? = nil, timeout: Duration? = nil,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> [Task.Output] where Inputs.Element == Task.Input {
        try mapOutcomes(task, inputs: MapInputs(inputs), chunkSize: chunkSize, timeout: timeout, progress: progress, onOutcome: nil)
            .outputs()
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
        try mapOutcomes(task, inputs: MapInputs(inputs), chunkSize: chunkSize, timeout: timeout, progress: progress, onOutcome: nil)
            .results()
    }

    /// The map machinery; `onOutcome` is called once per task as soon as its outcome is known (from the
    /// calling thread, while the map runs), in completion order. One deadline covers every pass.
    func mapCore<Task: ParallelTask>(
        _ task: Task.Type, values: [Task.Input], chunkSize: Int?, timeout: Duration? = nil,
        progress: ((Int, Int) -> Void)?, onOutcome: ((Int, Result<Task.Output, TaskError>) -> Void)?
    ) throws -> [Result<Task.Output, TaskError>] {
        try mapOutcomes(task, inputs: .values(values), chunkSize: chunkSize, timeout: timeout, progress: progress, onOutcome: onOutcome)
            .results()
    }

    /// Runs a map over an ``ItemTable`` of its tasks until each has an outcome.
    ///
    /// With `onRawOutputs` and plain-data outputs, finished tasks are reported in batches instead (their
    /// indices and the buffer their outputs are in, valid during the call), before each `progress` call
    /// and before a failure's `onOutcome`: a per-task callback costs more than the task.
    func mapOutcomes<Task: ParallelTask>(
        _ task: Task.Type, inputs: MapInputs<Task.Input>, chunkSize: Int?, timeout: Duration?,
        progress: ((Int, Int) -> Void)?, onRawOutputs: (([Int], UnsafeRawPointer) -> Void)? = nil,
        onOutcome: ((Int, Result<Task.Output, TaskError>) -> Void)?
    ) throws -> MapOutcomes<Task.Output> {
        if let chunkSize, chunkSize < 1 { throw WorkerPoolError.invalidChunkSize(chunkSize) }
        let count = inputs.count
        guard count > 0 else {
            progress?(0, 0)
            return MapOutcomes(values: .plain([]), failures: [:])
        }
        return try Self.withTimeout(timeout) {
            let firstChunk = chunkSize ?? Self.automaticChunkSize(tasks: count, workers: workerCount)
            let (inputLayout, inputSegment) = try inputs.share(blockSize: firstChunk)
            let rawOutputs = _isPOD(Task.Output.self)
            let outputStride = max(1, MemoryLayout<Task.Output>.stride)
            let (outputBytes, tooMany) = count.multipliedReportingOverflow(by: outputStride)
            guard !tooMany else { throw SharedMemoryError.invalidSize(Int.max) }
            let arenaBytes = rawOutputs ? 64 << 10 : max(1 << 20, (inputSegment?.byteCount ?? 0) * 2 + count * 16)
            let (table, outputSegment) = try takeMapScratch(
                count: count, arenaBytes: arenaBytes, outputBytes: rawOutputs ? outputBytes : nil)
            defer { keepMapScratch(table, outputSegment) }
            let name = String(describing: Task.self)
            var failures: [Int: TaskError] = [:]
            var decoded: [Task.Output?] = rawOutputs ? [] : Array(repeating: nil, count: count)
            // Chunk frames being read, by arena offset, with the number of their items still to read.
            var frames: [Int: (outputs: [Task.Output], left: Int)] = [:]
            var known = 0

            func failure(_ index: Int, pid: Int32, _ reason: TaskError.Reason) -> TaskError {
                TaskError(index: index, input: inputs.describe(index), pid: pid, reason: reason, task: name)
            }
            func output(of item: Int, _ record: ItemRecord) -> Result<Task.Output, TaskError> {
                if let outputSegment {
                    return .success(outputSegment.base.load(fromByteOffset: item * outputStride, as: Task.Output.self))
                }
                let (offset, element) = table.payloadElement(of: item)
                if frames[offset] == nil {
                    do {
                        let outputs = try table.withPayload(of: item) { try BinaryDecoder().decode([Task.Output].self, from: $0) }
                        frames[offset] = (outputs, outputs.count)
                    } catch {
                        return .failure(failure(item, pid: 0, .threw(type: "CodecError", message: "\(error)")))
                    }
                }
                guard let frame = frames[offset], element >= 0, element < frame.outputs.count else {
                    return .failure(failure(item, pid: 0, .threw(type: "CodecError", message: "no output \(element) in its chunk")))
                }
                frames[offset] = frame.left <= 1 ? nil : (frame.outputs, frame.left - 1)
                return .success(frame.outputs[element])
            }
            var doneItems: [Int] = []
            let batchesRaw = rawOutputs && onRawOutputs != nil
            func flushDone() {
                guard !doneItems.isEmpty, let onRawOutputs, let outputSegment else { return }
                onRawOutputs(doneItems, UnsafeRawPointer(outputSegment.base))
                doneItems.removeAll(keepingCapacity: true)
            }
            func record(_ item: Int, _ outcome: Result<Task.Output, TaskError>) {
                if batchesRaw { flushDone() }
                switch outcome {
                case .success(let value): if !rawOutputs { decoded[item] = value }
                case .failure(let error): failures[item] = error
                }
                known += 1
                onOutcome?(item, outcome)
            }
            let reports = progress != nil || onOutcome != nil
            do {
                try runItems(
                    table, chunkSize: { pending in chunkSize ?? Self.automaticChunkSize(tasks: pending, workers: workerCount) },
                    describeChunk: { items in "tasks \(items.first ?? 0)... (\(items.count) tasks)" },
                    job: { TaskMapJob<Task>(items: $0, inputs: inputLayout, outputs: outputSegment?.reference) },
                    whileWaiting: reports ? {
                        flushDone()
                        progress?(known, count)
                    } : nil,
                    reportsDone: reports || !rawOutputs,
                    doneInBatches: batchesRaw ? { items in
                        doneItems.append(contentsOf: items)
                        known += items.count
                    } : nil,
                    settled: { item, itemRecord in
                        if itemRecord.state == .done {
                            record(item, output(of: item, itemRecord))
                        } else {
                            let parts = table.message(of: item).split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
                            let type = parts.first.map(String.init) ?? "Error"
                            record(item, .failure(failure(item, pid: itemRecord.pid, .threw(type: type, message: parts.count > 1 ? String(parts[1]) : ""))))
                        }
                    },
                    lost: { item, itemRecord, cause in
                        if cause.code == .timedOut { throw Self.namingTasks(cause, table: table, inputs: inputs, task: name) }
                        let reason: TaskError.Reason = cause.code == .chunkFailed
                            ? .threw(type: "WorkerPoolError", message: cause.message ?? "\(cause)")
                            // A worker whose death the pool reported without its status (a second death in
                            // one pass) was reaped by the pool: it died, from a signal as far as is known.
                            : .workerDied(cause.status ?? .signaled(9))
                        record(item, .failure(failure(item, pid: itemRecord.pid, reason)))
                    })
            } catch let error as WorkerPoolError where error.code == .timedOut {
                // Also a deadline that passed between passes: name the task, not the job type.
                throw Self.namingTasks(error, table: table, inputs: inputs, task: name)
            }
            withExtendedLifetime(inputSegment) {}
            flushDone()
            progress?(count, count)
            if let outputSegment {
                let plain = [Task.Output](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: outputSegment.base, byteCount: count * MemoryLayout<Task.Output>.stride)
                    initialized = count
                }
                return MapOutcomes(values: .plain(plain), failures: failures)
            }
            return MapOutcomes(values: .optional(decoded), failures: failures)
        }
    }

    /// A timeout whose stuck workers are named by the task each was running, not by its chunk.
    private static func namingTasks<Input>(
        _ timeout: WorkerPoolError, table: ItemTable, inputs: MapInputs<Input>, task: String
    ) -> WorkerPoolError {
        var error = timeout
        error.job = task
        error.stuck = timeout.stuck.map { worker in
            var worker = worker
            if let index = (0..<table.count).first(where: { table.record($0).state == .running && table.record($0).pid == worker.pid }) {
                worker.held = "task \(index) (input \(inputs.describe(index)))"
            }
            return worker
        }
        return error
    }

    /// Python gives each worker about 4 chunks; claiming a chunk here is one atomic increment, so
    /// smaller chunks (about 8 per worker) balance better at no cost.
    static func automaticChunkSize(tasks: Int, workers: Int) -> Int {
        max(1, (tasks + 8 * workers - 1) / (8 * workers))
    }
}

/// A map's outcomes in input order: outputs where tasks succeeded, a ``TaskError`` where they failed.
struct MapOutcomes<Output> {
    enum Values {
        /// Raw outputs, every element valid except at a failure's index.
        case plain([Output])
        /// Decoded outputs, nil at a failure's index.
        case optional([Output?])
    }

    var values: Values
    var failures: [Int: TaskError]

    /// The outputs, or the failure of the lowest index.
    func outputs() throws -> [Output] {
        if let first = failures.keys.min(), let error = failures[first] { throw error }
        switch values {
        case .plain(let outputs): return outputs
        case .optional(let outputs):
            var plain: [Output] = []
            plain.reserveCapacity(outputs.count)
            for (i, value) in outputs.enumerated() {
                guard let value else { throw Self.missing(i) }
                plain.append(value)
            }
            return plain
        }
    }

    func results() -> [Result<Output, TaskError>] {
        switch values {
        case .plain(let outputs):
            return outputs.enumerated().map { i, value -> Result<Output, TaskError> in
                if let error = failures[i] { return .failure(error) }
                return .success(value)
            }
        case .optional(let outputs):
            return outputs.enumerated().map { i, value -> Result<Output, TaskError> in
                if let error = failures[i] { return .failure(error) }
                return value.map { .success($0) } ?? .failure(Self.missing(i))
            }
        }
    }

    /// An outcome the map lost track of (never expected: every item is settled or lost).
    private static func missing(_ index: Int) -> TaskError {
        TaskError(index: index, input: "?", pid: 0, reason: .threw(type: "WorkerPoolError", message: "no outcome was recorded"), task: "map")
    }
}
