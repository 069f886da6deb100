import Foundation
import XCTest

/// `mproc scan`, `mproc groupby` and `mproc corr` against numpy, and their errors.
final class AnalysisCommandTests: XCTestCase {
    /// Writes the inputs with numpy; nil when python3 with numpy is missing.
    private func makeInputs(_ dir: TemporaryDirectory) throws -> Bool {
        try CLI.numpy("""
            rng = np.random.default_rng(5)
            x = rng.normal(size=100_003); x[[10, 5000]] = np.nan
            np.save('\(dir.file("x.npy"))', x)
            np.save('\(dir.file("i.npy"))', rng.integers(-2**31, 2**31 - 1, 70_001).astype('i4'))
            np.save('\(dir.file("k.npy"))', rng.integers(-3, 40, 100_003).astype('i4'))
            np.save('\(dir.file("t.npy"))', rng.normal(size=(5_001, 6)) @ rng.normal(size=(6, 6)))
            print(json.dumps({}))
            """) != nil
    }

    func testScanWritesNumpysCumulativeResultsAndDTypes() throws {
        let dir = try TemporaryDirectory()
        guard try makeInputs(dir) else { throw XCTSkip("python3 with numpy is needed") }
        for (input, op) in [("x.npy", "cumsum"), ("x.npy", "nancumsum"), ("x.npy", "cummax"), ("i.npy", "cumsum"), ("i.npy", "cummin")] {
            let out = dir.file("\(op)-\(input)")
            let run = try CLI.run(["scan", dir.file(input), out, "--op", op, "--workers", "2"])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.hasPrefix("wrote \(out)  "), run.stdout)
            let numpyOp = ["cummax": "np.maximum.accumulate", "cummin": "np.minimum.accumulate"][op] ?? "np.\(op)"
            let check = try CLI.numpy("""
                x = np.load('\(dir.file(input))'); y = np.load('\(out)'); want = \(numpyOp)(x)
                print(json.dumps(dict(dtype=int(y.dtype == want.dtype), shape=int(y.shape == want.shape),
                    close=int(np.allclose(y, want, rtol=1e-12, atol=1e-9, equal_nan=True)),
                    exact=int(y.dtype.kind != 'i' or np.array_equal(y, want)))))
                """)
            XCTAssertEqual(check, ["dtype": 1, "shape": 1, "close": 1, "exact": 1], "\(op) of \(input)")
        }
        let h5 = dir.file("scan.h5")
        XCTAssertEqual(try CLI.run(["scan", dir.file("x.npy"), h5 + ":/running/max", "--op", "cummax"]).status, 0)
        let again = try CLI.run(["scan", dir.file("x.npy"), h5 + ":/running/max", "--op", "cummax"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("scan.h5: exists; pass --force to replace it"), again.stderr)
        XCTAssertEqual(try CLI.run(["scan", dir.file("x.npy"), h5 + ":/running/max", "--op", "cummin", "--force"]).status, 0)
        let bad = try CLI.run(["scan", dir.file("x.npy"), dir.file("y.npy"), "--op", "cumavg"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("unknown operation 'cumavg'"), bad.stderr)
    }

    func testGroupByJSONMatchesNumpyPerKey() throws {
        let dir = try TemporaryDirectory()
        guard try makeInputs(dir) else { throw XCTSkip("python3 with numpy is needed") }
        let run = try CLI.run([
            "groupby", dir.file("k.npy"), dir.file("x.npy"), "--ops", "count,sum,mean,var,std,min,max,median", "--json", "--ddof", "1",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        guard let json = run.json, let keys = json["keys"] as? [Int] else { return XCTFail(run.stdout) }
        XCTAssertEqual(keys, Array(-3..<40))
        let ours = try JSONSerialization.data(withJSONObject: json)
        try ours.write(to: URL(fileURLWithPath: dir.file("ours.json")))
        let check = try CLI.numpy("""
            k = np.load('\(dir.file("k.npy"))'); x = np.load('\(dir.file("x.npy"))')
            ours = json.load(open('\(dir.file("ours.json"))'))
            ok = {}
            for name, f in [('count', len), ('sum', np.sum), ('mean', np.mean), ('var', lambda g: np.var(g, ddof=1)),
                            ('std', lambda g: np.std(g, ddof=1)), ('min', np.min), ('max', np.max), ('median', np.median)]:
                want = np.array([f(x[k == key]) for key in ours['keys']], dtype='f8')
                got = np.array([np.nan if v is None else v for v in ours[name]], dtype='f8')
                ok[name] = int(np.allclose(got, want, rtol=1e-11, atol=1e-12, equal_nan=True))
            print(json.dumps(ok))
            """)
        XCTAssertEqual(check?.count, 8)
        for (name, value) in check ?? [:] { XCTAssertEqual(value, 1, name) }
        let table = try CLI.run(["groupby", dir.file("k.npy"), dir.file("x.npy"), "--ops", "count,mean"])
        XCTAssertTrue(table.stdout.hasPrefix("key  count"), table.stdout)
    }

    func testGroupByRefusesFloatKeysAndKeysOfAnotherLength() throws {
        let dir = try TemporaryDirectory()
        guard try makeInputs(dir) else { throw XCTSkip("python3 with numpy is needed") }
        let floatKeys = try CLI.run(["groupby", dir.file("x.npy"), dir.file("x.npy")])
        XCTAssertEqual(floatKeys.status, 1)
        XCTAssertTrue(floatKeys.stderr.contains("keys must be integers; the file holds float64"), floatKeys.stderr)
        let shorter = try CLI.run(["groupby", dir.file("i.npy"), dir.file("x.npy")])
        XCTAssertEqual(shorter.status, 1)
        XCTAssertTrue(shorter.stderr.contains("the keys have 70001 elements and the values 100003"), shorter.stderr)
        let unknown = try CLI.run(["groupby", dir.file("k.npy"), dir.file("x.npy"), "--ops", "sum,mode"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown statistic 'mode'"), unknown.stderr)
    }

    func testCorrMatchesNumpyAndNeedsATable() throws {
        let dir = try TemporaryDirectory()
        guard try makeInputs(dir) else { throw XCTSkip("python3 with numpy is needed") }
        for flags in [[], ["--cov"]] {
            let run = try CLI.run(["corr", dir.file("t.npy"), "--json"] + flags)
            XCTAssertEqual(run.status, 0, run.stderr)
            guard let matrix = run.json?["matrix"] as? [[Double]] else { return XCTFail(run.stdout) }
            let check = try CLI.numpy("""
                t = np.load('\(dir.file("t.npy"))')
                want = np.cov(t, rowvar=False) if \(flags.isEmpty ? "False" : "True") else np.corrcoef(t, rowvar=False)
                print(json.dumps(dict(ok=int(np.allclose(np.array(\(matrix)), want, rtol=1e-11, atol=1e-13)))))
                """)
            XCTAssertEqual(check, ["ok": 1], "corr \(flags)")
        }
        let vector = try CLI.run(["corr", dir.file("x.npy")])
        XCTAssertEqual(vector.status, 1)
        XCTAssertTrue(vector.stderr.contains("corr needs a 2-D table; this array has shape [100003]"), vector.stderr)
    }
}
