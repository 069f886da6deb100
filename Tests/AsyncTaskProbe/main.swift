// Runs async tasks on a pool of spawned workers (which a test process cannot host: a spawned worker is a new
// run of the program, and XCTest's main would run the tests again) and prints what happened, one
// `key=value` per line, for Tests/MultiprocessingTests/Tasks/AsyncTaskTests.swift.
#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing

WorkerPool.runSpawnedWorkerIfRequested()

/// Waits `milliseconds` without holding a thread, then says which worker it ran in.
struct Nap: AsyncParallelTask {
    static func run(_ milliseconds: Int) async throws -> Int32 {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return getpid()
    }
}

/// The same wait, blocking the worker (a plain ParallelTask): the peer of the measurement.
struct BlockingNap: ParallelTask {
    static func run(_ milliseconds: Int) throws -> Int32 {
        usleep(UInt32(milliseconds * 1000))
        return getpid()
    }
}

struct OddInputIsRefused: Error, CustomStringConvertible {
    let input: Int
    var description: String { "input \(input) is odd" }
}

/// Fails its odd inputs, after a suspension point.
struct EvenOnly: AsyncParallelTask {
    static func run(_ input: Int) async throws -> Int {
        await Task.yield()
        if input % 2 == 1 { throw OddInputIsRefused(input: input) }
        return input / 2
    }
}

let tasks = 64, nap = 50
let pool = try WorkerPool(workers: 2, startMethod: .spawn)
defer { pool.shutdown() }
let clock = ContinuousClock()

let asyncStart = clock.now
let pids = try pool.map(Nap.self, over: Array(repeating: nap, count: tasks), concurrency: 16)
let asyncTime = clock.now - asyncStart
let blockingStart = clock.now
_ = try pool.map(BlockingNap.self, over: Array(repeating: nap, count: tasks))
let blockingTime = clock.now - blockingStart
print("tasks=\(tasks)")
print("async_ms=\(asyncTime.components.seconds * 1000 + asyncTime.components.attoseconds / 1_000_000_000_000_000)")
print("blocking_ms=\(blockingTime.components.seconds * 1000 + blockingTime.components.attoseconds / 1_000_000_000_000_000)")
print("async_workers=\(Set(pids).count)")
print("async_worker_pids_are_pool_pids=\(Set(pids).isSubset(of: Set(pool.workerPIDs)))")

let outcomes = try pool.mapResults(EvenOnly.self, over: 0..<10, concurrency: 4)
print("even_outputs=\(outcomes.compactMap { try? $0.get() })")
print("odd_failures=\(outcomes.compactMap { result -> Int? in if case .failure(let e) = result { e.index } else { nil } })")
if case .failure(let error) = outcomes[3] { print("failure_3=\(error)") }

// From async code (this program has used Swift concurrency now; its spawned workers do not care).
func halvesFromAsyncCode() async throws -> [Int] {
    try await pool.map(EvenOnly.self, over: [4, 8], concurrency: 2)
}
let fromAsync = try await halvesFromAsyncCode()
print("from_async=\(fromAsync)")
print("apply=\(try pool.apply(EvenOnly.self, 12))")
