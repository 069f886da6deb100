#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// `mproc batch --mpi` under `mpirun -np 2` and `-np 3` on this machine: the same summary as `batch` on
/// one node, byte for byte; `--resume` skips the files the summary has; a bad file reported once; a killed
/// rank that ends the job with nothing left behind.
final class MPIBatchCommandTests: XCTestCase {
    static let ops = "count,nancount,mean,nanmean,std,nanstd,min,max,argmin,argmax,sum,norm"

    /// Writes 9 HDF5 files with h5py (one with a dataset large enough to be split into pieces) and a
    /// damaged one; returns their paths in order (skips without h5py).
    private func makeInputs(in directory: TemporaryDirectory) throws -> [String] {
        let script = """
            import numpy as np, h5py, sys
            d = sys.argv[1]
            rng = np.random.default_rng(1616)
            for i in range(8):
                with h5py.File(f'{d}/run-{i}.h5', 'w') as f:
                    x = 1e3 + rng.standard_normal(10_000 + 7919 * i)
                    if i % 3 == 0: x[i * 11] = np.nan
                    f.create_dataset('/a/x', data=x, chunks=(4096,), compression='gzip' if i % 2 else None)
                    f.create_dataset('/a/n', data=rng.integers(-300, 300, (37 + i, 5), dtype=np.int16))
                    f.create_dataset('/a/label', data=np.array([b'ok'] * 3))
            with h5py.File(f'{d}/run-big.h5', 'w') as f:
                f.create_dataset('/a/x', data=rng.standard_normal(2_300_001), chunks=(65536,))
            with open(f'{d}/run-bad.h5', 'wb') as f:
                f.write(b'\\x89HDF\\r\\n\\x1a\\n' + b'not really HDF5' * 100)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy and h5py is needed to write the inputs") }
        return (0..<4).map { directory.file("run-\($0).h5") } + [directory.file("run-bad.h5"), directory.file("run-big.h5")]
            + (4..<8).map { directory.file("run-\($0).h5") }
    }

    private func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(missing \(path))"
    }

    func testBatchAcrossRanksWritesTheSameSummaryAsOneNode() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let files = try makeInputs(in: directory)
        var expected: [String: String] = [:]
        for format in ["csv", "json"] {
            let out = directory.file("one.\(format)")
            let single = try CLI.run(["batch"] + files + ["--ops", Self.ops, "--out", out, "-w", "2"])
            XCTAssertEqual(single.status, 1, "the damaged file fails the batch: \(single.stderr)")
            expected[format] = contents(out)
        }
        XCTAssertTrue(expected["csv", default: ""].contains("run-bad.h5"))
        XCTAssertTrue(expected["csv", default: ""].contains("run-big.h5,/a/x,ok"), expected["csv", default: ""])
        for (ranks, workers) in [(2, 1), (3, 1), (2, 2)] {
            for format in ["csv", "json"] {
                let out = directory.file("\(ranks)x\(workers).\(format)")
                let result = try MPIRun.run(ranks: ranks, ["batch", "--mpi"] + files + ["--ops", Self.ops, "--out", out, "-w", "\(workers)"])
                let context = "\(ranks) ranks x \(workers) workers, \(format)"
                XCTAssertEqual(result.status, 1, "\(context): \(result.stderr)")
                XCTAssertEqual(contents(out), expected[format], context)
                // Rank 0 alone reports: one closing line, the damaged file named once.
                XCTAssertEqual(result.stdout.components(separatedBy: "wrote ").count - 1, 1, "\(context): \(result.stdout)")
                XCTAssertTrue(result.stdout.contains("10 files · 17 datasets · 8 non-numeric skipped · 1 failed"), "\(context): \(result.stdout)")
                XCTAssertTrue(result.stdout.contains("\(ranks) ranks · \(workers) worker"), "\(context): \(result.stdout)")
                XCTAssertEqual(result.stderr.components(separatedBy: "run-bad.h5").count - 1, 1, "\(context): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("1 of 10 files failed:"), "\(context): \(result.stderr)")
            }
        }
        // The large file read by every rank together (each a run of its dataset's chunks): the same bytes.
        for ranks in [2, 3] {
            for format in ["csv", "json"] {
                let out = directory.file("split-\(ranks).\(format)")
                let result = try MPIRun.run(
                    ranks: ranks, ["batch", "--mpi"] + files + ["--ops", Self.ops, "--out", out, "-w", "1", "--split-bytes", "1M"])
                XCTAssertEqual(result.status, 1, "split, \(ranks) ranks: \(result.stderr)")
                XCTAssertEqual(contents(out), expected[format], "split, \(ranks) ranks, \(format)")
            }
        }
        // Without --out, rank 0 prints what one node prints.
        let printed = try CLI.run(["batch"] + files + ["--ops", Self.ops, "--format", "json", "-w", "2"])
        let distributed = try MPIRun.run(ranks: 3, ["batch", "--mpi"] + files + ["--ops", Self.ops, "--format", "json", "-w", "1"])
        XCTAssertFalse(printed.stdout.isEmpty)
        XCTAssertEqual(distributed.stdout, printed.stdout)
        XCTAssertFalse(distributed.stderr.contains("files ·"), "no progress line within the default 5 s: \(distributed.stderr)")
        // Progress: whole lines from rank 0 as the ranks' records come in, across ranks; none with -q.
        let watched = try MPIRun.run(
            ranks: 3, ["batch", "--mpi"] + files + ["--ops", Self.ops, "--format", "json", "-w", "1", "--progress-interval", "0"])
        XCTAssertEqual(watched.stdout, printed.stdout)
        let lines = watched.stderr.split(separator: "\n").filter { $0.hasPrefix("batch  ") }
        XCTAssertGreaterThanOrEqual(lines.count, 2, watched.stderr)
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix(" · 3 ranks") && $0.contains("/10 files") }, watched.stderr)
        XCTAssertTrue(lines.last?.hasPrefix("batch  10/10 files") == true, watched.stderr)
        XCTAssertTrue(lines.last?.contains("1 failed") == true, watched.stderr)
        let quiet = try MPIRun.run(
            ranks: 2, ["batch", "--mpi"] + files + ["--ops", Self.ops, "--format", "json", "-w", "1", "--progress-interval", "0", "-q"])
        XCTAssertFalse(quiet.stderr.contains("files ·"), quiet.stderr)
        XCTAssertEqual(packageSegments(), [])
    }

    func testRefusalIsReportedOnce() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let out = directory.file("summary.csv")
        XCTAssertTrue(FileManager.default.createFile(atPath: out, contents: Data("x\n".utf8)))
        let result = try MPIRun.run(ranks: 3, ["batch", "--mpi", "datasets/batch", "--out", out, "-w", "1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr.components(separatedBy: "exists; pass --resume").count - 1, 1, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(contents(out), "x\n", "the refused summary is left as it was")
    }

    func testResumeSkipsTheFilesTheSummaryHas() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let files = try makeInputs(in: directory)
        let complete = directory.file("complete.csv")
        XCTAssertEqual(try CLI.run(["batch"] + files + ["--ops", Self.ops, "--out", complete, "-w", "2"]).status, 1)

        // The first six files (one of them damaged), then all ten with --resume.
        let out = directory.file("summary.csv")
        let first = try MPIRun.run(ranks: 2, ["batch", "--mpi"] + files.prefix(6) + ["--ops", Self.ops, "--out", out, "-w", "1"])
        XCTAssertEqual(first.status, 1, first.stderr)
        XCTAssertTrue(first.stdout.contains("6 files ·"), first.stdout)
        let resumed = try MPIRun.run(ranks: 3, ["batch", "--mpi"] + files + ["--ops", Self.ops, "--out", out, "--resume", "-w", "1"])
        XCTAssertEqual(resumed.status, 1, resumed.stderr)
        // Five good files are reused; the damaged one is read again (a failed record is never reused).
        XCTAssertTrue(resumed.stdout.contains("10 files (5 resumed)"), resumed.stdout)
        XCTAssertEqual(contents(out), contents(complete))

        let again = try MPIRun.run(ranks: 2, ["batch", "--mpi"] + files + ["--ops", Self.ops, "--out", out, "--resume", "-w", "1"])
        XCTAssertTrue(again.stdout.contains("10 files (9 resumed)"), again.stdout)
        XCTAssertEqual(contents(out), contents(complete))
    }

    /// A rank killed while every rank's workers are blocked (each opening a FIFO that no one writes) ends
    /// the job: mpirun names the rank, every other rank and worker ends, and no segment is left.
    func testKilledRankEndsTheJobCleanly() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let fifos = (0..<6).map { directory.file("blocked-\($0).h5") }
        for fifo in fifos { XCTAssertEqual(mkfifo(fifo, 0o600), 0) }
        let before = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []))
        nonisolated(unsafe) var killed: Int32 = 0
        nonisolated(unsafe) var holding = 0
        let result = try MPIRun.run(ranks: 3, ["batch", "--mpi"] + fifos + ["--out", directory.file("s.csv"), "-w", "2"], timeout: 120) { launcher in
            // Wait (bounded) until every rank's workers are blocked opening the files rank 0 handed out
            // (which shows that each rank got some), then kill rank 1.
            for _ in 0..<600 {
                let ranks = MPIRun.ranks(of: launcher)
                holding = ranks.values.filter { Self.workersOpeningFIFOs(of: $0) > 0 }.count
                if ranks.count == 3, holding == 3, let victim = ranks[1] {
                    killed = victim
                    kill(victim, SIGKILL)
                    return
                }
                usleep(50_000)
            }
        }
        XCTAssertNotEqual(killed, 0, "the ranks never all held files (\(holding) of 3 did): \(result.stderr)")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("rank 1"), result.stderr)
        XCTAssertTrue(result.stderr.contains("signal 9"), result.stderr)
        for _ in 0..<20 where !orphanedWorkers().isEmpty { usleep(100_000) }
        XCTAssertEqual(orphanedWorkers(), [])
        let after = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []))
        XCTAssertEqual(after.subtracting(before).filter { $0.hasPrefix("mproc-") || $0.hasPrefix("vader_segment") }, [])
    }

    /// How many worker processes of `rank` (a pid) are blocked opening a FIFO (kernel wait channel
    /// `wait_for_partner`).
    private static func workersOpeningFIFOs(of rank: Int32) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == rank else { return false }
            let channel = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? ""
            return channel.hasPrefix("wait_for_partner")
        }.count
    }
}
