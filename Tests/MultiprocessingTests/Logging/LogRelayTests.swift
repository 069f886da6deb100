#if canImport(Glibc)
import Glibc
#endif
import Logging
import Multiprocessing
import XCTest

/// Collects forwarded records in memory.
final class CollectingHandlerStore: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var records: [(label: String, level: Logger.Level, message: String, pid: String)] = []
    init() { pthread_mutex_init(&mutex, nil) }
    func append(_ r: (String, Logger.Level, String, String)) {
        pthread_mutex_lock(&mutex)
        records.append(r)
        pthread_mutex_unlock(&mutex)
    }
    var all: [(label: String, level: Logger.Level, message: String, pid: String)] {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return records
    }
}

struct CollectingHandler: LogHandler {
    let label: String
    let store: CollectingHandlerStore
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        store.append((label, event.level, event.message.description, event.metadata?["pid"]?.description ?? "?"))
    }
}

final class LogRelayTests: XCTestCase {
    /// Regression (CI, notebook 10): children forked while the relay's thread is busy forwarding records
    /// must not inherit a runtime lock that thread held; every one of them logs and ends.
    func testChildrenForkedWhileTheRelayIsBusyNeitherHangNorLoseRecords() throws {
        let store = CollectingHandlerStore()
        let relay = try LogRelay { CollectingHandler(label: $0, store: store) }
        let stop = try Event()
        let flood = Process(name: "flood") {
            let log = Logger(label: "flood", factory: relay.makeHandler)
            var i = 0
            while !stop.isSet { log.info("flood \(i)", metadata: ["i": "\(i)"]); i += 1 }
        }
        try flood.start()
        var children: [Multiprocessing.Process] = []
        for c in 0..<24 {
            let p = Process(name: "late-\(c)") {
                let log = Logger(label: "late-\(c)", factory: relay.makeHandler)
                log.warning("child \(c) here", metadata: ["c": "\(c)"])
            }
            try p.start()
            children.append(p)
        }
        for (c, p) in children.enumerated() {
            XCTAssertTrue(try p.join(timeout: .seconds(30)), "child \(c) (pid \(p.pid ?? -1)) hung after the fork")
            XCTAssertEqual(p.exitCode, 0)
        }
        stop.set()
        XCTAssertTrue(try flood.join(timeout: .seconds(30)))
        relay.flush()
        let late = store.all.filter { $0.label.hasPrefix("late-") }
        XCTAssertEqual(late.count, 24)
        relay.shutdown()
    }

    func testRecordsFromChildrenArriveTaggedWithPidAndNoneAreLost() throws {
        let store = CollectingHandlerStore()
        let relay = try LogRelay { CollectingHandler(label: $0, store: store) }
        var children: [Multiprocessing.Process] = []
        // Fork every child before any of them logs: forking while the relay's thread is busy in the Swift
        // runtime could leave a child waiting on a lock that thread held (see DESIGN.md on fork safety).
        let go = try Event()
        for c in 0..<3 {
            let p = Process(name: "logger-\(c)") {
                go.wait()
                var log = Logger(label: "child", factory: relay.makeHandler)
                log.logLevel = .debug
                for i in 0..<500 { log.info("record \(i) from \(c)", metadata: ["child": "\(c)"]) }
                log.debug("bye")
                log.trace("filtered out")
            }
            try p.start()
            children.append(p)
        }
        go.set()
        for p in children {
            let ended = try p.join(timeout: .seconds(60))
            if !ended { p.kill() }
            XCTAssertTrue(ended, "child \(p.pid!) did not finish")
        }
        relay.shutdown()
        let records = store.all
        XCTAssertEqual(records.count, 3 * 501)
        let pids = Set(children.map { String($0.pid!) })
        XCTAssertEqual(Set(records.map(\.pid)), pids)
        for pid in pids {
            let messages = records.filter { $0.pid == pid }.map(\.message)
            XCTAssertEqual(messages.count, 501)
            XCTAssertEqual(messages.last, "bye")
            // Each child's records stay in order.
            let numbers = messages.dropLast().compactMap { Int($0.split(separator: " ")[1]) }
            XCTAssertEqual(numbers, Array(0..<500))
        }
        XCTAssertEqual(relay.forwardedCount, 3 * 501)
    }
}
