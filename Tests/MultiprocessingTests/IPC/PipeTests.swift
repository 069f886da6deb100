#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

final class PipeTests: XCTestCase {
    func testDuplexPipeCarriesBytesAndCodableValuesBetweenProcesses() throws {
        let (parentEnd, childEnd) = try Multiprocessing.Pipe.open()
        let child = Process(name: "echo") {
            parentEnd.close()
            while let request = try? childEnd.receive([String: Int].self) {
                try childEnd.send(request.mapValues { $0 * 2 })
            }
        }
        try child.start()
        childEnd.close()
        XCTAssertFalse(parentEnd.poll(timeout: .zero))
        try parentEnd.send(["a": 1, "b": 21])
        XCTAssertTrue(parentEnd.poll(timeout: .seconds(10)))
        XCTAssertEqual(try parentEnd.receive([String: Int].self), ["a": 2, "b": 42])
        parentEnd.close()
        try child.join(timeout: .seconds(10))
        XCTAssertEqual(child.exitStatus, .exited(0))
    }

    func testOneWayPipeClosedPeerAndBadFrames() throws {
        let (reader, writer) = try Multiprocessing.Pipe.open(duplex: false)
        XCTAssertThrowsError(try reader.sendBytes([1]))
        XCTAssertThrowsError(try writer.receiveBytes())
        try writer.sendBytes([1, 2, 3])
        XCTAssertEqual(try reader.receiveBytes(), [1, 2, 3])
        try writer.send("not an int")
        XCTAssertThrowsError(try reader.receive(Int.self))
        reader.maximumMessageBytes = 16
        try writer.sendBytes([UInt8](repeating: 7, count: 100))
        XCTAssertThrowsError(try reader.receiveBytes()) {
            XCTAssertEqual($0 as? ConnectionError, .messageTooLarge(length: 100, limit: 16))
        }
        writer.close()
        let (a, b) = try Multiprocessing.Pipe.open()
        b.close()
        XCTAssertThrowsError(try a.receiveBytes()) { XCTAssertEqual($0 as? ConnectionError, .closed) }
        XCTAssertThrowsError(try a.sendBytes([1])) { XCTAssertEqual($0 as? ConnectionError, .closed) }
    }
}
