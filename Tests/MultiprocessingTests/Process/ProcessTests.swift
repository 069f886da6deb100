#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class ProcessTests: XCTestCase {
    func testChildRunsAndSharesResultsThroughSharedMemory() throws {
        let segment = try SharedMemory(byteCount: 64)
        let p = Process(name: "writer") {
            segment.base.storeBytes(of: Int(getpid()), as: Int.self)
        }
        XCTAssertNil(p.pid)
        try p.start()
        XCTAssertTrue(try p.join(timeout: .seconds(30)))
        XCTAssertEqual(p.exitStatus, .exited(0))
        XCTAssertEqual(p.exitCode, 0)
        XCTAssertEqual(segment.base.load(as: Int.self), Int(p.pid!))
        XCTAssertFalse(p.isAlive)
        XCTAssertThrowsError(try p.start())
    }

    func testThrowingChildExitsWithOneAndSignalsAreReported() throws {
        struct Failure: Error {}
        let failing = Process { throw Failure() }
        try failing.start()
        try failing.join()
        XCTAssertEqual(failing.exitStatus, .exited(1))

        let sleeper = Process(name: "sleeper") { while true { sleep(1) } }
        try sleeper.start()
        XCTAssertTrue(sleeper.isAlive)
        XCTAssertFalse(try sleeper.join(timeout: .milliseconds(50)), "join times out while it runs")
        sleeper.terminate()
        try sleeper.join()
        XCTAssertEqual(sleeper.exitStatus, .signaled(SIGTERM))
        XCTAssertEqual(sleeper.exitCode, -SIGTERM)

        let killed = Process { while true { sleep(1) } }
        try killed.start()
        killed.kill()
        try killed.join()
        XCTAssertEqual(killed.exitStatus?.description, "signal 9 (SIGKILL)")
        XCTAssertThrowsError(try Process {}.join())
    }

    func testDaemonChildDiesWithItsParent() throws {
        // parent (forked here) starts a daemon grandchild, reports its pid, and is killed.
        let slot = try SharedMemory(byteCount: 8)
        let parent = Process(name: "parent") {
            let child = Process(name: "grandchild") { while true { sleep(1) } }
            try child.start()
            slot.base.storeBytes(of: child.pid!, as: Int32.self)
            while true { sleep(1) }
        }
        try parent.start()
        var grandchild: Int32 = 0
        for _ in 0..<500 where grandchild == 0 {
            usleep(10_000)
            grandchild = slot.base.load(as: Int32.self)
        }
        XCTAssertNotEqual(grandchild, 0)
        parent.kill()
        try parent.join()
        var gone = false
        for _ in 0..<300 where !gone {
            usleep(10_000)
            gone = kill(grandchild, 0) != 0 || isZombie(grandchild)
        }
        XCTAssertTrue(gone, "daemon grandchild \(grandchild) outlived its parent")
    }

    /// A child's own named segment and pool are cleaned up when the child is terminated or returns, even
    /// though the parent had installed its cleanup handlers before the fork.
    func testChildCleansUpItsOwnSegmentsAndWorkersOnSigtermAndOnReturn() throws {
        let parentPool = try WorkerPool(workers: 1)   // installs the parent's handlers before the fork
        defer { parentPool.shutdown() }
        let report = try SharedMemory(byteCount: 128)
        for terminated in [true, false] {
            memset(report.base, 0, 128)
            let child = Process(name: "owner") {
                let segment = try SharedMemory(byteCount: 1 << 16, named: true)
                let pool = try WorkerPool(workers: 1)
                let name = Array(segment.name!.utf8)
                report.base.storeBytes(of: Int32(pool.workerPIDs.first!), toByteOffset: 4, as: Int32.self)
                name.withUnsafeBytes { report.base.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                report.base.storeBytes(of: 1, as: Int32.self)
                if terminated { while true { sleep(1) } }
                _ = Unmanaged.passRetained(segment)   // kept alive to the end: only the exit cleanup can unlink it
                _ = Unmanaged.passRetained(pool)
            }
            try child.start()
            for _ in 0..<1000 where report.base.load(as: Int32.self) == 0 { usleep(5_000) }
            let name = String(cString: report.base.advanced(by: 8).assumingMemoryBound(to: CChar.self))
            let worker = report.base.load(fromByteOffset: 4, as: Int32.self)
            XCTAssertTrue(name.hasPrefix("/mproc-"), name)
            if terminated { child.terminate() }
            try child.join()
            XCTAssertEqual(child.exitStatus, terminated ? .signaled(SIGTERM) : .exited(0))
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/shm" + name), "\(name) left behind")
            var gone = false
            for _ in 0..<300 where !gone {
                gone = kill(worker, 0) != 0 || isZombie(worker)
                if !gone { usleep(10_000) }
            }
            XCTAssertTrue(gone, "the child's worker \(worker) outlived it")
        }
    }
}
