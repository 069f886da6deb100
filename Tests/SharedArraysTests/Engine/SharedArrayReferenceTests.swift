#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import SharedArrays
import XCTest

/// Sums a range of a shared array, in place, in the worker.
struct ReferencedRangeSum: ParallelTask2 {
    static func run(_ data: SharedArrayReference<Double>, _ range: Range<Int>) throws -> Double {
        try data.withUnsafeBufferPointer { $0[range].reduce(0, +) }
    }
}

/// Multiplies a range of a shared array by 2 in place; returns the worker's pid.
struct ReferencedRangeDouble: ParallelTask2 {
    static func run(_ data: SharedArrayReference<Double>, _ range: Range<Int>) throws -> Int32 {
        try data.withUnsafeMutableBufferPointer { buffer in for i in range { buffer[i] *= 2 } }
        return getpid()
    }
}

final class SharedArrayReferenceTests: XCTestCase {
    private func ranges(_ count: Int, parts: Int) -> [Range<Int>] {
        (0..<parts).map { count * $0 / parts..<count * ($0 + 1) / parts }
    }

    /// Arrays made before the pool (mapped in the workers by inheritance) and after it (attached on
    /// first use) are read and written in place by tasks, with no copy of the elements.
    func testTasksReadAndWriteArraysMadeBeforeAndAfterThePool() throws {
        let early = try SharedArray<Double>((0..<100_000).map { Double($0 % 1000) }, on: try TestPools.pool(1))
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let late = try SharedArray<Double>((0..<100_000).map { Double($0 % 777) * 0.5 }, on: pool)
        for array in [early, late] {
            let reference = try array.reference()
            let expected = array.toArray()
            let pieces = ranges(array.count, parts: 7)
            let sums = try pool.starmap(ReferencedRangeSum.self, over: pieces.map { (reference, $0) }, chunkSize: 1)
            XCTAssertEqual(sums, pieces.map { expected[$0].reduce(0, +) })
            let pids = try pool.starmap(ReferencedRangeDouble.self, over: pieces.map { (reference, $0) }, chunkSize: 1)
            XCTAssertFalse(pids.contains(getpid()), "the tasks ran in the workers")
            XCTAssertEqual(array.toArray(), expected.map { $0 * 2 }, "the owner sees the workers' writes")
        }
    }

    /// A view's reference covers only the view; the owner and a `Process` child resolve it too; a
    /// strided view and a reference that does not fit its segment are refused.
    func testViewsOwnerChildAndBadReferences() throws {
        let pool = try TestPools.pool(2)
        let array = try SharedArray<Double>((0..<1000).map(Double.init), on: pool)
        let view = try array.slice(100..<200).reference()
        XCTAssertEqual(view.count, 100)
        XCTAssertEqual(try view.toArray(), (100..<200).map(Double.init), "resolved in the owner")
        XCTAssertEqual(try ReferencedRangeSum.run(view, 0..<100), Double((100..<200).reduce(0, +)))

        let result = try SharedValue<Double>(0)
        let child = Process(name: "reader") { try result.store(try ReferencedRangeSum.run(view, 0..<10)) }
        try child.start()
        try child.join()
        XCTAssertEqual(child.exitStatus, .exited(0))
        XCTAssertEqual(try result.load(), Double((100..<110).reduce(0, +)))

        XCTAssertThrowsError(try array.strided(by: 3).part(0).reference()) {
            XCTAssertTrue("\($0)".contains("strided view"), "\($0)")
        }
        let decoded = try BinaryDecoder().decode(
            SharedArrayReference<Double>.self,
            from: BinaryEncoder().encode(view).replacingElementOffset(with: 10_000))
        XCTAssertThrowsError(try decoded.toArray()) { XCTAssertTrue("\($0)".contains("does not fit"), "\($0)") }
        let overflowing = try BinaryDecoder().decode(
            SharedArrayReference<Double>.self,
            from: BinaryEncoder().encode(view).replacingElementOffset(with: Int.max - 10))
        XCTAssertThrowsError(try overflowing.toArray()) { XCTAssertTrue("\($0)".contains("does not fit"), "\($0)") }
    }
}

/// A reference's fields, to forge a hostile or stale one.
private struct ReferenceFields: Codable {
    var segment: SegmentReference
    var elementOffset: Int
    var shape: [Int]
}

extension [UInt8] {
    /// This encoding of a reference, with its element offset replaced.
    fileprivate func replacingElementOffset(with offset: Int) throws -> [UInt8] {
        var fields = try BinaryDecoder().decode(ReferenceFields.self, from: self)
        fields.elementOffset = offset
        return try BinaryEncoder().encode(fields)
    }
}

extension SharedArrayReferenceTests {
    /// A reference whose segment fields were forged (a byte count past the real segment, with a shape to
    /// match; an address of 0 or elsewhere) is refused by the pool's workers, for arrays they inherited
    /// and for arrays they attach, and by the owner: an error naming the mismatch, never an
    /// out-of-bounds read, a SIGBUS or a trap.
    func testForgedSegmentSizeOrAddressIsRefusedInWorkersAndOwner() throws {
        let early = try SharedArray<Double>((0..<1000).map(Double.init), on: try TestPools.pool(1))
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let late = try SharedArray<Double>((0..<1000).map(Double.init), on: pool)
        for array in [early, late] {
            let honest = try array.reference()
            let realBytes = honest.segment.byteCount
            var fields = try BinaryDecoder().decode(ReferenceFields.self, from: BinaryEncoder().encode(honest))
            fields.segment.byteCount = 1 << 40
            fields.shape = [1 << 36]
            let tooLarge = try BinaryDecoder().decode(SharedArrayReference<Double>.self, from: BinaryEncoder().encode(fields))
            fields = try BinaryDecoder().decode(ReferenceFields.self, from: BinaryEncoder().encode(honest))
            fields.segment.ownerAddress = 0
            let nullAddress = try BinaryDecoder().decode(SharedArrayReference<Double>.self, from: BinaryEncoder().encode(fields))
            fields.segment.ownerAddress = honest.segment.ownerAddress + 4096
            let shifted = try BinaryDecoder().decode(SharedArrayReference<Double>.self, from: BinaryEncoder().encode(fields))

            XCTAssertThrowsError(try pool.starmap(ReferencedRangeSum.self, over: [(tooLarge, 0..<10)])) {
                XCTAssertTrue("\($0)".contains("declares \(1 << 40) bytes, but segment \(honest.segment.id) has \(realBytes)"), "\($0)")
            }
            XCTAssertThrowsError(try tooLarge.toArray()) { XCTAssertTrue("\($0)".contains("declares"), "\($0)") }
            if array === early {
                // Inherited by the workers: resolved against the segment they inherited.
                for forged in [nullAddress, shifted] {
                    XCTAssertThrowsError(try pool.starmap(ReferencedRangeSum.self, over: [(forged, 0..<10)])) {
                        XCTAssertTrue("\($0)".contains("not at 0x"), "\($0)")
                    }
                }
            }
            for forged in [nullAddress, shifted] {
                XCTAssertThrowsError(try forged.toArray()) { XCTAssertTrue("\($0)".contains("not at 0x"), "\($0)") }
            }
            XCTAssertEqual(try pool.starmap(ReferencedRangeSum.self, over: [(honest, 0..<1000)]), [499_500], "the pool is still usable")
        }
    }
}

extension SharedArrayReferenceTests {
    /// A reference kept after its array was freed (stale) is refused in the workers that inherited the
    /// segment and in the owner, instead of touching memory that is no longer mapped (SIGSEGV).
    func testStaleReferenceToAFreedArrayIsAnErrorInWorkersAndOwner() throws {
        var array: SharedArray<Double>? = try SharedArray<Double>((0..<1000).map(Double.init), on: try TestPools.pool(1))
        let stale = try array!.reference()
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        XCTAssertEqual(try pool.starmap(ReferencedRangeSum.self, over: [(stale, 0..<1000)]), [499_500])
        array = nil
        XCTAssertThrowsError(try pool.starmap(ReferencedRangeSum.self, over: [(stale, 0..<10), (stale, 10..<20)], chunkSize: 1)) {
            XCTAssertTrue("\($0)".contains("no live segment with id \(stale.segment.id)"), "\($0)")
        }
        XCTAssertThrowsError(try stale.toArray()) { XCTAssertTrue("\($0)".contains("no live segment"), "\($0)") }
        let fresh = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertEqual(try pool.starmap(ReferencedRangeSum.self, over: [(try fresh.reference(), 0..<3)]), [6], "the pool is still usable")
    }
}

extension SharedArrayReferenceTests {
    /// Regression: a freed array's segment was kept for reuse even when a reference to it had been taken, so
    /// the stale reference still resolved, and once an array of the same size was made it read that array's
    /// elements. A segment whose reference was taken is now freed with its array: the stale reference is
    /// refused in the owner and in the workers, small (a map of 1,000 values) or large (8 MiB).
    func testStaleReferenceToAFreedArrayOfARecycledSizeIsRefusedAfterTheSizeIsMadeAgain() throws {
        SharedArrayMemory.releaseCachedSegments()
        defer { SharedArrayMemory.releaseCachedSegments() }
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        for n in [1000, 1 << 20] {
            let source = try SharedArray<Double>.arange(n, on: pool)
            var array: SharedArray<Double>? = try source.map(.scale(2))
            let stale = try array!.reference()
            XCTAssertEqual(try pool.starmap(ReferencedRangeSum.self, over: [(stale, 0..<10)]), [90])
            array = nil
            let newcomer = try source.map(.offset(1))  // same size: would take a kept segment
            XCTAssertEqual(newcomer[9], 10)
            XCTAssertThrowsError(try stale.toArray(), "n \(n)") { XCTAssertTrue("\($0)".contains("no live segment"), "\($0)") }
            XCTAssertThrowsError(try pool.starmap(ReferencedRangeSum.self, over: [(stale, 0..<10)]), "n \(n)") {
                XCTAssertTrue("\($0)".contains("no live segment"), "\($0)")
            }
        }
    }
}
