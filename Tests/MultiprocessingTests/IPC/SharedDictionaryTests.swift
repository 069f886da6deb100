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
}
