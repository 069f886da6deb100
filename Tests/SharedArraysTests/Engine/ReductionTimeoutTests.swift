#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SharedArrays
import XCTest

final class ReductionTimeoutTests: XCTestCase {
    func testStoppedWorkerDuringAReductionWithTimeoutThrowsNamingItsPidAndStoppedThenTheNextSumIsRight() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let n = 1 << 20
        let x = try SharedArray<Double>.arange(n, on: pool)
        let expected = Double(n) * Double(n - 1) / 2
        XCTAssertEqual(try x.sum(), expected)
        let victim = pool.workerPIDs[0]
        let stopper = Thread {
            usleep(100_000)
            kill(victim, SIGSTOP)
        }
        stopper.start()
        let start = ContinuousClock.now
        var failure: (any Error)?
        var calls = 0
        while failure == nil, ContinuousClock.now - start < .seconds(20) {
            do {
                let s = try x.statistics([.sum], timeout: .seconds(1))
                XCTAssertEqual(s[.sum], expected)
                calls += 1
            } catch {
                failure = error
            }
        }
        guard let error = failure as? WorkerPoolError, error.code == .timedOut else {
            kill(victim, SIGKILL)
            return XCTFail("no timeout after \(calls) calls: \(String(describing: failure))")
        }
        XCTAssertEqual(error.stuck.first { $0.pid == victim }?.state, .stopped, "\(failure!)")
        XCTAssertTrue("\(failure!)".contains("pid \(victim) (stopped)"), "\(failure!)")
        XCTAssertTrue(kill(victim, 0) == -1 && errno == ESRCH, "the stopped worker was killed and reaped")
        XCTAssertEqual(try x.sum(), expected)
        XCTAssertEqual(try x.map(.negate, timeout: .seconds(30)).sum(), -expected)
    }
}
