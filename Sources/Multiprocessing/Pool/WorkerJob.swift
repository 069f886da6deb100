/// Work a ``WorkerPool`` runs chunk by chunk in its worker processes.
///
/// A job is plain data (it is copied into shared memory, so it holds ``SegmentReference``s and
/// ``JobString``s, never pointers or objects) and a static function that runs one chunk of it inside a
/// worker. A worker finds the type by its mangled name through the Swift runtime, so any job type in
/// the program works without registration, including ones first used after the workers were forked.
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

    /// Runs a chunk of the job whose bytes are at `payload`.
    static func runErased(_ payload: UnsafeRawPointer, chunk: Int, context: WorkerContext) throws {
        try run(payload.loadUnaligned(as: Self.self), chunk: chunk, context: context)
    }
}

/// Finds job types by mangled name inside a worker, once per type.
struct WorkerJobTypes {
    private var cache: [String: any WorkerJob.Type] = [:]

    /// The job type named `mangledName`, prepared for this worker on first use.
    mutating func resolve(_ mangledName: String) -> (any WorkerJob.Type)? {
        if let type = cache[mangledName] { return type }
        guard let type = _typeByName(mangledName) as? any WorkerJob.Type else { return nil }
        type.prepareWorker()
        cache[mangledName] = type
        return type
    }
}

/// The name a worker uses to find `J`.
func jobTypeName<J: WorkerJob>(_: J.Type) -> String { _mangledTypeName(J.self) ?? String(reflecting: J.self) }
