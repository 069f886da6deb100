#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Multiprocessing
import XCTest

final class ForkUnderLoadTests: XCTestCase {
    /// Forking while other threads hold runtime, malloc or Dispatch locks is the classic way to hang a
    /// child. Create and use pools hundreds of times while Dispatch and Swift-concurrency threads churn.
    func testPoolCreationUnderBusyThreadsNeverHangs() async throws {
        let stop = ManagedFlag()
        for _ in 0..<2 {
            DispatchQueue.global().async {
                while !stop.isSet {
                    var words: [String: [Int]] = [:]
                    for i in 0..<200 { words["k\(i)", default: []].append(i) }
                    _ = words.count
                }
            }
        }
        let churn = Task.detached {
            while !stop.isSet {
                await withTaskGroup(of: Int.self) { group in
                    for i in 0..<8 { group.addTask { String(repeating: "x", count: i * 10).count } }
                    for await _ in group {}
                }
            }
        }
        defer {
            stop.set()
            churn.cancel()
        }
        // Watchdog: a hung worker is killed after 120 s, so the test fails instead of hanging.
        let current = try SharedMemory(byteCount: 16)
        let finished = ManagedFlag()
        let watchdog = Thread {
            let deadline = ContinuousClock.now + .seconds(120)
            while !finished.isSet {
                if ContinuousClock.now > deadline {
                    for i in 0..<2 { kill(current.base.load(fromByteOffset: i * 4, as: Int32.self), SIGKILL) }
                    return
                }
                usleep(50_000)
            }
        }
        watchdog.start()
        defer { finished.set() }
        let started = ContinuousClock.now
        for round in 0..<300 {
            let pool = try WorkerPool(workers: 2)
            for (i, pid) in pool.workerPIDs.enumerated() { current.base.storeBytes(of: pid, toByteOffset: i * 4, as: Int32.self) }
            let out = try SharedMemory(byteCount: 4 * SquaresJob.perChunk * 8)
            try pool.run(SquaresJob(output: out.reference, offset: Int64(round)), chunks: 4)
            XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[1], 1 + Int64(round))
            pool.shutdown()
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(240), "pool creation is hanging")
        }
    }
}
