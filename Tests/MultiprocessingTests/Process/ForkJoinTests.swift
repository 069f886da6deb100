#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// Closures run in freshly forked children: outputs in input order, captured state visible, a failure or a
/// death fails only its own inputs.
final class ForkJoinTests: XCTestCase {
    func testClosureRunsInChildrenAndOutputsComeBackInOrder() throws {
        let offset = 1000   // captured: the children see this process's memory as it was at the fork
        let parent = getpid()
        let outputs = try ForkJoin.map(over: Array(0..<200), processes: 3) { x in [x + offset, Int(getpid())] }
        XCTAssertEqual(outputs.map { $0[0] }, (0..<200).map { $0 + 1000 })
        let pids = Set(outputs.map { Int32($0[1]) })
        XCTAssertFalse(pids.contains(parent), "ran in the calling process")
        XCTAssertGreaterThanOrEqual(pids.count, 1)
        XCTAssertLessThanOrEqual(pids.count, 3)
        XCTAssertEqual(try ForkJoin.map(over: [Int](), processes: 2) { $0 }, [])
    }

    func testAThrowingInputFailsAloneAndADeadChildFailsOnlyWhatItTook() throws {
        struct Odd: Error, CustomStringConvertible { var description: String { "odd input" } }
        let results = try ForkJoin.mapResults(over: Array(0..<20), processes: 2) { x -> Int in
            if x == 13 { _exit(9) }                 // this child dies with the input it holds
            if x % 2 == 1 { throw Odd() }
            return x * 10
        }
        XCTAssertEqual(results.count, 20)
        for (x, result) in results.enumerated() {
            switch result {
            case .success(let value):
                XCTAssertEqual(value, x * 10)
            case .failure(let error):
                XCTAssertEqual(error.index, x)
                if x == 13 {
                    XCTAssertTrue(error.reason.contains("exit code 9"), "\(error)")
                } else if x % 2 == 1 {
                    // Run by the surviving child (it threw), or taken by the one that died.
                    XCTAssertTrue(error.reason == "odd input" || error.reason.contains("exit code 9"), "\(error)")
                    XCTAssertTrue("\(error)".contains("input \(x) failed in child pid"), "\(error)")
                } else {
                    // An even input taken by the child that died before it could report.
                    XCTAssertTrue(error.reason.contains("exit code 9"), "\(error)")
                }
            }
        }
        XCTAssertThrowsError(try ForkJoin.map(over: [1], processes: 1) { _ -> Int in throw Odd() }) {
            XCTAssertEqual(($0 as? ForkJoinError)?.index, 0)
        }
        XCTAssertThrowsError(try ForkJoin.map(over: [1], processes: 0) { $0 })
    }

    func testTimeoutKillsTheChildren() throws {
        let start = ContinuousClock.now
        XCTAssertThrowsError(try ForkJoin.map(over: [1, 2], processes: 2, timeout: .milliseconds(200)) { x -> Int in
            sleep(30)
            return x
        }) { error in
            XCTAssertTrue("\(error)".contains("did not finish within"), "\(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
    }

    struct Increment: ParallelTask {
        static func run(_ x: Int) throws -> Int { x + 1 }
    }

    /// What a call costs, against a persistent pool and a pool started for the call, in the same run
    /// (medians of 15; printed for the README). The assertion only says the fork-join call is not free.
    func testForkJoinCostAgainstAPersistentPool() throws {
        func median(_ body: () throws -> Void) rethrows -> Duration {
            var times: [Duration] = []
            for _ in 0..<15 {
                let start = ContinuousClock.now
                try body()
                times.append(ContinuousClock.now - start)
            }
            return times.sorted()[7]
        }
        _ = try ForkJoin.map(over: [1, 2], processes: 2) { $0 + 1 }   // warm-up: the first forks of a process cost more
        let forkJoinAlone = try median { _ = try ForkJoin.map(over: [1, 2], processes: 2) { $0 + 1 } }
        let started = try median { try WorkerPool.with(workers: 2) { _ = try $0.map(Increment.self, over: [1, 2]) } }
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        _ = try pool.map(Increment.self, over: [1, 2])
        let persistent = try median { _ = try pool.map(Increment.self, over: [1, 2]) }
        let forkJoin = try median { _ = try ForkJoin.map(over: [1, 2], processes: 2) { $0 + 1 } }
        print("fork-join call (2 children, 2 inputs): \(forkJoinAlone) (\(forkJoin) while a pool is alive); "
            + "persistent pool map: \(persistent); pool started for the call: \(started)")
        XCTAssertGreaterThan(forkJoin, persistent)
    }
}
