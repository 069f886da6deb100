#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// `mproc stats --mpi` under `mpirun -np 2` and `-np 3` on this machine: the same bits as one node, one
/// error report for a bad input, and a killed rank that ends the job with nothing left behind.
final class MPIStatsCommandTests: XCTestCase {
    static let statisticKeys = ["count", "nancount", "sum", "nansum", "mean", "nanmean", "var", "std", "nanstd", "min", "max", "nanmin",
                                "nanmax", "argmin", "argmax", "nanargmin", "nanargmax", "norm"]
    static let ops = statisticKeys.joined(separator: ",")

    /// Writes the test inputs with numpy (skips without it).
    private func makeInputs(in directory: TemporaryDirectory) throws {
        let script = """
            import numpy as np, sys
            d = sys.argv[1]
            rng = np.random.default_rng(16)
            np.save(d + '/offset.npy', 1e6 + rng.standard_normal(1_000_003))
            x = rng.standard_normal(700_001).astype(np.float32)
            x[[5, 123_456, 700_000]] = [np.nan, np.inf, -np.inf]
            np.save(d + '/special.npy', x)
            np.save(d + '/int16.npy', rng.integers(-30000, 30000, 333_333, dtype=np.int16).astype('>i2'))
            np.save(d + '/tiny.npy', np.array([3.0, -1.0, 2.0]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is needed to write the inputs") }
    }

    /// The statistics of a `--json` output as exact bit patterns (null for NaN and infinities): JSON keeps
    /// every digit of a double, so equal patterns are equal bits.
    private func statistics(_ result: CLI.Result, _ context: String) throws -> [String: String] {
        XCTAssertEqual(result.status, 0, "\(context): \(result.stderr)")
        let json = try XCTUnwrap(result.json, "\(context): \(result.stdout) \(result.stderr)")
        var values: [String: String] = [:]
        for key in Self.statisticKeys {
            values[key] = switch json[key] {
            case let number as NSNumber: String(number.doubleValue.bitPattern, radix: 16)
            case is NSNull: "null"
            default: "missing"
            }
        }
        return values
    }

    func testStatsAcrossRanksEqualsOneNodeBitForBit() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        try makeInputs(in: directory)
        for name in ["offset.npy", "special.npy", "int16.npy", "tiny.npy"] {
            let input = directory.file(name)
            let single = try statistics(CLI.run(["stats", input, "--ops", Self.ops, "--json", "-w", "2"]), "\(name) on one node")
            for (ranks, workers) in [(2, 1), (3, 1), (2, 2)] {
                let result = try MPIRun.run(ranks: ranks, ["stats", "--mpi", input, "--ops", Self.ops, "--json", "-w", "\(workers)"])
                let distributed = try statistics(result, "\(name) on \(ranks) ranks x \(workers) workers")
                XCTAssertEqual(distributed, single, "\(name): \(ranks) ranks x \(workers) workers")
                XCTAssertEqual(result.stdout.split(separator: "\n").count, 1, "only rank 0 prints: \(result.stdout)")
                XCTAssertEqual(result.json?["ranks"] as? Int, ranks)
            }
        }
        XCTAssertEqual(packageSegments(), [])
    }

    /// Medians, percentiles and quantiles across ranks: the same selection, so the same bits as one node, with
    /// each rank holding its share (mapped float64, read float32 and big-endian int16, gzip HDF5).
    func testOrderStatisticsAcrossRanksEqualOneNode() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        try makeInputs(in: directory)
        let keys = ["median", "nanmedian", "p99", "nanp0.5", "q0.25", "nanq0.75", "p100", "nanp0"]
        let ops = keys.joined(separator: ",")
        let inputs = ["offset.npy", "special.npy", "int16.npy", "tiny.npy"].map { directory.file($0) } + ["datasets/sensors.h5:/readings/temperature"]
        for input in inputs {
            for method in ["linear", "nearest", "hazen"] {
                let single = try CLI.run(["stats", input, "--ops", ops + ",mean", "--quantile-method", method, "--json", "-w", "2", "--raw"])
                XCTAssertEqual(single.status, 0, single.stderr)
                let expected = try XCTUnwrap(single.json, single.stdout)
                for ranks in method == "linear" ? [2, 3] : [2] {
                    let result = try MPIRun.run(
                        ranks: ranks, ["stats", "--mpi", input, "--ops", ops + ",mean", "--quantile-method", method, "--json", "-w", "1", "--raw"])
                    XCTAssertEqual(result.status, 0, "\(input): \(result.stderr)")
                    let json = try XCTUnwrap(result.json, "\(input) on \(ranks) ranks: \(result.stdout)")
                    for key in keys + ["mean"] {
                        XCTAssertEqual((json[key] as? NSNumber)?.doubleValue.bitPattern, (expected[key] as? NSNumber)?.doubleValue.bitPattern,
                                       "\(input) \(key) \(method), \(ranks) ranks")
                        XCTAssertEqual(json[key] is NSNull, expected[key] is NSNull, "\(input) \(key)")
                    }
                }
            }
        }
        XCTAssertEqual(packageSegments(), [])
    }

    /// Order statistics per column and per row across ranks, alone and beside moment statistics (every rank
    /// must go on to the order passes after the moments): one node's values, bit for bit, for short columns
    /// (gathered in batches at rank 0) and long ones (selected across the ranks).
    func testOrderStatisticsAlongAnAxisAcrossRanksEqualOneNode() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import numpy as np, sys
            rng = np.random.default_rng(9)
            t = 1e3 + rng.standard_normal((10_001, 7)); t[5, 2] = np.nan      # a NaN in column 2, row 5
            np.save(sys.argv[1] + '/tall.npy', t)
            np.save(sys.argv[1] + '/wide.npy', rng.standard_normal((257, 1025)).astype('>f4'))
            np.save(sys.argv[1] + '/long.npy', rng.standard_normal((1_048_579, 2)))  # columns of 2^20 rows and more
            """, directory.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is needed to write the inputs") }
        let timing: Set<String> = ["load_ms", "elapsed_ms", "runs_ms", "gb_per_s", "workers", "ranks"]
        func values(_ result: CLI.Result, _ context: String) throws -> [String: String] {
            XCTAssertEqual(result.status, 0, "\(context): \(result.stderr)")
            let json = try XCTUnwrap(result.json, "\(context): \(result.stdout)")
            return json.filter { !timing.contains($0.key) }.mapValues { value in
                ((value as? [Any]) ?? [value]).map { ($0 as? NSNumber).map { String($0.doubleValue.bitPattern, radix: 16) } ?? "\($0)" }
                    .joined(separator: ",")
            }
        }
        let cases = [("tall.npy", "0"), ("tall.npy", "1"), ("wide.npy", "0"), ("wide.npy", "1"), ("long.npy", "0")]
        for (name, axis) in cases {
            do {
                for ops in ["median,nanmedian,p99,nanq0.25,q0.5", "mean,std,median,p10"] {
                    let arguments = ["stats", directory.file(name), "--axis", axis, "--ops", ops, "--json"]
                    let single = try values(CLI.run(arguments + ["-w", "2"]), "\(name) axis \(axis) on one node")
                    XCTAssertNotNil(single["median"], "\(name) axis \(axis)")
                    for ranks in ops.hasPrefix("mean") ? [3] : [2, 3] {
                        let distributed = try values(MPIRun.run(ranks: ranks, ["stats", "--mpi"] + arguments.dropFirst() + ["-w", "1"]), "\(name) axis \(axis), \(ranks) ranks")
                        XCTAssertEqual(distributed, single, "\(name) axis \(axis) \(ops), \(ranks) ranks")
                    }
                }
            }
        }
        XCTAssertEqual(packageSegments(), [])
    }

    /// `hist --mpi` counts like one node: the range found across ranks (or given), counts added exactly.
    func testHistogramAcrossRanksEqualsOneNode() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        try makeInputs(in: directory)
        for (name, extra) in [("offset.npy", ["--bins", "37"]), ("special.npy", ["--bins", "9", "--range", "-2,2.5"]),
                              ("int16.npy", ["--bins", "13"]), ("tiny.npy", ["--bins", "3"])] {
            let input = directory.file(name)
            let single = try CLI.run(["hist", input, "--json", "-w", "2"] + extra)
            XCTAssertEqual(single.status, 0, single.stderr)
            let expected = try XCTUnwrap(single.json, single.stdout)
            for (ranks, workers) in [(2, 1), (3, 1)] {
                let result = try MPIRun.run(ranks: ranks, ["hist", "--mpi", input, "--json", "-w", "\(workers)"] + extra)
                XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
                let json = try XCTUnwrap(result.json, "\(name) on \(ranks) ranks: \(result.stdout)")
                XCTAssertEqual(json["counts"] as? [Int], expected["counts"] as? [Int], "\(name) on \(ranks) ranks")
                XCTAssertEqual((json["edges"] as? [Double])?.map(\.bitPattern), (expected["edges"] as? [Double])?.map(\.bitPattern), name)
                XCTAssertEqual(json["count"] as? Int, expected["count"] as? Int)
                XCTAssertEqual(json["ranks"] as? Int, ranks)
            }
        }
        // NaN and infinities without a range: one refusal, from rank 0.
        let refused = try MPIRun.run(ranks: 3, ["hist", "--mpi", directory.file("special.npy"), "-w", "1"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.stderr.components(separatedBy: "autodetected range").count - 1, 1, refused.stderr)
        XCTAssertEqual(packageSegments(), [])
    }

    /// The seed example's strided means across ranks: `--stride K` folds one partial per part in each chunk
    /// (residue classes of the global index), so the parts' statistics are one node's, bit for bit.
    func testStridedPartsAcrossRanksEqualOneNode() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        try makeInputs(in: directory)
        let timing: Set<String> = ["load_ms", "elapsed_ms", "runs_ms", "gb_per_s", "workers", "ranks"]
        for name in ["offset.npy", "special.npy", "int16.npy", "tiny.npy"] {
            let arguments = ["stats", directory.file(name), "--stride", "5", "--ops", Self.ops, "--json"]
            let single = try CLI.run(arguments + ["-w", "2"])
            XCTAssertEqual(single.status, 0, single.stderr)
            let expected = try XCTUnwrap(single.json, single.stdout).filter { !timing.contains($0.key) }
            XCTAssertEqual(expected["stride"] as? Int, 5)
            for ranks in [2, 3] {
                let result = try MPIRun.run(ranks: ranks, ["stats", "--mpi"] + arguments.dropFirst() + ["-w", "1"])
                XCTAssertEqual(result.status, 0, "\(name), \(ranks) ranks: \(result.stderr)")
                let json = try XCTUnwrap(result.json, result.stdout).filter { !timing.contains($0.key) }
                XCTAssertEqual(NSDictionary(dictionary: json), NSDictionary(dictionary: expected), "\(name), \(ranks) ranks")
            }
        }
        XCTAssertEqual(packageSegments(), [])
    }

    func testHDF5GzipDatasetAcrossRanks() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let path = directory.file("gzip.h5")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import numpy as np, h5py, sys
            rng = np.random.default_rng(7)
            with h5py.File(sys.argv[1], 'w') as f:
                f.create_dataset('/g/x', data=rng.standard_normal((500_001,)) * 5 + 40, chunks=(20_000,), compression='gzip', shuffle=True)
            """, path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy and h5py is needed to write the input") }
        let input = path + ":/g/x"
        let single = try statistics(CLI.run(["stats", input, "--ops", Self.ops, "--json", "-w", "2"]), "one node")
        for ranks in [2, 3] {
            let distributed = try statistics(MPIRun.run(ranks: ranks, ["stats", "--mpi", input, "--ops", Self.ops, "--json", "-w", "1"]), "\(ranks) ranks")
            XCTAssertEqual(distributed, single, "\(ranks) ranks")
        }
    }

    func testColumnStatisticsAcrossRanks() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let path = directory.file("table.npy")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import numpy as np, sys
            a = 1e3 + np.random.default_rng(5).standard_normal((200_001, 7))
            a[17, 3] = np.nan
            np.save(sys.argv[1], a)
            np.save(sys.argv[2], a[:30_001].astype('>f4'))  # another type and byte order: read, not mapped
            """, path, directory.file("table-f4.npy")]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is needed to write the input") }
        let ops = "count,mean,std,var,min,max,argmin,argmax,nanmean,nanstd"
        // Per column (axis 0: partials combined across ranks) and per row (axis 1: each rank's rows end to end).
        for (input, axis) in [(path, "0"), (path, "1"), (directory.file("table-f4.npy"), "1")] {
            let single = try CLI.run(["stats", input, "--axis", axis, "--ops", ops, "--json", "-w", "2"])
            XCTAssertEqual(single.status, 0, single.stderr)
            let expected = try XCTUnwrap(single.json)
            for ranks in [2, 3] {
                let result = try MPIRun.run(ranks: ranks, ["stats", "--mpi", input, "--axis", axis, "--ops", ops, "--json", "-w", "1"])
                XCTAssertEqual(result.status, 0, result.stderr)
                let json = try XCTUnwrap(result.json, result.stdout)
                XCTAssertEqual(json["axis"] as? Int, Int(axis))
                for key in ops.split(separator: ",").map(String.init) {
                    let a = try XCTUnwrap(json[key] as? [Any], key), b = try XCTUnwrap(expected[key] as? [Any], key)
                    XCTAssertEqual(a.count, axis == "0" ? 7 : (input == path ? 200_001 : 30_001))
                    XCTAssertEqual(a.map { ($0 as? NSNumber)?.doubleValue.bitPattern }, b.map { ($0 as? NSNumber)?.doubleValue.bitPattern },
                                   "\(input) axis \(axis) \(key), \(ranks) ranks")
                }
            }
        }
    }

    func testBadInputIsReportedOnce() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let result = try MPIRun.run(ranks: 3, ["stats", "--mpi", directory.file("missing.npy"), "-w", "1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr.components(separatedBy: "missing.npy").count - 1, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("rank 0"), result.stderr)
        XCTAssertEqual(result.stdout, "")
        let refused = try MPIRun.run(ranks: 2, ["stats", "--mpi", "datasets/sensors.npy", "--repeat", "2", "-w", "1"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.stderr.components(separatedBy: "cannot be combined with --repeat").count - 1, 1, refused.stderr)
        try makeInputs(in: directory)
        let flat = try MPIRun.run(ranks: 3, ["stats", "--mpi", directory.file("tiny.npy"), "--axis", "1", "-w", "1"])
        XCTAssertNotEqual(flat.status, 0)
        XCTAssertEqual(flat.stderr.components(separatedBy: "--axis 1 needs a 2-D array").count - 1, 1, flat.stderr)
    }

    /// mpirun binds each rank to cores by default and the workers inherit it: rank 0 says so once when its
    /// workers would share fewer cores (here: one rank bound to one core of two, with two workers).
    func testBindingThatStarvesTheWorkersIsNoted() throws {
        try MPIRun.requireMPI()
        guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 else { throw XCTSkip("needs 2 cores") }
        let bound = try MPIRun.run(ranks: 1, ["stats", "--mpi", "datasets/sensors.npy", "--json", "-w", "2"])
        XCTAssertEqual(bound.status, 0, bound.stderr)
        XCTAssertNotNil(bound.json?["mean"], bound.stdout)
        let unbound = try MPIRun.run(ranks: 1, ["stats", "--mpi", "datasets/sensors.npy", "--json", "-w", "2"], bindToNone: true)
        XCTAssertEqual(unbound.status, 0, unbound.stderr)
        XCTAssertFalse(unbound.stderr.contains("note:"), unbound.stderr)
        // Whether mpirun binds one rank depends on its version and policy: only a bound rank gets the note.
        let info = try MPIRun.run(ranks: 1, ["info", "--json"])
        let usable = try XCTUnwrap(info.json?["default_workers"] as? Int, info.stdout)
        XCTAssertEqual(bound.stderr.components(separatedBy: "--bind-to none").count - 1, usable < 2 ? 1 : 0, bound.stderr)
    }

    /// Every rank parses the same arguments; a mistake in them is printed by rank 0 alone, and so is --help.
    func testArgumentErrorsArePrintedOnce() throws {
        try MPIRun.requireMPI()
        let mistyped = try MPIRun.run(ranks: 3, ["stats", "--mpi", "datasets/sensors.npy", "--workers", "0"])
        XCTAssertNotEqual(mistyped.status, 0)
        XCTAssertEqual(mistyped.stderr.components(separatedBy: "--workers must be at least 1").count - 1, 1, mistyped.stderr)
        let help = try MPIRun.run(ranks: 2, ["stats", "--mpi", "--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertEqual(help.stdout.components(separatedBy: "USAGE:").count - 1, 1, help.stdout)
    }

    /// A rank killed while the others wait (here: all are blocked opening a FIFO that no one writes) ends the
    /// job: mpirun names the rank and node, every other rank and worker ends, and no segment is left.
    func testKilledRankEndsTheJobCleanly() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let fifo = directory.file("blocked.npy")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let before = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []))
        nonisolated(unsafe) var killed: Int32 = 0
        // Open MPI's own shared-memory files (vader segments) go to a directory of the test's: they are Open
        // MPI's to remove, which it does while tearing the job down, at times after mpirun has exited.
        let vader = directory.file("vader")
        XCTAssertEqual(mkdir(vader, 0o700), 0)
        let result = try MPIRun.run(
            ranks: 3, ["stats", "--mpi", fifo, "-w", "2"], timeout: 120,
            environment: ["OMPI_MCA_btl_vader_backing_directory": vader]
        ) { launcher in
            // Wait (bounded) until all three ranks run, then kill rank 1.
            for _ in 0..<600 {
                let ranks = MPIRun.ranks(of: launcher)
                if ranks.count == 3, let victim = ranks[1] {
                    usleep(300_000)
                    killed = victim
                    kill(victim, SIGKILL)
                    return
                }
                usleep(50_000)
            }
        }
        XCTAssertNotEqual(killed, 0, "the ranks never started: \(result.stderr)")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("rank 1"), result.stderr)
        XCTAssertTrue(result.stderr.contains("signal 9"), result.stderr)
        for _ in 0..<20 where !orphanedWorkers().isEmpty { usleep(100_000) }
        XCTAssertEqual(orphanedWorkers(), [])
        // Every rank's segments are gone once its workers are (bounded wait on a loaded machine).
        func leftSegments() -> Set<String> {
            let after = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []))
            return after.subtracting(before).filter { $0.hasPrefix("mproc-") }
        }
        for _ in 0..<100 where !leftSegments().isEmpty { usleep(100_000) }
        XCTAssertEqual(leftSegments(), [])
    }
}
