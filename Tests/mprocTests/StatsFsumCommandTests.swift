import Foundation
import XCTest

/// `mproc stats --ops fsum`: Python's `math.fsum` bit for bit, with `--where`, `--column` and `--axis`, on
/// 1, 2 and 3 workers.
final class StatsFsumCommandTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> [[String: Any]] {
        try ["1", "2", "3"].map { workers in
            let result = try CLI.run(["stats"] + arguments + ["--json", "--workers", workers])
            XCTAssertEqual(result.status, 0, result.stderr)
            return try XCTUnwrap(result.json, result.stdout)
        }
    }

    func testFsumOpMatchesMathFsumWithWhereColumnAndAxis() throws {
        let whole = try run(["datasets/sensors.npy", "--column", "3", "--where", "x > 2 & x < 9", "--ops", "count,fsum,sum"])
        let axis = try run(["datasets/sensors.npy", "--axis", "0", "--ops", "fsum,mean"])
        guard
            let expected = try CLI.numpy("""
                import math
                t = np.load('datasets/sensors.npy')
                a = t[:, 3]
                s = a[(a > 2) & (a < 9)]
                d = {'fsum': math.fsum(s), 'count': len(s)}
                d.update({'column%d' % j: math.fsum(t[:, j]) for j in range(t.shape[1])})
                print(json.dumps(d))
                """)
        else { throw XCTSkip("python3 with numpy is needed for the reference values") }
        for run in whole {
            XCTAssertEqual((run["fsum"] as? NSNumber)?.doubleValue, expected["fsum"])
            XCTAssertEqual((run["count"] as? NSNumber)?.doubleValue, expected["count"])
            XCTAssertNotNil(run["sum"] as? NSNumber, "fsum beside a moment statistic keeps that statistic")
        }
        for run in axis {
            let got = try XCTUnwrap(run["fsum"] as? [NSNumber], "\(run)").map(\.doubleValue)
            XCTAssertEqual(got, (0..<got.count).map { expected["column\($0)"] ?? .nan })
            XCTAssertEqual(got.count, 6)
            XCTAssertNotNil(run["mean"])
        }
    }

    func testFsumOfNaNIsNullAndNanfsumSkipsIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fsum-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard try CLI.numpy("np.save('\(directory)/x.npy', np.array([1e100, 1.0, np.nan, -1e100]))\nprint(json.dumps({}))") != nil
        else { throw XCTSkip("python3 with numpy is needed") }
        for run in try run(["\(directory)/x.npy", "--ops", "fsum,nanfsum"]) {
            XCTAssertTrue(run["fsum"] is NSNull, "\(run)")
            XCTAssertEqual((run["nanfsum"] as? NSNumber)?.doubleValue, 1.0)
        }
    }
}
