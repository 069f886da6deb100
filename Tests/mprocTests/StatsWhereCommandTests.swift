import Foundation
import XCTest

/// `mproc stats --where EXPR` and `--column J`, checked against numpy on the bundled data and on hostile
/// files, and their errors.
final class StatsWhereCommandTests: XCTestCase {
    private let ops = "count,mean,std,min,max,argmax,nanmean"

    private func values(_ json: [String: Any]) -> [String: Double?] {
        var out: [String: Double?] = [:]
        for key in ops.split(separator: ",").map(String.init) { out[key] = (json[key] as? NSNumber)?.doubleValue }
        return out
    }

    private func assertMatches(_ arguments: [String], _ script: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var runs: [[String: Double?]] = []
        for workers in ["1", "2", "3"] {
            let result = try CLI.run(["stats"] + arguments + ["--ops", ops, "--json", "--workers", workers])
            XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
            runs.append(values(try XCTUnwrap(result.json, result.stdout, file: file, line: line)))
        }
        for run in runs.dropFirst() { XCTAssertEqual(run, runs[0], "results differ between worker counts", file: file, line: line) }
        guard
            let expected = try CLI.numpy(
                script + """

                    f = s.astype(np.float64)
                    d = dict(count=len(s), mean=float(f.mean()), std=float(f.std()), min=float(s.min()),
                        max=float(s.max()), argmax=int(s.argmax()), nanmean=float(np.nanmean(f)))
                    nan = [k for k, v in d.items() if v != v]
                    print(json.dumps({k: v for k, v in d.items() if v == v} | {'nan_' + k: 1 for k in nan}))
                    """)
        else { throw XCTSkip("python3 with numpy and h5py is needed for the reference values") }
        for key in expected.keys where key.hasPrefix("nan_") {
            XCTAssertNil(runs[0][String(key.dropFirst(4))] ?? nil, "\(key.dropFirst(4)) is NaN (JSON null)", file: file, line: line)
        }
        for (key, value) in expected where !key.hasPrefix("nan_") {
            let got = try XCTUnwrap(runs[0][key] ?? nil, key, file: file, line: line)
            XCTAssertEqual(got, value, accuracy: 1e-12 * max(1, abs(value)), key, file: file, line: line)
        }
    }

    func testColumnOfNpyTableWithWhere() throws {
        try assertMatches(
            ["datasets/sensors.npy", "--column", "1", "--where", "x > 60 & x < 80"],
            "a = np.load('datasets/sensors.npy')[:, 1]\ns = a[(a > 60) & (a < 80)]")
    }

    func testColumnOfHDF5TableWithNegationAndParentheses() throws {
        try assertMatches(
            ["datasets/sensors.h5:/readings/table", "--column", "4", "--where", "~(x <= 12.5 | x >= 13.2) | x == 12.424"],
            """
            import h5py
            a = h5py.File('datasets/sensors.h5')['/readings/table'][:, 4]
            s = a[~((a <= 12.5) | (a >= 13.2)) | (a == 12.424)]
            """)
    }

    func testHDF5DatasetWithNaNAndIsFinite() throws {
        try assertMatches(
            ["datasets/sensors.h5:/readings/temperature", "--where", "isfinite(x) & 15 < x | isnan(x)"],
            """
            import h5py
            a = h5py.File('datasets/sensors.h5')['/readings/temperature'][...]
            s = a[(np.isfinite(a) & (15 < a)) | np.isnan(a)]
            """)
    }

    func testHostileIntegerAndFloat32Files() throws {
        let directory = try TemporaryDirectory()
        guard
            try CLI.numpy(
                """
                rng = np.random.default_rng(3)
                i = rng.integers(-5, 6, 100003).astype(np.int32); i[::97] = np.iinfo(np.int32).max
                np.save('\(directory.file("i.npy"))', i)
                f = rng.normal(0, 3, 100003).astype(np.float32); f[::13] = np.nan; f[::17] = np.inf; f[::19] = -np.inf
                np.save('\(directory.file("f.npy"))', f)
                print('{}')
                """) != nil
        else { throw XCTSkip("python3 with numpy is needed") }
        try assertMatches(
            [directory.file("i.npy"), "--where", "x == 3 | x > 2147483646"],
            "a = np.load('\(directory.file("i.npy"))')\ns = a[(a == 3) | (a > 2147483646)]")
        try assertMatches(
            [directory.file("f.npy"), "--where", "x >= 0.1 & x != inf"],
            "a = np.load('\(directory.file("f.npy"))')\ns = a[(a >= 0.1) & (a != np.inf)]")
    }

    func testEmptySelectionIsAClearError() throws {
        let result = try CLI.run(["stats", "datasets/sensors.npy", "--column", "1", "--where", "x > 1e9", "--ops", "mean,min"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("min of an empty selection"), result.stderr)
        let mean = try CLI.run(["stats", "datasets/sensors.npy", "--where", "x > 1e9", "--ops", "count,mean", "--json"])
        XCTAssertEqual(mean.status, 0, mean.stderr)
        XCTAssertEqual(mean.json?["count"] as? Double, 0)
        XCTAssertTrue(mean.json?["mean"] is NSNull, "the mean of nothing is NaN, printed as null")
    }

    func testBadExpressionsNameThePosition() throws {
        let cases: [(String, String)] = [
            ("x > & 3", "position 5: expected a number after '>'"),
            ("x > 0 & & x < 10", "position 9: expected x, a number"),
            ("(x > 1", "position 7: expected ')' to close the '(' at position 1"),
            ("x = 3", "position 3: '=' alone is not an operator"),
            ("y > 1", "position 1: unknown name 'y'"),
            ("x > 1 x < 2", "position 7: expected '&', '|' or the end"),
            ("isnan(y)", "position 7: unknown name 'y'"),
            ("isnan x", "position 7: expected '(' after isnan"),
            ("x > 1.2.3", "position 5: '1.2.3' is not a number"),
            ("x 3", "position 3: expected a comparison"),
            ("", "the expression is empty"),
            ("x > 1 $", "position 7: unexpected character '$'"),
        ]
        for (expression, message) in cases {
            let result = try CLI.run(["stats", "datasets/sensors.npy", "--where", expression])
            XCTAssertNotEqual(result.status, 0, expression)
            XCTAssertTrue(result.stderr.contains(message), "\(expression): \(result.stderr)")
        }
    }

    func testBadColumnsAreErrors() throws {
        let outOfRange = try CLI.run(["stats", "datasets/sensors.npy", "--column", "6"])
        XCTAssertNotEqual(outOfRange.status, 0)
        XCTAssertTrue(outOfRange.stderr.contains("--column 6 is out of range; the table has 6 columns"), outOfRange.stderr)
        let oneD = try CLI.run(["stats", "datasets/sensors.h5:/readings/temperature", "--column", "0"])
        XCTAssertNotEqual(oneD.status, 0)
        XCTAssertTrue(oneD.stderr.contains("needs a 2-D table"), oneD.stderr)
        let negative = try CLI.run(["stats", "datasets/sensors.npy", "--column", "-1"])
        XCTAssertNotEqual(negative.status, 0)
        let withAxis = try CLI.run(["stats", "datasets/sensors.npy", "--axis", "0", "--where", "x > 0"])
        XCTAssertNotEqual(withAxis.status, 0)
        XCTAssertTrue(withAxis.stderr.contains("cannot be combined"), withAxis.stderr)
    }

    /// Regression: order statistics (median, percentiles, quantiles) used to ignore `--where` and `--column`
    /// when the two branches met; they must describe the selected elements of the selected column.
    func testOrderStatisticsHonourWhereAndColumn() throws {
        var runs: [[String: Double]] = []
        for workers in ["1", "2", "3"] {
            let result = try CLI.run([
                "stats", "datasets/sensors.npy", "--column", "3", "--where", "x > 2 & x < 9",
                "--ops", "count,median,p90,q0.25", "--json", "--workers", workers,
            ])
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(result.json, result.stdout)
            runs.append(json.compactMapValues { ($0 as? NSNumber)?.doubleValue }.filter { ["count", "median", "p90", "q0.25"].contains($0.key) })
        }
        for run in runs.dropFirst() { XCTAssertEqual(run, runs[0], "results differ between worker counts") }
        guard
            let expected = try CLI.numpy("""
                a = np.load('datasets/sensors.npy')[:, 3]
                s = a[(a > 2) & (a < 9)]
                print(json.dumps({'count': len(s), 'median': float(np.median(s)), 'p90': float(np.percentile(s, 90)),
                                  'q0.25': float(np.quantile(s, 0.25))}))
                """)
        else { throw XCTSkip("python3 with numpy is needed for the reference values") }
        XCTAssertEqual(runs[0].keys.sorted(), expected.keys.sorted())
        for (key, value) in expected { XCTAssertEqual(runs[0][key], value, key) }
    }
}
