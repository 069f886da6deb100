import XCTest
@testable import MultiprocessingCore

/// A worker's error message travels through its slot of the control block: long HDF5 reasons arrive whole,
/// and one longer than the slot is cut at a word with "...", never inside a word or a UTF-8 character.
final class WorkerErrorMessageTests: XCTestCase {
    private func roundTrip(_ message: String) -> String {
        let base = UnsafeMutableRawPointer.allocate(byteCount: ControlBlock.slotSize, alignment: 64)
        defer { base.deallocate() }
        let slot = WorkerSlot(base: base)
        slot.setErrorMessage(message)
        return slot.errorMessage
    }

    func testAMessageOfSeveralHundredBytesArrivesWhole() {
        let message = "/data/archive/2026/station-0042/" + String(repeating: "very-long-directory-name/", count: 14)
            + "file.h5:/zstd: compressed with zstd (filter id 32015), which this HDF5 cannot decode"
        XCTAssertGreaterThan(message.utf8.count, 400)
        XCTAssertEqual(roundTrip(message), message)
    }

    func testALongerMessageIsCutAtAWord() {
        let words = (0..<400).map { "word\($0)" }.joined(separator: " ")
        let received = roundTrip(words)
        XCTAssertLessThan(received.utf8.count, ControlBlock.errorCapacity)
        XCTAssertTrue(received.hasSuffix(" ..."), received)
        let kept = received.dropLast(4)
        XCTAssertTrue(words.hasPrefix(kept + " "), "cut inside a word: \(kept.suffix(20))")
    }

    func testAMessageWithoutSpacesIsCutAtACharacter() {
        let received = roundTrip(String(repeating: "é", count: 1000))
        XCTAssertTrue(received.hasSuffix(" ..."))
        XCTAssertTrue(received.dropLast(4).allSatisfy { $0 == "é" }, "a character was split")
    }
}
