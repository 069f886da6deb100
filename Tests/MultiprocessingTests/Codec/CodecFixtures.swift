import Multiprocessing
import XCTest

/// Real Codable types for the codec tests, kept in one namespace so they cannot clash with other suites.
enum CodecFixtures {
    struct Primitives: Codable, Equatable {
        var bool = true
        var int = Int.min
        var int8 = Int8.min
        var int16 = Int16.max
        var int32 = Int32.min
        var int64 = Int64.max
        var uint = UInt.max
        var uint8 = UInt8.max
        var uint16 = UInt16.max
        var uint32 = UInt32.max
        var uint64 = UInt64.max
        var float: Float = -1.5
        var double = Double.pi
        var string = "héllo, 世界 🧪"
    }

    enum Shape: Codable, Equatable {
        case point
        case circle(radius: Double)
        case rectangle(width: Double, height: Double)
        case labeled(String, Int)
        indirect case group([Shape], name: String?)
    }

    enum Level: String, Codable { case low, high }
    enum Code: Int, Codable { case ok = 0, failed = 17 }

    struct Record: Codable, Equatable {
        var name: String
        var tags: [String]
        var scores: [String: Double]
        var byID: [Int: String]
        var shape: Shape?
        var level: Level
        var code: Code
        var maybe: Int??
        var children: [Record]
    }

    static func sampleRecord() -> Record {
        let child = Record(
            name: "child", tags: [], scores: [:], byID: [-1: "minus one"], shape: .point, level: .low, code: .ok,
            maybe: .some(nil), children: [])
        return Record(
            name: "root ✓", tags: ["a", "", "ünïcödé"], scores: ["x": 1.5, "y": -.infinity],
            byID: [1: "one", 1000: "thousand", Int.min: "min"],
            shape: .group([.circle(radius: 2), .rectangle(width: 3, height: 4), .labeled("l", -7)], name: nil),
            level: .high, code: .failed, maybe: .some(42), children: [child, child])
    }

    /// Superclass encoding through `superEncoder()` / `superDecoder()`, as classes are told to do.
    class Animal: Codable {
        var name: String
        var legs: Int
        init(name: String, legs: Int) {
            self.name = name
            self.legs = legs
        }
    }

    final class Dog: Animal {
        var breed: String
        var goodBoy: Bool

        init(name: String, breed: String) {
            self.breed = breed
            self.goodBoy = true
            super.init(name: name, legs: 4)
        }

        enum CodingKeys: String, CodingKey { case breed, goodBoy }

        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            breed = try container.decode(String.self, forKey: .breed)
            goodBoy = try container.decode(Bool.self, forKey: .goodBoy)
            try super.init(from: container.superDecoder())
        }

        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(breed, forKey: .breed)
            try container.encode(goodBoy, forKey: .goodBoy)
            try super.encode(to: container.superEncoder())
        }
    }

    /// Decodes its keys out of order and conditionally, and checks `contains`, `allKeys` and
    /// `decodeNil(forKey:)` on the way: what hand-written decoders of versioned messages do.
    struct Versioned: Codable, Equatable {
        enum Kind: String, Codable { case number, text }
        var kind: Kind
        var number: Int?
        var text: String?

        enum CodingKeys: String, CodingKey { case kind, number, text, note, missing }

        init(number: Int) {
            kind = .number
            self.number = number
        }

        init(text: String) {
            kind = .text
            self.text = text
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .kind)
            switch kind {
            case .number: try container.encode(number!, forKey: .number)
            case .text: try container.encode(text!, forKey: .text)
            }
            try container.encodeNil(forKey: .note)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            guard try container.decodeNil(forKey: .note), !container.contains(.missing),
                Set(container.allKeys.map(\.stringValue)).count == 3
            else {
                throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "keys"))
            }
            if container.contains(.text) {
                text = try container.decode(String.self, forKey: .text)
            }
            kind = try container.decode(Kind.self, forKey: .kind)
            if kind == .number {
                number = try container.decode(Int.self, forKey: .number)
            }
            XCTAssertNil(try container.decodeIfPresent(Int.self, forKey: .missing))
            XCTAssertNil(try container.decodeIfPresent(Int.self, forKey: .note))
        }
    }

    /// A value that is nil or a number through a single-value container: the decoder must tell nil from 0.
    enum NullableNumber: Codable, Equatable {
        case null
        case number(Int)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            self = container.decodeNil() ? .null : .number(try container.decode(Int.self))
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .number(let n): try container.encode(n)
            }
        }
    }

    /// An unkeyed layout with a trial decode: a failed `decode(Int.self)` must not consume the element.
    struct Mixed: Codable, Equatable {
        enum Item: Equatable {
            case number(Int)
            case word(String)
        }
        var items: [Item]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            for item in items {
                switch item {
                case .number(let n): try container.encode(n)
                case .word(let w): try container.encode(w)
                }
            }
            var nested = container.nestedContainer(keyedBy: CodingKeys.self)
            try nested.encode(items.count, forKey: .count)
            try Level.high.encode(to: container.superEncoder())
        }

        enum CodingKeys: String, CodingKey { case count }

        init(items: [Item]) { self.items = items }

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            items = []
            let total = container.count! - 2
            while container.currentIndex < total {
                if let n = try? container.decode(Int.self) {
                    items.append(.number(n))
                } else {
                    items.append(.word(try container.decode(String.self)))
                }
            }
            let nested = try container.nestedContainer(keyedBy: CodingKeys.self)
            XCTAssertEqual(try nested.decode(Int.self, forKey: .count), items.count)
            XCTAssertEqual(try Level(from: container.superDecoder()), .high)
            XCTAssertTrue(container.isAtEnd)
        }
    }

    /// Records the coding paths and user info the codec hands to it.
    struct PathProbe: Codable {
        static let userInfoKey = CodingUserInfoKey(rawValue: "codec.test")!
        var seenPath = ""
        var seenInfo = ""

        init() {}

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            let path = encoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined()
            try container.encode(path + "|" + "\(encoder.userInfo[Self.userInfoKey] ?? "none")")
        }

        init(from decoder: any Decoder) throws {
            let stored = try decoder.singleValueContainer().decode(String.self)
            let path = decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined()
            seenPath = path
            seenInfo = "\(decoder.userInfo[Self.userInfoKey] ?? "none")"
            XCTAssertEqual(stored, path + "|" + seenInfo, "encoder and decoder must see the same path")
        }
    }

    struct ProbeHolder: Codable {
        var outer: [String: [PathProbe]]
    }

    /// Recursion without bound: a chain as deep as its data.
    indirect enum Chain: Codable, Equatable {
        case end
        case link(Chain)

        static func depth(_ n: Int) -> Chain {
            var chain = Chain.end
            for _ in 0..<n { chain = .link(chain) }
            return chain
        }
    }

    /// Nested unkeyed containers, decoded recursively: `[[[...]]]`.
    struct ListTree: Codable {
        var children: [ListTree]

        init(children: [ListTree]) { self.children = children }

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            children = []
            while !container.isAtEnd { children.append(try container.decode(ListTree.self)) }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            for child in children { try container.encode(child) }
        }
    }

    /// Keeps a weak reference to the encoder `superEncoder()` returned, to show the codec lets it go.
    struct SuperEncoderProbe: Encodable {
        final class Box { weak var encoder: AnyObject? }
        enum CodingKeys: CodingKey { case value }
        let box: Box

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(1, forKey: .value)
            let superEncoder = container.superEncoder()
            box.encoder = superEncoder as AnyObject
            try "base".encode(to: superEncoder)
        }
    }

    /// Asks for two different containers from one encoder, which the Codable contract forbids.
    struct Misbehaving: Encodable {
        enum CodingKeys: CodingKey { case a }
        func encode(to encoder: any Encoder) throws {
            var keyed = encoder.container(keyedBy: CodingKeys.self)
            try keyed.encode(1, forKey: .a)
            var unkeyed = encoder.unkeyedContainer()
            try unkeyed.encode(2)
        }
    }
}

/// A small, seeded generator (SplitMix64) so fuzz runs are reproducible.
struct CodecTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Frame-building helpers for hand-made (hostile) inputs.
enum CodecBytes {
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }

    /// A frame around `payload` with a correct header.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        [0xCB, 1] + varint(UInt64(payload.count)) + payload
    }

    /// `payload` (a keyed or unkeyed container at the root) with the root's byte length set to what follows it.
    static func refitRootLength(_ payload: [UInt8]) -> [UInt8] {
        guard let tag = payload.first, tag == 0x08 || tag == 0x09 else { return payload }
        var offset = 1
        for _ in 0..<2 {  // count, then byte length
            while offset < payload.count, payload[offset] & 0x80 != 0 { offset += 1 }
            offset += 1
        }
        guard offset <= payload.count else { return payload }
        var lengthStart = 1
        while lengthStart < payload.count, payload[lengthStart] & 0x80 != 0 { lengthStart += 1 }
        lengthStart += 1
        let body = payload[offset...]
        return Array(payload[..<lengthStart]) + varint(UInt64(body.count)) + body
    }

    /// The payload of a frame written by the encoder.
    static func payload(of frame: [UInt8]) -> [UInt8] {
        var offset = 2
        while frame[offset] & 0x80 != 0 { offset += 1 }
        return Array(frame[(offset + 1)...])
    }
}

/// Decoding must either succeed or throw a `CodecError`; anything else (another error type) fails the test.
func assertDecodesOrThrowsCodecError<T: Decodable>(
    _ type: T.Type, _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try BinaryDecoder().decode(type, from: bytes)
    } catch is CodecError {
    } catch {
        XCTFail("expected a CodecError, got \(Swift.type(of: error)): \(error)", file: file, line: line)
    }
}
