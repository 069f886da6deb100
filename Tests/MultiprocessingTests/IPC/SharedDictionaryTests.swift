#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class SharedDictionaryTests: XCTestCase {
    func testProcessesReadAndWriteOneDictionary() throws {
        let dictionary = try SharedDictionary<[Int]>()
        try dictionary.setValue([0], forKey: "parent")
        let children = (0..<4).map { c in
            Multiprocessing.Process {
                for i in 0..<50 {
                    try dictionary.setValue([c, i], forKey: "child-\(c)")
                    try dictionary.update("total") { value in value = [(value?.first ?? 0) + 1] }
                }
            }
        }
        for p in children { try p.start() }
        for p in children {
            XCTAssertTrue(try p.join(timeout: .seconds(60)))
            XCTAssertEqual(p.exitStatus, .exited(0))
        }
        let all = try dictionary.snapshot()
        XCTAssertEqual(all["total"], [200], "updates are atomic across processes")
        for c in 0..<4 { XCTAssertEqual(all["child-\(c)"], [c, 49]) }
        XCTAssertEqual(try dictionary.value(forKey: "parent"), [0])
        XCTAssertEqual(try dictionary.removeValue(forKey: "parent"), [0])
        XCTAssertNil(try dictionary.value(forKey: "parent"))
        XCTAssertEqual(dictionary.count, 5)
    }

    func testCapacityIsAClearError() throws {
        let small = try SharedDictionary<String>(byteCapacity: 128)
        XCTAssertThrowsError(try small.setValue(String(repeating: "x", count: 500), forKey: "big")) {
            guard case .tooLarge = $0 as? SharedDictionaryError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try small.snapshot(), [:], "a failed write changes nothing")
    }

    func testManyEntriesEachReadBackAndCounted() throws {
        // The old dictionary re-encoded everything per write (quadratic); entries are now stored one by one.
        let dictionary = try SharedDictionary<Int>(byteCapacity: 8 << 20)
        for i in 0..<20_000 { try dictionary.setValue(i * 3, forKey: "key-\(i)") }
        XCTAssertEqual(dictionary.count, 20_000)
        for i in stride(from: 0, to: 20_000, by: 7) { XCTAssertEqual(try dictionary.value(forKey: "key-\(i)"), i * 3) }
        for i in stride(from: 0, to: 20_000, by: 2) { try dictionary.setValue(nil, forKey: "key-\(i)") }
        XCTAssertEqual(dictionary.count, 10_000)
        let all = try dictionary.snapshot()
        XCTAssertEqual(all.count, 10_000)
        XCTAssertEqual(all["key-19999"], 59_997)
        XCTAssertNil(all["key-0"])
        XCTAssertEqual(try dictionary.value(forKey: ""), nil, "the empty key is a key like any other")
        try dictionary.setValue(-1, forKey: "")
        XCTAssertEqual(try dictionary.value(forKey: ""), -1)
    }

    func testReplacedAndRemovedEntriesSpaceIsReused() throws {
        let dictionary = try SharedDictionary<String>(byteCapacity: 4096)
        for round in 0..<5_000 {
            try dictionary.setValue(String(repeating: "v", count: round % 40), forKey: "k\(round % 8)")
            if round % 3 == 0 { try dictionary.removeValue(forKey: "k\((round + 1) % 8)") }
        }
        XCTAssertLessThanOrEqual(dictionary.bytesUsed, 4096)
        XCTAssertEqual(try dictionary.snapshot().count, dictionary.count)
    }

    func testHostileCapacitiesAndTimeoutsAreClearErrors() throws {
        XCTAssertThrowsError(try SharedDictionary<Int>(byteCapacity: -1)) {
            XCTAssertEqual($0 as? SharedDictionaryError, .invalidCapacity(-1))
        }
        XCTAssertThrowsError(try SharedDictionary<Int>(byteCapacity: .max)) {
            XCTAssertEqual($0 as? SharedDictionaryError, .invalidCapacity(.max))
        }
        XCTAssertThrowsError(try SharedDictionary<Int>(byteCapacity: 1 << 60)) {
            XCTAssertTrue("\($0)".contains("not enough memory"), "\($0)")
        }
        XCTAssertThrowsError(try SharedDictionary<Int>(timeout: .seconds(-1))) {
            XCTAssertEqual(($0 as? SyncError)?.code, .invalidArgument)
        }
    }

    func testWriterKilledHoldingAStripeLockLeavesTheDictionaryUsable() throws {
        let dictionary = try SharedDictionary<[Int]>(timeout: .seconds(30))
        for i in 0..<100 { try dictionary.setValue([i], forKey: "k\(i)") }
        let inside = try SharedValue<Int32>(0, lock: false)
        let holder = Multiprocessing.Process {
            try dictionary.update("k7") { value in
                value = [-7]
                inside.atomicStore(1)
                while true { usleep(100_000) }
            }
        }
        try holder.start()
        let waitStart = ContinuousClock.now
        while inside.atomicLoad() == 0, ContinuousClock.now - waitStart < .seconds(30) { usleep(1000) }
        XCTAssertEqual(inside.atomicLoad(), 1, "the child entered update's body")
        holder.kill()
        XCTAssertTrue(try holder.join(timeout: .seconds(30)))
        XCTAssertEqual(holder.exitStatus, .signaled(SIGKILL))
        // The stripe is recovered by the next locker: the old value, the same count, and still writable.
        XCTAssertEqual(try dictionary.value(forKey: "k7"), [7])
        XCTAssertEqual(dictionary.count, 100)
        try dictionary.setValue([70], forKey: "k7")
        XCTAssertEqual(try dictionary.value(forKey: "k7"), [70])
        let all = try dictionary.snapshot()
        XCTAssertEqual(all.count, 100)
        for i in 0..<100 where i != 7 { XCTAssertEqual(all["k\(i)"], [i]) }
    }

    func testWritersKilledAtRandomMomentsLeaveEveryKeyConsistent() throws {
        let dictionary = try SharedDictionary<[Int]>(byteCapacity: 1 << 20, timeout: .seconds(30))
        var generator = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let writers = (0..<2).map { w in
                Multiprocessing.Process {
                    var i = 0
                    while true {
                        let k = (i &* 7 &+ w) % 150
                        switch i % 4 {
                        case 0: try dictionary.removeValue(forKey: "k\(k)")
                        case 1: try dictionary.update("k\(k)") { $0 = [k, round, i, w] }
                        default: try dictionary.setValue([k] + Array(repeating: i, count: i % 9), forKey: "k\(k)")
                        }
                        i += 1
                    }
                }
            }
            for p in writers { try p.start() }
            usleep(UInt32.random(in: 5_000...40_000, using: &generator))
            for p in writers { p.kill() }
            for p in writers { XCTAssertTrue(try p.join(timeout: .seconds(30))) }
            let all = try dictionary.snapshot()
            XCTAssertEqual(all.count, dictionary.count, "round \(round): the counts were repaired")
            for (key, value) in all {
                XCTAssertEqual("k\(value.first ?? -1)", key, "round \(round): every value is one written for its key")
                XCTAssertEqual(try dictionary.value(forKey: key), value)
            }
        }
        try dictionary.setValue([1], forKey: "after")
        XCTAssertEqual(try dictionary.value(forKey: "after"), [1])
    }

    func testAStuckHolderMakesOtherCallsTimeOut() throws {
        let dictionary = try SharedDictionary<Int>(timeout: .milliseconds(200))
        let inside = try SharedValue<Int32>(0, lock: false)
        let holder = Multiprocessing.Process {
            try dictionary.update("busy") { value in
                value = 1
                inside.atomicStore(1)
                while true { usleep(100_000) }
            }
        }
        try holder.start()
        defer {
            holder.kill()
            _ = try? holder.join(timeout: .seconds(30))
        }
        let waitStart = ContinuousClock.now
        while inside.atomicLoad() == 0, ContinuousClock.now - waitStart < .seconds(30) { usleep(1000) }
        XCTAssertThrowsError(try dictionary.value(forKey: "busy")) {
            XCTAssertEqual(($0 as? SyncError)?.code, .timedOut, "\($0)")
        }
        XCTAssertThrowsError(try dictionary.snapshot()) { XCTAssertEqual(($0 as? SyncError)?.code, .timedOut) }
    }
}
