#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// `mproc cleanup` removes only its own: regular files of mproc's segment name form, owned by the
/// caller, whose process is gone. It reports what it leaves, and its dry run agrees with the real run.
final class CleanupCommandTests: XCTestCase {
    private let dead = "999999971"
    private var fixtures: [String] { ["0-aa", "1-bb", "2-cc", "3-dd", "evil"].map { "/dev/shm/mproc-\(dead)-\($0)" } }

    override func tearDown() {
        for name in fixtures { _ = try? FileManager.default.removeItem(atPath: name) }
    }

    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private func makeFixtures() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (the fixtures include another user's file)") }
        let names = fixtures
        _ = FileManager.default.createFile(atPath: names[0], contents: Data(count: 4096))          // ours: removed
        _ = FileManager.default.createFile(atPath: names[1], contents: Data(count: 4096))          // another user's
        XCTAssertEqual(chown(names[1], 12345, 12345), 0, "the tests run as root")
        try FileManager.default.createSymbolicLink(atPath: names[2], withDestinationPath: "/etc/hostname")
        try FileManager.default.createDirectory(atPath: names[3], withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: names[4], contents: nil)                        // not mproc's name form
    }

    private func lines(_ text: String, _ prefix: String) -> Set<String> {
        Set(text.split(separator: "\n").filter { $0.hasPrefix(prefix) && $0.contains("mproc-\(dead)-") }
            .map { String($0.dropFirst(prefix.count)) })
    }

    func testCleanupLeavesForeignSymlinkDirectoryAndUnknownEntriesAndDryRunAgrees() throws {
        try makeFixtures()
        let dry = try CLI.run(["cleanup", "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let real = try CLI.run(["cleanup"])
        XCTAssertEqual(real.status, 0, real.stderr)
        XCTAssertEqual(lines(dry.stdout, "would remove "), lines(real.stdout, "removed "))
        XCTAssertEqual(lines(real.stdout, "removed ").map { String($0.prefix { $0 != " " }) }, [fixtures[0]])
        XCTAssertEqual(lines(dry.stdout, "left "), lines(real.stdout, "left "))
        for expected in [
            "left \(fixtures[1]): owned by uid 12345, not by you (root removes it with --all-users)",
            "left \(fixtures[2]): a symbolic link, not a regular file",
            "left \(fixtures[3]): a directory, not a regular file",
            "left \(fixtures[4]): not an mproc segment name",
        ] {
            XCTAssertTrue(real.stdout.contains(expected), real.stdout)
        }
        XCTAssertFalse(exists(fixtures[0]))
        for name in fixtures.dropFirst() { XCTAssertTrue(exists(name), name) }
        XCTAssertEqual(try String(contentsOfFile: "/etc/hostname", encoding: .utf8).isEmpty, false)

        // --all-users (root) widens the owner rule only.
        let all = try CLI.run(["cleanup", "--all-users"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(lines(all.stdout, "removed ").map { String($0.prefix { $0 != " " }) }, [fixtures[1]])
        for name in fixtures.dropFirst(2) { XCTAssertTrue(exists(name), name) }
    }

    func testCleanupAsAnotherUserReportsTheSegmentsItLeaves() throws {
        try makeFixtures()
        let r = try shell("setpriv --reuid=65534 --regid=65534 --clear-groups '\(CLI.executable)' cleanup")
        guard r.status == 0 || r.status == 1 else { throw XCTSkip("cannot run as another user here: \(r.stderr)") }
        XCTAssertTrue(r.stdout.contains("left \(fixtures[0]): owned by uid 0, not by you"), r.stdout)
        XCTAssertTrue(r.stdout.contains("left \(fixtures[1]): owned by uid 12345, not by you"), r.stdout)
        XCTAssertTrue(exists(fixtures[0]) && exists(fixtures[1]))
        let all = try shell("setpriv --reuid=65534 --regid=65534 --clear-groups '\(CLI.executable)' cleanup --all-users")
        XCTAssertEqual(all.status, 64, all.stdout)
        XCTAssertTrue(all.stderr.contains("--all-users is for root"), all.stderr)
    }
}
