import Multiprocessing

/// The trivial task the overhead workloads run (Python's peers run `square`).
struct BenchSquare: ParallelTask {
    static func run(_ x: Int) throws -> Int { x * x }
}

/// Pool-overhead workloads: what starting a pool and moving trivial tasks costs.
enum TaskBench {
    static func prepare(_ workload: BenchWorkload, workers: Int?, n: Int) throws -> (body: () throws -> Void, close: () -> Void) {
        switch workload {
        case .poolStart:
            return ({
                let pool = try WorkerPool(workers: workers)
                _ = try pool.map(BenchSquare.self, over: 0..<(pool.workerCount * 4))
                pool.shutdown()
            }, {})
        case .taskOverhead:
            let executor = try Executor(workers: workers)
            _ = try executor.submit(BenchSquare.self, 1).result()
            return ({
                let futures = (0..<n).map { executor.submit(BenchSquare.self, $0) }
                for future in futures { _ = try future.result() }
            }, { executor.shutdown() })
        default:
            let pool = try WorkerPool(workers: workers)
            _ = try pool.map(BenchSquare.self, over: 0..<pool.workerCount)
            return ({ _ = try pool.map(BenchSquare.self, over: 0..<n) }, { pool.shutdown() })
        }
    }
}
