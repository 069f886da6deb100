import Foundation
import XCTest

/// `mproc hist`: numpy's `np.histogram` counts and edges on hostile data, the same for 1, 2 and 3 workers,
/// and clear refusals.
final class HistogramCommandTests: XCTestCase {
    /// Writes the inputs with numpy and returns numpy's histograms of them, keyed "name/bins/range".
    private func inputsAndExpected(in directory: TemporaryDirectory) throws -> [String: (edges: [Double], counts: [Int])] {
        let script = """
            import json, numpy as np, sys
            d = sys.argv[1]
            rng = np.random.default_rng(29)
            x = 1e6 + rng.standard_normal(300_007)          # offset values, odd length
            np.save(d + '/offset.npy', x)
            y = rng.standard_normal(100_003).astype(np.float32)
            y[[3, 500, 99_999]] = [np.nan, np.inf, -np.inf]  # NaN and infinities: ignored with a range
            np.save(d + '/special.npy', y)
            z = rng.integers(-30000, 30000, 77_777, dtype=np.int16).astype('>i2')
            np.save(d + '/int16.npy', z)
            np.save(d + '/constant.npy', np.full(1001, 7.0))
            out = {}
            for name, a, bins, rng_ in [('offset', x, 37, None), ('offset', x, 5, (1e6 - 1, 1e6 + 1)),
                                        ('special', y, 20, (-2.5, 2.5)), ('int16', z, 11, None), ('constant', np.full(1001, 7.0), 4, None)]:
                c, e = np.histogram(a, bins, range=rng_)
                key = f'{name}/{bins}/{"" if rng_ is None else "%r,%r" % rng_}'
                out[key] = {'edges': [float(v) for v in e], 'counts': [int(v) for v in c]}
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let all = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            throw XCTSkip("python3 with numpy is needed to write the inputs")
        }
        return all.compactMapValues { entry in
            guard let edges = entry["edges"] as? [Double], let counts = entry["counts"] as? [Int] else { return nil }
            return (edges, counts)
        }
    }

    func testCountsAndEdgesEqualNumpysForAnyWorkerCount() throws {
        let directory = try TemporaryDirectory()
        let expected = try inputsAndExpected(in: directory)
        XCTAssertEqual(expected.count, 5)
        for (key, numpy) in expected {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            var arguments = ["hist", directory.file("\(parts[0]).npy"), "--bins", String(parts[1]), "--json"]
            if !parts[2].isEmpty { arguments += ["--range", String(parts[2])] }
            for workers in 1...3 {
                let result = try CLI.run(arguments + ["-w", "\(workers)"])
                XCTAssertEqual(result.status, 0, "\(key): \(result.stderr)")
                let json = try XCTUnwrap(result.json, "\(key): \(result.stdout)")
                XCTAssertEqual(json["counts"] as? [Int], numpy.counts, "\(key), \(workers) workers")
                let edges = try XCTUnwrap(json["edges"] as? [Double], key)
                XCTAssertEqual(edges.map(\.bitPattern), numpy.edges.map(\.bitPattern), "\(key), \(workers) workers")
            }
        }
        let table = try CLI.run(["hist", directory.file("special.npy"), "--bins", "4", "--range", "-2,2"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("[-2, -1)"), table.stdout)
        XCTAssertTrue(table.stdout.contains("[1, 2]"), table.stdout)
        XCTAssertTrue(table.stdout.contains("outside the range or NaN"), table.stdout)
    }

    func testBadArgumentsAndDataAreClearErrors() throws {
        let directory = try TemporaryDirectory()
        _ = try inputsAndExpected(in: directory)
        for (arguments, message) in [
            (["--bins", "0"], "--bins must be at least 1"),
            (["--range", "3,1"], "--range must be LOW,HIGH"),
            (["--range", "0,inf"], "--range must be LOW,HIGH"),
            (["--range", "1"], "--range must be LOW,HIGH"),
            ([String](), "autodetected range"),  // NaN and infinities: numpy refuses too
        ] {
            let result = try CLI.run(["hist", directory.file("special.npy")] + arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
        }
        let huge = try CLI.run(["hist", directory.file("offset.npy"), "--bins", "\(Int.max)"])
        XCTAssertNotEqual(huge.status, 0)
        XCTAssertTrue(huge.stderr.contains("more than can be counted"), huge.stderr)
        XCTAssertEqual(packageSegments(), [])
    }
}
