#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

final class GenAndMaintenanceTests: XCTestCase {
    func testGenWritesTheSameFileForAnyWorkerCountAndNumpyReadsIt() throws {
        let dir = try TemporaryDirectory()
        for workers in ["1", "3"] {
            let r = try CLI.run(["gen", dir.file("w\(workers).npy"), "--count", "300001", "--seed", "5", "-w", workers])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(
            FileManager.default.contents(atPath: dir.file("w1.npy")), FileManager.default.contents(atPath: dir.file("w3.npy")))
        let h5 = try CLI.run(["gen", dir.file("g.h5:/data/x"), "--shape", "1000,4", "--dtype", "float32", "--gzip", "4"])
        XCTAssertEqual(h5.status, 0, h5.stderr)
        let stats = try CLI.run(["stats", dir.file("g.h5:/data/x"), "--json", "--ops", "count"])
        XCTAssertEqual(stats.json?["count"] as? Double, 4000, stats.stderr)
        guard
            let check = try CLI.numpy(
                """
                a = np.load('\(dir.file("w1.npy"))')
                import h5py
                b = h5py.File('\(dir.file("g.h5"))')['/data/x']
                print(json.dumps(dict(n=a.size, mean=float(a.mean()), rows=b.shape[0], cols=b.shape[1], gz=int(b.compression == 'gzip'))))
                """)
        else { throw XCTSkip("python3 with numpy and h5py is needed") }
        XCTAssertEqual(check["n"], 300_001)
        XCTAssertLessThan(abs(check["mean"]!), 0.01)
        XCTAssertEqual(check["rows"], 1000)
        XCTAssertEqual(check["gz"], 1)
        // An existing output is not replaced without --force.
        let again = try CLI.run(["gen", dir.file("w1.npy"), "--count", "10"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--force"))
    }

    func testInterruptedGenLeavesNoWorkersSegmentsOrPartialFile() throws {
        let dir = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = ["gen", dir.file("big.npy"), "--count", "2^27"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(600_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        usleep(200_000)
        XCTAssertEqual(orphanedWorkers(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "no partial output")
        XCTAssertEqual(packageSegments(), [])
    }

    func testInfoAndCleanup() throws {
        let info = try CLI.run(["info", "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let json = try XCTUnwrap(info.json, info.stdout)
        XCTAssertEqual(json["cores"] as? Int, Int(try shell("nproc").stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        // Cores are those the process may run on (its affinity), not the machine's: taskset limits them.
        let pinned = try shell("taskset -c 0 '\(CLI.executable)' info --json")
        XCTAssertEqual(pinned.status, 0, pinned.stderr)
        XCTAssertTrue(pinned.stdout.contains("\"cores\": 1,") && pinned.stdout.contains("\"default_workers\": 1,"), pinned.stdout)
        XCTAssertTrue((json["hdf5"] as? String)?.hasPrefix("1.") == true)
        XCTAssertTrue((json["blas"] as? String)?.contains("OpenBLAS") == true)
        XCTAssertNotNil(json["shm_free"] as? Int)

        // An orphaned segment, as a killed process would leave it: owner pid that does not exist.
        let name = "/dev/shm/mproc-999999999-0-test"
        _ = FileManager.default.createFile(atPath: name, contents: Data(count: 4096))
        let dry = try CLI.run(["cleanup", "--dry-run"])
        XCTAssertTrue(dry.stdout.contains("would remove /dev/shm/mproc-999999999-0-test"), dry.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: name))
        let clean = try CLI.run(["cleanup"])
        XCTAssertEqual(clean.status, 0)
        XCTAssertTrue(clean.stdout.contains("removed /dev/shm/mproc-999999999-0-test"), clean.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: name))
    }
}

