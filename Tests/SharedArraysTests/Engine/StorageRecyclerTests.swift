import Multiprocessing
import XCTest
@testable import SharedArrays

final class StorageRecyclerTests: XCTestCase {
    /// Freed small segments are kept (at most 16) and handed out again for the same size, so a small map
    /// repeated in a loop neither makes a segment nor faults its pages in; large ones keep their own limit,
    /// and a segment whose reference was taken is never kept.
    func testSmallSegmentsAreReusedWithinTheirOwnLimit() throws {
        SharedArrayMemory.releaseCachedSegments()
        defer { SharedArrayMemory.releaseCachedSegments() }
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>(testValues(1000, seed: 2), on: pool)
        var address: UnsafeMutableRawPointer?
        do { address = try x.map(.abs).storage.memory.base }
        let again = try x.map(.negate)
        XCTAssertEqual(again.storage.memory.base, address, "the freed 8000-byte segment is reused")
        XCTAssertEqual(again.toArray(), x.toArray().map { -$0 })
        do { _ = try x.map(.abs).segmentReference }  // taken, then the array is freed
        XCTAssertNil(StorageRecycler.take(byteCount: 8000), "a segment whose reference was taken is freed")
        // Twenty small segments of distinct sizes and two large ones: the 16 newest small ones and both
        // large ones stay.
        do {
            let small = try (1...20).map { try SharedMemory(byteCount: $0 * 4096) }
            let large = try (1...2).map { try SharedMemory(byteCount: StorageRecycler.smallBytes * $0) }
            for m in small + large { StorageRecycler.giveBack(m) }
        }
        XCTAssertNil(StorageRecycler.take(byteCount: 4096), "the oldest small ones are freed")
        XCTAssertNil(StorageRecycler.take(byteCount: 4 * 4096))
        XCTAssertNotNil(StorageRecycler.take(byteCount: 5 * 4096))
        XCTAssertNotNil(StorageRecycler.take(byteCount: 20 * 4096))
        XCTAssertNotNil(StorageRecycler.take(byteCount: StorageRecycler.smallBytes))
        XCTAssertNotNil(StorageRecycler.take(byteCount: 2 * StorageRecycler.smallBytes))
    }
}
