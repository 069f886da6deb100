import Foundation
import XCTest

final class StatsCommandTests: XCTestCase {
    func testStatsOnBundledHDF5MatchesNumpy() throws {
        let result = try CLI.run([
            "stats", "datasets/sensors.h5:/readings/temperature", "--ops", "count,nanmean,nanstd,nanmin,nanmax,mean,nancount",
            "--json", "--workers", "2",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(result.json, result.stdout)
        guard
            let expected = try CLI.numpy(
                """
                import h5py
                a = h5py.File('datasets/sensors.h5')['/readings/temperature'][...]
                print(json.dumps(dict(count=a.size, nanmean=float(np.nanmean(a)), nanstd=float(np.nanstd(a)),
                    nanmin=float(np.nanmin(a)), nanmax=float(np.nanmax(a)), nancount=int((~np.isnan(a)).sum()))))
                """)
        else { throw XCTSkip("python3 with numpy and h5py is needed for the reference values") }
        for key in ["count", "nancount", "nanmin", "nanmax"] { XCTAssertEqual(json[key] as? Double, expected[key], key) }
        for key in ["nanmean", "nanstd"] {
            let value = try XCTUnwrap(json[key] as? Double, key)
            XCTAssertEqual(value, expected[key]!, accuracy: 1e-12 * abs(expected[key]!), key)
        }
        XCTAssertTrue(json["mean"] is NSNull, "mean of data with NaN is NaN, printed as null")
        XCTAssertNotNil(json["elapsed_ms"] as? Double)
        XCTAssertNotNil(json["gb_per_s"] as? Double)
    }

    func testColumnStatisticsOfNpyTable() throws {
        let result = try CLI.run(["stats", "datasets/sensors.npy", "--axis", "0", "--ops", "mean,std,min,max", "--json", "--ddof", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(result.json)
        let means = try XCTUnwrap(json["mean"] as? [Double])
        XCTAssertEqual(means.count, 6)
        guard
            let expected = try CLI.numpy(
                """
                a = np.load('datasets/sensors.npy')
                print(json.dumps({f'm{i}': float(v) for i, v in enumerate(a.mean(axis=0))} | {f's{i}': float(v) for i, v in enumerate(a.std(axis=0, ddof=1))}))
                """)
        else { throw XCTSkip("python3 with numpy is needed for the reference values") }
        let stds = try XCTUnwrap(json["std"] as? [Double])
        for i in 0..<6 {
            XCTAssertEqual(means[i], expected["m\(i)"]!, accuracy: 1e-11 * abs(expected["m\(i)"]!))
            XCTAssertEqual(stds[i], expected["s\(i)"]!, accuracy: 1e-10 * abs(expected["s\(i)"]!))
        }
        let table = try CLI.run(["stats", "datasets/sensors.npy", "--axis", "0"])
        XCTAssertEqual(table.status, 0)
        XCTAssertTrue(table.stdout.contains("column"), table.stdout)
    }

    /// `--stride K`: the statistics of each interleaved part `x[i::K]` (the seed example's strided means),
    /// numpy's values for each part, on a length that K does not divide, the same bits for 1, 2 and 3 workers.
    func testStrideGivesEachInterleavedPartsStatistics() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("parts.npy")
        guard
            let expected = try CLI.numpy(
                """
                rng = np.random.default_rng(23)
                x = 5e5 + rng.standard_normal(100_003) * 3; x[[10, 77]] = [-1e9, np.nan]
                np.save('\(path)', x)
                out = {}
                for i in range(7):
                    p = x[i::7]
                    out |= {f'count{i}': p.size, f'nanmean{i}': float(np.nanmean(p)),
                            f'std{i}': float(np.nanstd(p, ddof=1)), f'nanargmin{i}': int(np.nanargmin(p))}
                print(json.dumps(out))
                """)
        else { throw XCTSkip("python3 with numpy is needed for the reference values") }
        var outputs: Set<String> = []
        for workers in ["1", "2", "3"] {
            let result = try CLI.run(["stats", path, "--stride", "7", "--ops", "count,mean,nanmean,nanstd,nanargmin", "--ddof", "1", "--json", "-w", workers])
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(result.json, result.stdout)
            XCTAssertEqual(json["stride"] as? Int, 7)
            let counts = try XCTUnwrap(json["count"] as? [Int]), nanmeans = try XCTUnwrap(json["nanmean"] as? [Double])
            let stds = try XCTUnwrap(json["nanstd"] as? [Double]), argmins = try XCTUnwrap(json["nanargmin"] as? [Int])
            for i in 0..<7 {
                XCTAssertEqual(counts[i], Int(expected["count\(i)"]!), "part \(i)")
                XCTAssertEqual(argmins[i], Int(expected["nanargmin\(i)"]!), "part \(i)")
                XCTAssertEqual(nanmeans[i], expected["nanmean\(i)"]!, accuracy: 1e-12 * abs(expected["nanmean\(i)"]!), "part \(i)")
                XCTAssertEqual(stds[i], expected["std\(i)"]!, accuracy: 1e-9 * abs(expected["std\(i)"]!), "part \(i)")
            }
            // Part 0 holds the NaN (index 77 = 7 x 11): its mean is NaN (null); nanmean skips it.
            XCTAssertTrue((json["mean"] as? [Any])?[77 % 7] is NSNull, "\(json["mean"] ?? "")")
            outputs.insert(result.stdout.replacingOccurrences(of: #""workers": \d+, |"load_ms".*"#, with: "", options: .regularExpression))
        }
        XCTAssertEqual(outputs.count, 1, "\(outputs)")
        let table = try CLI.run(["stats", path, "--stride", "3"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("part"), table.stdout)
        let refused = try CLI.run(["stats", path, "--stride", "3", "--ops", "median"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--stride computes the moment statistics"), refused.stderr)
    }

    func testSameAnswerForAnyWorkerCount() throws {
        var outputs: [String] = []
        for workers in ["1", "2", "3"] {
            let r = try CLI.run(["stats", "datasets/sensors.h5:/readings/table", "--ops", "sum,var,argmax", "--json", "-w", workers])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(r.json)
            outputs.append("\(json["sum"]!) \(json["var"]!) \(json["argmax"]!)")
        }
        XCTAssertEqual(Set(outputs).count, 1, "\(outputs)")
    }

    func testBadInputsGiveOneClearLineAndNonZeroExit() throws {
        let dir = try TemporaryDirectory()
        // A truncated .npy: a valid header that promises more data than the file holds.
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let padded = header + String(repeating: " ", count: 127 - 10 - header.count) + "\n"
        bytes += [UInt8(padded.utf8.count & 0xFF), UInt8(padded.utf8.count >> 8)] + Array(padded.utf8) + [UInt8](repeating: 0, count: 80)
        _ = FileManager.default.createFile(atPath: dir.file("short.npy"), contents: Data(bytes))
        let complexHeader = "{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }"
        let cpad = complexHeader + String(repeating: " ", count: 127 - 10 - complexHeader.count) + "\n"
        let cbytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(cpad.utf8.count), 0] + Array(cpad.utf8) + [UInt8](repeating: 0, count: 32)
        _ = FileManager.default.createFile(atPath: dir.file("complex.npy"), contents: Data(cbytes))
        _ = FileManager.default.createFile(atPath: dir.file("text.h5"), contents: Data("not hdf5".utf8))

        let cases: [([String], String)] = [
            (["stats", dir.file("missing.npy")], "missing.npy"),
            (["stats", "datasets/sensors.h5:/no/such"], "/no/such"),
            (["stats", "datasets/sensors.h5"], "name a dataset"),
            (["stats", dir.file("short.npy")], "truncated"),
            (["stats", dir.file("complex.npy")], "c16"),
            (["stats", dir.file("text.h5") + ":/x"], "text.h5"),
            (["stats", "datasets/sensors.npy", "--workers", "0"], "--workers must be at least 1"),
            (["stats", "datasets/sensors.npy", "--workers", "-2"], "--workers"),
            (["stats", "datasets/sensors.npy", "--ops", "mean,bogus"], "bogus"),
            (["stats", "datasets/sensors_temperature.npy", "--axis", "0"], "2-D"),
            (["stats", "datasets/README.md"], "unknown file type"),
            (["gen", dir.file("huge.npy"), "--count", "2^42"], "not enough shared memory"),
        ]
        for (arguments, needle) in cases {
            let r = try CLI.run(arguments)
            XCTAssertNotEqual(r.status, 0, "\(arguments)")
            XCTAssertTrue(r.stderr.contains(needle), "\(arguments): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump") || r.stderr.contains("Backtrace"), r.stderr)
            XCTAssertEqual(r.stdout, "", "\(arguments)")
        }
        XCTAssertEqual(packageSegments(), [])
    }

    func testEmptyArrayAndAllNaNAreAnswersNotErrors() throws {
        let dir = try TemporaryDirectory()
        let empty = try CLI.run(["gen", dir.file("empty.npy"), "--count", "0"])
        XCTAssertEqual(empty.status, 0, empty.stderr)
        let r = try CLI.run(["stats", dir.file("empty.npy"), "--ops", "count,sum,mean,min", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(r.json, r.stdout)
        XCTAssertEqual(json["count"] as? Double, 0)
        XCTAssertEqual(json["sum"] as? Double, 0)
        XCTAssertTrue(json["mean"] is NSNull)
        XCTAssertTrue(json["min"] is NSNull)
    }
}

final class StartMethodTests: XCTestCase {
    func testSpawnedWorkersGiveTheSameAnswersAsForkedOnes() throws {
        var answers: [String] = []
        for method in ["fork", "spawn"] {
            let r = try CLI.run([
                "stats", "datasets/sensors.h5:/readings/table", "--ops", "sum,var,argmax", "--json", "--start-method", method,
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(r.json, r.stdout)
            answers.append("\(json["sum"]!) \(json["var"]!) \(json["argmax"]!)")
        }
        XCTAssertEqual(answers[0], answers[1])
        let dir = try TemporaryDirectory()
        let gen = try CLI.run(["gen", dir.file("s.npy"), "--count", "100000", "--start-method", "spawn"])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        XCTAssertEqual(orphanedWorkers(), [])
        let bad = try CLI.run(["stats", "datasets/sensors.npy", "--start-method", "thread"])
        XCTAssertNotEqual(bad.status, 0)
    }
}

extension StatsCommandTests {
    /// `--repeat` is bounded (1...1,000,000, as the help says): past it, or below, is one clear line and
    /// exit 64, before any file is read or any time spent.
    func testRepeatPastItsBoundIsAClearErrorAndTheHelpNamesTheBound() throws {
        for value in ["1000001", "9223372036854775807", "0", "-3"] {
            let r = try CLI.run(["stats", "datasets/sensors.npy", "--repeat=\(value)"], timeout: 30)
            XCTAssertEqual(r.status, 64, "\(value): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--repeat must be between 1 and 1000000 (got \(value))"), r.stderr)
            XCTAssertEqual(r.stdout, "")
        }
        let ok = try CLI.run(["stats", "datasets/sensors.npy", "--repeat", "2", "--json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let help = try CLI.run(["stats", "--help"])
        XCTAssertTrue(help.stdout.contains("1...1000000"), help.stdout)
    }
}
