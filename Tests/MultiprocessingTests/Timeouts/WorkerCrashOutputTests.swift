#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Multiprocessing
import XCTest

final class WorkerCrashOutputTests: XCTestCase {
    func testWorkerSegfaultPrintsNoBacktraceAndTheErrorIsOneLineWithPidAndSignal() throws {
        var caught: (any Error)?
        let output = try capturingStandardError {
            let pool = try WorkerPool(workers: 2)
            defer { pool.shutdown() }
            do {
                try pool.run(BadPointerJob(crashingChunk: 2), chunks: 6)
            } catch {
                caught = error
            }
        }
        guard let error = caught as? WorkerPoolError, error.code == .workerDied,
            let pid = error.pid, let status = error.status, let chunk = error.chunk
        else {
            return XCTFail("\(String(describing: caught))")
        }
        XCTAssertEqual(status, .signaled(SIGSEGV))
        XCTAssertEqual(chunk, 2)
        let line = "\(caught!)"
        XCTAssertTrue(line.contains("pid \(pid)") && line.contains("SIGSEGV") && line.contains("chunk 2"), line)
        XCTAssertFalse(line.contains("\n"), line)
        for marker in backtraceMarkers { XCTAssertFalse(output.contains(marker), "worker printed: \(output)") }
    }

    func testWorkerThatTrapsPrintsNoBacktrace() throws {
        for overflow in [false, true] {
            var caught: (any Error)?
            let output = try capturingStandardError {
                let pool = try WorkerPool(workers: 2)
                defer { pool.shutdown() }
                do {
                    try pool.run(TrappingJob(trappingChunk: 1, overflow: overflow), chunks: 4)
                } catch {
                    caught = error
                }
            }
            guard let error = caught as? WorkerPoolError, error.code == .workerDied, error.chunk == 1,
                let pid = error.pid, let signal = error.signal
            else {
                return XCTFail("\(String(describing: caught))")
            }
            XCTAssertTrue([SIGILL, SIGTRAP].contains(signal), "\(signal)")
            XCTAssertTrue("\(caught!)".contains("pid \(pid)"))
            for marker in backtraceMarkers { XCTAssertFalse(output.contains(marker), "worker printed: \(output)") }
        }
    }

    func testProcessChildThatSegfaultsPrintsNoBacktrace() throws {
        var status: ExitStatus?
        let output = try capturingStandardError {
            let child = Multiprocessing.Process {
                let bad = UnsafeMutablePointer<Int>(bitPattern: 8)!
                bad.pointee = 1
            }
            try child.start()
            try child.join()
            status = child.exitStatus
        }
        XCTAssertEqual(status, .signaled(SIGSEGV))
        for marker in backtraceMarkers { XCTAssertFalse(output.contains(marker), "child printed: \(output)") }
    }
}
