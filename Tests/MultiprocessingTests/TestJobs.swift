#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing

/// Writes `chunk * chunk + offset` for each index of its chunk (128 Int64 values per chunk).
struct SquaresJob: WorkerJob {
    static let perChunk = 128
    var output: SegmentReference
    var offset: Int64
    var sleepMicroseconds: UInt32 = 0

    static func run(_ job: SquaresJob, chunk: Int, context: WorkerContext) throws {
        let base = try context.address(of: job.output).assumingMemoryBound(to: Int64.self)
        if job.sleepMicroseconds > 0 { usleep(job.sleepMicroseconds) }
        for i in chunk * perChunk..<(chunk + 1) * perChunk {
            base[i] = Int64(i) * Int64(i) + job.offset
        }
    }
}

/// Records which worker ran each chunk (after a short sleep, so that every worker is busy).
struct WhoRanJob: WorkerJob {
    var output: SegmentReference
    static func run(_ job: WhoRanJob, chunk: Int, context: WorkerContext) throws {
        usleep(300)
        let base = try context.address(of: job.output).assumingMemoryBound(to: Int64.self)
        base[chunk] = Int64(context.workerIndex)
    }
}

struct JobError: Error, CustomStringConvertible {
    var description: String { "bad value in input" }
}

/// Throws in one chunk, or kills its own process with a signal in one chunk.
struct FailingJob: WorkerJob {
    var failingChunk: Int
    var signal: Int32  // 0: throw an error instead
    static func run(_ job: FailingJob, chunk: Int, context: WorkerContext) throws {
        guard chunk == job.failingChunk else { return }
        if job.signal == SIGABRT { abort() }
        if job.signal != 0 { kill(getpid(), job.signal) }
        throw JobError()
    }
}

/// A thread-safe flag for tests.
final class ManagedFlag: @unchecked Sendable {
    private var value = false
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func set() { pthread_mutex_lock(&mutex); value = true; pthread_mutex_unlock(&mutex) }
    var isSet: Bool { pthread_mutex_lock(&mutex); defer { pthread_mutex_unlock(&mutex) }; return value }
}
