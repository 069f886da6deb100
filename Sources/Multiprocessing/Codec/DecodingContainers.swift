/// Keyed container of ``BinaryDecoder``: keys may be asked for in any order, any number of times.
struct KeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: DecoderNode
    let index: KeyedIndex

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        index.entries.indices.compactMap { Key(stringValue: index.keyString($0)) }
    }

    func contains(_ key: Key) -> Bool { index.lookup(key.stringValue) != nil }

    private func value(for key: some CodingKey) throws -> ValueRef {
        guard let ref = index.lookup(key.stringValue) else {
            throw decoder.context.fail(
                .keyNotFound, expected: "key \"\(key.stringValue)\"", found: index.summary(),
                at: decoder.ref.offset, node: decoder, key: key)
        }
        return ref
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(for: key).tag == .null }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try decoder.decodeBool(at: value(for: key), key: key)
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try decoder.decodeString(at: value(for: key), key: key)
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try decoder.decodeDouble(at: value(for: key), key: key)
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try decoder.decodeFloat(at: value(for: key), key: key)
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(key) }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try integer(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(key) }
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try integer(key) }

    private func integer<I: FixedWidthInteger>(_ key: Key) throws -> I {
        try decoder.decodeInteger(I.self, at: value(for: key), key: key)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decode(T.self, at: value(for: key), key: key)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let ref = index.lookup(key.stringValue) else { return nil }
        return try decoder.decodeIfPresent(T.self, at: ref, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.child(at: value(for: key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(at: value(for: key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = SuperKey()
        return try decoder.child(at: value(for: key), key: key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try decoder.child(at: value(for: key), key: key)
    }
}

/// Unkeyed container of ``BinaryDecoder``, over tagged elements or over a packed run. An element is consumed
/// only when it decodes, so an implementation may try one type and fall back to another.
struct UnkeyedDecoding: UnkeyedDecodingContainer {
    let decoder: DecoderNode
    /// The element kind of a packed run, or nil when every element carries its own tag.
    private let elementTag: Tag?
    /// Bytes per element for fixed-width runs; 0 for varint runs and tagged elements.
    private let elementWidth: Int
    private let elementCount: Int
    private let end: Int
    private var position: Int

    private(set) var currentIndex = 0

    init(decoder: DecoderNode, packing tag: Tag, bounds: SequenceBounds) {
        self.decoder = decoder
        self.elementCount = bounds.count
        self.position = bounds.start
        self.end = bounds.end
        switch tag {
        case .bytes: (elementTag, elementWidth) = (.packedByte, 1)
        case .packedSigned: (elementTag, elementWidth) = (.signed, 0)
        case .packedUnsigned: (elementTag, elementWidth) = (.unsigned, 0)
        case .packedFloat32: (elementTag, elementWidth) = (.float32, 4)
        case .packedFloat64: (elementTag, elementWidth) = (.float64, 8)
        default: (elementTag, elementWidth) = (nil, 0)
        }
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elementCount }
    var isAtEnd: Bool { currentIndex >= elementCount }

    private var elementKey: IndexKey { IndexKey(currentIndex) }

    /// The next element, not yet consumed.
    private func peek() throws -> ValueRef {
        guard !isAtEnd else {
            throw decoder.context.fail(
                .valueNotFound, expected: "another element", found: "the end of \(elementCount) elements",
                at: position, node: decoder, key: elementKey)
        }
        guard let tag = elementTag else {
            return try decoder.context.valueRef(at: position, limit: end, node: decoder, key: elementKey)
        }
        if elementWidth > 0 {
            guard end - position >= elementWidth else {
                throw decoder.context.fail(
                    .truncated, expected: "\(elementWidth) bytes", found: "\(end - position)", at: position,
                    node: decoder, key: elementKey)
            }
            return ValueRef(tag: tag, offset: position, payload: position, end: position + elementWidth)
        }
        var next = position
        try decoder.context.skipVarint(&next, limit: end, node: decoder, key: elementKey)
        return ValueRef(tag: tag, offset: position, payload: position, end: next)
    }

    private mutating func consume(_ ref: ValueRef) {
        position = ref.end
        currentIndex += 1
    }

    /// Decodes the next element with `body(decoder, element, elementKey)` and consumes it if that succeeds.
    private mutating func next<T>(_ body: (DecoderNode, ValueRef, IndexKey) throws -> T) throws -> T {
        let ref = try peek()
        let value = try body(decoder, ref, elementKey)
        consume(ref)
        return value
    }

    mutating func decodeNil() throws -> Bool {
        let ref = try peek()
        guard ref.tag == .null else { return false }
        consume(ref)
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next { try $0.decodeBool(at: $1, key: $2) } }
    mutating func decode(_ type: String.Type) throws -> String {
        try next { try $0.decodeString(at: $1, key: $2) }
    }
    mutating func decode(_ type: Double.Type) throws -> Double {
        try next { try $0.decodeDouble(at: $1, key: $2) }
    }
    mutating func decode(_ type: Float.Type) throws -> Float { try next { try $0.decodeFloat(at: $1, key: $2) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try integer() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try integer() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try integer() }

    private mutating func integer<I: FixedWidthInteger>() throws -> I {
        try next { try $0.decodeInteger(I.self, at: $1, key: $2) }
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next { try $0.decode(T.self, at: $1, key: $2) }
    }

    mutating func decodeIfPresent<T: Decodable>(_ type: T.Type) throws -> T? {
        if isAtEnd { return nil }
        return try next { try $0.decodeIfPresent(T.self, at: $1, key: $2) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try next { try $0.child(at: $1, key: $2).container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next { try $0.child(at: $1, key: $2).unkeyedContainer() }
    }

    mutating func superDecoder() throws -> any Decoder {
        try next { try $0.child(at: $1, key: $2) }
    }
}

/// Single-value container of ``BinaryDecoder``.
struct SingleValueDecoding: SingleValueDecodingContainer {
    let decoder: DecoderNode

    var codingPath: [any CodingKey] { decoder.codingPath }
    private var ref: ValueRef { decoder.ref }

    func decodeNil() -> Bool { ref.tag == .null }

    func decode(_ type: Bool.Type) throws -> Bool { try decoder.decodeBool(at: ref, key: nil) }
    func decode(_ type: String.Type) throws -> String { try decoder.decodeString(at: ref, key: nil) }
    func decode(_ type: Double.Type) throws -> Double { try decoder.decodeDouble(at: ref, key: nil) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.decodeFloat(at: ref, key: nil) }
    func decode(_ type: Int.Type) throws -> Int { try integer() }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    func decode(_ type: Int128.Type) throws -> Int128 { try integer() }
    func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try integer() }

    private func integer<I: FixedWidthInteger>() throws -> I {
        try decoder.decodeInteger(I.self, at: ref, key: nil)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.decode(T.self, at: ref, key: nil)
    }
}
