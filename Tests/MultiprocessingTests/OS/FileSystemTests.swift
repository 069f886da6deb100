import Glibc
import Multiprocessing
import XCTest

final class FileSystemTests: XCTestCase {
    /// `FileSystem.contents(of:)` reads a /proc file to its end, however long: the tests that look for a
    /// mapping in /proc/self/maps rely on it (`String(contentsOfFile:)` stops after the first few KiB
    /// of a /proc file, whose size reads as 0).
    func testProcFilesAreReadToTheEndWithThousandsOfMappings() throws {
        var pages: [UnsafeMutableRawPointer] = []
        defer { for p in pages { munmap(p, 4096) } }
        for i in 0..<3000 {
            // Alternate protections so that the kernel cannot merge neighbouring mappings into one line.
            guard let p = mmap(nil, 4096, i % 2 == 0 ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  p != MAP_FAILED
            else { return XCTFail("mmap failed: errno \(errno)") }
            pages.append(p)
        }
        let maps = String(decoding: try FileSystem.contents(of: "/proc/self/maps"), as: UTF8.self)
        let lines = maps.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 1500, "every mapping has a line (neighbours may merge in pairs at most)")
        // The last page mapped is listed, wherever it landed.
        let last = UInt(bitPattern: pages[pages.count - 1])
        XCTAssertTrue(
            lines.contains { line in
                let range = line.split(separator: " ")[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
                return range.count == 2 && range[0] <= last && last < range[1]
            }, "the last mapping is in the file")
    }
}
