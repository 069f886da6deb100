#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

struct Square: ParallelTask {
    static func run(_ x: Int) throws -> Int { x * x }
}

struct Word: Codable, Sendable, Equatable {
    var text: String
    var repeats: Int
}

struct Shout: ParallelTask {
    struct Empty: Error, CustomStringConvertible {
        var description: String { "nothing to shout" }
    }
    static func run(_ word: Word) throws -> [String] {
        guard !word.text.isEmpty else { throw Empty() }
        return Array(repeating: word.text.uppercased() + "!", count: word.repeats)
    }
}

/// Aborts its worker on input 13; reports the worker pid otherwise.
struct Unlucky: ParallelTask {
    static func run(_ x: Int) throws -> Int32 {
        if x == 13 { abort() }
        usleep(200)
        return getpid()
    }
}

/// Returns a large output, to overflow the first result arena.
struct Big: ParallelTask {
    static func run(_ n: Int) throws -> [Double] { Array(repeating: Double(n), count: n) }
}

final class PoolMapTests: XCTestCase {
    func testMapReturnsOutputsInOrder() throws {
        let pool = try Pool(workers: 2)
        XCTAssertEqual(try pool.map(Square.self, over: 0..<10_000), (0..<10_000).map { $0 * $0 })
        XCTAssertEqual(try pool.map(Square.self, over: 0..<7, chunkSize: 3), [0, 1, 4, 9, 16, 25, 36])
        XCTAssertEqual(try pool.map(Square.self, over: [Int]()), [])
        XCTAssertEqual(try pool.apply(Square.self, 12), 144)
        XCTAssertThrowsError(try pool.map(Square.self, over: 0..<3, chunkSize: 0))
    }

    func testCodableInputsAndOutputsAndAThrowingTask() throws {
        let pool = try Pool(workers: 3)
        let words = [Word(text: "hi", repeats: 2), Word(text: "", repeats: 1), Word(text: "ünï", repeats: 1)]
        let results = try pool.mapResults(Shout.self, over: words)
        XCTAssertEqual(try results[0].get(), ["HI!", "HI!"])
        XCTAssertEqual(try results[2].get(), ["ÜNÏ!"])
        guard case .failure(let error) = results[1] else { return XCTFail("task 1 should fail") }
        XCTAssertEqual(error.index, 1)
        XCTAssertEqual(error.reason, .threw(type: "MultiprocessingTests.Shout.Empty", message: "nothing to shout"))
        XCTAssertTrue(pool.workerPIDs.contains(error.pid))
        XCTAssertTrue(error.description.contains("Word(text: \"\", repeats: 1)"), error.description)
        XCTAssertThrowsError(try pool.map(Shout.self, over: words)) { XCTAssertEqual(($0 as? TaskError)?.index, 1) }
    }

    func testWorkerThatAbortsMidMapFailsOnlyItsTask() throws {
        let pool = try Pool(workers: 2)
        let before = pool.workerPIDs
        let results = try pool.mapResults(Unlucky.self, over: 0..<200, chunkSize: 5)
        for (i, result) in results.enumerated() where i != 13 {
            XCTAssertNoThrow(try result.get(), "task \(i)")
        }
        guard case .failure(let error) = results[13] else { return XCTFail("task 13 should fail") }
        XCTAssertEqual(error.reason, .workerDied(.signaled(SIGABRT)))
        XCTAssertTrue(before.contains(error.pid))
        XCTAssertTrue(error.description.contains("pid \(error.pid)") && error.description.contains("SIGABRT"), error.description)
        XCTAssertFalse(pool.workerPIDs.contains(error.pid), "the dead worker was replaced")
        XCTAssertEqual(try pool.map(Square.self, over: 0..<100).last, 99 * 99, "the next map succeeds")
    }

    func testOutputsLargerThanTheArenaAreRerun() throws {
        let pool = try Pool(workers: 2)
        let out = try pool.map(Big.self, over: [10, 300_000, 20])
        XCTAssertEqual(out.map(\.count), [10, 300_000, 20])
        XCTAssertEqual(out[1].last, 300_000)
    }

    func testProgressReportsFinishedAndTotal() throws {
        let pool = try Pool(workers: 1)
        nonisolated(unsafe) var reports: [(Int, Int)] = []
        _ = try pool.map(Unlucky.self, over: 14..<400, progress: { reports.append(($0, $1)) })
        XCTAssertEqual(reports.last?.0, 386)
        XCTAssertTrue(reports.allSatisfy { $0.1 == 386 && $0.0 <= 386 })
        XCTAssertEqual(reports.map(\.0), reports.map(\.0).sorted())
    }
}

struct Repeat: ParallelTask2 {
    static func run(_ text: String, _ times: Int) throws -> String { String(repeating: text, count: times) }
}

final class PoolLifecycleTests: XCTestCase {
    func testStarmapAndScopedPoolAlwaysShutsDown() throws {
        var pids: [Int32] = []
        let out = try WorkerPool.with(workers: 2) { pool in
            pids = pool.workerPIDs
            return try pool.starmap(Repeat.self, over: [("ab", 2), ("x", 3), ("", 5)])
        }
        XCTAssertEqual(out, ["abab", "xxx", ""])
        for pid in pids { XCTAssertNotEqual(kill(pid, 0), 0, "worker \(pid) still running after the scope") }
        struct Boom: Error {}
        XCTAssertThrowsError(try WorkerPool.with(workers: 1) { pool -> Int in
            pids = pool.workerPIDs
            throw Boom()
        })
        for pid in pids { XCTAssertNotEqual(kill(pid, 0), 0) }
    }
}

final class ApplyAsyncAndGracefulStopTests: XCTestCase {
    func testApplyAsyncGivesPythonsAsyncResultOperations() throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        let ok = pool.applyAsync(Square.self, 7)
        let bad = pool.applyAsync(Shout.self, Word(text: "", repeats: 1))
        XCTAssertTrue(ok.wait(timeout: .seconds(30)))
        XCTAssertTrue(ok.isDone)
        XCTAssertEqual(ok.isSuccessful, true)
        XCTAssertEqual(try ok.result(), 49)
        XCTAssertTrue(bad.wait(timeout: .seconds(30)))
        XCTAssertEqual(bad.isSuccessful, false)
        XCTAssertThrowsError(try bad.result()) { XCTAssertEqual(($0 as? TaskError)?.index, 0) }
    }

    /// Workers loop until the parent sets a stop Event, then finish cleanly (a graceful stop).
    func testEventBasedGracefulStop() throws {
        let stop = try Event()
        let rounds = try SharedBuffer<Int>(repeating: 0, count: 3)
        let workers = (0..<3).map { i in
            Multiprocessing.Process(name: "loop-\(i)") {
                while !stop.isSet {
                    rounds[i] += 1
                    _ = stop.wait(timeout: .milliseconds(5))
                }
            }
        }
        for w in workers { try w.start() }
        usleep(100_000)
        stop.set()
        for w in workers {
            XCTAssertTrue(try w.join(timeout: .seconds(30)))
            XCTAssertEqual(w.exitStatus, .exited(0))
        }
        XCTAssertTrue(try rounds.toArray().allSatisfy { $0 > 0 })
    }
}
