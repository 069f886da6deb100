import Atomics
#if canImport(Glibc)
import Glibc
#endif

/// Runs a chunk of a task map in a worker: decode each input, run the task, encode the output into the
/// shared arena (or the error text), and mark the task's entry.
struct TaskMapJob<Task: ParallelTask>: WorkerJob {
    var inputs: SegmentReference
    var results: SegmentReference
    var selection: SegmentReference
    var selected: Int
    var chunkSize: Int
    var arenaCapacity: Int
    var taskCount: Int

    static func run(_ job: TaskMapJob, chunk: Int, context: WorkerContext) throws {
        let inputs = try context.address(of: job.inputs)
        let results = try context.address(of: job.results)
        let selection = try context.address(of: job.selection).assumingMemoryBound(to: Int.self)
        let arena = results + TaskTable.arenaStart(count: job.taskCount)
        let pid = getpid()
        let start = chunk * job.chunkSize
        for position in start..<min(start + job.chunkSize, job.selected) {
            let index = selection[position]
            let entry = TaskTable.entry(results, index)
            entry.pointee.pid = pid
            TaskTable.state(results, index).store(TaskResultEntry.State.running.rawValue, ordering: .releasing)
            let payload: [UInt8]
            var state = TaskResultEntry.State.done
            do {
                let input = try BinaryDecoder().decode(Task.Input.self, from: TaskTable.input(inputs, index))
                payload = try BinaryEncoder().encode(Task.run(input))
            } catch {
                state = .failed
                payload = Array("\(String(reflecting: type(of: error)))\u{0}\(error)".utf8)
            }
            let offset = TaskTable.cursor(results).loadThenWrappingIncrement(by: payload.count, ordering: .relaxed)
            if offset + payload.count <= job.arenaCapacity {
                payload.withUnsafeBytes { (arena + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                entry.pointee.offset = offset
                entry.pointee.length = payload.count
            } else {
                state = .overflow
                entry.pointee.length = payload.count
            }
            TaskTable.state(results, index).store(state.rawValue, ordering: .releasing)
            TaskTable.finished(results).wrappingIncrement(ordering: .releasing)
        }
    }
}
