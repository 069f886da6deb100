#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// Writes `item * 10` as a payload of `item` bytes; kills its worker (SIGKILL) on item `fatal`, fails
/// item `failing` with a message.
struct PayloadJob: WorkerJob {
    var items: ItemTableReference
    var fatal: Int
    var failing: Int

    static func run(_ job: PayloadJob, chunk: Int, context: WorkerContext) throws {
        let table = try job.items.open(in: context)
        table.forEachItem(inChunk: chunk) { item in
            table.begin(item)
            if item == job.fatal { kill(getpid(), SIGKILL) }
            if item == job.failing {
                table.fail(item, message: "item \(item) is bad")
                return
            }
            let bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: item * 10), count: item)
            bytes.withUnsafeBytes { _ = table.complete(item, payload: $0, flags: UInt8(item % 2)) }
        }
        table.finishChunk(chunk)
    }
}

final class ItemTableTests: XCTestCase {
    func testDeadWorkerLosesOnlyItsItemAndOverflowingPayloadsRunAgainWithMoreRoom() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        // 300 items of 0..<300 bytes: about 45 KB of payloads through a 1 KB arena.
        let table = try ItemTable(count: 300, arenaBytes: 1024)
        var done: [Int: [UInt8]] = [:]
        var failed: [Int: String] = [:]
        var lost: [Int: WorkerPoolError] = [:]
        try pool.runItems(
            table, chunkSize: { _ in 7 }, job: { PayloadJob(items: $0, fatal: 123, failing: 200) },
            settled: { item, record in
                XCTAssertNil(done[item] ?? failed[item].map { Array($0.utf8) }, "item \(item) reported twice")
                switch record.state {
                case .done:
                    XCTAssertEqual(record.flags, UInt8(item % 2))
                    done[item] = table.withPayload(of: item) { Array($0) }
                case .failed: failed[item] = table.message(of: item)
                default: XCTFail("item \(item): \(record.state)")
                }
            },
            lost: { item, record, cause in
                XCTAssertEqual(record.state, .running)
                lost[item] = cause
            })
        XCTAssertEqual(Set(lost.keys), [123])
        XCTAssertEqual(lost[123]?.code, .workerDied)
        XCTAssertEqual(lost[123]?.signal, SIGKILL)
        XCTAssertNotNil(lost[123]?.pid)
        XCTAssertEqual(failed, [200: "item 200 is bad"])
        XCTAssertEqual(done.count, 298)
        for (item, bytes) in done { XCTAssertEqual(bytes, [UInt8](repeating: UInt8(truncatingIfNeeded: item * 10), count: item)) }
        XCTAssertGreaterThan(table.arenaCapacity, 1024, "the arena grew")
        XCTAssertEqual(pool.workerPIDs.count, 2)
    }

    func testSelectedItemsOnlyAndAnEmptySelection() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let table = try ItemTable(count: 50, arenaBytes: 1 << 16)
        var seen: [Int] = []
        try pool.runItems(
            table, items: [3, 49, 0, 17], chunkSize: { _ in 3 }, job: { PayloadJob(items: $0, fatal: -1, failing: -1) },
            settled: { item, _ in seen.append(item) }, lost: { item, _, _ in XCTFail("lost \(item)") })
        XCTAssertEqual(seen.sorted(), [0, 3, 17, 49])
        XCTAssertEqual(table.record(5).state, .pending)
        try pool.runItems(
            table, items: [], chunkSize: { _ in 3 }, job: { PayloadJob(items: $0, fatal: -1, failing: -1) },
            settled: { item, _ in XCTFail("settled \(item)") }, lost: { item, _, _ in XCTFail("lost \(item)") })
    }

    func testWorkerPoolErrorIsAStructWithACodeAndFields() throws {
        let error = WorkerPoolError(.workerDied, pid: 42, status: .signaled(SIGKILL), chunk: 3, chunkDescription: "task 7", job: "Square")
        XCTAssertEqual(error.code, .workerDied)
        XCTAssertEqual(error.signal, SIGKILL)
        XCTAssertEqual("\(error)", "worker pid 42 died with signal 9 (SIGKILL) while running Square on task 7; the pool replaced it")
        XCTAssertTrue(WorkerPoolError.Code.workerDied ~= error)
        XCTAssertFalse(WorkerPoolError.Code.shutDown ~= error)
        XCTAssertNotEqual(error.code, .chunkFailed)
    }
}
