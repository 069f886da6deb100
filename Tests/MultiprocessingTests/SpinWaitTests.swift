#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import Multiprocessing

/// The pool's waits poll for ``SpinWait/microseconds`` and then sleep: neither an idle worker nor a caller
/// waiting through a long job keeps burning a core.
final class SpinWaitTests: XCTestCase {
    /// utime + stime of a process, in clock ticks, from /proc/<pid>/stat (fields 14 and 15).
    private func cpuTicks(_ pid: pid_t) throws -> Int {
        let stat = try XCTUnwrap(try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))
        let close = try XCTUnwrap(stat.lastIndex(of: ")"))
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so field k is fields[k - 3].
        return try XCTUnwrap(Int(fields[11])) + XCTUnwrap(Int(fields[12]))
    }

    private func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    func testIdleWorkersStopPollingAndSleepAfterTheSpinTime() throws {
        let pool = try WorkerPool(workers: 2)
        let out = try SharedMemory(byteCount: 8 * SquaresJob.perChunk * 8)
        try pool.run(SquaresJob(output: out.reference, offset: 0), chunks: 8)
        usleep(100_000)  // far past the 200 µs of polling
        let before = try pool.workerPIDs.map(cpuTicks)
        usleep(500_000)
        let after = try pool.workerPIDs.map(cpuTicks)
        for (pid, (a, b)) in zip(pool.workerPIDs, zip(before, after)) {
            // A worker still polling would gain about 50 ticks (100 per second) in these half a second.
            XCTAssertLessThanOrEqual(b - a, 5, "idle worker \(pid) used \(b - a) ticks of CPU in 0.5 s")
        }
        // And they still answer after sleeping.
        try pool.run(SquaresJob(output: out.reference, offset: 1), chunks: 8)
        XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[1000], 1000 * 1000 + 1)
    }

    func testTheCallerSleepsThroughALongJobAfterTheSpinTime() throws {
        let pool = try WorkerPool(workers: 2)
        let out = try SharedMemory(byteCount: 2 * SquaresJob.perChunk * 8)
        let start = threadCPUSeconds()
        try pool.run(SquaresJob(output: out.reference, offset: 0, sleepMicroseconds: 400_000), chunks: 2)
        let used = threadCPUSeconds() - start
        // Polling through the whole job would cost the caller about 0.4 s of CPU.
        XCTAssertLessThan(used, 0.1, "the caller used \(used) s of CPU waiting for a 0.4 s job")
        XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[200], 200 * 200)
    }

    func testTheSpinTimeIsClampedAndZeroStillRunsEveryJob() throws {
        let saved = SpinWait.microseconds
        defer { SpinWait.microseconds = saved }
        SpinWait.microseconds = -5
        XCTAssertEqual(SpinWait.microseconds, 0)
        SpinWait.microseconds = 5_000_000_000
        XCTAssertEqual(SpinWait.microseconds, 1_000_000)
        SpinWait.microseconds = 0
        let pool = try WorkerPool(workers: 3)
        let out = try SharedMemory(byteCount: 16 * SquaresJob.perChunk * 8)
        for round in 0..<50 {
            try pool.run(SquaresJob(output: out.reference, offset: Int64(round)), chunks: 16)
            XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[2047], 2047 * 2047 + Int64(round))
        }
    }
}
