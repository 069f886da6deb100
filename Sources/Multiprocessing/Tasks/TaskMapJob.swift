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
        var source = try MapInputReader<Task.Input>(job.inputs, context: context)
        if let outputs = job.outputs {
            let base = try context.address(of: outputs)
            let stride = MemoryLayout<Task.Output>.stride
            table.forEachItem(inChunk: chunk) { item in
                table.begin(item)
                do {
                    let output = try Task.run(try source.input(item))
                    base.storeBytes(of: output, toByteOffset: item * stride, as: Task.Output.self)
                    table.complete(item)
                } catch {
                    table.fail(item, message: failureText(error))
                }
            }
        } else {
            var outputs: [Task.Output] = []
            var ran: [Int] = []
            outputs.reserveCapacity(table.itemCount(inChunk: chunk))
            table.forEachItem(inChunk: chunk) { item in
                table.begin(item)
                do {
                    outputs.append(try Task.run(try source.input(item)))
                    ran.append(item)
                    table.markRan(item)
                } catch {
                    table.fail(item, message: failureText(error))
                }
            }
            if !ran.isEmpty {
                // One frame for the chunk's outputs: the encoder's fixed cost is paid once per chunk.
                do {
                    let bytes = try BinaryEncoder().encode(outputs)
                    bytes.withUnsafeBytes { _ = table.complete(ran, in: $0) }
                } catch {
                    for item in ran { table.fail(item, message: failureText(error)) }
                }
            }
        }
        table.finishChunk(chunk)
    }
}

/// A task's error as the parent rebuilds it: the error's type name, a NUL, its description.
func failureText(_ error: any Error) -> String { "\(String(reflecting: type(of: error)))\u{0}\(error)" }
