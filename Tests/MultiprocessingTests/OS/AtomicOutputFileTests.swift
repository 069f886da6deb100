#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Multiprocessing
import XCTest

/// The one writer every output goes through: hostile names in shared directories, modes, signals.
final class AtomicOutputFileTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "mproc-atomic-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        _ = try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func contents(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    private func lstatMode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode : nil
    }

    func testWritesTheDestinationWhole() throws {
        try AtomicOutputFile.write(to: path("out.txt")) { file in try file.write(Array("hello".utf8)) }
        XCTAssertEqual(contents(path("out.txt")), "hello")
        // Replacing an existing regular file.
        try AtomicOutputFile.write(to: path("out.txt")) { file in try file.write(Array("again".utf8)) }
        XCTAssertEqual(contents(path("out.txt")), "again")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["out.txt"])
    }

    func testSymlinkAtDestinationIsRefusedAndItsTargetUntouched() throws {
        try "precious".write(toFile: path("target"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: path("out.txt"), withDestinationPath: path("target"))
        // A dangling link too: O_CREAT would create its target.
        try FileManager.default.createSymbolicLink(atPath: path("dangling.txt"), withDestinationPath: path("created"))
        for name in ["out.txt", "dangling.txt"] {
            XCTAssertThrowsError(try AtomicOutputFile.write(to: path(name)) { try $0.write(Array("evil".utf8)) }) { error in
                XCTAssertEqual((error as? OutputFileError)?.code, .notRegularFile)
                XCTAssertTrue("\(error)".contains("\(path(name)): is a symbolic link"), "\(error)")
            }
            XCTAssertEqual(lstatMode(path(name)).map { $0 & S_IFMT }, S_IFLNK, "the link stays a link")
        }
        XCTAssertEqual(contents(path("target")), "precious")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("created")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
                       ["dangling.txt", "out.txt", "target"], "no temporary file left")
    }

    func testDestinationReplacedBySymlinkWhileWritingIsRefusedAtCommit() throws {
        try "precious".write(toFile: path("target"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try AtomicOutputFile.write(to: path("out.txt")) { file in
            try file.write(Array("data".utf8))
            try FileManager.default.createSymbolicLink(atPath: path("out.txt"), withDestinationPath: path("target"))
        })
        XCTAssertEqual(contents(path("target")), "precious")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["out.txt", "target"])
    }

    func testFIFODirectoryAndDeviceDestinationsAreRefusedAndLeftAsTheyWere() throws {
        XCTAssertEqual(mkfifo(path("fifo"), 0o644), 0)
        try FileManager.default.createDirectory(atPath: path("dir"), withIntermediateDirectories: false)
        let cases: [(String, String)] = [
            (path("fifo"), "is a FIFO (named pipe), not a regular file"),
            (path("dir"), "is a directory, not a regular file"),
            ("/dev/null", "is a character device, not a regular file"),
        ]
        for (destination, message) in cases {
            let before = lstatMode(destination)
            XCTAssertThrowsError(try AtomicOutputFile.write(to: destination) { try $0.write([1, 2, 3]) }) { error in
                XCTAssertEqual((error as? OutputFileError)?.code, .notRegularFile)
                XCTAssertTrue("\(error)".contains(message), "\(error)")
            }
            XCTAssertEqual(lstatMode(destination), before, destination)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("dir")), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["dir", "fifo"])
    }

    func testTemporaryFileIsPrivateUnpredictableAndBesideTheDestination() throws {
        var names: [String] = []
        for _ in 0..<2 {
            let output = try AtomicOutputFile(destination: path("out.npy"))
            defer { output.discard() }
            let name = String(output.temporaryPath.split(separator: "/").last!)
            XCTAssertEqual(output.temporaryPath, path(name))
            XCTAssertTrue(name.hasPrefix(".out.npy.") && name.hasSuffix(".tmp"), name)
            let random = name.dropFirst(".out.npy.".count).dropLast(".tmp".count)
            XCTAssertEqual(random.count, 16)
            XCTAssertTrue(random.allSatisfy(\.isHexDigit), name)
            XCTAssertEqual(lstatMode(output.temporaryPath), S_IFREG | 0o600)
            names.append(name)
        }
        XCTAssertNotEqual(names[0], names[1])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [], "discard removes it")
    }

    func testFinalFileIsRegularWithModeFromUmask() throws {
        let old = umask(0o027)
        defer { umask(old) }
        XCTAssertEqual(AtomicOutputFile.currentUmask(), 0o027)
        try AtomicOutputFile.write(to: path("out.bin")) { try $0.write([1, 2, 3]) }
        XCTAssertEqual(lstatMode(path("out.bin")), S_IFREG | 0o640)
        umask(0o002)
        try AtomicOutputFile.write(to: path("out.bin")) { try $0.write([4]) }
        XCTAssertEqual(lstatMode(path("out.bin")), S_IFREG | 0o664)
    }

    func testOutputIntoStickyWorldWritableDirectoryWorks() throws {
        let shared = path("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        XCTAssertEqual(chmod(shared, 0o1777), 0)
        try AtomicOutputFile.write(to: shared + "/out.txt") { try $0.write(Array("ok".utf8)) }
        XCTAssertEqual(contents(shared + "/out.txt"), "ok")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: shared), ["out.txt"])
    }

    func testSymlinksAtOldStyleTemporaryNamesAreNeverWrittenThrough() throws {
        try "precious".write(toFile: path("target"), atomically: false, encoding: .utf8)
        let planted = path(".out.txt.tmp-\(getpid())")
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: path("target"))
        try AtomicOutputFile.write(to: path("out.txt")) { try $0.write(Array("fresh".utf8)) }
        XCTAssertEqual(contents(path("target")), "precious")
        XCTAssertEqual(contents(path("out.txt")), "fresh")
        XCTAssertEqual(lstatMode(path("out.txt")).map { $0 & S_IFMT }, S_IFREG)
    }

    func testErrorInTheBodyRemovesTheTemporaryFileAndKeepsTheOldOutput() throws {
        try "old".write(toFile: path("out.txt"), atomically: false, encoding: .utf8)
        struct Failure: Error {}
        XCTAssertThrowsError(try AtomicOutputFile.write(to: path("out.txt")) { file in
            try file.write(Array("half".utf8))
            throw Failure()
        }) { XCTAssertTrue($0 is Failure) }
        XCTAssertEqual(contents(path("out.txt")), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["out.txt"])
    }

    func testMissingDirectoryIsAClearError() throws {
        XCTAssertThrowsError(try AtomicOutputFile.write(to: path("no/such/out.txt")) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("cannot write to \(path("no/such")): No such file or directory"), "\(error)")
        }
    }

    func testCopyContentsKeepsTheExistingBytesAndRefusesALink() throws {
        try "existing".write(toFile: path("old.bin"), atomically: false, encoding: .utf8)
        try AtomicOutputFile.write(to: path("new.bin")) { try $0.copyContents(of: path("old.bin")) }
        XCTAssertEqual(contents(path("new.bin")), "existing")
        try FileManager.default.createSymbolicLink(atPath: path("link.bin"), withDestinationPath: path("old.bin"))
        XCTAssertThrowsError(try AtomicOutputFile.write(to: path("other.bin")) { try $0.copyContents(of: path("link.bin")) })
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("other.bin")))
    }

    func testCopyContentsCopiesEveryByteInTheKernelOrThroughABuffer() throws {
        // Same file system (copy_file_range in the kernel) and from /dev/shm (tmpfs: another file system, which
        // the kernel may refuse, so the buffered copy runs); an odd size across several buffer lengths.
        let bytes = (0..<(3 << 20) + 12_345).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let shm = "/dev/shm/atomic-output-copy-test-\(getpid())"
        defer { unlink(shm) }
        for source in [path("source.bin"), shm] {
            XCTAssertTrue(FileManager.default.createFile(atPath: source, contents: Data(bytes)))
            try AtomicOutputFile.write(to: path("copy.bin")) { try $0.copyContents(of: source) }
            XCTAssertEqual(FileManager.default.contents(atPath: path("copy.bin")), Data(bytes), source)
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: path("empty.bin"), contents: Data()))
        try AtomicOutputFile.write(to: path("copy.bin")) { try $0.copyContents(of: path("empty.bin")) }
        XCTAssertEqual(FileManager.default.contents(atPath: path("copy.bin")), Data())
    }

    func testCopyContentsKeepsTheCopiedFilesPermissionBits() throws {
        try "existing".write(toFile: path("old.bin"), atomically: false, encoding: .utf8)
        for permissions: mode_t in [0o640, 0o604, 0o400] {
            XCTAssertEqual(chmod(path("old.bin"), permissions), 0)
            try AtomicOutputFile.write(to: path("old.bin")) { output in
                try output.copyContents(of: path("old.bin"))
                try output.write(Array("updated".utf8))
                try output.resize(to: 7)
            }
            var info = stat()
            XCTAssertEqual(stat(path("old.bin"), &info), 0)
            XCTAssertEqual(info.st_mode & 0o777, permissions)
            XCTAssertEqual(contents(path("old.bin")), "updated")
        }
    }

    func testReopenForWritingChecksTheIdentity() throws {
        let output = try AtomicOutputFile(destination: path("out.bin"))
        defer { output.discard() }
        let fd = try AtomicOutputFile.reopenForWriting(output.temporaryPath, identity: output.identity)
        try fd.close()
        try "other".write(toFile: path("else"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try AtomicOutputFile.reopenForWriting(path("else"), identity: output.identity))
    }

    func testSignalWhileWritingRemovesTheTemporaryFile() throws {
        try "old".write(toFile: path("out.txt"), atomically: false, encoding: .utf8)
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        fflush(nil)
        let child = fork()
        if child == 0 {
            close(fds[0])
            let output = try? AtomicOutputFile(destination: path("out.txt"))
            try? output?.write(Array("partial".utf8))
            _ = write(fds[1], "x", 1)
            while true { pause() }
        }
        close(fds[1])
        var byte: UInt8 = 0
        XCTAssertEqual(read(fds[0], &byte, 1), 1)
        close(fds[0])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).count, 2, "the temporary file exists")
        kill(child, SIGTERM)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        XCTAssertEqual(status & 0x7f, SIGTERM, "ended by the signal")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["out.txt"])
        XCTAssertEqual(contents(path("out.txt")), "old")
    }
}
