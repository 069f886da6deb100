#if canImport(Glibc)
import Glibc
#endif
@testable import MultiprocessingCore
import Multiprocessing
import XCTest

final class SharedMemoryTests: XCTestCase {
    func testAnonymousSegmentIsZeroedWritableAndLeavesNoName() throws {
        let before = SharedMemory.listSegments().filter { $0.ownerPID == getpid() }
        let segment = try SharedMemory(byteCount: 1 << 20)
        XCTAssertNil(segment.name)
        XCTAssertTrue(segment.bytes.allSatisfy { $0 == 0 })
        segment.base.storeBytes(of: 3.5, toByteOffset: 8, as: Double.self)
        XCTAssertEqual(segment.base.load(fromByteOffset: 8, as: Double.self), 3.5)
        XCTAssertEqual(SharedMemory.listSegments().filter { $0.ownerPID == getpid() }, before)
    }

    func testNamedSegmentCarriesOwnerPIDAndIsUnlinkedOnDeinit() throws {
        var name = ""
        do {
            let segment = try SharedMemory(byteCount: 4096, named: true)
            name = try XCTUnwrap(segment.name)
            XCTAssertTrue(name.hasPrefix("/mproc-\(getpid())-"))
            var info = stat()
            XCTAssertEqual(stat("/dev/shm" + name, &info), 0)
            XCTAssertEqual(info.st_mode & 0o777, 0o600)
            let other = try SharedMemory(attachingNamed: name)
            other.base.storeBytes(of: 77, as: Int.self)
            XCTAssertEqual(segment.base.load(as: Int.self), 77)
        }
        var info = stat()
        XCTAssertNotEqual(stat("/dev/shm" + name, &info), 0, "segment must be unlinked")
    }

    func testCreatingAnExistingNameFails() throws {
        let segment = try SharedMemory(byteCount: 64, named: true)
        XCTAssertThrowsError(try SharedMemory(creatingNamed: segment.name!, byteCount: 64)) { error in
            XCTAssertTrue("\(error)".contains("File exists"), "\(error)")
        }
    }

    func testTooLargeSegmentIsAClearErrorNotSIGBUS() throws {
        let free = try XCTUnwrap(SharedMemory.freeSpace())
        XCTAssertThrowsError(try SharedMemory(byteCount: free + (1 << 30), named: true)) { error in
            XCTAssertTrue("\(error)".contains("not enough shared memory"), "\(error)")
        }
        XCTAssertThrowsError(try SharedMemory(byteCount: -1))
        XCTAssertThrowsError(try SharedMemory(creatingNamed: "no-slash", byteCount: 8))
    }

    func testSweeperRemovesSegmentsOfDeadOwners() throws {
        // A child creates a named segment and is killed with SIGKILL, so nothing unlinks it.
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        fflush(nil)
        let child = fork()
        if child == 0 {
            close(fds[0])
            let segment = try? SharedMemory(byteCount: 4096, named: true)
            if let name = segment?.name {
                _ = name.withCString { write(fds[1], $0, strlen($0)) }
            }
            close(fds[1])
            withExtendedLifetime(segment) {
                while true { pause() }
            }
        }
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = read(fds[0], &buffer, 128)
        close(fds[0])
        XCTAssertGreaterThan(n, 0)
        let name = String(decoding: buffer[0..<max(n, 0)], as: UTF8.self)
        kill(child, SIGKILL)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let orphan = SharedMemory.listSegments().first { "/" + $0.fileName == name }
        XCTAssertEqual(orphan?.ownerIsDead, true)
        let removed = SharedMemory.sweepOrphans()
        XCTAssertTrue(removed.contains { "/" + $0.fileName == name })
        XCTAssertFalse(SharedMemory.listSegments().contains { "/" + $0.fileName == name })
    }
}

/// Typed views replace raw pointer arithmetic on a segment: out-of-bounds and misaligned accesses are errors.
final class SharedMemoryViewTests: XCTestCase {
    func testTypedViewsAreBoundsCheckedAndSeenByAForkedChild() throws {
        let segment = try SharedMemory(byteCount: 1024)
        try segment.withElements(of: Double.self, count: 128) { values in
            for i in values.indices { values[i] = Double(i) }
        }
        XCTAssertEqual(try segment.load(Double.self, at: 8 * 5), 5)
        try segment.store(UInt32(7), at: 3)  // unaligned store is fine
        XCTAssertEqual(try segment.load(UInt32.self, at: 3), 7)
        XCTAssertThrowsError(try segment.withElements(of: Double.self, count: 129) { _ in })
        XCTAssertThrowsError(try segment.withElements(of: Double.self, at: -8, count: 1) { _ in })
        XCTAssertThrowsError(try segment.withElements(of: Double.self, at: 4, count: 1) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("not aligned"), "\(error)")
        }
        XCTAssertThrowsError(try segment.withElements(of: Double.self, at: Int.max - 4, count: 2) { _ in })
        XCTAssertThrowsError(try segment.load(Double.self, at: 1020))
        XCTAssertThrowsError(try segment.store(Int64(1), at: 1017))
        fflush(nil)
        let child = fork()
        if child == 0 {
            let ok = (try? segment.withElements(of: Double.self, count: 128) { $0.reduce(0, +) }) == 8128
            _exit(ok ? 0 : 1)
        }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        XCTAssertEqual(status, 0)
    }
}

extension SharedMemoryTests {
    /// Sizes past a tebibyte are told in PiB and EiB, not as millions of TiB.
    func testFormatBytesGoesToExbibytes() {
        XCTAssertEqual(formatBytes(1023), "1023 B")
        XCTAssertEqual(formatBytes(1536), "1.5 KiB")
        XCTAssertEqual(formatBytes(1 << 40), "1.0 TiB")
        XCTAssertEqual(formatBytes(1 << 52), "4.0 PiB")
        XCTAssertEqual(formatBytes(1 << 62), "4.0 EiB")
        XCTAssertEqual(formatBytes(Int.max), "8.0 EiB")
    }
}

final class MeminfoParsingTests: XCTestCase {
    /// MemAvailable is read by a byte scan of /proc/meminfo: the real file agrees with a plain parse of it,
    /// and odd or hostile contents give nil, never a trap (digits past Int.max, no digits, the key last
    /// without a newline, the key only inside another line).
    func testMemAvailableIsReadByBytesAndOddFilesGiveNil() throws {
        let text = String(decoding: try FileSystem.contents(of: "/proc/meminfo"), as: UTF8.self)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("MemAvailable:") })
        let kib = try XCTUnwrap(Int(line.filter(\.isNumber)))
        XCTAssertEqual(SharedMemory.meminfoKibibytes(Array(text.utf8), key: "MemAvailable:"), kib)
        XCTAssertNotNil(SharedMemory.availableMemory())
        func parse(_ s: String) -> Int? { SharedMemory.meminfoKibibytes(Array(s.utf8), key: "MemAvailable:") }
        XCTAssertEqual(parse("MemTotal: 5 kB\nMemAvailable:    1234 kB\n"), 1234)
        XCTAssertEqual(parse("MemAvailable: 77"), 77, "last line without a newline")
        XCTAssertNil(parse("MemAvailable: 99999999999999999999999 kB\n"), "past Int.max")
        XCTAssertNil(parse("MemAvailable: kB\n"))
        XCTAssertNil(parse("XMemAvailable: 5 kB\nMemFree: 3 kB\n"))
        XCTAssertNil(parse(""))
        XCTAssertNil(parse("MemAvailable:"))
        // The check still refuses an anonymous segment larger than what is available.
        let available = try XCTUnwrap(SharedMemory.availableMemory())
        XCTAssertThrowsError(try SharedMemory(byteCount: available + (1 << 30))) { error in
            XCTAssertTrue("\(error)".contains("\(available + (1 << 30))") || "\(error)".lowercased().contains("memory"), "\(error)")
        }
    }
}
