import Multiprocessing
import XCTest

/// Hostile, truncated and corrupted input must end in a `CodecError`: never a trap, an out-of-bounds read,
/// unbounded recursion or an allocation sized by a number read from the input.
final class CodecMalformedInputTests: XCTestCase {
    typealias F = CodecFixtures

    private func assertCodecError<T: Decodable>(
        _ kind: CodecError.Kind, decoding type: T.Type, from bytes: [UInt8],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try BinaryDecoder().decode(type, from: bytes), file: file, line: line) { error in
            guard let error = error as? CodecError else {
                return XCTFail("expected a CodecError, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        }
    }

    func testEveryTruncationOfAValidFrameThrows() throws {
        let frame = try BinaryEncoder().encode(F.sampleRecord())
        XCTAssertGreaterThan(frame.count, 200)
        for length in 0..<frame.count {
            XCTAssertThrowsError(try BinaryDecoder().decode(F.Record.self, from: Array(frame[..<length]))) { error in
                XCTAssertTrue(error is CodecError, "prefix \(length): \(error)")
            }
        }
        // Truncated payloads behind an honest header: the value parser itself must notice.
        let payload = CodecBytes.payload(of: frame)
        for length in 0..<payload.count {
            let truncated = CodecBytes.frame(Array(payload[..<length]))
            XCTAssertThrowsError(try BinaryDecoder().decode(F.Record.self, from: truncated)) { error in
                XCTAssertTrue(error is CodecError, "payload prefix \(length): \(error)")
            }
        }
    }

    func testRandomBuffersNeverCrash() {
        var random = CodecTestRandom(seed: 0x5EED_C0DE)
        for round in 0..<4000 {
            let length = Int.random(in: 0...160, using: &random)
            var body = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            if round % 2 == 0 {
                // Most random bytes fail the header check; half the rounds get past it.
                body = CodecBytes.frame(body)
            } else if round % 4 == 1 {
                // Random bytes biased towards valid tags, so the value parser is exercised in depth.
                body = CodecBytes.frame(body.map { $0 % 17 })
            }
            assertDecodesOrThrowsCodecError(F.Record.self, body)
            assertDecodesOrThrowsCodecError([String: [Int]].self, body)
            assertDecodesOrThrowsCodecError([F.Shape].self, body)
            assertDecodesOrThrowsCodecError(Int??.self, body)
            assertDecodesOrThrowsCodecError([Double].self, body)
            assertDecodesOrThrowsCodecError(F.ListTree.self, body)
            assertDecodesOrThrowsCodecError(String.self, body)
        }
    }

    func testFlippedBytesNeverCrash() throws {
        let frame = try BinaryEncoder().encode(F.sampleRecord())
        for position in frame.indices {
            for mask: UInt8 in [0x01, 0x02, 0x10, 0x40, 0x80, 0xFF] {
                var corrupted = frame
                corrupted[position] ^= mask
                assertDecodesOrThrowsCodecError(F.Record.self, corrupted)
            }
        }
        var random = CodecTestRandom(seed: 42)
        for _ in 0..<2000 {
            var corrupted = frame
            for _ in 0..<Int.random(in: 2...6, using: &random) {
                corrupted[Int.random(in: 3..<frame.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            assertDecodesOrThrowsCodecError(F.Record.self, corrupted)
            assertDecodesOrThrowsCodecError([String: String].self, corrupted)
        }
    }

    func testSplicedPayloadsBehindHonestHeadersNeverCrash() throws {
        // Bytes inserted, deleted or duplicated inside the payload, re-framed so the header and the root
        // container's length agree: the damage sits inside, where only the nested parsing can catch it.
        let payload = CodecBytes.payload(of: try BinaryEncoder().encode(F.sampleRecord()))
        var random = CodecTestRandom(seed: 7)
        for round in 0..<3000 {
            var spliced = payload
            let position = Int.random(in: 0..<spliced.count, using: &random)
            switch round % 3 {
            case 0: spliced.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 1: spliced.remove(at: position)
            default:
                let end = min(spliced.count, position + Int.random(in: 1...12, using: &random))
                spliced.insert(contentsOf: spliced[position..<end], at: Int.random(in: 0..<spliced.count, using: &random))
            }
            let frame = CodecBytes.frame(CodecBytes.refitRootLength(spliced))
            assertDecodesOrThrowsCodecError(F.Record.self, frame)
            assertDecodesOrThrowsCodecError([String: [String: Int]].self, frame)
        }
    }

    func testHugeClaimedCountsThrowQuicklyWithoutAllocating() {
        let huge = CodecBytes.varint(1 << 60)
        let start = ContinuousClock.now
        // Counts larger than the bytes that follow them, for every kind of container.
        assertCodecError(.truncated, decoding: [Int].self, from: CodecBytes.frame([0x08] + huge + [0]))
        assertCodecError(.truncated, decoding: [[Int]].self, from: CodecBytes.frame([0x08] + huge + huge + [1, 2]))
        assertCodecError(.truncated, decoding: [Int].self, from: CodecBytes.frame([0x0C] + huge + huge))
        assertCodecError(.truncated, decoding: [Double].self, from: CodecBytes.frame([0x0F] + huge + [0, 0]))
        assertCodecError(.truncated, decoding: [Float].self, from: CodecBytes.frame([0x0E] + huge))
        assertCodecError(.truncated, decoding: [UInt8].self, from: CodecBytes.frame([0x0B] + huge + [1]))
        assertCodecError(.truncated, decoding: [String: Int].self, from: CodecBytes.frame([0x09] + huge + huge))
        assertCodecError(.truncated, decoding: String.self, from: CodecBytes.frame([0x07] + huge + [0x61]))
        // Byte lengths larger than what follows, and counts that cannot fit in the declared byte length.
        assertCodecError(.truncated, decoding: [Int].self, from: CodecBytes.frame([0x08, 0x01] + huge + [0x04, 0]))
        assertCodecError(.malformed, decoding: [Int].self, from: CodecBytes.frame([0x08, 0x05, 0x00, 0, 0, 0, 0, 0]))
        assertCodecError(.malformed, decoding: [String: Int].self, from: CodecBytes.frame([0x09, 0x03, 0x04, 1, 0x61, 0x04, 0]))
        // A 2^60-element run inside an otherwise valid frame.
        let nested = [0x0F] + huge
        assertCodecError(.truncated, decoding: [[Double]].self, from: CodecBytes.frame([0x08, 0x01, UInt8(nested.count)] + nested))
        // A header claiming a 2^62-byte payload.
        assertCodecError(.truncated, decoding: Int.self, from: [0xCB, 1] + CodecBytes.varint(1 << 62) + [0x04, 0])
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
    }

    func testDeepNestingIsRefusedAtTheLimit() throws {
        XCTAssertThrowsError(try BinaryEncoder().encode(F.Chain.depth(1000))) { error in
            XCTAssertEqual((error as? CodecError)?.kind, .tooDeep, "\(error)")
        }
        // 100,000 nested unkeyed containers, decoded recursively: stops at the limit instead of the stack's end.
        let levels = 100_000
        var sizes = [3]
        for _ in 0..<levels { sizes.append(2 + CodecBytes.varint(UInt64(sizes.last!)).count + sizes.last!) }
        var payload: [UInt8] = []
        payload.reserveCapacity(sizes.last!)
        for level in stride(from: levels, to: 0, by: -1) {
            payload += [0x08, 0x01] + CodecBytes.varint(UInt64(sizes[level - 1]))
        }
        payload += [0x08, 0x00, 0x00]
        XCTAssertEqual(payload.count, sizes.last!)
        assertCodecError(.tooDeep, decoding: F.ListTree.self, from: CodecBytes.frame(payload))
        // 100,000 optional wrappers around a nil.
        let wrappers = CodecBytes.frame([UInt8](repeating: 0x0A, count: 100_000) + [0x00])
        assertCodecError(.tooDeep, decoding: Int??.self, from: wrappers)
        // Within the limit the same shape decodes.
        let shallow = CodecBytes.frame(Array(payload.suffix(sizes[100])))
        var tree = try BinaryDecoder().decode(F.ListTree.self, from: shallow)
        var depth = 0
        while let child = tree.children.first {
            tree = child
            depth += 1
        }
        XCTAssertEqual(depth, 100)
        var strict = BinaryDecoder()
        strict.maximumDepth = 50
        XCTAssertThrowsError(try strict.decode(F.ListTree.self, from: shallow))
    }

    func testForeignAndDamagedHeadersAreRecognized() throws {
        let good = try BinaryEncoder().encode(12)
        assertCodecError(.truncated, decoding: Int.self, from: [])
        assertCodecError(.notAFrame, decoding: Int.self, from: [0x80, 1, 2, 0x04, 0x18])
        assertCodecError(.notAFrame, decoding: Int.self, from: Array("{\"json\": true}".utf8))
        assertCodecError(.truncated, decoding: Int.self, from: [0xCB])
        assertCodecError(.unsupportedVersion, decoding: Int.self, from: [0xCB, 2, 2, 0x04, 0x18])
        assertCodecError(.malformed, decoding: Int.self, from: [0xCB, 1, 0])
        assertCodecError(.outOfRange, decoding: Int.self, from: [0xCB, 1] + [UInt8](repeating: 0xFF, count: 11))
        assertCodecError(.malformed, decoding: Int.self, from: good + [0])
        assertCodecError(.malformed, decoding: Int.self, from: CodecBytes.frame([0x04, 0x18, 0x00]))
        assertCodecError(.malformed, decoding: Int.self, from: CodecBytes.frame([0x20]))
        assertCodecError(.malformed, decoding: Int.self, from: CodecBytes.frame([0xFF]))
    }

    func testWrongTypesAndRangesNameWhatAndWhere() throws {
        let encoder = BinaryEncoder()
        assertCodecError(.typeMismatch, decoding: Int.self, from: try encoder.encode("12"))
        assertCodecError(.typeMismatch, decoding: String.self, from: try encoder.encode(12))
        assertCodecError(.typeMismatch, decoding: [Int].self, from: try encoder.encode(12))
        assertCodecError(.typeMismatch, decoding: Bool.self, from: try encoder.encode(1))
        assertCodecError(.typeMismatch, decoding: Float.self, from: try encoder.encode(1.0))
        assertCodecError(.typeMismatch, decoding: Double.self, from: try encoder.encode(1))
        assertCodecError(.outOfRange, decoding: UInt8.self, from: try encoder.encode(300))
        assertCodecError(.outOfRange, decoding: UInt.self, from: try encoder.encode(-1))
        assertCodecError(.outOfRange, decoding: Int.self, from: try encoder.encode(UInt64.max))
        assertCodecError(.outOfRange, decoding: Int8.self, from: try encoder.encode(Int64.min))
        assertCodecError(.outOfRange, decoding: Int64.self, from: try encoder.encode(Int128(Int64.max) + 1))
        assertCodecError(.valueNotFound, decoding: Int.self, from: try encoder.encode(Int?.none))
        assertCodecError(.keyNotFound, decoding: F.Record.self, from: try encoder.encode(["name": "x"]))
        assertCodecError(.dataCorrupted, decoding: F.Level.self, from: try encoder.encode("medium"))
        assertCodecError(.typeMismatch, decoding: F.Shape.self, from: try encoder.encode(["point": [String: Int](), "circle": [:]]))

        struct Inner: Codable { var name: String }
        struct Outer: Codable { var items: [Inner] }
        struct WrongInner: Codable { var name: Int }
        struct WrongOuter: Codable { var items: [WrongInner] }
        let bytes = try encoder.encode(Outer(items: [Inner(name: "a"), Inner(name: "b")]))
        XCTAssertThrowsError(try BinaryDecoder().decode(WrongOuter.self, from: bytes)) { error in
            guard let error = error as? CodecError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .typeMismatch)
            XCTAssertEqual(error.codingPath, ["items", "[0]", "name"])
            XCTAssertEqual(error.expected, "Int")
            XCTAssertEqual(error.found, "string")
            XCTAssertEqual(error.offset.map { bytes[$0] }, 0x07, "the offset points at the string's tag")
            XCTAssertTrue(error.description.contains("items[0].name"), error.description)
            XCTAssertTrue(error.description.contains("at byte"), error.description)
        }
    }

    func testOverlongVarintsAndBadUTF8AreRejected() {
        // Eleven bytes, and ten bytes whose last carries more than bit 63.
        let eleven = [UInt8](repeating: 0x80, count: 10) + [0x01]
        assertCodecError(.outOfRange, decoding: Int.self, from: CodecBytes.frame([0x04] + eleven))
        let tenTooWide = [UInt8](repeating: 0xFF, count: 9) + [0x02]
        assertCodecError(.outOfRange, decoding: UInt64.self, from: CodecBytes.frame([0x03] + tenTooWide))
        let twenty = [UInt8](repeating: 0xFF, count: 19) + [0x01]
        assertCodecError(.outOfRange, decoding: UInt128.self, from: CodecBytes.frame([0x03] + twenty))
        // Varints still open at the end of their container.
        assertCodecError(.truncated, decoding: Int.self, from: CodecBytes.frame([0x04, 0x80]))
        assertCodecError(.truncated, decoding: [Int].self, from: CodecBytes.frame([0x0C, 0x02, 0x02, 0x01, 0x80]))
        // Invalid UTF-8 in a string and in a key.
        assertCodecError(.invalidUTF8, decoding: String.self, from: CodecBytes.frame([0x07, 0x02, 0xC3, 0x28]))
        assertCodecError(.invalidUTF8, decoding: String.self, from: CodecBytes.frame([0x07, 0x01, 0xFF]))
        assertCodecError(
            .invalidUTF8, decoding: [String: Int].self,
            from: CodecBytes.frame([0x09, 0x01, 0x04, 0x01, 0xFF, 0x04, 0x00]))
        // A keyed container whose entries do not fill its declared length.
        assertCodecError(
            .malformed, decoding: [String: Int].self,
            from: CodecBytes.frame([0x09, 0x01, 0x05, 0x01, 0x61, 0x04, 0x00, 0x00]))
    }
}
