import Foundation
import XCTest

/// `mproc gen --generator`: Philox files are the same for any worker count and differ from SplitMix64's
/// (still the default, so earlier seeds reproduce earlier files); a wrong name is one clear line.
final class GenGeneratorTests: XCTestCase {
    func testPhiloxGenIsTheSameForAnyWorkerCountAndSplitMixStaysTheDefault() throws {
        let dir = try TemporaryDirectory()
        for workers in ["1", "2", "3"] {
            let r = try CLI.run(["gen", dir.file("p\(workers).npy"), "--count", "200003", "--seed", "9", "--generator", "philox", "-w", workers])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let one = FileManager.default.contents(atPath: dir.file("p1.npy"))
        XCTAssertNotNil(one)
        XCTAssertEqual(one, FileManager.default.contents(atPath: dir.file("p2.npy")))
        XCTAssertEqual(one, FileManager.default.contents(atPath: dir.file("p3.npy")))
        for (name, extra) in [("default.npy", [String]()), ("splitmix.npy", ["--generator", "splitmix64"])] {
            let r = try CLI.run(["gen", dir.file(name), "--count", "200003", "--seed", "9"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: dir.file("default.npy")), FileManager.default.contents(atPath: dir.file("splitmix.npy")))
        XCTAssertNotEqual(one, FileManager.default.contents(atPath: dir.file("default.npy")))
        let stats = try CLI.run(["stats", dir.file("p1.npy"), "--json", "--ops", "mean,std"])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertEqual(stats.json?["mean"] as? Double ?? 1, 0, accuracy: 0.01)
        XCTAssertEqual(stats.json?["std"] as? Double ?? 0, 1, accuracy: 0.01)

        let bad = try CLI.run(["gen", dir.file("bad.npy"), "--count", "10", "--generator", "mt19937"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--generator must be philox or splitmix64"), bad.stderr)
    }
}
