import Synchronization

/// Work a ``WorkerPool`` runs chunk by chunk in its worker processes.
///
/// A job is plain data (it is copied into shared memory, so it holds ``SegmentReference``s, never
/// pointers or objects) and a static function that runs one chunk of it inside a worker. Keep job
/// types non-generic: a forked worker finds the code by the type's registration index.
///
/// ```swift
/// struct Fill: WorkerJob {
///     var target: SegmentReference
///     static func run(_ job: Fill, chunk: Int, context: WorkerContext) throws { ... }
/// }
/// try pool.run(Fill(target: segment.reference), chunks: 64)
/// ```
public protocol WorkerJob: BitwiseCopyable, Sendable {
    /// Runs chunk `chunk` (0..<chunks) of `job`, in a worker process.
    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws
    /// Called once in each worker before it runs its first chunk of this job type.
    static func prepareWorker()
}

extension WorkerJob {
    public static func prepareWorker() {}
}

/// The table of job types, in registration order. Workers see the table as it was when they were
/// forked; the pool re-forks its workers when a job names a type registered after that.
enum WorkerJobRegistry {
    struct Entry: Sendable {
        let type: ObjectIdentifier
        let name: String
        let runner: @Sendable (UnsafeRawPointer, Int, WorkerContext) throws -> Void
        let prepare: @Sendable () -> Void
    }

    private static let table = Mutex<[Entry]>([])

    /// The index of `J`, registering it if needed.
    static func index<J: WorkerJob>(of _: J.Type) -> Int {
        let id = ObjectIdentifier(J.self)
        return table.withLock { entries in
            if let index = entries.firstIndex(where: { $0.type == id }) { return index }
            entries.append(
                Entry(
                    type: id, name: String(describing: J.self),
                    runner: { payload, chunk, context in
                        try J.run(payload.loadUnaligned(as: J.self), chunk: chunk, context: context)
                    },
                    prepare: { J.prepareWorker() }))
            return entries.count - 1
        }
    }

    static var count: Int { table.withLock { $0.count } }

    /// A copy of the table, taken in the parent just before a fork.
    static func snapshot() -> [Entry] { table.withLock { $0 } }
}
