/// Where a value sits in the frame: its kind, its first byte, where its payload starts and the offset just past
/// it. For an element of a packed run, `tag` is the element kind and there is no tag byte (`offset == payload`).
struct ValueRef {
    var tag: Tag
    var offset: Int
    var payload: Int
    var end: Int
}

/// The bounds of a container or packed run: element count and the byte range of the elements.
struct SequenceBounds {
    var count: Int
    var start: Int
    var end: Int
}

/// The frame being decoded and every bounds-checked read from it. Every offset passed in is within
/// `0...count` and every read checks against a `limit` no larger than `count`, so no input can make the
/// decoder read outside the buffer. State shared by all decoders of one `decode` call.
final class DecodingContext {
    let base: UnsafeRawPointer
    let count: Int
    let userInfo: [CodingUserInfoKey: Any]
    let maximumDepth: Int
    /// The last value a nested decoder was opened on, for errors thrown by Codable implementations.
    var lastOffset = 0

    init(base: UnsafeRawPointer, count: Int, userInfo: [CodingUserInfoKey: Any], maximumDepth: Int) {
        self.base = base
        self.count = count
        self.userInfo = userInfo
        self.maximumDepth = maximumDepth
    }

    @inline(__always) func byte(at offset: Int) -> UInt8 {
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    func fail(
        _ kind: CodecError.Kind, expected: String, found: String, at offset: Int,
        node: (any CodingPathNode)?, key: (any CodingKey)?
    ) -> CodecError {
        let path = node?.renderedPath(appending: key) ?? key.map { [CodingPath.render($0)] } ?? []
        return CodecError(kind, expected: expected, found: found, offset: offset, codingPath: path)
    }

    private func truncated(
        _ expected: String, at offset: Int, limit: Int, node: (any CodingPathNode)?, key: (any CodingKey)?
    ) -> CodecError {
        let available = max(0, limit - offset)
        let found = available == 0 ? "the end of the enclosing value" : "only \(available) bytes left"
        return fail(.truncated, expected: expected, found: found, at: offset, node: node, key: key)
    }

    // MARK: Varints

    /// Reads a varint of up to 64 bits, or returns nil (leaving `offset` alone) when it is truncated or too
    /// wide: the hot loops call this and fall back to ``varint64(_:limit:what:node:key:)`` for the error.
    @inline(__always) func uncheckedVarint64(_ offset: inout Int, limit: Int) -> UInt64? {
        var position = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < limit {
            let byte = self.byte(at: position)
            position += 1
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                offset = position
                return result
            }
            shift += 7
        }
        return nil
    }

    /// Reads a LEB128 varint of at most 10 bytes whose value fits in 64 bits.
    func varint64(
        _ offset: inout Int, limit: Int, what: String, node: (any CodingPathNode)?, key: (any CodingKey)?
    ) throws -> UInt64 {
        if offset < limit, byte(at: offset) < 0x80 {
            offset += 1
            return UInt64(byte(at: offset - 1))
        }
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < limit else {
                throw truncated("the rest of a varint (\(what))", at: offset, limit: limit, node: node, key: key)
            }
            let byte = self.byte(at: offset)
            offset += 1
            if shift == 63 && byte > 1 {
                throw fail(
                    .outOfRange, expected: "\(what) that fits in 64 bits",
                    found: "a varint of \(offset - start) or more bytes", at: start, node: node, key: key)
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a LEB128 varint of at most 19 bytes whose value fits in 128 bits.
    func varint128(
        _ offset: inout Int, limit: Int, what: String, node: (any CodingPathNode)?, key: (any CodingKey)?
    ) throws -> UInt128 {
        let start = offset
        var result: UInt128 = 0
        var shift: UInt128 = 0
        while true {
            guard offset < limit else {
                throw truncated("the rest of a varint (\(what))", at: offset, limit: limit, node: node, key: key)
            }
            let byte = self.byte(at: offset)
            offset += 1
            if shift == 126 && byte > 3 {
                throw fail(
                    .outOfRange, expected: "\(what) that fits in 128 bits",
                    found: "a varint of \(offset - start) or more bytes", at: start, node: node, key: key)
            }
            result |= UInt128(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Steps over a scalar varint (up to the 19 bytes of a 128-bit value) without interpreting it.
    func skipVarint(_ offset: inout Int, limit: Int, node: (any CodingPathNode)?, key: (any CodingKey)?) throws {
        if offset < limit, byte(at: offset) < 0x80 {
            offset += 1
            return
        }
        let start = offset
        while true {
            guard offset < limit else {
                throw truncated("the rest of an integer", at: offset, limit: limit, node: node, key: key)
            }
            let byte = self.byte(at: offset)
            offset += 1
            if byte & 0x80 == 0 { return }
            if offset - start >= CodecFormat.maximumVarintBytes {
                throw fail(
                    .outOfRange, expected: "an integer of at most 128 bits",
                    found: "a varint longer than \(CodecFormat.maximumVarintBytes) bytes", at: start, node: node,
                    key: key)
            }
        }
    }

    /// Reads a count or byte length and checks it against the bytes left before `limit`: no length read from
    /// a frame can exceed the frame, so nothing sized from one can allocate more than the input justifies.
    func length(
        _ offset: inout Int, limit: Int, what: String, node: (any CodingPathNode)?, key: (any CodingKey)?
    ) throws -> Int {
        let start = offset
        let value = try varint64(&offset, limit: limit, what: what, node: node, key: key)
        let available = limit - offset
        guard value <= UInt64(available) else {
            throw fail(
                .truncated, expected: "\(what) of at most the \(available) bytes that follow",
                found: "\(value)", at: start, node: node, key: key)
        }
        return Int(value)
    }

    // MARK: Values

    /// Locates the value whose tag byte is at `offset` and checks that it ends by `limit`. Containers are
    /// stepped over by their byte length, so this is O(1) for them and never recurses.
    func valueRef(
        at offset: Int, limit: Int, node: (any CodingPathNode)?, key: (any CodingKey)?
    ) throws -> ValueRef {
        guard offset < limit else {
            throw truncated("a value", at: offset, limit: limit, node: node, key: key)
        }
        guard let tag = Tag(wire: byte(at: offset)) else {
            throw fail(
                .malformed, expected: "a value tag", found: "byte 0x\(String(byte(at: offset), radix: 16))",
                at: offset, node: node, key: key)
        }
        var inner = tag
        var payload = offset + 1
        var wrappers = 0
        while inner == .wrapper {
            wrappers += 1
            guard wrappers <= maximumDepth else {
                throw fail(
                    .tooDeep, expected: "at most \(maximumDepth) nested optionals",
                    found: "more", at: offset, node: node, key: key)
            }
            guard payload < limit else {
                throw truncated("the value inside an optional", at: payload, limit: limit, node: node, key: key)
            }
            guard let next = Tag(wire: byte(at: payload)) else {
                throw fail(
                    .malformed, expected: "a value tag", found: "byte 0x\(String(byte(at: payload), radix: 16))",
                    at: payload, node: node, key: key)
            }
            inner = next
            payload += 1
        }
        let end = try payloadEnd(of: inner, at: payload, limit: limit, node: node, key: key)
        return ValueRef(tag: tag, offset: offset, payload: offset + 1, end: end)
    }

    private func payloadEnd(
        of tag: Tag, at payload: Int, limit: Int, node: (any CodingPathNode)?, key: (any CodingKey)?
    ) throws -> Int {
        switch tag {
        case .null, .falseValue, .trueValue:
            return payload
        case .signed, .unsigned:
            var offset = payload
            try skipVarint(&offset, limit: limit, node: node, key: key)
            return offset
        case .float32, .float64:
            let width = tag == .float32 ? 4 : 8
            guard limit - payload >= width else {
                throw truncated("\(width) bytes of \(tag.name)", at: payload, limit: limit, node: node, key: key)
            }
            return payload + width
        case .string:
            var offset = payload
            let count = try length(&offset, limit: limit, what: "a string's byte count", node: node, key: key)
            return offset + count
        case .unkeyed, .keyed, .bytes, .packedSigned, .packedUnsigned, .packedFloat32, .packedFloat64:
            return try sequenceBounds(of: tag, at: payload, limit: limit, node: node, key: key).end
        case .wrapper, .packedByte:
            throw fail(.malformed, expected: "a value", found: tag.name, at: payload, node: node, key: key)
        }
    }

    /// Reads a container's or packed run's header and checks that its count is possible in its byte length
    /// (every element takes at least one byte, every keyed entry two), so a hostile count cannot make anyone
    /// reserve more than the frame could hold.
    func sequenceBounds(
        of tag: Tag, at payload: Int, limit: Int, node: (any CodingPathNode)?, key: (any CodingKey)?
    ) throws -> SequenceBounds {
        var offset = payload
        let count = try length(&offset, limit: limit, what: "an element count", node: node, key: key)
        switch tag {
        case .unkeyed, .keyed, .packedSigned, .packedUnsigned:
            let bytes = try length(&offset, limit: limit, what: "a container's byte length", node: node, key: key)
            let smallestElement = tag == .keyed ? 2 : 1
            guard count <= bytes / smallestElement else {
                throw fail(
                    .malformed, expected: "at most \(bytes / smallestElement) elements in \(bytes) bytes",
                    found: "a count of \(count)", at: payload, node: node, key: key)
            }
            return SequenceBounds(count: count, start: offset, end: offset + bytes)
        case .bytes:
            return SequenceBounds(count: count, start: offset, end: offset + count)
        case .packedFloat32, .packedFloat64:
            let width = tag == .packedFloat32 ? 4 : 8
            guard count <= (limit - offset) / width else {
                throw truncated(
                    "\(count) × \(width) bytes of \(tag.name)", at: offset, limit: limit, node: node, key: key)
            }
            return SequenceBounds(count: count, start: offset, end: offset + count * width)
        default:
            throw fail(.typeMismatch, expected: "a container", found: tag.name, at: payload, node: node, key: key)
        }
    }

    // MARK: Text

    /// Whether `count` bytes at `offset` are valid UTF-8 (checked before any `String` is made from them).
    /// ASCII, the common case, is checked by a plain loop; the standard library's generic validator, which
    /// costs runtime metadata lookups per call, only sees text that has other characters.
    func isValidUTF8(at offset: Int, count: Int) -> Bool {
        var index = offset
        let end = offset + count
        while index < end, byte(at: index) < 0x80 { index += 1 }
        if index == end { return true }
        return String(validating: utf8Buffer(at: offset, count: count), as: UTF8.self) != nil
    }

    /// The bytes as `UInt8`s; the frame is plain bytes, so viewing it as `UInt8` is always valid.
    func utf8Buffer(at offset: Int, count: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: (base + offset).assumingMemoryBound(to: UInt8.self), count: count)
    }
}
