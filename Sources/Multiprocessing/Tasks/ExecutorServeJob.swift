#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// The pool job an ``Executor`` runs while it has work: chunk `m` is a loop in which a worker serves
/// mailbox `m` of the executor's ``ExecutorBoard``, running each assignment the parent posts there, until
/// the parent asks it to stop. One pool call thus carries any number of submissions, and a task
/// submitted at any moment goes to the first worker that is idle.
struct ExecutorServeJob: WorkerJob {
    var board: SegmentReference

    /// Task types resolved by name in this worker process (a worker runs one chunk at a time).
    nonisolated(unsafe) private static var taskTypes: [String: any ParallelTask.Type] = [:]

    static func run(_ job: ExecutorServeJob, chunk: Int, context: WorkerContext) throws {
        let board = ExecutorBoard(base: try context.address(of: job.board))
        let mailbox = board.mailbox(chunk)
        var seen = mailbox.command.load(ordering: .acquiring)
        mailbox.servingPID.store(Int(getpid()), ordering: .sequentiallyConsistent)
        board.signalParent()
        defer {
            mailbox.servingPID.store(0, ordering: .sequentiallyConsistent)
            board.signalParent()
        }
        while mailbox.stop.load(ordering: .acquiring) == 0 {
            let current = awaitCommand(mailbox, after: seen)
            guard current != seen else { continue }
            seen = current
            if mailbox.stop.load(ordering: .acquiring) != 0 { break }
            try serve(mailbox, board: board, context: context)
        }
    }

    /// Spins briefly (assignments often follow each other closely), then sleeps on the command word;
    /// returns the command word, changed or not after a while (so the caller re-checks `stop`).
    private static func awaitCommand(_ mailbox: ExecutorMailbox, after seen: UInt32) -> UInt32 {
        for _ in 0..<2000 {
            let current = mailbox.command.load(ordering: .acquiring)
            if current != seen { return current }
        }
        _ = mp_futex_wait(mailbox.commandWord, seen, 100_000_000)
        return mailbox.command.load(ordering: .acquiring)
    }

    /// Runs the posted assignment: each task's output (or error text) goes into the output segment,
    /// then its entry, then `finished` moves on. Stops early, between tasks, when asked to.
    private static func serve(_ mailbox: ExecutorMailbox, board: ExecutorBoard, context: WorkerContext) throws {
        let count = mailbox.taskCount
        let inputReference = mailbox.input
        let inputs = UnsafeRawPointer(try context.address(of: inputReference))
        var outputReference = mailbox.output
        var output = try context.address(of: outputReference)
        var cursor = ExecutorMailbox.outputEntriesSize(tasks: count)
        let name = mailbox.typeName
        let type = resolve(name)
        var lastSignal = SyncDeadline.now()
        for index in 0..<count {
            if mailbox.stop.load(ordering: .acquiring) != 0 { return }
            mailbox.started.store(index + 1, ordering: .sequentiallyConsistent)
            let offset = inputs.load(fromByteOffset: index * 16, as: Int.self)
            let length = inputs.load(fromByteOffset: index * 16 + 8, as: Int.self)
            let dataStart = ExecutorMailbox.inputEntriesSize(tasks: count)
            guard offset >= 0, length >= 0, dataStart + offset + length <= inputReference.byteCount else {
                throw ExecutorProtocolError("input \(index) of an assignment lies outside its segment")
            }
            let input = UnsafeRawBufferPointer(start: inputs + dataStart + offset, count: length)
            let (state, bytes): (ExecutorMailbox.OutputState, [UInt8]) =
                if let type {
                    type.runEncoded(input)
                } else {
                    (.threw, Array("UnknownTaskType\u{0}task type \(name) is not known in the worker".utf8))
                }
            if cursor + bytes.count > outputReference.byteCount {
                // No room: ask the parent for a larger segment (it collects the entries written so far first).
                let generation = mailbox.outputGeneration.load(ordering: .acquiring)
                mailbox.outputNeeded.store(ExecutorMailbox.outputEntriesSize(tasks: count) + bytes.count, ordering: .sequentiallyConsistent)
                board.signalParent()
                while mailbox.outputGeneration.load(ordering: .acquiring) == generation {
                    _ = mp_futex_wait(mailbox.outputGenerationWord, generation, 100_000_000)
                }
                outputReference = mailbox.output
                output = try context.address(of: outputReference)
                cursor = ExecutorMailbox.outputEntriesSize(tasks: count)
            }
            bytes.withUnsafeBytes { raw in
                if raw.count > 0 { (output + cursor).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
            }
            output.storeBytes(of: state.rawValue, toByteOffset: index * 24, as: Int.self)
            output.storeBytes(of: cursor, toByteOffset: index * 24 + 8, as: Int.self)
            output.storeBytes(of: bytes.count, toByteOffset: index * 24 + 16, as: Int.self)
            cursor += (bytes.count + 7) & ~7
            mailbox.finished.store(index + 1, ordering: .sequentiallyConsistent)
            // Wake the dispatcher at the end of the assignment, or when this task took a while: a future
            // of a small task waits at most that long, and a burst of them does not cost a wake each.
            let now = SyncDeadline.now()
            if index + 1 == count || now - lastSignal >= 200_000 {
                board.signalParent()
                lastSignal = now
            }
        }
    }

    private static func resolve(_ name: String) -> (any ParallelTask.Type)? {
        if let type = taskTypes[name] { return type }
        guard let type = _typeByName(name) as? any ParallelTask.Type else { return nil }
        taskTypes[name] = type
        return type
    }
}

extension ParallelTask {
    /// Decodes an input, runs the task and encodes its output; a thrown error becomes its type name and
    /// description, separated by a NUL.
    static func runEncoded(_ input: UnsafeRawBufferPointer) -> (ExecutorMailbox.OutputState, [UInt8]) {
        do {
            let value = try BinaryDecoder().decode(Input.self, from: input)
            return (.returned, try BinaryEncoder().encode(run(value)))
        } catch {
            return (.threw, Array("\(String(reflecting: type(of: error)))\u{0}\(error)".utf8))
        }
    }
}

/// An executor's worker found its mailbox in a state the parent never writes.
struct ExecutorProtocolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
