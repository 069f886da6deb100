#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Multiprocessing
import XCTest

final class WorkerPoolTests: XCTestCase {
    func testJobOnSegmentsCreatedBeforeAndAfterThePool() throws {
        let early = try SharedMemory(byteCount: 64 * SquaresJob.perChunk * 8)
        let pool = try WorkerPool(workers: 3)
        let late = try SharedMemory(byteCount: 64 * SquaresJob.perChunk * 8)
        for (segment, offset) in [(early, Int64(1)), (late, Int64(-5))] {
            try pool.run(SquaresJob(output: segment.reference, offset: offset), chunks: 64)
            let values = segment.base.assumingMemoryBound(to: Int64.self)
            for i in 0..<(64 * SquaresJob.perChunk) { XCTAssertEqual(values[i], Int64(i * i) + offset) }
        }
    }

    func testEachWorkerKeepsItsChunkRangeAcrossCalls() throws {
        let pool = try WorkerPool(workers: 2)
        let out = try SharedMemory(byteCount: 200 * 8)
        let values = out.base.assumingMemoryBound(to: Int64.self)
        var owners: [[Int64]] = []
        for _ in 0..<3 {
            try pool.run(WhoRanJob(output: out.reference), chunks: 200)
            owners.append(Array(UnsafeBufferPointer(start: values, count: 200)))
        }
        // Worker 0 owns the first half: most of it must have run there (stealing may take a tail).
        for run in owners {
            XCTAssertGreaterThan(run[0..<80].filter { $0 == 0 }.count, 60, "\(run)")
            XCTAssertGreaterThan(run[120..<200].filter { $0 == 1 }.count, 60, "\(run)")
        }
    }

    func testInvalidWorkerCountsAreRejected() {
        XCTAssertThrowsError(try WorkerPool(workers: 0)) { XCTAssertTrue("\($0)".contains("invalid worker count 0")) }
        XCTAssertThrowsError(try WorkerPool(workers: -3))
    }

    func testErrorThrownInAWorkerNamesPidAndChunk() throws {
        let pool = try WorkerPool(workers: 2)
        XCTAssertThrowsError(try pool.run(FailingJob(failingChunk: 7, signal: 0), chunks: 20)) { error in
            guard let error = error as? WorkerPoolError, error.code == .chunkFailed, let pid = error.pid, let chunk = error.chunk,
                let job = error.job, let message = error.message
            else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(chunk, 7)
            XCTAssertTrue(pool.workerPIDs.contains(pid))
            XCTAssertEqual(job, "FailingJob")
            XCTAssertEqual(message, "bad value in input")
        }
        let out = try SharedMemory(byteCount: 4 * SquaresJob.perChunk * 8)
        XCTAssertNoThrow(try pool.run(SquaresJob(output: out.reference, offset: 0), chunks: 4))
    }

    func testWorkerThatAbortsFailsTheCallAndIsReplaced() throws {
        let pool = try WorkerPool(workers: 2)
        let before = pool.workerPIDs
        XCTAssertThrowsError(try pool.run(FailingJob(failingChunk: 3, signal: SIGABRT), chunks: 10)) { error in
            guard let error = error as? WorkerPoolError, error.code == .workerDied, let pid = error.pid, let status = error.status,
                let chunk = error.chunk
            else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(before.contains(pid))
            XCTAssertEqual(status, .signaled(SIGABRT))
            XCTAssertEqual(chunk, 3)
            XCTAssertTrue("\(error)".contains("SIGABRT"), "\(error)")
        }
        XCTAssertEqual(Set(pool.workerPIDs).intersection(before).count, 1, "exactly one worker replaced")
        let out = try SharedMemory(byteCount: 16 * SquaresJob.perChunk * 8)
        try pool.run(SquaresJob(output: out.reference, offset: 2), chunks: 16)
        XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[16 * SquaresJob.perChunk - 1], Int64(2047 * 2047 + 2))
    }

    func testWorkerKilledFromOutsideMidCallFailsOnlyThatCall() throws {
        let pool = try WorkerPool(workers: 2)
        let victim = pool.workerPIDs[1]
        let out = try SharedMemory(byteCount: 40 * SquaresJob.perChunk * 8)
        let killer = Thread {
            usleep(100_000)
            kill(victim, SIGKILL)
        }
        killer.start()
        XCTAssertThrowsError(
            try pool.run(SquaresJob(output: out.reference, offset: 0, sleepMicroseconds: 20_000), chunks: 40)
        ) { error in
            XCTAssertTrue("\(error)".contains("pid \(victim)"), "\(error)")
            XCTAssertTrue("\(error)".contains("SIGKILL"), "\(error)")
        }
        XCTAssertFalse(pool.workerPIDs.contains(victim))
        try pool.run(SquaresJob(output: out.reference, offset: 9), chunks: 40)
        XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[5], 25 + 9)
    }

    func testWorkersDieWithTheirParent() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        fflush(nil)
        let child = fork()
        if child == 0 {
            close(fds[0])
            if let pool = try? WorkerPool(workers: 2) {
                var pids = pool.workerPIDs
                _ = write(fds[1], &pids, 2 * MemoryLayout<Int32>.size)
            }
            close(fds[1])
            while true { pause() }
        }
        close(fds[1])
        var pids: [Int32] = [0, 0]
        let n = read(fds[0], &pids, 2 * MemoryLayout<Int32>.size)
        close(fds[0])
        XCTAssertEqual(n, 8)
        kill(child, SIGKILL)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        // Orphaned workers are reparented and reaped by init (or the subreaper); give it a moment.
        for _ in 0..<200 where pids.contains(where: { kill($0, 0) == 0 && !isZombie($0) }) { usleep(10_000) }
        for pid in pids { XCTAssertTrue(kill(pid, 0) != 0 || isZombie(pid), "worker \(pid) outlived its parent") }
    }

    func testShutdownStopsWorkersAndLaterCallsFail() throws {
        let pool = try WorkerPool(workers: 2)
        let pids = pool.workerPIDs
        pool.shutdown()
        for pid in pids { XCTAssertNotEqual(kill(pid, 0), 0) }
        XCTAssertEqual(pool.workerPIDs, [], "no stale pids (a pid of 0 would signal our own process group)")
        XCTAssertThrowsError(try pool.run(FailingJob(failingChunk: -1, signal: 0), chunks: 1)) {
            XCTAssertEqual($0 as? WorkerPoolError, .shutDown)
        }
    }

    func testManyBackToBackCallsComplete() throws {
        let pool = try WorkerPool(workers: 2)
        let out = try SharedMemory(byteCount: 4 * SquaresJob.perChunk * 8)
        for round in 0..<2000 {
            try pool.run(SquaresJob(output: out.reference, offset: Int64(round)), chunks: 4)
        }
        XCTAssertEqual(out.base.assumingMemoryBound(to: Int64.self)[3], 9 + 1999)
    }

    func testFreedSegmentsAreUnmappedInWorkers() throws {
        func segmentMappings(_ pid: Int32) -> Int {
            // Read whole: String(contentsOfFile:) returns only the start of a /proc file.
            let maps = String(decoding: (try? FileSystem.contents(of: "/proc/\(pid)/maps")) ?? [], as: UTF8.self)
            return maps.split(separator: "\n").filter { $0.contains("memfd:mproc-array") }.count
        }
        let pool = try WorkerPool(workers: 2)
        // Segments alive in this process when the workers were forked (other tests' caches) are
        // inherited; count only what the 300 rounds add.
        let before = pool.workerPIDs.map(segmentMappings)
        for round in 0..<300 {
            let segment = try SharedMemory(byteCount: 8 * SquaresJob.perChunk * 8)
            try pool.run(SquaresJob(output: segment.reference, offset: Int64(round)), chunks: 8)
        }
        // A leak would leave ~300 more memfd mappings per worker.
        for (pid, baseline) in zip(pool.workerPIDs, before) {
            let added = segmentMappings(pid) - baseline
            XCTAssertLessThan(added, 5, "worker \(pid) keeps \(added) freed segments mapped")
        }
    }
}

func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    guard let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}

final class WorkerPoolOptionsTests: XCTestCase {
    func testInitializerRunsInEachWorkerAndMaxTasksPerChildReplacesWorkers() throws {
        // Each initializer run writes one byte to a pipe (writes this small are atomic).
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let writeEnd = fds[1]
        defer { close(fds[0]) }
        let pool = try WorkerPool(
            workers: 2, initializer: { var byte: UInt8 = 1; _ = write(writeEnd, &byte, 1) }, maxTasksPerChild: 4)
        let out = try SharedMemory(byteCount: 8 * SquaresJob.perChunk * 8)
        let first = pool.workerPIDs
        // Chunk stealing decides how many chunks each worker runs (under load one can run 5 and the other
        // 3), so run calls until both first workers have reached their 4 chunks and been replaced; every
        // worker that ever existed is seen in some snapshot, since replacement happens between calls.
        var seen = Set(first)
        for _ in 0..<50 where !Set(pool.workerPIDs).isDisjoint(with: first) {
            try pool.run(SquaresJob(output: out.reference, offset: 0, sleepMicroseconds: 2000), chunks: 8)
            seen.formUnion(pool.workerPIDs)
        }
        XCTAssertTrue(Set(pool.workerPIDs).isDisjoint(with: first), "both workers ran 4 chunks and were replaced")
        pool.shutdown()
        close(writeEnd)
        var buffer = [UInt8](repeating: 0, count: 256)
        XCTAssertEqual(read(fds[0], &buffer, 256), seen.count, "the initializer ran once in every worker, first and new")
        XCTAssertGreaterThanOrEqual(seen.count, 4)
        XCTAssertThrowsError(try WorkerPool(workers: 1, maxTasksPerChild: 0))
    }
}
