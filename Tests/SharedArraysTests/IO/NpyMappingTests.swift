import Foundation
import Multiprocessing
import XCTest
@testable import SharedArrays

/// A `.npy` file whose layout allows is mapped read-only instead of copied: no segment is made, workers
/// read the page cache, in-place operations are refused, and a truncated or lying file is an error.
final class NpyMappingTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try NpyTestSupport.makeDirectory()
        try NpyTestSupport.python("""
            import numpy as np
            rng = np.random.default_rng(3)
            x = rng.normal(0, 1, 300_001); x[[3, 200_000]] = np.nan; x[9] = np.inf
            np.save('f8.npy', x)
            np.save('table.npy', rng.normal(0, 1, (1001, 7)))
            np.save('i4.npy', rng.integers(-1000, 1000, 100_003).astype('<i4'))
            np.save('be_f8.npy', x.astype('>f8'))
            np.save('i2.npy', rng.integers(-1000, 1000, 1001).astype('<i2'))
            """, in: directory)
    }

    override func tearDown() { NpyTestSupport.removeDirectory(directory) }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// Lines of /proc/self/maps that mention `text`. Read whole with `FileSystem.contents(of:)`:
    /// `String(contentsOfFile:)` returns only the start of a /proc file, so a mapping listed further down
    /// was missed.
    private func mappings(containing text: String) throws -> Set<Substring> {
        let maps = String(decoding: try FileSystem.contents(of: "/proc/self/maps"), as: UTF8.self)
        return Set(maps.split(separator: "\n").filter { $0.contains(text) })
    }

    func testMappedLoadCreatesNoSegmentAndMatchesTheCopy() throws {
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            let segmentsBefore = try mappings(containing: "memfd:mproc-array")
            let shmBefore = SharedMemory.listSegments().filter { $0.ownerPID == getpid() }.map(\.fileName)
            let mapped = try SharedArray<Double>.load(npy: path("f8.npy"), mapped: true, on: pool)
            // (Segments of earlier tests may be freed meanwhile: only a new one would be the load's.)
            XCTAssertEqual(try mappings(containing: "memfd:mproc-array").subtracting(segmentsBefore), [], "a mapped load makes no shared-memory segment")
            XCTAssertEqual(
                Set(SharedMemory.listSegments().filter { $0.ownerPID == getpid() }.map(\.fileName)).subtracting(shmBefore), [],
                "and nothing in /dev/shm")
            XCTAssertFalse(try mappings(containing: path("f8.npy")).isEmpty, "the file itself is mapped")
            XCTAssertTrue(mapped.isReadOnly)
            let copied = try SharedArray<Double>.load(npy: path("f8.npy"), on: pool)
            XCTAssertFalse(copied.isReadOnly)
            XCTAssertEqual(mapped.toArray().map(\.bitPattern), copied.toArray().map(\.bitPattern))
            let ops = Statistic.allCases
            XCTAssertEqual(
                try mapped.statistics(ops).values.map { $0.1?.bitPattern }, try copied.statistics(ops).values.map { $0.1?.bitPattern })
            let table = try SharedArray<Double>.load(npy: path("table.npy"), mapped: true, on: pool)
            let tableCopy = try SharedArray<Double>.load(npy: path("table.npy"), on: pool)
            XCTAssertEqual(table.shape, [1001, 7])
            XCTAssertEqual(try table.statistics([.mean, .std], axis: 0)[.mean]!, try tableCopy.statistics([.mean, .std], axis: 0)[.mean]!)
            XCTAssertEqual(try table.column(3).median(), try tableCopy.column(3).median())
            let ints = try SharedArray<Int32>.load(npy: path("i4.npy"), mapped: true, on: pool)
            XCTAssertTrue(ints.isReadOnly)
            XCTAssertEqual(try ints.statistics([.sum, .min, .argmax]), try SharedArray<Int32>.load(npy: path("i4.npy"), on: pool).statistics([.sum, .min, .argmax]))
        }
    }

    func testWorkersForkedAfterTheMappingReadItToo() throws {
        let mapped = try SharedArray<Double>.load(npy: path("f8.npy"), mapped: true, on: try TestPools.pool(2))
        let later = try WorkerPool(workers: 2)
        defer { later.shutdown() }
        let copied = try SharedArray<Double>.load(npy: path("f8.npy"), on: later)
        let viewOnLaterPool = SharedArray<Double>(storage: mapped.storage, shape: mapped.shape, offset: mapped.offset, stride: 1, pool: later)
        XCTAssertEqual(try viewOnLaterPool.statistics([.nansum, .nanmax]), try copied.statistics([.nansum, .nanmax]))
    }

    func testInPlaceOperationsOnAMappedArrayAreRefused() throws {
        let pool = try TestPools.pool(2)
        let mapped = try SharedArray<Double>.load(npy: path("f8.npy"), mapped: true, on: pool)
        let other = try SharedArray<Double>.load(npy: path("f8.npy"), on: pool)
        let attempts: [(String, () throws -> Void)] = [
            ("apply", { try mapped.apply(.sqrt) }),
            ("fill", { try mapped.fill(with: 1) }),
            ("addProduct", { try mapped.addProduct(2, other) }),
            ("formCombined", { try mapped.formCombined(with: other, .add) }),
            ("strided view apply", { try mapped.strided(from: 1, by: 3).apply(.negate) }),
            ("reference write", { _ = try mapped.reference().withUnsafeMutableBufferPointer { $0.count } }),
        ]
        for (name, attempt) in attempts {
            XCTAssertThrowsError(try attempt(), name) { error in
                XCTAssertTrue("\(error)".contains("read-only"), "\(name): \(error)")
            }
        }
        // Everything that writes a new array works, and a copy is writable.
        let roots = try mapped.map(.sqrt)
        XCTAssertFalse(roots.isReadOnly)
        XCTAssertEqual(roots.toArray().map(\.bitPattern), try other.map(.sqrt).toArray().map(\.bitPattern))
        let copy = try mapped.copy()
        try copy.apply(.negate)
        XCTAssertEqual(copy[1], -other[1])
        XCTAssertEqual(try mapped.reference().toArray().count, 300_001)
    }

    func testOtherLayoutsAreCopiedAsBefore() throws {
        let pool = try TestPools.pool(2)
        let big = try SharedArray<Double>.load(npy: path("be_f8.npy"), mapped: true, on: pool)
        XCTAssertFalse(big.isReadOnly, "a big-endian file is converted into a copy")
        XCTAssertEqual(big.toArray().map(\.bitPattern), try SharedArray<Double>.load(npy: path("f8.npy"), on: pool).toArray().map(\.bitPattern))
        let widened = try SharedArray<Int32>.load(npy: path("i2.npy"), mapped: true, on: pool)
        XCTAssertFalse(widened.isReadOnly, "int16 computed as int32 is converted into a copy")
        let asFloat = try SharedArray<Float>.load(npy: path("f8.npy"), mapped: true, on: pool)
        XCTAssertFalse(asFloat.isReadOnly)
    }

    func testTruncatedOrLyingFilesAreErrorsBeforeAnythingIsMapped() throws {
        try NpyTestSupport.python("""
            import numpy as np, struct
            data = open('f8.npy', 'rb').read()
            open('short.npy', 'wb').write(data[:len(data) - 8])
            open('header_only.npy', 'wb').write(data[:128])
            def raw(name, shape):
                h = ("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % shape).encode('latin1')
                h = h + b' ' * (63 - (10 + len(h)) % 64) + b'\\n'
                open(name, 'wb').write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(h)) + h + np.arange(10.0).tobytes())
            raw('overflow.npy', '(4611686018427387904, 4)')
            raw('huge.npy', '(1152921504606846976,)')
            raw('more.npy', '(11,)')
            """, in: directory)
        let pool = try TestPools.pool(2)
        for name in ["short.npy", "header_only.npy", "overflow.npy", "huge.npy", "more.npy"] {
            XCTAssertThrowsError(try SharedArray<Double>.load(npy: path(name), mapped: true, limit: .unlimited, on: pool), name) { error in
                XCTAssertTrue(error is ArrayIOError, "\(name): \(error)")
                XCTAssertTrue("\(error)".contains(name), "\(name): the error names the file: \(error)")
            }
        }
    }

    func testAFileTruncatedAfterMappingIsAnErrorForWorkersThatAttachLater() throws {
        let pool = try WorkerPool(workers: 2)  // forked before the mapping: its workers attach on first use
        defer { pool.shutdown() }
        try FileManager.default.copyItem(atPath: path("f8.npy"), toPath: path("victim.npy"))
        let mapped = try SharedArray<Double>.load(npy: path("victim.npy"), mapped: true, on: pool)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path("victim.npy")))
        try handle.truncate(atOffset: 4096)
        try handle.close()
        XCTAssertThrowsError(try mapped.statistics([.sum])) { error in
            XCTAssertTrue("\(error)".contains("bytes"), "the attach refuses the shorter file: \(error)")
        }
    }
}
