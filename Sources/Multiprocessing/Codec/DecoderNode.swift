/// The `Decoder` handed to `init(from:)`: one per nested value, positioned on that value in the frame.
final class DecoderNode: Decoder, CodingPathNode {
    let context: DecodingContext
    let ref: ValueRef
    let parent: DecoderNode?
    let key: (any CodingKey)?
    let depth: Int
    /// Built on the first `container(keyedBy:)` and reused if the implementation asks again.
    private var keyedIndex: KeyedIndex?

    init(context: DecodingContext, ref: ValueRef, parent: DecoderNode?, key: (any CodingKey)?, depth: Int) {
        self.context = context
        self.ref = ref
        self.parent = parent
        self.key = key
        self.depth = depth
    }

    var parentNode: (any CodingPathNode)? { parent }
    var codingPath: [any CodingKey] { keyPath }
    var userInfo: [CodingUserInfoKey: Any] { context.userInfo }

    // MARK: Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard ref.tag == .keyed else { throw mismatch("a keyed container", at: ref, key: nil) }
        let index: KeyedIndex
        if let keyedIndex {
            index = keyedIndex
        } else {
            index = try KeyedIndex(ref: ref, decoder: self)
            keyedIndex = index
        }
        return KeyedDecodingContainer(KeyedDecoding<Key>(decoder: self, index: index))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard ref.tag.isUnkeyedSequence else { throw mismatch("an unkeyed container", at: ref, key: nil) }
        let bounds = try context.sequenceBounds(of: ref.tag, at: ref.payload, limit: ref.end, node: self, key: nil)
        return UnkeyedDecoding(decoder: self, packing: ref.tag, bounds: bounds)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueDecoding(decoder: self)
    }

    // MARK: Nested values

    /// A decoder for the value at `ref`, one level deeper.
    func child(at ref: ValueRef, key: (any CodingKey)?) throws -> DecoderNode {
        guard depth < context.maximumDepth else {
            throw context.fail(
                .tooDeep, expected: "at most \(context.maximumDepth) nested values", found: "deeper nesting",
                at: ref.offset, node: self, key: key)
        }
        context.lastOffset = ref.offset
        return DecoderNode(context: context, ref: ref, parent: self, key: key, depth: depth + 1)
    }

    /// Decodes the value at `ref` nested under `key` (nil: the same position, from a single-value container).
    func decode<T: Decodable>(_ type: T.Type, at ref: ValueRef, key: (any CodingKey)?) throws -> T {
        if Primitives.contains(T.self) {
            return try Primitives.decode(T.self, at: ref, in: self, key: key)
        }
        if FastArrays.applies(to: T.self, at: ref) {
            return try FastArrays.decode(T.self, at: ref, in: self)
        }
        if let optional = T.self as? any CodecDecodableOptional.Type {
            return try optional.decodedValue(T.self, at: ref, in: self, key: key)
        }
        return try T(from: child(at: ref, key: key))
    }

    /// `decodeIfPresent` for a value that is present: nil only when the value is nil and `T` is not itself an
    /// optional (a present nil of an `Int??` key is `.some(nil)`, which is what was encoded).
    func decodeIfPresent<T: Decodable>(_ type: T.Type, at ref: ValueRef, key: (any CodingKey)?) throws -> T? {
        if ref.tag == .null, !(T.self is any CodecDecodableOptional.Type) { return nil }
        return try decode(T.self, at: ref, key: key)
    }

    // MARK: Scalars

    func mismatch(_ expected: String, at ref: ValueRef, key: (any CodingKey)?) -> CodecError {
        context.fail(
            ref.tag == .null ? .valueNotFound : .typeMismatch, expected: expected, found: ref.tag.name,
            at: ref.offset, node: self, key: key)
    }

    func decodeBool(at ref: ValueRef, key: (any CodingKey)?) throws -> Bool {
        switch ref.tag {
        case .trueValue: return true
        case .falseValue: return false
        default: throw mismatch("Bool", at: ref, key: key)
        }
    }

    func decodeString(at ref: ValueRef, key: (any CodingKey)?) throws -> String {
        guard ref.tag == .string else { throw mismatch("String", at: ref, key: key) }
        var offset = ref.payload
        let count = try context.length(
            &offset, limit: ref.end, what: "a string's byte count", node: self, key: key)
        guard context.isValidUTF8(at: offset, count: count) else {
            throw context.fail(
                .invalidUTF8, expected: "\(count) bytes of UTF-8", found: "an invalid sequence", at: offset,
                node: self, key: key)
        }
        return context.string(at: offset, count: count)
    }

    func decodeDouble(at ref: ValueRef, key: (any CodingKey)?) throws -> Double {
        switch ref.tag {
        case .float64: return Double(bitPattern: try fixed(UInt64.self, at: ref, key: key))
        case .float32: return Double(Float(bitPattern: try fixed(UInt32.self, at: ref, key: key)))
        default: throw mismatch("Double", at: ref, key: key)
        }
    }

    func decodeFloat(at ref: ValueRef, key: (any CodingKey)?) throws -> Float {
        guard ref.tag == .float32 else { throw mismatch("Float", at: ref, key: key) }
        return Float(bitPattern: try fixed(UInt32.self, at: ref, key: key))
    }

    private func fixed<F: FixedWidthInteger>(_ type: F.Type, at ref: ValueRef, key: (any CodingKey)?) throws -> F {
        let width = MemoryLayout<F>.size
        guard ref.end - ref.payload >= width else {
            throw context.fail(
                .truncated, expected: "\(width) bytes", found: "\(ref.end - ref.payload)", at: ref.payload,
                node: self, key: key)
        }
        return F(littleEndian: context.base.loadUnaligned(fromByteOffset: ref.payload, as: F.self))
    }

    /// Any integer type from any integer on the wire, if the value fits; otherwise ``CodecError/Kind/outOfRange``.
    func decodeInteger<I: FixedWidthInteger>(_ type: I.Type, at ref: ValueRef, key: (any CodingKey)?) throws -> I {
        let what = I.isSigned ? "a signed integer" : "an unsigned integer"
        var offset = ref.payload
        switch ref.tag {
        case .packedByte:
            return try exactly(I.self, context.byte(at: ref.payload), ref: ref, key: key)
        case .signed where I.bitWidth <= 64:
            let bits = try context.varint64(&offset, limit: ref.end, what: what, node: self, key: key)
            return try exactly(I.self, ZigZag.decode(bits), ref: ref, key: key)
        case .unsigned where I.bitWidth <= 64:
            let bits = try context.varint64(&offset, limit: ref.end, what: what, node: self, key: key)
            return try exactly(I.self, bits, ref: ref, key: key)
        case .signed:
            let bits = try context.varint128(&offset, limit: ref.end, what: what, node: self, key: key)
            return try exactly(I.self, ZigZag.decode(bits), ref: ref, key: key)
        case .unsigned:
            let bits = try context.varint128(&offset, limit: ref.end, what: what, node: self, key: key)
            return try exactly(I.self, bits, ref: ref, key: key)
        default:
            throw mismatch("\(I.self)", at: ref, key: key)
        }
    }

    @inline(__always) private func exactly<I: FixedWidthInteger, Source: BinaryInteger>(
        _ type: I.Type, _ value: Source, ref: ValueRef, key: (any CodingKey)?
    ) throws -> I {
        guard let result = I(exactly: value) else {
            throw context.fail(.outOfRange, expected: "\(I.self)", found: "\(value)", at: ref.offset, node: self, key: key)
        }
        return result
    }

    // MARK: Fast arrays

    func decodeByteArray(at ref: ValueRef) throws -> [UInt8] {
        let bounds = try context.sequenceBounds(of: .bytes, at: ref.payload, limit: ref.end, node: self, key: nil)
        return Array(UnsafeRawBufferPointer(start: context.base + bounds.start, count: bounds.count))
    }

    func decodePackedFloats<F: BinaryFloatingPoint>(_ type: F.Type, at ref: ValueRef) throws -> [F] {
        let bounds = try context.sequenceBounds(of: ref.tag, at: ref.payload, limit: ref.end, node: self, key: nil)
        let source = context.base + bounds.start
        return [F](unsafeUninitializedCapacity: bounds.count) { buffer, initialized in
            #if _endian(little)
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(start: source, count: bounds.count * MemoryLayout<F>.size))
            #else
            for i in 0..<bounds.count {
                if F.self == Double.self {
                    let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    buffer[i] = F(Double(bitPattern: bits))
                } else {
                    let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    buffer[i] = F(Float(bitPattern: bits))
                }
            }
            #endif
            initialized = bounds.count
        }
    }

    func decodePackedInts(at ref: ValueRef) throws -> [Int] {
        let bounds = try context.sequenceBounds(of: ref.tag, at: ref.payload, limit: ref.end, node: self, key: nil)
        var result = [Int]()
        result.reserveCapacity(bounds.count)
        var offset = bounds.start
        for index in 0..<bounds.count {
            let start = offset
            let bits =
                try context.uncheckedVarint64(&offset, limit: bounds.end)
                ?? context.varint64(&offset, limit: bounds.end, what: "Int", node: self, key: IndexKey(index))
            let value = ZigZag.decode(bits)
            guard let int = Int(exactly: value) else {
                throw context.fail(
                    .outOfRange, expected: "Int", found: "\(value)", at: start, node: self, key: IndexKey(index))
            }
            result.append(int)
        }
        return result
    }
}
