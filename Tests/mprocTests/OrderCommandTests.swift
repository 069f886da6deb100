import Foundation
import XCTest

final class OrderCommandTests: XCTestCase {
    /// `stats` order ops (median, pNN, qX and nan variants) match numpy exactly, under the names typed.
    func testOrderOpsMatchNumpy() throws {
        for method in ["linear", "nearest", "median_unbiased"] {
            let result = try CLI.run([
                "stats", "datasets/sensors.h5:/readings/temperature", "--ops", "median,nanmedian,nanp99,nanp99.9,nanq0.25,nanp0,p50,nanmean",
                "--quantile-method", method, "--json", "--workers", "2",
            ])
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(result.json, result.stdout)
            guard
                let expected = try CLI.numpy(
                    """
                    import h5py
                    a = h5py.File('datasets/sensors.h5')['/readings/temperature'][...]
                    m = '\(method)'
                    print(json.dumps({'nanmedian': float(np.nanmedian(a)), 'nanp99': float(np.nanpercentile(a, 99.0, method=m)),
                        'nanp99.9': float(np.nanpercentile(a, 99.9, method=m)), 'nanq0.25': float(np.nanquantile(a, 0.25, method=m)),
                        'nanp0': float(np.nanpercentile(a, 0.0, method=m))}))
                    """)
            else { throw XCTSkip("python3 with numpy and h5py is needed for the reference values") }
            for (key, value) in expected { XCTAssertEqual(json[key] as? Double, value, "\(method) \(key)") }
            XCTAssertTrue(json["median"] is NSNull, "median of data with NaN is NaN (null)")
            XCTAssertTrue(json["p50"] is NSNull)
            XCTAssertNotNil(json["nanmean"] as? Double)
        }
    }

    func testOrderOpsAlongAnAxisAndAlone() throws {
        let result = try CLI.run(["stats", "datasets/sensors.npy", "--axis", "0", "--ops", "median,p90", "--json", "--workers", "3"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(result.json, result.stdout)
        let medians = try XCTUnwrap(json["median"] as? [Double])
        let p90 = try XCTUnwrap(json["p90"] as? [Double])
        guard
            let expected = try CLI.numpy(
                """
                a = np.load('datasets/sensors.npy')
                d = {}
                for j in range(a.shape[1]):
                    d['m%d' % j] = float(np.median(a[:, j])); d['p%d' % j] = float(np.percentile(a[:, j], 90.0))
                print(json.dumps(d))
                """)
        else { throw XCTSkip("python3 with numpy is needed for the reference values") }
        XCTAssertEqual(medians.count, 6)
        for j in 0..<6 {
            XCTAssertEqual(medians[j], expected["m\(j)"], "column \(j)")
            XCTAssertEqual(p90[j], expected["p\(j)"], "column \(j)")
        }
        let table = try CLI.run(["stats", "datasets/sensors.npy", "--ops", "q0.5,median", "--workers", "2"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("q0.5"), table.stdout)
        XCTAssertTrue(table.stdout.contains("median"), table.stdout)
    }

    func testBadOrderOpsAreClearErrors() throws {
        for (ops, message) in [("p101", "[0, 100]"), ("q1.5", "[0, 1]"), ("nanq-0.1", "[0, 1]"), ("p9.9.9", "not a number")] {
            let result = try CLI.run(["stats", "datasets/sensors.npy", "--ops", ops])
            XCTAssertNotEqual(result.status, 0, ops)
            XCTAssertTrue(result.stderr.contains(message), "\(ops): \(result.stderr)")
        }
        let method = try CLI.run(["stats", "datasets/sensors.npy", "--ops", "p50", "--quantile-method", "cubic"])
        XCTAssertNotEqual(method.status, 0)
        XCTAssertTrue(method.stderr.contains("--quantile-method"), method.stderr)
    }

    /// `mproc sort` writes np.sort's values (.npy) and np.argsort(kind="stable")'s indices (HDF5), the same
    /// bytes for any worker count, and refuses an existing output without --force.
    func testSortCommandMatchesNumpy() throws {
        let directory = try TemporaryDirectory()
        let input = directory.file("in.npy")
        guard
            try CLI.numpy(
                """
                a = np.random.default_rng(5).normal(size=300_001); a[::97] = np.nan; a[1::89] = -0.0; a[2::89] = 0.0; a[3::5] = 1.5
                np.save('\(input)', a)
                print('{}')
                """) != nil
        else { throw XCTSkip("python3 with numpy is needed") }
        for workers in ["1", "3"] {
            let sorted = try CLI.run(["sort", input, directory.file("sorted\(workers).npy"), "--workers", workers])
            XCTAssertEqual(sorted.status, 0, sorted.stderr)
            let order = try CLI.run(["sort", input, directory.file("order\(workers).h5") + ":/order", "--argsort", "--workers", workers])
            XCTAssertEqual(order.status, 0, order.stderr)
        }
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: directory.file("sorted1.npy"))),
            try Data(contentsOf: URL(fileURLWithPath: directory.file("sorted3.npy"))))
        guard
            let check = try CLI.numpy(
                """
                import h5py
                a = np.load('\(input)')
                s = np.load('\(directory.file("sorted1.npy"))')
                o1 = h5py.File('\(directory.file("order1.h5"))')['/order'][...]
                o3 = h5py.File('\(directory.file("order3.h5"))')['/order'][...]
                want = np.argsort(a, kind='stable')
                print(json.dumps({'sorted': int(np.array_equal(s, np.sort(a), equal_nan=True)),
                    'argsort1': int(np.array_equal(o1, want)), 'argsort3': int(np.array_equal(o3, want)),
                    'int64': int(o1.dtype == np.int64)}))
                """)
        else { throw XCTSkip("python3 with numpy and h5py is needed") }
        XCTAssertEqual(check, ["sorted": 1, "argsort1": 1, "argsort3": 1, "int64": 1])
        let again = try CLI.run(["sort", input, directory.file("sorted1.npy")])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--force"), again.stderr)
        XCTAssertEqual(try CLI.run(["sort", input, directory.file("sorted1.npy"), "--force"]).status, 0)
        let missing = try CLI.run(["sort", directory.file("missing.npy"), directory.file("x.npy")])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("missing.npy"), missing.stderr)
    }
}
