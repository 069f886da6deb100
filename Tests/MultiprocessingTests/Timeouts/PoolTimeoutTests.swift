#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Multiprocessing
import XCTest

final class PoolTimeoutTests: XCTestCase {
    func testStoppedWorkerMidCallTimesOutNamingItsPidAndStateAndThePoolGivesTheRightAnswerNext() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let victim = pool.workerPIDs[0]
        let out = try SharedMemory(byteCount: 60 * SquaresJob.perChunk * 8)
        let stopper = Thread {
            usleep(150_000)
            kill(victim, SIGSTOP)
        }
        stopper.start()
        let start = ContinuousClock.now
        XCTAssertThrowsError(
            try pool.run(
                SquaresJob(output: out.reference, offset: 0, sleepMicroseconds: 20_000), chunks: 60,
                timeout: .seconds(1))
        ) { error in
            guard let error = error as? WorkerPoolError, error.code == .timedOut, let timeout = error.timeout else { return XCTFail("\(error)") }
            let stuck = error.stuck
            XCTAssertEqual(timeout, .seconds(1))
            let stopped = stuck.first { $0.pid == victim }
            XCTAssertEqual(stopped?.state, .stopped, "\(error)")
            XCTAssertNotNil(stopped?.chunk, "\(error)")
            let text = "\(error)"
            XCTAssertTrue(text.contains("pid \(victim) (stopped) held chunk"), text)
            XCTAssertFalse(text.contains("\n"), "one line: \(text)")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(10), "hang guard")
        XCTAssertTrue(processIsGone(victim), "the stopped worker was killed and reaped")
        XCTAssertFalse(pool.workerPIDs.contains(victim))
        XCTAssertEqual(pool.workerPIDs.count, 2, "replaced")
        // The next call gets the right answer: nothing the killed worker did leaks into it.
        try pool.run(SquaresJob(output: out.reference, offset: 7), chunks: 60)
        let values = out.base.assumingMemoryBound(to: Int64.self)
        for i in 0..<(60 * SquaresJob.perChunk) { XCTAssertEqual(values[i], Int64(i * i) + 7) }
    }

    func testStoppedIdleWorkerDoesNotHangATimedCall() throws {
        // Stopped between calls, holding no chunk: the others do its chunks, and the call still ends.
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let victim = pool.workerPIDs[1]
        kill(victim, SIGSTOP)
        let out = try SharedMemory(byteCount: 8 * SquaresJob.perChunk * 8)
        XCTAssertThrowsError(try pool.run(SquaresJob(output: out.reference, offset: 0), chunks: 8, timeout: .milliseconds(500))) {
            error in
            XCTAssertTrue("\(error)".contains("pid \(victim) (stopped)"), "\(error)")
        }
        XCTAssertTrue(processIsGone(victim))
        try pool.run(SquaresJob(output: out.reference, offset: 1), chunks: 8)
        XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[100], 100 * 100 + 1)
    }

    func testPoolDefaultTimeoutAndScopedTimeoutApplyToEveryCall() throws {
        let pool = try WorkerPool(workers: 2, timeout: .milliseconds(300))
        defer { pool.shutdown() }
        let out = try SharedMemory(byteCount: 20 * SquaresJob.perChunk * 8)
        let slow = SquaresJob(output: out.reference, offset: 0, sleepMicroseconds: 100_000)
        XCTAssertThrowsError(try pool.run(slow, chunks: 20)) { error in
            guard let error = error as? WorkerPoolError, error.code == .timedOut, let timeout = error.timeout else { return XCTFail("\(error)") }
            XCTAssertEqual(timeout, .milliseconds(300))
        }
        pool.timeout = nil
        XCTAssertThrowsError(try WorkerPool.withTimeout(.milliseconds(200)) { try pool.run(slow, chunks: 20) }) { error in
            guard let error = error as? WorkerPoolError, error.code == .timedOut, let timeout = error.timeout else { return XCTFail("\(error)") }
            XCTAssertEqual(timeout, .milliseconds(200))
        }
        try pool.run(SquaresJob(output: out.reference, offset: 3), chunks: 20)
        XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[9], 81 + 3)
    }

    func testInvalidTimeoutsAreRejected() throws {
        let pool = try WorkerPool(workers: 1)
        defer { pool.shutdown() }
        let out = try SharedMemory(byteCount: SquaresJob.perChunk * 8)
        for bad in [Duration.zero, .seconds(-1)] {
            XCTAssertThrowsError(try pool.run(SquaresJob(output: out.reference, offset: 0), chunks: 1, timeout: bad)) { error in
                XCTAssertEqual(error as? WorkerPoolError, .invalidTimeout(bad))
            }
        }
        XCTAssertThrowsError(try WorkerPool(workers: 1, timeout: .zero))
    }

    func testChunkTimeoutKillsTheWorkerHoldingTheOverdueChunkAndNamesIt() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        XCTAssertThrowsError(
            try pool.run(HangingChunkJob(hangingChunk: 5), chunks: 12, chunkTimeout: .milliseconds(400),
                         describeChunk: { "file \($0).h5" })
        ) { error in
            guard let error = error as? WorkerPoolError, error.code == .timedOut else { return XCTFail("\(error)") }
            let stuck = error.stuck
            XCTAssertEqual(stuck.map(\.chunk), [5], "\(error)")
            XCTAssertEqual(stuck.first?.held, "file 5.h5")
            XCTAssertEqual(stuck.first?.state, .sleeping)
            if let pid = stuck.first?.pid { XCTAssertTrue(processIsGone(pid)) }
        }
        let out = try SharedMemory(byteCount: 4 * SquaresJob.perChunk * 8)
        try pool.run(SquaresJob(output: out.reference, offset: 0), chunks: 4)
        XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[3], 9)
    }

    func testProcessStateReadsStoppedAndSleeping() throws {
        let pid = fork()
        if pid == 0 {
            while true { pause() }
        }
        defer {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }
        usleep(50_000)
        XCTAssertEqual(ProcessState(pid: pid), .sleeping)
        kill(pid, SIGSTOP)
        usleep(50_000)
        XCTAssertEqual(ProcessState(pid: pid), .stopped)
        XCTAssertEqual(ProcessState(pid: -5), .unknown)
    }
}

/// Sleeps forever in one chunk.
struct HangingChunkJob: WorkerJob {
    var hangingChunk: Int
    static func run(_ job: HangingChunkJob, chunk: Int, context: WorkerContext) throws {
        if chunk == job.hangingChunk { while true { sleep(1000) } }
    }
}
