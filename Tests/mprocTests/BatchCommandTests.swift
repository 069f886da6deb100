#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

final class BatchCommandTests: XCTestCase {
    func testBundledBatchPrintsATableNamesTheDamagedFileAndMatchesNumpy() throws {
        let r = try CLI.run([
            "batch", "datasets/batch/stations", "--dataset", "/readings/temperature", "--ops", "count,nanmean,nanstd,nanmax",
            "-w", "2",
        ])
        XCTAssertEqual(r.status, 1, "a damaged file makes the exit status 1\n\(r.stderr)")
        XCTAssertTrue(r.stdout.contains("datasets/batch/stations/aws-01.h5  /readings/temperature  float64"), r.stdout)
        XCTAssertTrue(r.stdout.contains("6 files · 5 datasets · 1 failed"), r.stdout)
        XCTAssertTrue(r.stderr.hasPrefix("1 of 6 files failed:\n  datasets/batch/stations/aws-05.h5: truncated"), r.stderr)

        let json = try CLI.run([
            "batch", "datasets/batch/stations", "--dataset", "/readings/temperature", "--ops", "count,nanmean,nanstd,nanmax",
            "--format", "json",
        ])
        XCTAssertEqual(json.status, 1)
        let top = try XCTUnwrap(json.json, json.stdout)
        let records = try XCTUnwrap(top["records"] as? [[String: Any]])
        guard
            let expected = try CLI.numpy(
                """
                import h5py, glob
                out = {}
                for p in sorted(glob.glob('datasets/batch/stations/aws-0[12346].h5')):
                    d = h5py.File(p)['/readings/temperature']
                    # CF decoding: aws-03 stores hundredths of a degree with a float64 scale_factor.
                    a = d[...] * d.attrs['scale_factor'] if 'scale_factor' in d.attrs else d[...].astype('f8')
                    out[p + ' nanmean'] = float(np.nanmean(a)); out[p + ' nanstd'] = float(np.nanstd(a))
                    out[p + ' nanmax'] = float(np.nanmax(a))
                print(json.dumps(out))
                """)
        else { throw XCTSkip("python3 with numpy and h5py is needed for the reference values") }
        var checked = 0
        for record in records where record["status"] as? String == "ok" {
            let file = try XCTUnwrap(record["file"] as? String)
            for key in ["nanmean", "nanstd", "nanmax"] {
                let want = try XCTUnwrap(expected["\(file) \(key)"], "\(file) \(key)")
                let got = try XCTUnwrap(record[key] as? Double, "\(file) \(key)")
                XCTAssertEqual(got, want, accuracy: 1e-9 * max(1, abs(want)), "\(file) \(key)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 15)
        let failed = try XCTUnwrap(records.first { $0["status"] as? String == "failed" })
        XCTAssertEqual(failed["file"] as? String, "datasets/batch/stations/aws-05.h5")
        XCTAssertTrue(failed["dataset"] is NSNull)
    }

    func testSummariesInCSVAndHDF5ReadInPythonWithNumpysNumbers() throws {
        let dir = try TemporaryDirectory()
        for name in ["s.csv", "s.h5"] {
            let r = try CLI.run(["batch", "datasets/batch", "--ops", "count,mean,nanmean,min,max", "--out", dir.file(name)])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix("wrote \(dir.file(name)) · 12 files · 39 datasets · 6 non-numeric skipped · 1 failed"), r.stdout)
        }
        guard
            let result = try CLI.numpy(
                """
                import csv, h5py, warnings
                warnings.simplefilter('ignore')
                rows = list(csv.DictReader(open('\(dir.file("s.csv"))')))
                s = h5py.File('\(dir.file("s.h5"))')['summary']
                h5rows = [{k: s[k][i] for k in s} for i in range(len(s['file']))]
                checked = 0; worst = 0.0
                for row, h in zip(rows, h5rows):
                    assert row['file'] == h['file'].decode() and row['status'] == h['status'].decode()
                    if row['status'] != 'ok':
                        continue
                    d = h5py.File(row['file'])[row['dataset']]
                    a = d[...] * d.attrs['scale_factor'] if 'scale_factor' in d.attrs else d[...]  # CF decoding
                    wide = a.astype('f8') if a.dtype.kind == 'f' else a.astype('i8')
                    for key, f in [('mean', np.mean), ('nanmean', np.nanmean), ('min', np.min), ('max', np.max)]:
                        if wide.size == 0:
                            continue
                        want = float(f(wide))
                        for got in [float(row[key]), float(h[key])]:
                            if np.isnan(want):
                                assert np.isnan(got), (row, key)
                            else:
                                worst = max(worst, abs(got - want) / max(1.0, abs(want)))
                        checked += 1
                    assert int(row['count']) == wide.size
                print(json.dumps(dict(checked=checked, worst=worst, rows=len(rows))))
                """)
        else { throw XCTSkip("python3 with numpy and h5py is needed") }
        XCTAssertEqual(result["rows"], 46)
        XCTAssertEqual(result["checked"], 152)
        XCTAssertLessThan(result["worst"] ?? 1, 1e-6)
    }

    func testAnExistingSummaryIsReplacedOnlyWithForceOrContinuedWithResume() throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("s.json")
        XCTAssertEqual(try CLI.run(["batch", "datasets/batch/lidar", "--out", out]).status, 0)
        let again = try CLI.run(["batch", "datasets/batch/lidar", "--out", out])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("s.json exists; pass --resume to continue that batch or --force to replace it"), again.stderr)
        let resumed = try CLI.run(["batch", "datasets/batch/lidar", "--out", out, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("2 files (2 resumed) · 7 datasets"), resumed.stdout)
        XCTAssertEqual(try CLI.run(["batch", "datasets/batch/lidar", "--out", out, "--force"]).status, 0)
        let usage = try CLI.run(["batch", "datasets/batch/lidar", "--resume"])
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.stderr.contains("--resume needs --out"), usage.stderr)
    }

    func testInterruptedBatchLeavesACompleteSummaryThatResumeFinishes() throws {
        let dir = try TemporaryDirectory()
        try makeSmallFiles(in: dir.file("data"), count: 240)
        let out = dir.file("summary.csv")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = ["batch", dir.file("data"), "--ops", "mean", "--out", out, "--checkpoint", "0", "--files-per-pass", "4"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: out) && process.isRunning && Date() < deadline { usleep(500) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let checkpoint = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(checkpoint.count, 1)
        XCTAssertTrue(checkpoint.dropFirst().allSatisfy { $0.contains(",ok,") }, "a checkpoint holds only complete rows")
        for _ in 0..<200 where !orphanedWorkers().isEmpty { usleep(10_000) }
        XCTAssertEqual(orphanedWorkers(), [])
        XCTAssertEqual(packageSegments(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["data", "summary.csv"],
                       "no temporary file is left")

        let resumed = try CLI.run(["batch", dir.file("data"), "--ops", "mean", "--out", out, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        // Interrupted after its first checkpoint, the batch had not finished (it takes ~100x longer).
        XCTAssertTrue(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT,
                      "ended by SIGINT, not finished: \(process.terminationReason) \(process.terminationStatus)")
        XCTAssertLessThan(checkpoint.count - 1, 240)
        XCTAssertTrue(resumed.stdout.contains("240 files (\(checkpoint.count - 1) resumed)"), resumed.stdout)
        let final = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(final.count, 241)
    }

    func testFullDiskWhileWritingTheSummaryKeepsThePreviousOneAndLeavesNoPartialFile() throws {
        let dir = try TemporaryDirectory()
        try makeSmallFiles(in: dir.file("data"), count: 16, datasets: 40)
        let out = dir.file("summary.json")
        XCTAssertEqual(try CLI.run(["batch", dir.file("data"), "--out", out]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        XCTAssertGreaterThan(before.count, 128 << 10)
        // RLIMIT_FSIZE: the write that crosses 128 KiB fails with EFBIG, as on a full disk with ENOSPC. The
        // limit also bounds each shared-memory segment, so the passes are kept small.
        let limited = try shell(
            "ulimit -f 128; exec '\(CLI.executable)' batch '\(dir.file("data"))' --ops mean,max --out '\(out)' --force --files-per-pass 2")
        XCTAssertEqual(limited.status, 1, limited.stderr)
        XCTAssertTrue(limited.stderr.contains("\(out): writing the summary failed: File too large"), limited.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before, "the previous summary is intact")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["data", "summary.json"])

        // A real full file system, where one can be mounted (root): ENOSPC.
        let small = dir.file("small")
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        guard (try? shell("mount -t tmpfs -o size=16k tmpfs '\(small)'"))?.status == 0 else { return }
        defer { _ = try? shell("umount '\(small)'") }
        for name in ["summary.h5", "summary.csv"] {
            let full = try CLI.run(["batch", dir.file("data"), "--out", small + "/" + name])
            XCTAssertEqual(full.status, 1)
            XCTAssertTrue(full.stderr.contains("\(name): writing the summary failed: No space left on device"), full.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small), [])
        }
    }

    func testUnwritableOutputDirectoryFailsBeforeReadingAnything() throws {
        let dir = try TemporaryDirectory()
        let locked = try unwritableDirectory(in: dir)
        defer { _ = try? shell("umount '\(locked)' 2>/dev/null; chmod 755 '\(locked)'") }
        let r = try CLI.run(["batch", "datasets/batch", "--out", locked + "/summary.csv"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot write to \(locked)"), r.stderr)
        XCTAssertFalse(r.stderr.contains("files failed"), "nothing was read")
    }

    func testProgressLineOnlyOnATerminal() throws {
        let tty = try shell("script -qec '\(CLI.executable) batch datasets/batch/lidar --ops mean' /dev/null")
        XCTAssertEqual(tty.status, 0, tty.stdout)
        XCTAssertTrue(tty.stdout.contains("batch  2/2 files · "), tty.stdout)
        XCTAssertTrue(tty.stdout.contains(" of 392.6 KiB"), tty.stdout)
        let piped = try CLI.run(["batch", "datasets/batch/lidar", "--ops", "mean"])
        XCTAssertFalse(piped.stderr.contains("files ·"), piped.stderr)
        let quiet = try shell("script -qec '\(CLI.executable) batch datasets/batch/lidar --ops mean --quiet' /dev/null")
        XCTAssertFalse(quiet.stdout.contains("files ·"), quiet.stdout)
    }

    // MARK: - Helpers

    private func makeSmallFiles(in directory: String, count: Int, datasets: Int = 1) throws {
        let made = try CLI.numpy(
            """
            import h5py, os
            os.makedirs('\(directory)', exist_ok=True)
            for i in range(\(count)):
                with h5py.File(f'\(directory)/run{i:04d}.h5', 'w') as f:
                    for d in range(\(datasets)):
                        name = 'signal' if d == 0 else f'channel{d:03d}'
                        f.create_dataset(name, data=np.arange(500.0) + i + d, chunks=(100,), compression='gzip')
            print(json.dumps(dict(made=\(count))))
            """)
        guard made != nil else { throw XCTSkip("python3 with numpy and h5py is needed") }
    }
}

/// Runs `script` with bash; stdout and stderr separately.
func shell(_ script: String) throws -> CLI.Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script]
    process.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    nonisolated(unsafe) var outData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        outData = out.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CLI.Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
}

/// A directory this process cannot create files in: mode 0555, or (as root, who ignores modes) a
/// read-only tmpfs mounted on it. Skips the test when neither works.
func unwritableDirectory(in dir: TemporaryDirectory) throws -> String {
    let locked = dir.file("locked")
    try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
    chmod(locked, 0o555)
    if !FileManager.default.createFile(atPath: locked + "/probe", contents: nil) { return locked }
    unlink(locked + "/probe")
    if (try? shell("mount -t tmpfs -o ro,size=64k tmpfs '\(locked)'"))?.status == 0 { return locked }
    throw XCTSkip("cannot make an unwritable directory here (root without mount)")
}
