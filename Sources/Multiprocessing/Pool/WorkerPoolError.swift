/// Why a ``WorkerPool`` call failed: a ``code`` saying what kind of failure it is, and the context that
/// applies (the worker's pid, how it ended, the job, the chunk it held).
///
/// A struct rather than an enum (swift-subprocess's style), so new codes and fields can be added without
/// breaking code that handles the error. Compare ``code`` to tell failures apart; the description is one
/// line for a person.
///
/// ```swift
/// do { try pool.run(job, chunks: 64) } catch let error as WorkerPoolError where error.code == .workerDied {
///     print("worker \(error.pid!) died with \(error.status!) on chunk \(error.chunk!)")
/// }
/// ```
public struct WorkerPoolError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Matches an error against a code: `catch WorkerPoolError.Code.shutDown { ... }`.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? WorkerPoolError)?.code == code
        }

        /// The requested worker count is not usable (``WorkerPoolError/value``).
        public static let invalidWorkerCount = Code("invalid worker count")
        /// A worker process died (a signal or an unexpected exit) while running ``WorkerPoolError/chunk``.
        public static let workerDied = Code("worker died")
        /// A job's code threw inside a worker (``WorkerPoolError/message``).
        public static let chunkFailed = Code("chunk failed")
        /// A worker process could not be started (``WorkerPoolError/message``).
        public static let spawnFailed = Code("spawn failed")
        /// The job's data does not fit the pool's job slot (``WorkerPoolError/bytes`` over ``WorkerPoolError/limit``).
        public static let jobTooLarge = Code("job too large")
        /// The pool was shut down.
        public static let shutDown = Code("shut down")
        /// A chunk size (or task limit) below 1 (``WorkerPoolError/value``).
        public static let invalidChunkSize = Code("invalid chunk size")
        /// The call did not finish within ``WorkerPoolError/timeout``: the workers that had not finished were
        /// killed (SIGKILL, reaped) and replaced; each is named in ``WorkerPoolError/stuck``.
        public static let timedOut = Code("timed out")
        /// A timeout that is zero or negative (``WorkerPoolError/timeout``).
        public static let invalidTimeout = Code("invalid timeout")
        /// An item index (``WorkerPoolError/value``) outside an ``ItemTable`` of ``WorkerPoolError/limit`` items.
        public static let invalidItem = Code("invalid item")
    }

    /// What kind of failure this is.
    public var code: Code
    /// The worker process concerned, if one is.
    public var pid: Int32?
    /// How that worker ended (``workerDied``).
    public var status: ExitStatus?
    /// The chunk the worker held (0..<chunks of the call), if it held one.
    public var chunk: Int?
    /// The chunk in the caller's words: "chunk 3 (elements 3145728..<4194304)", "task 7", a file.
    public var chunkDescription: String?
    /// The job or task type's name.
    public var job: String?
    /// The index of the task of a map that was concerned, when one was.
    public var task: Int?
    /// What the worker's code said (``Code/chunkFailed``), or why a worker could not start.
    public var message: String?
    /// The deadline that passed, or the timeout that was refused.
    public var timeout: Duration?
    /// The workers killed at a deadline, with their state and what they held.
    public var stuck: [StuckWorker]
    /// The refused number (worker count, chunk size).
    public var value: Int?
    /// The job's size, and the limit it exceeded (``Code/jobTooLarge``).
    public var bytes: Int?
    public var limit: Int?

    public init(
        _ code: Code, pid: Int32? = nil, status: ExitStatus? = nil, chunk: Int? = nil, chunkDescription: String? = nil,
        job: String? = nil, task: Int? = nil, message: String? = nil, timeout: Duration? = nil,
        stuck: [StuckWorker] = [], value: Int? = nil, bytes: Int? = nil, limit: Int? = nil
    ) {
        self.code = code
        self.pid = pid
        self.status = status
        self.chunk = chunk
        self.chunkDescription = chunkDescription
        self.job = job
        self.task = task
        self.message = message
        self.timeout = timeout
        self.stuck = stuck
        self.value = value
        self.bytes = bytes
        self.limit = limit
    }

    /// The signal that killed the worker, if one did.
    public var signal: Int32? {
        if case .signaled(let signal)? = status { return signal }
        return nil
    }

    public var description: String {
        let job = self.job ?? "the job"
        let what = chunkDescription ?? chunk.map { "chunk \($0)" } ?? "no chunk"
        let pid = self.pid.map { "\($0)" } ?? "?"
        switch code {
        case .invalidWorkerCount:
            return "invalid worker count \(value ?? 0): use at least 1 (and at most \(WorkerPool.maximumWorkers))"
        case .workerDied:
            let how = status.map { "\($0)" } ?? "an unknown status"
            return "worker pid \(pid) died with \(how) while running \(job) on \(what); the pool replaced it"
        case .chunkFailed:
            return "\(job) failed in worker pid \(pid) on \(what): \(message ?? "")"
        case .spawnFailed:
            return "could not start a worker process: \(message ?? "")"
        case .jobTooLarge:
            return "job \(job) is \(bytes ?? 0) bytes; the limit is \(limit ?? 0)"
        case .shutDown:
            return "the worker pool has been shut down"
        case .invalidChunkSize:
            return "invalid chunk size \(value ?? 0): use at least 1"
        case .timedOut:
            let after = timeout.map(describeTimeout) ?? "?"
            return "\(job) timed out after \(after): "
                + (stuck.isEmpty ? "the deadline passed before it started" : stuck.map(\.description).joined(separator: "; "))
                + (stuck.count == 1 ? "; the pool killed and replaced it" : stuck.isEmpty ? "" : "; the pool killed and replaced them")
        case .invalidItem:
            return "item \(value ?? 0) is outside the table's 0..<\(limit ?? 0)"
        case .invalidTimeout:
            return "invalid timeout \(timeout.map { "\($0)" } ?? "?"): use a positive duration"
        default:
            return "worker pool error (\(code))" + (message.map { ": \($0)" } ?? "")
        }
    }
}

extension WorkerPoolError {
    static func invalidWorkerCount(_ count: Int) -> Self { Self(.invalidWorkerCount, value: count) }

    static func workerDied(pid: Int32, status: ExitStatus, chunk: Int, chunkDescription: String, job: String) -> Self {
        Self(.workerDied, pid: pid, status: status, chunk: chunk, chunkDescription: chunkDescription, job: job)
    }

    static func chunkFailed(pid: Int32, chunk: Int, chunkDescription: String, job: String, message: String) -> Self {
        Self(.chunkFailed, pid: pid, chunk: chunk, chunkDescription: chunkDescription, job: job, message: message)
    }

    static func spawnFailed(_ why: String) -> Self { Self(.spawnFailed, message: why) }

    static func jobTooLarge(job: String, bytes: Int, limit: Int) -> Self {
        Self(.jobTooLarge, job: job, bytes: bytes, limit: limit)
    }

    /// The pool was shut down.
    public static var shutDown: Self { Self(.shutDown) }

    static func invalidChunkSize(_ size: Int) -> Self { Self(.invalidChunkSize, value: size) }

    static func timedOut(timeout: Duration, job: String, stuck: [StuckWorker]) -> Self {
        Self(.timedOut, job: job, timeout: timeout, stuck: stuck)
    }

    /// A timeout that is zero or negative.
    public static func invalidTimeout(_ timeout: Duration) -> Self { Self(.invalidTimeout, timeout: timeout) }
}
