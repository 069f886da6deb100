import Foundation
import XCTest

/// `mproc dot`: the compensated dot product of two files against exact rational arithmetic, numpy's exact
/// int64 dot for integers, the same bits for 1, 2 and 3 workers (and 2 and 3 MPI ranks), and clear refusals.
final class DotCommandTests: XCTestCase {
    /// Writes the inputs with numpy and returns the exact dot products (float64 nearest to the rational value
    /// of the products' sum; numpy's int64 for integers), keyed by "first/second".
    static func makeInputs(in directory: TemporaryDirectory) throws -> [String: String] {
        let script = """
            import json, numpy as np, sys
            from fractions import Fraction
            d = sys.argv[1]
            rng = np.random.default_rng(41)
            x = 1e6 + rng.standard_normal(300_007)              # offset values, odd length
            y = rng.standard_normal(300_007)
            np.save(d + '/x.npy', x); np.save(d + '/y.npy', y)
            np.save(d + '/y-big-endian.npy', y.astype('>f8'))    # read, not mapped
            f = rng.standard_normal(100_003).astype(np.float32)
            g = rng.standard_normal(100_003).astype('>f4')
            np.save(d + '/f.npy', f); np.save(d + '/g.npy', g)
            i = rng.integers(-30000, 30000, 77_777, dtype=np.int16)
            j = rng.integers(-2**40, 2**40, 77_777)
            np.save(d + '/i.npy', i); np.save(d + '/j.npy', j)
            np.save(d + '/short.npy', y[:-1])
            def exact(a, b):
                return float(sum(Fraction(u) * Fraction(v) for u, v in zip(a.astype(np.float64).tolist(), b.astype(np.float64).tolist())))
            out = {'x/y': repr(exact(x, y)), 'x/y-big-endian': repr(exact(x, y)), 'f/g': repr(exact(f, g)),
                   'i/j': str(int(np.vdot(i.astype(np.int64), j)))}
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
        guard process.terminationStatus == 0, let all = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw XCTSkip("python3 with numpy is needed to write the inputs")
        }
        return all
    }

    /// The "dot" field of a `--json` output exactly as printed (every digit).
    static func dotText(_ result: CLI.Result, _ context: String) throws -> String {
        XCTAssertEqual(result.status, 0, "\(context): \(result.stderr)")
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let range = try XCTUnwrap(line.range(of: #""dot": [^,}]*"#, options: .regularExpression), "\(context): \(line)")
        return String(line[range].dropFirst(7))
    }

    func testDotIsExactAndTheSameForAnyWorkerCount() throws {
        let directory = try TemporaryDirectory()
        let expected = try Self.makeInputs(in: directory)
        for (pair, exact) in expected.sorted(by: { $0.key < $1.key }) {
            let names = pair.split(separator: "/").map { directory.file("\($0).npy") }
            var printed: Set<String> = []
            for workers in 1...3 {
                printed.insert(try Self.dotText(CLI.run(["dot"] + names + ["--json", "-w", "\(workers)"]), "\(pair), \(workers) workers"))
            }
            XCTAssertEqual(printed.count, 1, "\(pair): \(printed)")
            let value = try XCTUnwrap(printed.first)
            if pair == "i/j" {
                XCTAssertEqual(value, exact, "numpy's wrapping int64 dot, every digit")
            } else {
                // Dot2 is as accurate as twice the precision: within one rounding of the exact value here.
                let (got, want) = (try XCTUnwrap(Double(value)), try XCTUnwrap(Double(exact)))
                XCTAssertLessThanOrEqual(abs(got - want), want.ulp, "\(pair): \(value) against the exact \(exact)")
            }
        }
        let table = try CLI.run(["dot", directory.file("x.npy"), directory.file("y.npy")])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("float64  300007 elements"), table.stdout)
    }

    func testMismatchedOrMissingInputsAreClearErrors() throws {
        let directory = try TemporaryDirectory()
        _ = try Self.makeInputs(in: directory)
        for (arguments, message) in [
            ([directory.file("x.npy"), directory.file("short.npy")], "300007 elements and"),
            ([directory.file("x.npy"), directory.file("missing.npy")], "missing.npy"),
            ([directory.file("x.npy")], "Missing expected argument"),
        ] {
            let result = try CLI.run(["dot"] + arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
        }
        XCTAssertEqual(packageSegments(), [])
    }

    /// `dot --mpi` under 2 and 3 ranks: each rank reads its share of both files (mapped, read, or one of each),
    /// and rank 0 prints the single-node bits once.
    func testDotAcrossRanksEqualsOneNode() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        let expected = try Self.makeInputs(in: directory)
        for pair in expected.keys.sorted() {
            let names = pair.split(separator: "/").map { directory.file("\($0).npy") }
            let single = try Self.dotText(CLI.run(["dot"] + names + ["--json", "-w", "2"]), "\(pair) on one node")
            for (ranks, workers) in [(2, 1), (3, 1)] {
                let result = try MPIRun.run(ranks: ranks, ["dot", "--mpi"] + names + ["--json", "-w", "\(workers)"])
                XCTAssertEqual(try Self.dotText(result, "\(pair) on \(ranks) ranks"), single, "\(pair) on \(ranks) ranks")
                XCTAssertEqual(result.stdout.split(separator: "\n").count, 1, "only rank 0 prints: \(result.stdout)")
            }
        }
        let refused = try MPIRun.run(ranks: 3, ["dot", "--mpi", directory.file("x.npy"), directory.file("short.npy"), "-w", "1"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.stderr.components(separatedBy: "they must match").count - 1, 1, refused.stderr)
        XCTAssertEqual(packageSegments(), [])
    }
}
