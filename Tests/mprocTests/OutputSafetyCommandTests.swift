#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// Every command that writes a file refuses what is not a regular file at its output, never writes
/// through a symbolic link, and leaves the previous output intact when it is interrupted.
final class OutputSafetyCommandTests: XCTestCase {
    private func fileType(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    private func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode : nil
    }

    func testSymlinkAtOutputIsRefusedWithForceAndItsTargetUntouched() throws {
        let dir = try TemporaryDirectory()
        try "precious".write(toFile: dir.file("target"), atomically: false, encoding: .utf8)
        let commands: [(String, [String])] = [
            ("out.npy", ["gen", dir.file("out.npy"), "--count", "100", "--force"]),
            ("out.h5", ["gen", dir.file("out.h5"), "--count", "100", "--force"]),
            ("map.h5", ["map", "datasets/sensors.h5:/readings/pressure", "--op", "sqrt", "--out", dir.file("map.h5"), "--force"]),
            ("s.csv", ["batch", "datasets/batch/lidar", "--out", dir.file("s.csv"), "--force"]),
        ]
        for (name, arguments) in commands {
            try FileManager.default.createSymbolicLink(atPath: dir.file(name), withDestinationPath: dir.file("target"))
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 1, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(dir.file(name)): is a symbolic link; refusing to write through or replace it"),
                          "\(arguments): \(r.stderr)")
            XCTAssertEqual(fileType(dir.file(name)), S_IFLNK)
        }
        XCTAssertEqual(try String(contentsOfFile: dir.file("target"), encoding: .utf8), "precious")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).count, 5, "no temporary file left")
    }

    func testFIFODirectoryAndDeviceOutputsAreRefusedWithForceAndLeftAsTheyWere() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (makes a device node)") }
        let dir = try TemporaryDirectory()
        XCTAssertEqual(mkfifo(dir.file("fifo.npy"), 0o644), 0)
        try FileManager.default.createDirectory(atPath: dir.file("dir.h5"), withIntermediateDirectories: false)
        let cases: [(String, String)] = [
            (dir.file("fifo.npy"), "is a FIFO (named pipe), not a regular file; refusing to replace it"),
            (dir.file("dir.h5"), "is a directory, not a regular file; refusing to replace it"),
            ("/dev/null", "is a character device, not a regular file; refusing to replace it"),
        ]
        for (output, message) in cases {
            let before = mode(output)
            for force in [false, true] {
                let r = try CLI.run(["gen", output, "--count", "100"] + (force ? ["--force"] : []))
                XCTAssertEqual(r.status, 1, r.stderr)
                XCTAssertTrue(r.stderr.contains("\(output): \(message)"), r.stderr)
                XCTAssertEqual(mode(output), before, output)
            }
        }
        let map = try CLI.run(["map", "datasets/sensors.h5:/readings/pressure", "--op", "sqrt", "--out", dir.file("fifo.npy"), "--force"])
        XCTAssertTrue(map.stderr.contains("is a FIFO"), map.stderr)
        // A character device (as /dev/null, made here as root) with a summary's name.
        XCTAssertEqual(try shell("mknod '\(dir.file("device.csv"))' c 1 3").status, 0)
        let batch = try CLI.run(["batch", "datasets/batch/lidar", "--out", dir.file("device.csv"), "--force"])
        XCTAssertTrue(batch.stderr.contains("device.csv: is a character device"), batch.stderr)
        XCTAssertEqual(fileType(dir.file("device.csv")), S_IFCHR)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["device.csv", "dir.h5", "fifo.npy"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("dir.h5")), [])
    }

    func testOutputIntoStickyWorldWritableDirectoryIsARegularFileWithTheUmaskMode() throws {
        let dir = try TemporaryDirectory()
        let shared = dir.file("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        XCTAssertEqual(chmod(shared, 0o1777), 0)
        for (umaskValue, expected) in [("022", 0o644), ("077", 0o600)] as [(String, mode_t)] {
            for name in ["g.npy", "g.h5", "s.json"] {
                let command = name == "s.json"
                    ? "batch datasets/batch/lidar --out \(shared)/\(name) --force"
                    : "gen \(shared)/\(name) --count 1000 --force"
                // Writing into an existing HDF5 file keeps that file's mode (HDF5SaveIntoExistingFileTests): start anew.
                if name == "g.h5" { unlink("\(shared)/\(name)") }
                let r = try shell("umask \(umaskValue); '\(CLI.executable)' \(command)")
                XCTAssertEqual(r.status, 0, r.stderr)
                XCTAssertEqual(mode("\(shared)/\(name)"), S_IFREG | expected, "\(name) with umask \(umaskValue)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: shared).sorted(), ["g.h5", "g.npy", "s.json"])
    }

    func testGenNeverWritesThroughSymlinkAtOldStyleTemporaryName() throws {
        let dir = try TemporaryDirectory()
        try "precious".write(toFile: dir.file("target"), atomically: false, encoding: .utf8)
        for name in ["big.npy", "big.h5"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.executable)
            process.arguments = ["gen", dir.file(name), "--count", "2^22"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The old writers used `.NAME.tmp-<pid>`: plant a link there while the values are generated.
            let planted = dir.file(".\(name).tmp-\(process.processIdentifier)")
            try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: dir.file("target"))
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, name)
            XCTAssertEqual(fileType(dir.file(name)), S_IFREG, name)
            XCTAssertEqual(fileType(planted), S_IFLNK, name)
        }
        XCTAssertEqual(try String(contentsOfFile: dir.file("target"), encoding: .utf8), "precious")
        let stats = try CLI.run(["stats", dir.file("big.npy"), "--json", "--ops", "count"])
        XCTAssertEqual(stats.json?["count"] as? Double, Double(1 << 22), stats.stderr)
    }

    func testSigtermDuringGenLeavesThePreviousOutputIntactAndNoTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        for name in ["big.npy", "big.h5"] {
            let first = try CLI.run(["gen", dir.file(name), "--count", "1000", "--seed", "1"])
            XCTAssertEqual(first.status, 0, first.stderr)
            let previous = FileManager.default.contents(atPath: dir.file(name))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.executable)
            process.arguments = ["gen", dir.file(name), "--count", "2^25", "--force", "-w", "2"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait until the new output is being written (its temporary file exists), then end the command.
            let deadline = Date().addingTimeInterval(120)
            var writing = false
            while !writing && process.isRunning && Date() < deadline {
                writing = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
                    .contains { $0.hasPrefix(".\(name).") && $0.hasSuffix(".tmp") }
                if !writing { usleep(2_000) }
            }
            XCTAssertTrue(writing, "\(name): the temporary file never appeared")
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, name)
            XCTAssertEqual(FileManager.default.contents(atPath: dir.file(name)), previous, "\(name): previous output intact")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }, [],
                           "\(name): no temporary file")
        }
        usleep(200_000)
        XCTAssertEqual(orphanedWorkers(), [])
    }
}
