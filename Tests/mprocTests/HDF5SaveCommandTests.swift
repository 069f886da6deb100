#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// `mproc gen FILE.h5:/ds` and `mproc map ... --out FILE.h5:/ds` write into an existing HDF5 file: every other
/// object stays as h5py saw it, an existing dataset needs --force, and a kill -9 mid-write leaves the file
/// exactly as it was.
final class HDF5SaveCommandTests: XCTestCase {
    /// Runs python3 in `directory` and returns its stdout (trimmed); throws XCTSkip without h5py.
    private func python(_ arguments: [String], in directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy and h5py is needed (\(arguments))") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Everything h5py sees in `file` but `excluded` (Tests/Fixtures/h5_fingerprint.py).
    private func fingerprint(_ file: String, excluding excluded: [String] = [], in directory: String) throws -> String {
        try python([CLI.root + "/Tests/Fixtures/h5_fingerprint.py", file] + excluded, in: directory)
    }

    private func h5py(_ expression: String, _ file: String, in directory: String) throws -> String {
        try python(["-c", "import h5py, numpy as np\nwith h5py.File('\(file)', 'r') as f: print(\(expression))"], in: directory)
    }

    private func makeBase(in dir: TemporaryDirectory) throws {
        _ = try python(["-c", """
            import h5py, numpy as np
            with h5py.File('base.h5', 'w') as f:
                f.attrs['title'] = 'station 7'
                a = f.create_dataset('readings/a', data=np.linspace(-1, 1, 4000), chunks=(500,), compression='gzip')
                a.attrs['units'] = 'K'
                f.create_dataset('data', data=np.arange(10, dtype='<i8'))
                f['readings'].attrs['site'] = 'north'
            """], in: dir.path)
    }

    private func hiddenFiles(_ dir: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
    }

    func testGenAddsADatasetAndReplacesOneOnlyWithForce() throws {
        let dir = try TemporaryDirectory()
        try makeBase(in: dir)
        let base = dir.file("base.h5")
        let before = try fingerprint(base, in: dir.path)
        let added = try CLI.run(["gen", base + ":/new/x", "--count", "1000", "--distribution", "arange", "-w", "2"])
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertEqual(try fingerprint(base, excluding: ["/new"], in: dir.path), before)
        XCTAssertEqual(try h5py("(f['/new/x'][()] == np.arange(1000)).all(), f['/new/x'].attrs['generator']", base, in: dir.path),
                       "True mproc gen")

        // /data exists (gen's default dataset): refused without --force, the file byte for byte the same.
        let bytes = FileManager.default.contents(atPath: base)
        let refused = try CLI.run(["gen", base, "--count", "5"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("\(base):/data: exists; pass --force to replace it"), refused.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: base), bytes)

        let kept = try fingerprint(base, excluding: ["/data"], in: dir.path)
        let forced = try CLI.run(["gen", base, "--count", "5", "--distribution", "arange", "--dtype", "float32", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try fingerprint(base, excluding: ["/data"], in: dir.path), kept)
        XCTAssertEqual(try h5py("f['/data'].dtype.str, f['/data'][()].tolist()", base, in: dir.path), "<f4 [0.0, 1.0, 2.0, 3.0, 4.0]")

        // A group is never replaced; a text file is refused and left alone, --force or not.
        let group = try CLI.run(["gen", base + ":/readings", "--count", "5", "--force"])
        XCTAssertTrue(group.stderr.contains("\(base):/readings: is a group, not a dataset; refusing to replace it"), group.stderr)
        try "a,b\n".write(toFile: dir.file("notes.h5"), atomically: false, encoding: .utf8)
        for force in [false, true] {
            let text = try CLI.run(["gen", dir.file("notes.h5"), "--count", "5"] + (force ? ["--force"] : []))
            XCTAssertEqual(text.status, 1)
            XCTAssertTrue(text.stderr.contains("notes.h5: exists and is not an HDF5 file; refusing to replace it"), text.stderr)
        }
        XCTAssertEqual(try String(contentsOfFile: dir.file("notes.h5"), encoding: .utf8), "a,b\n")
        XCTAssertEqual(try hiddenFiles(dir), [])
    }

    func testMapIntoTheSameFileKeepsEverythingElse() throws {
        let dir = try TemporaryDirectory()
        try makeBase(in: dir)
        let base = dir.file("base.h5")
        let before = try fingerprint(base, in: dir.path)
        let mapped = try CLI.run(["map", base + ":/readings/a", "--op", "scale:2", "--out", base + ":/readings/a2", "-q"])
        XCTAssertEqual(mapped.status, 0, mapped.stderr)
        XCTAssertEqual(try fingerprint(base, excluding: ["/readings/a2"], in: dir.path), before)
        XCTAssertEqual(try h5py("(f['/readings/a2'][()] == 2 * f['/readings/a'][()]).all()", base, in: dir.path), "True")

        let bytes = FileManager.default.contents(atPath: base)
        let refused = try CLI.run(["map", base + ":/data", "--op", "sqrt", "--out", base + ":/readings/a"])
        XCTAssertTrue(refused.stderr.contains("\(base):/readings/a: exists; pass --force to replace it"), refused.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: base), bytes)

        let kept = try fingerprint(base, excluding: ["/readings/a"], in: dir.path)
        let forced = try CLI.run(["map", base + ":/data", "--op", "sqrt", "--out", base + ":/readings/a", "--force", "-q"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try fingerprint(base, excluding: ["/readings/a"], in: dir.path), kept)
        XCTAssertEqual(try h5py("np.array_equal(f['/readings/a'][()], np.sqrt(np.arange(10.0)))", base, in: dir.path), "True")
        XCTAssertEqual(try hiddenFiles(dir), [])
    }

    func testADamagedFileOnWhichHDF5CrashesIsOneClearErrorAndLeftAsItWas() throws {
        let dir = try TemporaryDirectory()
        let damaged = dir.file("damaged.h5")
        try FileManager.default.copyItem(atPath: CLI.root + "/Tests/Fixtures/hdf5_library_crash_group_heap.h5", toPath: damaged)
        let bytes = FileManager.default.contents(atPath: damaged)
        for command in [["gen", damaged + ":/x", "--count", "5", "--force"],
                        ["map", "datasets/sensors.h5:/readings/pressure", "--op", "sqrt", "--out", damaged + ":/x"]] {
            let r = try CLI.run(command)
            XCTAssertEqual(r.status, 1, "\(command): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(damaged): damaged file: HDF5 crashed (signal 11, SIGSEGV)"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: damaged), bytes)
        XCTAssertEqual(try hiddenFiles(dir), [])
    }

    func testSortAndScanWithForceReplaceOnlyTheirDataset() throws {
        let dir = try TemporaryDirectory()
        try makeBase(in: dir)
        let base = dir.file("base.h5")
        let kept = try fingerprint(base, excluding: ["/data"], in: dir.path)
        for command in [["sort", base + ":/readings/a", base + ":/data"], ["scan", base + ":/readings/a", base + ":/data", "--op", "cummax"]] {
            let refused = try CLI.run(command)
            XCTAssertEqual(refused.status, 1, "\(command)")
            let forced = try CLI.run(command + ["--force", "-w", "2"])
            XCTAssertEqual(forced.status, 0, forced.stderr)
            XCTAssertEqual(try fingerprint(base, excluding: ["/data"], in: dir.path), kept, "\(command)")
        }
        XCTAssertEqual(try h5py("np.array_equal(f['/data'][()], np.maximum.accumulate(f['/readings/a'][()]))", base, in: dir.path), "True")
        XCTAssertEqual(try hiddenFiles(dir), [])
    }

    /// A real `kill -9` while `mproc gen` writes a 256 MiB dataset into the file (the private copy has grown
    /// past the original: the copy is done and the dataset is half written). The original is untouched and
    /// h5py reads it; the private copy left behind is ignored by the next write, which succeeds.
    func testKillNineInTheMiddleOfASaveLeavesTheFileAsItWas() throws {
        let dir = try TemporaryDirectory()
        try makeBase(in: dir)
        let base = dir.file("base.h5")
        let before = try fingerprint(base, in: dir.path)
        guard let bytes = FileManager.default.contents(atPath: base) else { return XCTFail("no base file") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = ["gen", base + ":/big", "--count", "2^25", "-w", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let grown = bytes.count + (16 << 20)
        var temporary: String?
        let deadline = Date().addingTimeInterval(120)
        while temporary == nil && process.isRunning && Date() < deadline {
            for name in try hiddenFiles(dir) where name.hasPrefix(".base.h5.") && name.hasSuffix(".tmp") {
                var info = stat()
                if stat(dir.file(name), &info) == 0, Int(info.st_size) > grown { temporary = name }
            }
            if temporary == nil { usleep(500) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let killed = process.processIdentifier
        for segment in (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []
        where segment.hasPrefix("mproc-\(killed)-") {
            try? FileManager.default.removeItem(atPath: "/dev/shm/" + segment)
        }
        guard let temporary else { return XCTFail("the private copy never grew past \(grown) bytes before the command ended") }
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        var info = stat()
        XCTAssertEqual(stat(dir.file(temporary), &info), 0)
        XCTAssertLessThan(Int(info.st_size), bytes.count + (256 << 20), "killed before the dataset was complete")

        XCTAssertEqual(FileManager.default.contents(atPath: base), bytes, "the original, byte for byte")
        XCTAssertEqual(try fingerprint(base, in: dir.path), before, "h5py reads every dataset as before")
        // kill -9 cannot be caught: the private copy stays, under a name no writer reuses. The next write works.
        XCTAssertEqual(try hiddenFiles(dir), [temporary])
        let again = try CLI.run(["gen", base + ":/big", "--count", "1000", "--distribution", "arange"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try fingerprint(base, excluding: ["/big"], in: dir.path), before)
        XCTAssertEqual(try h5py("f['/big'][()].sum()", base, in: dir.path), "499500.0")
        XCTAssertEqual(try hiddenFiles(dir), [temporary], "the leftover is neither used nor touched")
    }
}
