#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Multiprocessing
import XCTest

/// The sweeper removes only what is its own: this user's regular files of mproc's exact segment name
/// form whose process is gone; a dry run (the survey) lists exactly what the sweep removes.
final class SegmentSweeperTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "mproc-sweep-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        _ = try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func exists(_ name: String) -> Bool {
        var info = stat()
        return lstat(path(name), &info) == 0
    }

    func testSegmentNameFormatIsExact() {
        let made = String(SharedMemory.uniqueName().dropFirst())
        XCTAssertEqual(SegmentSweeper.ownerPID(ofSegmentNamed: made), getpid())
        XCTAssertEqual(SegmentSweeper.ownerPID(ofSegmentNamed: "mproc-123-4-5f0a"), 123)
        XCTAssertEqual(SegmentSweeper.ownerPID(ofSegmentNamed: "mproc-999999999-0-test"), 999_999_999)
        for name in ["mproc-123", "mproc-123-4", "mproc-999-evil", "mproc-123-4-", "mproc--1-4-ab", "mproc-+1-4-ab",
                     "mproc-1-4-AB", "mproc-1-4-ab-cd", "mproc-1-4-a.b", "mproc-0-4-ab", "mproc-1-4-0123456789abcdef0",
                     "mproc-worker", "other-1-4-ab"] {
            XCTAssertNil(SegmentSweeper.ownerPID(ofSegmentNamed: name), name)
        }
    }

    func testSweepLeavesForeignSymlinkDirectoryAndUnknownEntriesAlone() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (a fixture belongs to another user)") }
        let dead = "999999981"
        _ = FileManager.default.createFile(atPath: path("mproc-\(dead)-0-a1"), contents: Data(count: 4096))
        _ = FileManager.default.createFile(atPath: path("mproc-\(dead)-1-b2"), contents: Data(count: 10))
        XCTAssertEqual(chown(path("mproc-\(dead)-1-b2"), 12345, 12345), 0, "the tests run as root")
        try "precious".write(toFile: path("target"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: path("mproc-\(dead)-2-c3"), withDestinationPath: path("target"))
        try FileManager.default.createDirectory(atPath: path("mproc-\(dead)-3-d4"), withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: path("mproc-\(dead)-evil"), contents: nil)
        XCTAssertEqual(mkfifo(path("mproc-\(dead)-4-e5"), 0o600), 0)
        // A live owner's segment (this process) is in use: neither removed nor reported.
        _ = FileManager.default.createFile(atPath: path("mproc-\(getpid())-9-f6"), contents: nil)

        let survey = SegmentSweeper.survey(directory: directory)
        XCTAssertEqual(survey.removable.map(\.fileName), ["mproc-\(dead)-0-a1"])
        XCTAssertEqual(survey.removable.first?.byteCount, 4096)
        let reasons = Dictionary(uniqueKeysWithValues: survey.skipped.map { ($0.fileName, $0.reason) })
        XCTAssertEqual(reasons.count, 5, "\(reasons)")
        XCTAssertEqual(reasons["mproc-\(dead)-1-b2"], "owned by uid 12345, not by you (root removes it with --all-users)")
        XCTAssertEqual(reasons["mproc-\(dead)-2-c3"], "a symbolic link, not a regular file")
        XCTAssertEqual(reasons["mproc-\(dead)-3-d4"], "a directory, not a regular file")
        XCTAssertEqual(reasons["mproc-\(dead)-4-e5"], "a FIFO (named pipe), not a regular file")
        XCTAssertEqual(reasons["mproc-\(dead)-evil"], "not an mproc segment name")

        // The sweep removes exactly what the survey (a dry run) listed.
        let result = SegmentSweeper.sweep(survey)
        XCTAssertEqual(result.removed, survey.removable)
        XCTAssertEqual(result.failures, [])
        XCTAssertFalse(exists("mproc-\(dead)-0-a1"))
        for name in ["1-b2", "2-c3", "3-d4", "4-e5", "evil"].map({ "mproc-\(dead)-\($0)" }) + ["mproc-\(getpid())-9-f6"] {
            XCTAssertTrue(exists(name), name)
        }
        XCTAssertEqual(try String(contentsOfFile: path("target"), encoding: .utf8), "precious")

        // --all-users widens the owner rule only.
        let everyone = SegmentSweeper.survey(directory: directory, allUsers: true)
        XCTAssertEqual(everyone.removable.map(\.fileName), ["mproc-\(dead)-1-b2"])
        XCTAssertEqual(SegmentSweeper.sweep(everyone).removed.map(\.fileName), ["mproc-\(dead)-1-b2"])
        XCTAssertTrue(exists("mproc-\(dead)-2-c3") && exists("mproc-\(dead)-3-d4") && exists("mproc-\(dead)-evil"))
    }

    func testSweepReportsWhatItCouldNotRemoveWithTheReason() throws {
        let mount = path("ro")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: false)
        guard run("mount -t tmpfs -o size=64k tmpfs '\(mount)'") == 0 else {
            throw XCTSkip("cannot mount a tmpfs here")
        }
        defer { _ = run("umount '\(mount)'") }
        _ = FileManager.default.createFile(atPath: mount + "/mproc-999999982-0-aa", contents: Data(count: 100))
        XCTAssertEqual(run("mount -o remount,ro '\(mount)'"), 0)
        let survey = SegmentSweeper.survey(directory: mount)
        XCTAssertEqual(survey.removable.map(\.fileName), ["mproc-999999982-0-aa"])
        let result = SegmentSweeper.sweep(survey)
        XCTAssertEqual(result.removed, [])
        XCTAssertEqual(result.failures.map(\.entry.fileName), ["mproc-999999982-0-aa"])
        XCTAssertEqual(result.failures.first?.reason, "Read-only file system")
    }

    func testSweepRemovesOnlyTheFileItListed() throws {
        _ = FileManager.default.createFile(atPath: path("mproc-999999983-0-aa"), contents: nil)
        let survey = SegmentSweeper.survey(directory: directory)
        XCTAssertEqual(survey.removable.count, 1)
        // Replaced by a symbolic link between the listing and the sweep.
        XCTAssertEqual(unlink(path("mproc-999999983-0-aa")), 0)
        try FileManager.default.createSymbolicLink(atPath: path("mproc-999999983-0-aa"), withDestinationPath: "/etc/passwd")
        let result = SegmentSweeper.sweep(survey)
        XCTAssertEqual(result.removed, [])
        XCTAssertEqual(result.failures.first?.reason, "it was replaced since it was listed")
        XCTAssertTrue(exists("mproc-999999983-0-aa"))
    }

    private func run(_ script: String) -> Int32 {
        let process = Foundation.Process()   // Multiprocessing's `Process` wins the plain name
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script + " 2>/dev/null"]
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
