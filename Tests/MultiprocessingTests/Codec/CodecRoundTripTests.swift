import Multiprocessing
import XCTest

final class CodecRoundTripTests: XCTestCase {
    typealias F = CodecFixtures

    private func roundTrip<T: Codable>(_ value: T, file: StaticString = #filePath, line: UInt = #line) throws -> T {
        let bytes = try BinaryEncoder().encode(value)
        XCTAssertEqual(bytes.first, 0xCB, "frame starts with the magic byte", file: file, line: line)
        XCTAssertEqual(try BinaryDecoder.frameLength(in: bytes.withUnsafeBytes { $0 }), bytes.count)
        return try BinaryDecoder().decode(T.self, from: bytes)
    }

    private func assertRoundTrips<T: Codable & Equatable>(
        _ value: T, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(try roundTrip(value, file: file, line: line), value, file: file, line: line)
    }

    func testPrimitivesAtTheirLimitsRoundTrip() throws {
        try assertRoundTrips(F.Primitives())
        var low = F.Primitives()
        (low.int, low.int8, low.int16, low.int32, low.int64) = (.max, .max, .min, .max, .min)
        (low.uint, low.uint8, low.uint16, low.uint32, low.uint64) = (0, 0, 0, 0, 0)
        (low.bool, low.string) = (false, "")
        try assertRoundTrips(low)
        for value in [Int.min, -1, 0, 1, 63, 64, -64, -65, Int.max] { try assertRoundTrips(value) }
        for value in [UInt64.min, 127, 128, UInt64.max] { try assertRoundTrips(value) }
        try assertRoundTrips(Int128.min)
        try assertRoundTrips(Int128.max)
        try assertRoundTrips(UInt128.max)
        try assertRoundTrips([Int128(Int64.min) - 1, 0, Int128(UInt64.max) + 1])
        try assertRoundTrips(true)
        try assertRoundTrips("")
        try assertRoundTrips("a\u{0}b — 𝄞 e\u{301} 👩‍👩‍👧")
        try assertRoundTrips(String(repeating: "long string ", count: 1000))
    }

    func testFloatBitPatternsSurviveExactly() throws {
        let doubles: [Double] = [
            .nan, -.nan, Double(bitPattern: 0x7FF0_0000_0000_0001), Double(bitPattern: 0x7FF8_DEAD_BEEF_0001),
            .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .ulpOfOne,
        ]
        let floats: [Float] = [.nan, Float(bitPattern: 0x7FC0_1234), .infinity, -.infinity, -0.0, .leastNormalMagnitude]
        for value in doubles {
            XCTAssertEqual(try roundTrip(value).bitPattern, value.bitPattern)
            XCTAssertEqual(try roundTrip([value]).map(\.bitPattern), [value.bitPattern])
        }
        for value in floats {
            XCTAssertEqual(try roundTrip(value).bitPattern, value.bitPattern)
        }
        XCTAssertEqual(try roundTrip(doubles).map(\.bitPattern), doubles.map(\.bitPattern))
        XCTAssertEqual(try roundTrip(floats).map(\.bitPattern), floats.map(\.bitPattern))
        // Through the generic (non-fast) path as well.
        XCTAssertEqual(try roundTrip(ContiguousArray(doubles)).map(\.bitPattern), doubles.map(\.bitPattern))
        XCTAssertEqual(try roundTrip(ContiguousArray(floats)).map(\.bitPattern), floats.map(\.bitPattern))
    }

    func testNestedOptionalsKeepEveryLevel() throws {
        let values: [Int??] = [.none, .some(.none), .some(.some(5))]
        for value in values { try assertRoundTrips(value) }
        try assertRoundTrips(values)
        let triple: [Int???] = [.none, .some(.none), .some(.some(.none)), .some(.some(.some(-3)))]
        for value in triple { try assertRoundTrips(value) }
        try assertRoundTrips(triple)
        try assertRoundTrips(["a": Int??.some(nil), "b": nil, "c": 1])
        var record = F.sampleRecord()
        for maybe in values {
            record.maybe = maybe
            try assertRoundTrips(record)
        }
        try assertRoundTrips([String?.none, "x", nil])
        // A plain optional costs nothing over its value.
        XCTAssertEqual(try BinaryEncoder().encode(Int?.some(5)), try BinaryEncoder().encode(5))
    }

    func testCollectionsRoundTrip() throws {
        try assertRoundTrips([Int]())
        try assertRoundTrips([[Int]]([[], [1], [2, 3]]))
        try assertRoundTrips(Array(0..<1000).map { $0 * 7919 - 3_000_000 })
        try assertRoundTrips([Int.min, Int.max, 0])
        try assertRoundTrips(Array(0...255).map(UInt8.init))
        try assertRoundTrips([UInt8]())
        try assertRoundTrips(ContiguousArray<Int8>([-128, 0, 127]))
        try assertRoundTrips([UInt32.max, 0])
        try assertRoundTrips([true, false, true])
        try assertRoundTrips(["", "a", "ß"])
        try assertRoundTrips(Set(["x", "y", "z"]))
        try assertRoundTrips(["one": 1, "two": 2, "": 0])
        try assertRoundTrips([1: "one", -2: "minus two", Int.max: "max"])
        try assertRoundTrips(["outer": ["inner": 2.5], "empty": [:]] as [String: [String: Double]])
        try assertRoundTrips([1.5: "non-string keys go through an unkeyed container"])
        let big = Dictionary(uniqueKeysWithValues: (0..<5000).map { ("key\($0)", $0) })
        try assertRoundTrips(big)
    }

    func testPackedArraysDecodeThroughTheGenericPathToo() throws {
        let ints = try BinaryEncoder().encode([Int](-5..<5))
        XCTAssertEqual(try BinaryDecoder().decode([Int64].self, from: ints), (-5..<5).map(Int64.init))
        XCTAssertEqual(try BinaryDecoder().decode(ContiguousArray<Int>.self, from: ints), ContiguousArray(-5..<5))
        let bytes = try BinaryEncoder().encode([UInt8]([0, 200, 255]))
        XCTAssertEqual(try BinaryDecoder().decode([Int].self, from: bytes), [0, 200, 255])
        XCTAssertEqual(try BinaryDecoder().decode([UInt16].self, from: bytes), [0, 200, 255])
        let generic = try BinaryEncoder().encode(ContiguousArray<UInt8>([1, 2, 250]))
        XCTAssertEqual(try BinaryDecoder().decode([UInt8].self, from: generic), [1, 2, 250])
        let floats = try BinaryEncoder().encode([Float](repeating: 0.25, count: 3))
        XCTAssertEqual(try BinaryDecoder().decode([Double].self, from: floats), [0.25, 0.25, 0.25])
        XCTAssertThrowsError(try BinaryDecoder().decode([Int8].self, from: bytes)) { error in
            XCTAssertEqual((error as? CodecError)?.kind, .outOfRange, "\(error)")
        }
    }

    func testEnumsStructsAndCustomDecodersRoundTrip() throws {
        try assertRoundTrips(F.sampleRecord())
        let shapes: [F.Shape] = [
            .point, .circle(radius: 1), .rectangle(width: 2, height: 3), .labeled("x", 9),
            .group([.point, .group([], name: "inner")], name: "outer"),
        ]
        try assertRoundTrips(shapes)
        try assertRoundTrips([F.Level.low, .high])
        try assertRoundTrips([F.Code.ok, .failed])
        try assertRoundTrips([F.Versioned(number: 7), F.Versioned(text: "seven")])
        try assertRoundTrips([F.NullableNumber.null, .number(0), .number(-1), .null])
        try assertRoundTrips(F.Mixed(items: [.number(1), .word("two"), .number(3), .word("")]))
    }

    func testSubclassEncodesItsSuperclassThroughSuperEncoder() throws {
        let dog = F.Dog(name: "Rex", breed: "collie")
        let decoded = try roundTrip(dog)
        XCTAssertEqual(decoded.name, "Rex")
        XCTAssertEqual(decoded.legs, 4)
        XCTAssertEqual(decoded.breed, "collie")
        XCTAssertTrue(decoded.goodBoy)
    }

    func testSuperEncodersAreReleasedAfterEncoding() throws {
        let box = F.SuperEncoderProbe.Box()
        let bytes = try BinaryEncoder().encode(F.SuperEncoderProbe(box: box))
        XCTAssertNil(box.encoder, "the encoder tree must not keep itself alive through a super encoder")
        struct Decoded: Decodable {
            enum CodingKeys: CodingKey { case value }
            var value: Int
            var base: String
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                value = try container.decode(Int.self, forKey: .value)
                base = try String(from: container.superDecoder())
            }
        }
        let decoded = try BinaryDecoder().decode(Decoded.self, from: bytes)
        XCTAssertEqual(decoded.value, 1)
        XCTAssertEqual(decoded.base, "base")
    }

    func testCodingPathAndUserInfoReachNestedValues() throws {
        var encoder = BinaryEncoder()
        encoder.userInfo[F.PathProbe.userInfoKey] = "shared"
        let bytes = try encoder.encode(F.ProbeHolder(outer: ["k": [F.PathProbe()]]))
        var decoder = BinaryDecoder()
        decoder.userInfo[F.PathProbe.userInfoKey] = "shared"
        let probe = try XCTUnwrap(try decoder.decode(F.ProbeHolder.self, from: bytes).outer["k"]?.first)
        XCTAssertEqual(probe.seenPath, "outerk[0]")
        XCTAssertEqual(probe.seenInfo, "shared")
    }

    func testEncoderMisuseIsAnErrorNotATrap() {
        XCTAssertThrowsError(try BinaryEncoder().encode(CodecFixtures.Misbehaving())) { error in
            XCTAssertEqual((error as? CodecError)?.kind, .invalidUse, "\(error)")
        }
    }

    func testEncodingIsCompact() throws {
        let ints = try BinaryEncoder().encode([Int](0..<1000))
        XCTAssertLessThan(ints.count, 3000)
        XCTAssertLessThan(ints.count, 2000, "about two bytes per element below 8192")
        XCTAssertLessThan(try BinaryEncoder().encode([Int32](0..<1000)).count, 2000, "generic path packs too")
        XCTAssertEqual(try BinaryEncoder().encode([Double](repeating: 1, count: 1000)).count, 8000 + 7)
        XCTAssertEqual(try BinaryEncoder().encode([UInt8](repeating: 7, count: 1000)).count, 1000 + 7)
        XCTAssertEqual(try BinaryEncoder().encode(0).count, 5, "header 3 bytes, tag, one-byte varint")
    }

    func testFrameLengthSplitsConcatenatedFrames() throws {
        let first = try BinaryEncoder().encode("first")
        let second = try BinaryEncoder().encode([1, 2, 3])
        let stream = first + second
        try stream.withUnsafeBytes { buffer in
            let length = try XCTUnwrap(try BinaryDecoder.frameLength(in: buffer))
            XCTAssertEqual(length, first.count)
            XCTAssertEqual(try BinaryDecoder().decode(String.self, from: UnsafeRawBufferPointer(rebasing: buffer[..<length])), "first")
            let rest = UnsafeRawBufferPointer(rebasing: buffer[length...])
            XCTAssertEqual(try BinaryDecoder().decode([Int].self, from: rest), [1, 2, 3])
            XCTAssertNil(try BinaryDecoder.frameLength(in: UnsafeRawBufferPointer(rebasing: buffer[..<2])))
        }
        XCTAssertThrowsError(try BinaryDecoder().decode(String.self, from: stream)) { error in
            XCTAssertEqual((error as? CodecError)?.kind, .malformed, "\(error)")
        }
    }

    func testModerateNestingWithinTheLimitRoundTrips() throws {
        try assertRoundTrips(F.Chain.depth(200))
    }
}
