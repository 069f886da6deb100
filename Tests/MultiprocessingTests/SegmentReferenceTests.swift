#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// References are plain data a task's input can carry from anywhere: each is resolved against the
/// segments this process really maps, and a forged, damaged or stale one is an error, never a trap or
/// a read of memory that is not the segment's.
final class SegmentReferenceTests: XCTestCase {
    private func assertRefused(
        _ reference: SegmentReference, _ expected: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try reference.mappedAddress(), file: file, line: line) { error in
            XCTAssertTrue(error is SegmentReferenceError || error is SystemError, "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(expected), "expected '\(expected)' in: \(error)", file: file, line: line)
        }
    }

    func testForgedAddressInTheOwnerIsRefusedNotDereferenced() throws {
        let segment = try SharedMemory(byteCount: 4096)
        let honest = segment.reference
        XCTAssertEqual(try honest.mappedAddress(), segment.base)
        for address: UInt in [0, 1, honest.ownerAddress + 8, honest.ownerAddress &- 4096, .max] {
            var forged = honest
            forged.ownerAddress = address
            assertRefused(forged, "not at 0x\(String(address, radix: 16))")
        }
        var wrongDescriptor = honest
        wrongDescriptor.fileDescriptor = 0
        assertRefused(wrongDescriptor, "descriptor")
    }

    func testForgedByteCountLargerThanTheSegmentIsRefusedInTheOwner() throws {
        let segment = try SharedMemory(byteCount: 4096)
        for byteCount in [4097, 1 << 40, Int.max, -1] {
            var forged = segment.reference
            forged.byteCount = byteCount
            assertRefused(forged, "declares \(byteCount) bytes, but segment \(forged.id) has 4096")
        }
        var smaller = segment.reference
        smaller.byteCount = 100
        XCTAssertEqual(try smaller.mappedAddress(), segment.base, "a reference may cover less than its segment")
    }

    func testUnknownOrFreedSegmentIdIsRefusedInTheOwner() throws {
        var stale: SegmentReference
        do {
            let segment = try SharedMemory(byteCount: 4096)
            stale = segment.reference
        }
        assertRefused(stale, "no live segment with id \(stale.id)")
        stale.id = .max
        assertRefused(stale, "no live segment with id \(UInt64.max)")
    }

    /// A `Process` child attaches through `/proc/<owner>/fd`: the segment's real size (`fstat`) bounds
    /// the reference, and a descriptor that is not a segment is not mapped.
    func testForgedByteCountOrDescriptorIsRefusedInAnotherProcess() throws {
        let segment = try SharedMemory(byteCount: 4096)
        segment.base.storeBytes(of: 42.5, as: Double.self)
        let honest = segment.reference
        let plainFile = "/tmp/mproc-segref-\(getpid())"
        let plainFD = open(plainFile, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(plainFD, 0)
        XCTAssertEqual(ftruncate(plainFD, 1 << 20), 0)
        defer { close(plainFD); unlink(plainFile) }

        var tooLarge = honest
        tooLarge.byteCount = 1 << 30
        var notASegment = honest
        notASegment.id = .max - 1
        notASegment.fileDescriptor = plainFD
        notASegment.byteCount = 4096
        var badPID = honest
        badPID.id = .max - 2
        badPID.ownerPID = -1
        let cases: [(SegmentReference, String, Int32)] = [
            (honest, "", 0),
            (tooLarge, "declares \(1 << 30) bytes, but segment \(honest.id) has 4096", 3),
            (notASegment, "not a shared-memory segment", 4),
            (badPID, "owner pid -1", 5),
        ]
        for (reference, expected, code) in cases {
            let child = Process(name: "segref-\(code)") {
                do {
                    let address = try reference.mappedAddress()
                    _exit(address.load(as: Double.self) == 42.5 ? 0 : 2)
                } catch {
                    _exit("\(error)".contains(expected) ? code : 9)
                }
            }
            try child.start()
            try child.join()
            XCTAssertEqual(child.exitStatus, .exited(code), "expected '\(expected)'")
        }
    }
}
