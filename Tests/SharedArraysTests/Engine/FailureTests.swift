#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SharedArrays
import XCTest

final class FailureTests: XCTestCase {
    func testWorkerKilledMidReductionFailsTheCallWithChunkAndPoolRecovers() throws {
        let pool = try WorkerPool(workers: 2)
        let x = try SharedArray<Double>.random(.uniform(lower: 0, upper: 1), shape: [1 << 25], seed: 1, on: pool)
        let expected = try x.sum()
        var sawFailure = false
        // Kill a worker while a long reduction (many var passes) is running; retry a few times in case the
        // kill lands between calls.
        for _ in 0..<10 where !sawFailure {
            let victim = pool.workerPIDs[0]
            let killer = Thread {
                usleep(3_000)
                kill(victim, SIGKILL)
            }
            killer.start()
            do {
                for _ in 0..<50 { _ = try x.statistics([.var, .argmin]) }
            } catch let error as WorkerPoolError {
                guard error.code == .workerDied, let pid = error.pid, let status = error.status,
                    let chunkDescription = error.chunkDescription
                else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(pid, victim)
                XCTAssertEqual(status, .signaled(SIGKILL))
                XCTAssertTrue(chunkDescription.contains("elements"), chunkDescription)
                XCTAssertTrue("\(error)".contains("SIGKILL"))
                sawFailure = true
            }
            while killer.isExecuting { usleep(1000) }
        }
        XCTAssertTrue(sawFailure)
        XCTAssertEqual(try x.sum(), expected, "the pool works after a worker died")
    }

    func testBadArgumentsAreErrorsNotCrashes() throws {
        let pool = try TestPools.pool(2)
        XCTAssertThrowsError(try SharedArray<Double>(zeros: [2, 3, 4], on: pool))
        XCTAssertThrowsError(try SharedArray<Double>(zeros: [-1], on: pool))
        XCTAssertThrowsError(try SharedArray<Double>([1, 2, 3], shape: [2, 2], on: pool))
        let x = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertThrowsError(try x.statistics([.mean], ddof: -1))
        XCTAssertThrowsError(try x.histogram(bins: 0))
        XCTAssertThrowsError(try x.strided(by: 0))
        XCTAssertThrowsError(try SharedArray<Double>.load(npy: "/nonexistent/file.npy", on: pool)) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/file.npy"), "\(error)")
        }
    }

    func testNpyRoundTripThroughWorkers() throws {
        let pool = try TestPools.pool(2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mproc-npy-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let values = testValues(1_000_001)
        let x = try SharedArray(Array(values.prefix(1_000_000)), shape: [200_000, 5], on: pool)
        try x.save(npy: dir + "/x.npy")
        let y = try SharedArray<Double>.load(npy: dir + "/x.npy", on: pool)
        XCTAssertEqual(y.shape, [200_000, 5])
        XCTAssertEqual(y.toArray(), x.toArray())
        let f = try SharedArray<Float>.load(npy: dir + "/x.npy", on: pool)
        XCTAssertEqual(f[12345], Float(values[12345]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["x.npy"], "no temporary left")
    }
}
