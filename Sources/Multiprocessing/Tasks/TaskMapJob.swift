/// Runs a chunk of a task map in a worker: takes each item's input (computed from a range, read in
/// place from raw elements, or decoded a block at a time), runs the task, and saves the output (in place
/// in a raw output buffer, or encoded together with the chunk's other outputs into the item table's
/// arena). A task that throws fails its item alone; the item table records which item a dying worker held.
struct TaskMapJob<Task: ParallelTask>: WorkerJob {
    var items: ItemTableReference
    var inputs: MapInputLayout
    /// Raw outputs (`count` elements of `Task.Output`, a plain-data type), or nil to encode them.
    var outputs: SegmentReference?

    static func run(_ job: TaskMapJob, chunk: Int, context: WorkerContext) throws {
        let table = try job.items.open(in: context)
        if let outputs = job.outputs, job.inputs.kind != .encodedBlocks {
            try runInPlace(job, outputs: outputs, chunk: chunk, table: table, context: context)
        } else {
            try runEncoding(job, chunk: chunk, table: table, context: context)
        }
        table.finishChunk(chunk)
    }

    /// Plain-data inputs (or a range) and outputs: one loop, no closure and no generic helper per item,
    /// because this code is not specialised for `Task` (it is reached through the job's type name) and
    /// every generic call would look up type metadata again.
    private static func runInPlace(
        _ job: TaskMapJob, outputs: SegmentReference, chunk: Int, table: ItemTableWriter, context: WorkerContext
    ) throws {
        let output = try context.address(of: outputs)
        let input = try job.inputs.segment.map { UnsafeRawPointer(try context.address(of: $0)) }
        if job.inputs.kind == .raw, let input, let runner = Task.self as? any PlainDataChunkRunner.Type {
            runner.runPlainChunk(inputs: input, outputs: output, table: table, chunk: chunk)
            return
        }
        let inputStride = MemoryLayout<Task.Input>.stride
        let outputStride = MemoryLayout<Task.Output>.stride
        let isRange = job.inputs.kind == .range
        let start = job.inputs.start
        let layout = table.layout
        for position in layout.positions(ofChunk: chunk) {
            let item = layout.item(atPosition: position)
            table.begin(item)
            do {
                let value: Task.Input
                if isRange {
                    value = unsafeBitCast(start + item, to: Task.Input.self)
                } else if let input {
                    value = input.load(fromByteOffset: item * inputStride, as: Task.Input.self)
                } else {
                    throw CodecError(.malformed, expected: "raw inputs", found: "none", offset: 0)
                }
                output.storeBytes(of: try Task.run(value), toByteOffset: item * outputStride, as: Task.Output.self)
                table.complete(item)
            } catch {
                table.fail(item, message: failureText(error))
            }
        }
    }

    /// Encoded inputs or outputs: inputs decoded a block at a time, outputs encoded together as one frame
    /// per chunk (raw outputs, when the inputs alone are encoded, are still written in place).
    private static func runEncoding(_ job: TaskMapJob, chunk: Int, table: ItemTableWriter, context: WorkerContext) throws {
        var source = try MapInputReader<Task.Input>(job.inputs, context: context)
        let rawOutput = try job.outputs.map { try context.address(of: $0) }
        var outputs: [Task.Output] = []
        var ran: [Int] = []
        outputs.reserveCapacity(table.itemCount(inChunk: chunk))
        for position in table.layout.positions(ofChunk: chunk) {
            let item = table.layout.item(atPosition: position)
            table.begin(item)
            do {
                let output = try Task.run(try source.input(item))
                if let rawOutput {
                    rawOutput.storeBytes(of: output, toByteOffset: item * MemoryLayout<Task.Output>.stride, as: Task.Output.self)
                    table.complete(item)
                } else {
                    outputs.append(output)
                    ran.append(item)
                    table.markRan(item)
                }
            } catch {
                table.fail(item, message: failureText(error))
            }
        }
        guard !ran.isEmpty else { return }
        // One frame for the chunk's outputs: the encoder's fixed cost is paid once per chunk.
        do {
            let bytes = try BinaryEncoder().encode(outputs)
            bytes.withUnsafeBytes { _ = table.complete(ran, in: $0) }
        } catch {
            for item in ran { table.fail(item, message: failureText(error)) }
        }
    }
}

/// A task's error as the parent rebuilds it: the error's type name, a NUL, its description.
func failureText(_ error: any Error) -> String { "\(String(reflecting: type(of: error)))\u{0}\(error)" }
