// Foundation first, then Multiprocessing: Process, Pipe and Semaphore still mean Multiprocessing's.
import Foundation
import Logging
import Multiprocessing

// logging.basicConfig(filename=...): one call, before any child or pool starts. Spawned workers rerun
// main, so they make the same call, with the same path (inherited through the environment).
let logPath = ProcessInfo.processInfo.environment["USER_PROGRAM_LOG"] ?? NSTemporaryDirectory() + "/user-program-\(getpid()).log"
setenv("USER_PROGRAM_LOG", logPath, 1)
try FileLogHandler.bootstrap(appendingTo: logPath, level: .info)

WorkerPool.runSpawnedWorkerIfRequested()

/// Stops the program with a message when a check fails (the test script looks for "user program: ok").
func check(_ condition: Bool, _ what: String) {
    if !condition {
        FileHandle.standardError.write(Data("user program: FAILED: \(what)\n".utf8))
        exit(1)
    }
}

struct Square: ParallelTask {
    static func run(_ x: Int) throws -> Int { x * x }
}

/// I/O-bound work written with Swift concurrency, run in spawned workers.
struct Delayed: AsyncParallelTask {
    static func run(_ x: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(10))
        Logger(label: "delayed").info("delayed \(x)")
        return x + 1
    }
}

Logger(label: "main").info("user program starts")

// Every Python-named type, as a type annotation and in a call.
let lock: Lock = try Lock()
let rlock: RLock = try RLock()
let semaphore: Semaphore = try Semaphore(value: 2)
let bounded: BoundedSemaphore = try BoundedSemaphore(value: 1)
let event: Event = try Event()
let condition: Condition = try Condition()
let barrier: Barrier = try Barrier(parties: 2)
let counter: SharedValue<Int> = try SharedValue(0)
let queue: Queue<String> = try Queue()
let simple: SimpleQueue<Int> = try SimpleQueue()
let joinable: JoinableQueue<Int> = try JoinableQueue()
let (near, far) = try Pipe.open()

/// Python's `with lock:` as `defer`: release() does not throw.
func increment() throws {
    try lock.acquire()
    defer { lock.release() }
    try counter.store(try counter.load() + 1)
}

let child: Process = Process(name: "user-child") {
    try increment()
    try rlock.withLock { try rlock.withLock { try queue.put("from the child") } }
    semaphore.withPermit { bounded.withPermit { event.set() } }
    _ = try barrier.wait(timeout: .seconds(10))
    try far.send("over the pipe")
}
try child.start()
_ = try barrier.wait(timeout: .seconds(10))
check(try queue.get(timeout: .seconds(10)) == "from the child", "queue")
check(try near.receive(String.self, timeout: .seconds(10)) == "over the pipe", "pipe")
try child.join(timeout: .seconds(10))
check(child.exitCode == 0, "child exit code \(String(describing: child.exitCode))")
check(event.isSet, "event")
try increment()
check(try counter.load() == 2, "counter")
try condition.withLock { try condition.notifyAll() }
try simple.put(1)
try joinable.put(2)
check(try simple.get() + joinable.get() == 3, "simple and joinable queues")
try joinable.taskDone()

let pool: Pool = try Pool(workers: 2)
check(try pool.map(Square.self, over: 0..<10) == (0..<10).map { $0 * $0 }, "pool map")
pool.shutdown()

// Async tasks run in spawned workers (this main is also theirs: see runSpawnedWorkerIfRequested above).
let spawned = try Pool(workers: 2, startMethod: .spawn)
check(try spawned.map(Delayed.self, over: 0..<8, concurrency: 4) == Array(1...8), "async tasks")
spawned.shutdown()

// A closure, no task type: run in freshly forked children.
let base = 100
check(try ForkJoin.map(over: Array(0..<6), processes: 2) { $0 + base } == Array(100..<106), "closures")

// Every process wrote to the log file: this one, the child, the spawned workers.
let logged = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
check(logged.contains { $0.contains(" info main pid=\(getpid()): user program starts") }, "log file: parent")
check(logged.filter { $0.contains(" info delayed pid=") }.count == 8, "log file: spawned workers")

try multiprocessingFirst()
unlink(logPath)
print("user program: ok")
