// Multiprocessing first, then Foundation: the names resolve the same way.
import Multiprocessing
import Foundation

func multiprocessingFirst() throws {
    let process: Process = Process {}
    try process.start()
    try process.join(timeout: .seconds(10))
    let pipe: (Connection, Connection) = try Pipe.open(duplex: false)
    try pipe.1.send(7)
    check(try pipe.0.receive(Int.self, timeout: .seconds(5)) == 7, "pipe (Multiprocessing imported first)")
    let slots: Semaphore = try Semaphore(value: 1)
    let value = slots.withPermit { slots.value }
    check(value == 0, "semaphore (Multiprocessing imported first)")
    let lock: Lock = try Lock()
    try lock.withLock { check(lock.isHeldByCurrentThread, "lock held") }
    let queues: (Queue<Int>, SimpleQueue<Int>, JoinableQueue<Int>) = (try Queue(), try SimpleQueue(), try JoinableQueue())
    try queues.0.put(1)
    check(try queues.0.get() == 1, "queue (Multiprocessing imported first)")
    _ = (queues.1, queues.2, try RLock(), try BoundedSemaphore(), try Event(), try Condition(), try Barrier(parties: 1))
    _ = try SharedValue(1.5)
    let pool: Pool = try Pool(workers: 1)
    pool.shutdown()
}
