#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Multiprocessing
import XCTest

/// One log file appended by many processes at once: every record one whole line, tagged with its pid.
final class FileLogHandlerTests: XCTestCase {
    private func temporaryPath(_ name: String) -> String {
        let dir = String(cString: mkdtemp(strdup(NSTemporaryDirectory() + "/mproc-log-XXXXXX")))
        addTeardownBlock { _ = try? FileManager.default.removeItem(atPath: dir) }
        return dir + "/" + name
    }

    private func lines(_ path: String) throws -> [Substring] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    }

    /// The line a child logs as its `i`-th record: long enough that interleaved writes would show.
    private func body(_ child: Int, _ i: Int) -> String {
        "child \(child) record \(i) " + String(repeating: Character(UnicodeScalar(UInt8(65 + (child + i) % 26))), count: 300)
    }

    func testManyProcessesAppendWholeLinesTaggedWithTheirPid() throws {
        let path = temporaryPath("run.log")
        let file = try LogFile(appendingTo: path)
        let go = try Event()
        let children = (0..<6).map { c in
            Process(name: "logger-\(c)") {
                let log = Logger(label: "load") { FileLogHandler(label: $0, file: file) }
                go.wait()
                for i in 0..<500 { log.info("\(self.body(c, i))", metadata: ["n": "\(i)"]) }
            }
        }
        for child in children { try child.start() }
        go.set()
        for child in children { XCTAssertTrue(try child.join(timeout: .seconds(60))) }
        let all = try lines(path)
        XCTAssertEqual(all.count, 3000)
        for (c, child) in children.enumerated() {
            let tag = " info load pid=\(child.pid!): child \(c) record "
            let mine = all.filter { $0.contains(tag) }
            XCTAssertEqual(mine.count, 500, "child \(c)")
            for (i, line) in mine.enumerated() {
                XCTAssertTrue(line.hasSuffix(": " + body(c, i) + " n=\(i)"), "child \(c) line \(i): \(line)")
            }
        }
        // 2026-12-05T12:00:00.123Z at the start of each line.
        XCTAssertTrue(all.allSatisfy { $0.count > 24 && $0.dropFirst(23).first == "Z" && $0.dropFirst(10).first == "T" })
    }

    func testRelayedRecordsKeepTheSendersPid() throws {
        let path = temporaryPath("relay.log")
        let relay = try LogRelay(appendingTo: path)
        let child = Process(name: "sender") {
            Logger(label: "worker", factory: relay.makeHandler).warning("low battery", metadata: ["volts": "11.2"])
        }
        try child.start()
        XCTAssertTrue(try child.join(timeout: .seconds(30)))
        relay.flush()
        let all = try lines(path)
        XCTAssertEqual(all.count, 1)
        XCTAssertTrue(all.first?.hasSuffix(" warning worker pid=\(child.pid!): low battery volts=11.2") == true, "\(all)")
        relay.shutdown()
    }

    func testBootstrapIsOneCallForTheProgramAndItsChildren() throws {
        let path = temporaryPath("basic.log")
        // LoggingSystem.bootstrap may run once per process: in a child of its own, which forks a grandchild.
        let program = Process(name: "program") {
            try FileLogHandler.bootstrap(appendingTo: path, level: .info)
            let log = Logger(label: "main")
            log.debug("below the level: not written")
            log.info("parent says hello")
            let worker = Process(name: "worker") { Logger(label: "task").error("child says hello") }
            try worker.start()
            try worker.join()
        }
        try program.start()
        XCTAssertTrue(try program.join(timeout: .seconds(30)))
        XCTAssertEqual(program.exitCode, 0)
        let all = try lines(path)
        XCTAssertEqual(all.count, 2, "\(all)")
        XCTAssertTrue(all.first?.hasSuffix(" info main pid=\(program.pid!): parent says hello") == true, "\(all)")
        XCTAssertTrue(all.last?.contains(" error task pid=") == true && all.last?.hasSuffix(": child says hello") == true, "\(all)")
        XCTAssertFalse(all.last?.contains("pid=\(program.pid!):") ?? true, "the child's own pid")
    }

    func testASymlinkOrADeviceIsRefused() throws {
        let path = temporaryPath("target.log")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let link = path + ".link"
        XCTAssertEqual(symlink(path, link), 0)
        XCTAssertThrowsError(try LogFile(appendingTo: link)) { XCTAssertTrue("\($0)".contains("symbolic link"), "\($0)") }
        XCTAssertThrowsError(try LogFile(appendingTo: "/dev/null")) { XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)") }
        XCTAssertThrowsError(try LogFile(appendingTo: path + "/no/such/dir/x.log"))
    }
}
