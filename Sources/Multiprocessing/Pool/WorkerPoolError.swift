/// Why a ``WorkerPool`` call failed. Each case names the worker's pid and the chunk it was running.
public enum WorkerPoolError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The requested worker count is not usable.
    case invalidWorkerCount(Int)
    /// A worker process died (signal or unexpected exit) while running `chunk`.
    case workerDied(pid: Int32, status: ExitStatus, chunk: Int, chunkDescription: String, job: String)
    /// A job's code threw inside a worker.
    case chunkFailed(pid: Int32, chunk: Int, chunkDescription: String, job: String, message: String)
    /// A worker process could not be started.
    case spawnFailed(String)
    /// The job's data does not fit the pool's job slot.
    case jobTooLarge(job: String, bytes: Int, limit: Int)
    /// The pool was shut down.
    case shutDown
    /// A map was given a chunk size below 1.
    case invalidChunkSize(Int)
    /// The call did not finish within `timeout`: the workers that had not finished were killed
    /// (SIGKILL, reaped) and replaced; each is named with its state and what it held.
    case timedOut(timeout: Duration, job: String, stuck: [StuckWorker])
    /// A timeout that is zero or negative.
    case invalidTimeout(Duration)

    public var description: String {
        switch self {
        case .invalidWorkerCount(let n):
            "invalid worker count \(n): use at least 1 (and at most \(WorkerPool.maximumWorkers))"
        case .workerDied(let pid, let status, _, let what, let job):
            "worker pid \(pid) died with \(status) while running \(job) on \(what); the pool replaced it"
        case .chunkFailed(let pid, _, let what, let job, let message):
            "\(job) failed in worker pid \(pid) on \(what): \(message)"
        case .spawnFailed(let why): "could not start a worker process: \(why)"
        case .jobTooLarge(let job, let bytes, let limit): "job \(job) is \(bytes) bytes; the limit is \(limit)"
        case .shutDown: "the worker pool has been shut down"
        case .invalidChunkSize(let n): "invalid chunk size \(n): use at least 1"
        case .timedOut(let timeout, let job, let stuck):
            "\(job) timed out after \(describeTimeout(timeout)): "
                + (stuck.isEmpty ? "the deadline passed before it started" : stuck.map(\.description).joined(separator: "; "))
                + (stuck.count == 1 ? "; the pool killed and replaced it" : stuck.isEmpty ? "" : "; the pool killed and replaced them")
        case .invalidTimeout(let timeout): "invalid timeout \(timeout): use a positive duration"
        }
    }
}
