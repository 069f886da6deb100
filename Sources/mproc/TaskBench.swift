import Multiprocessing

/// The trivial task the overhead workloads run (Python's peers run `square`).
struct BenchSquare: ParallelTask {
    static func run(_ x: Int) throws -> Int { x * x }
}

/// Pool-overhead workloads: what starting a pool and moving trivial tasks costs.
enum TaskBench {
    static func prepare(_ workload: BenchWorkload, workers: Int?, startMethod: StartMethod = .fork, n: Int) throws -> (body: () throws -> Void, close: () -> Void) {
        switch workload {
        case .poolStart:
            return ({
                let pool = try WorkerPool(workers: workers, startMethod: startMethod)
                _ = try pool.map(BenchSquare.self, over: 0..<(pool.workerCount * 4))
                pool.shutdown()
            }, {})
        case .taskOverhead:
            let executor = Executor(pool: try WorkerPool(workers: workers, startMethod: startMethod))
            _ = try executor.submit(BenchSquare.self, 1).result()
            return ({
                let futures = (0..<n).map { executor.submit(BenchSquare.self, $0) }
                for future in futures { _ = try future.result() }
            }, { executor.shutdown() })
        case .queue:
            // Messages one way between two processes through a shared-memory Queue; the consumer
            // acknowledges the last one through a second queue.
            return ({
                let queue = try Queue<[Int]>(maxSize: 1024)
                let done = try Queue<Int>()
                let consumer = Process(name: "consumer") {
                    var total = 0
                    while true {
                        let message = try queue.get()
                        if message.isEmpty { break }
                        total += message[0]
                    }
                    try done.put(total)
                }
                try consumer.start()
                for i in 0..<n { try queue.put([i, 1, 2]) }
                try queue.put([])
                _ = try done.get()
                try consumer.join()
            }, {})
        case .pipe:
            return ({
                let (parentEnd, childEnd) = try Pipe.open()
                let consumer = Process(name: "consumer") {
                    var total = 0
                    while true {
                        let message = try childEnd.receive([Int].self)
                        if message.isEmpty { break }
                        total += message[0]
                    }
                    try childEnd.send(total)
                }
                try consumer.start()
                for i in 0..<n { try parentEnd.send([i, 1, 2]) }
                try parentEnd.send([Int]())
                _ = try parentEnd.receive(Int.self)
                try consumer.join()
            }, {})
        default:
            let pool = try WorkerPool(workers: workers, startMethod: startMethod)
            _ = try pool.map(BenchSquare.self, over: 0..<pool.workerCount)
            return ({ _ = try pool.map(BenchSquare.self, over: 0..<n) }, { pool.shutdown() })
        }
    }
}
