import Multiprocessing

/// The trivial task the overhead workloads run (Python's peers run `square`).
struct BenchSquare: ParallelTask {
    static func run(_ x: Int) throws -> Int { x * x }
}

/// Two-argument multiply, for `starmap-overhead` (Python's peer runs `operator.mul`).
struct BenchMultiply: ParallelTask2 {
    static func run(_ a: Int, _ b: Int) throws -> Int { a &* b }
}

/// Upper-cases a short string, for `map-codable-small` (a small Codable item each way).
struct BenchUpper: ParallelTask {
    static func run(_ text: String) throws -> String { text.uppercased() }
}

/// Sums 1,000 doubles, for `map-codable-large` (8 KB in, 8 bytes out).
struct BenchSum: ParallelTask {
    static func run(_ values: [Double]) throws -> Double { values.reduce(0, +) }
}

/// The error an async consumer saw, handed to the waiting thread through an ``Event``.
private final class FailureBox: @unchecked Sendable {
    var error: (any Error)?
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
        case .starmapOverhead:
            let pool = try WorkerPool(workers: workers)
            let pairs = (0..<n).map { ($0, $0) }
            _ = try pool.starmap(BenchMultiply.self, over: Array(pairs.prefix(pool.workerCount)))
            return ({ _ = try pool.starmap(BenchMultiply.self, over: pairs) }, { pool.shutdown() })
        case .imapUnorderedOverhead:
            // Python's peer passes the chunk size its `map` would choose: n / (4 x workers).
            let pool = try WorkerPool(workers: workers)
            let chunk = max(1, (n + 4 * pool.workerCount - 1) / (4 * pool.workerCount))
            _ = try pool.map(BenchSquare.self, over: 0..<pool.workerCount)
            return ({
                let done = try Event()
                let failure = FailureBox()
                let stream = pool.imapUnordered(BenchSquare.self, over: 0..<n, chunkSize: chunk)
                Task {
                    do { for try await _ in stream {} } catch { failure.error = error }
                    done.set()  // publishes `failure` to the waiting thread
                }
                guard done.wait(timeout: .seconds(600)) else { throw CLIError("imap-unordered-overhead: no end in 600 s") }
                if let error = failure.error { throw error }
            }, { pool.shutdown() })
        case .mapCodableSmall:
            let pool = try WorkerPool(workers: workers)
            let words = (0..<n).map { "word\($0)" }
            _ = try pool.map(BenchUpper.self, over: Array(words.prefix(pool.workerCount)))
            return ({ _ = try pool.map(BenchUpper.self, over: words) }, { pool.shutdown() })
        case .mapCodableLarge:
            let pool = try WorkerPool(workers: workers)
            let rows = (0..<n).map { i in (0..<1000).map { Double(i &+ $0) } }
            _ = try pool.map(BenchSum.self, over: Array(rows.prefix(pool.workerCount)))
            return ({ _ = try pool.map(BenchSum.self, over: rows) }, { pool.shutdown() })
        default:
            let pool = try WorkerPool(workers: workers, startMethod: startMethod)
            _ = try pool.map(BenchSquare.self, over: 0..<pool.workerCount)
            return ({ _ = try pool.map(BenchSquare.self, over: 0..<n) }, { pool.shutdown() })
        }
    }
}
