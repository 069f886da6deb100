#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

struct WorkItem: Codable, Sendable, Equatable {
    var id: Int
    var payload: String
}

final class QueueTests: XCTestCase {
    /// The classic producer/consumer: producers put work, consumers process it and mark it done, the
    /// main process joins the queue, then stops the consumers with a sentinel.
    func testProducerConsumerWithJoinableQueue() throws {
        let tasks = try JoinableQueue<WorkItem?>(maxSize: 16)
        let results = try Queue<Int>()
        let producers = (0..<2).map { p in
            Multiprocessing.Process(name: "producer-\(p)") {
                for i in 0..<250 { try tasks.put(WorkItem(id: p * 1000 + i, payload: String(repeating: "x", count: i % 40))) }
            }
        }
        let consumers = (0..<3).map { c in
            Multiprocessing.Process(name: "consumer-\(c)") {
                while let item = try tasks.get() {
                    try results.put(item.id * 2 + item.payload.count * 0)
                    try tasks.taskDone()
                }
                try tasks.taskDone()
            }
        }
        for p in producers + consumers { try p.start() }
        for p in producers { XCTAssertTrue(try p.join(timeout: .seconds(60))) }
        XCTAssertTrue(try tasks.join(timeout: .seconds(60)), "every item marked done")
        XCTAssertEqual(tasks.unfinishedTasks, 0)
        for _ in consumers { try tasks.put(nil) }
        for c in consumers {
            XCTAssertTrue(try c.join(timeout: .seconds(60)))
            XCTAssertEqual(c.exitStatus, .exited(0))
        }
        var got: [Int] = []
        while let value = try? results.getNoWait() { got.append(value) }
        XCTAssertEqual(got.sorted(), ((0..<250).map { $0 * 2 } + (0..<250).map { (1000 + $0) * 2 }).sorted())
        XCTAssertTrue(try tasks.join(timeout: .seconds(5)))
        XCTAssertThrowsError(try tasks.taskDone()) { XCTAssertEqual($0 as? QueueError, .taskDoneTooManyTimes) }
    }

    func testBoundedQueueTimeoutsOrderAndWrapAround() throws {
        let queue = try Queue<String>(maxSize: 3, byteCapacity: 256)
        XCTAssertThrowsError(try queue.get(timeout: .milliseconds(20))) { XCTAssertEqual($0 as? QueueError, .empty) }
        for s in ["a", "bb", "ccc"] { try queue.put(s) }
        XCTAssertTrue(queue.isFull)
        XCTAssertThrowsError(try queue.putNoWait("d")) { XCTAssertEqual($0 as? QueueError, .full) }
        XCTAssertEqual(try queue.get(), "a")
        // Many rounds through a small ring: records wrap around its end.
        for round in 0..<500 {
            let text = String(repeating: "z", count: round % 50)
            try queue.put(text)
            XCTAssertEqual(try queue.get(), round == 0 ? "bb" : (round == 1 ? "ccc" : String(repeating: "z", count: (round - 2) % 50)))
        }
        XCTAssertThrowsError(try queue.put(String(repeating: "q", count: 300))) {
            guard case .itemTooLarge = $0 as? QueueError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Queue<Int>(maxSize: 0))
    }

    func testBlockedPutResumesWhenAnotherProcessGets() throws {
        let queue = try SimpleQueue<Int>(maxSize: 1)
        try queue.put(1)
        let getter = Multiprocessing.Process {
            usleep(100_000)
            guard try queue.get() == 1 else { throw QueueError.empty }
        }
        try getter.start()
        try queue.put(2, timeout: .seconds(30))
        try getter.join()
        XCTAssertEqual(getter.exitStatus, .exited(0))
        XCTAssertEqual(try queue.get(), 2)
    }
}
