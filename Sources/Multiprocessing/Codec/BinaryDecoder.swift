/// Decodes frames written by ``BinaryEncoder``.
///
/// ```swift
/// let job = try BinaryDecoder().decode(Job.self, from: bytes)
/// ```
///
/// Any input is safe to decode: a truncated, foreign, corrupted or hostile buffer throws a ``CodecError``
/// (what was expected, the byte offset, the coding path) and never traps, reads out of bounds, recurses
/// without limit or allocates more than the input's size justifies.
public struct BinaryDecoder: Sendable {
    /// Passed to `init(from:)` implementations as `decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]
    /// How deeply values may nest before decoding throws ``CodecError/Kind/tooDeep``; bounds the stack used.
    public var maximumDepth: Int = CodecFormat.defaultMaximumDepth

    public init() {}

    /// Decodes the one frame that fills `bytes`.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// Decodes the one frame that fills `bytes` (slice a larger buffer with ``frameLength(in:)`` first).
    /// The bytes are read in place and must stay valid for the duration of the call.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let header = try Self.header(of: bytes)
        guard header.frameLength == bytes.count else {
            throw CodecError(
                .malformed, expected: "a buffer holding exactly one \(header.frameLength)-byte frame",
                found: "\(bytes.count - header.frameLength) bytes after the frame", offset: header.frameLength)
        }
        let context = DecodingContext(
            base: bytes.baseAddress!, count: bytes.count, userInfo: userInfo.mapValues { $0 as Any },
            maximumDepth: maximumDepth)
        let root = try context.valueRef(at: header.payloadStart, limit: bytes.count, node: nil, key: nil)
        guard root.end == bytes.count else {
            throw CodecError(
                .malformed, expected: "one value filling the \(bytes.count - header.payloadStart)-byte payload",
                found: "\(bytes.count - root.end) bytes after it", offset: root.end)
        }
        let decoder = DecoderNode(context: context, ref: root, parent: nil, key: nil, depth: 0)
        do {
            return try decoder.decode(T.self, at: root, key: nil)
        } catch let error as DecodingError {
            throw CodecError(error, offset: context.lastOffset)
        }
    }

    /// The size of the frame that starts `bytes` (header included), or nil when `bytes` is too short to hold
    /// the whole header yet. Use it to find where a frame ends in a larger buffer or a byte stream; the frame
    /// may be longer than the bytes at hand.
    public static func frameLength(in bytes: UnsafeRawBufferPointer) throws -> Int? {
        do {
            return try header(of: bytes, requireWholeFrame: false).frameLength
        } catch let error where error.kind == .truncated {
            return nil
        }
    }

    private struct Header {
        var payloadStart: Int
        var frameLength: Int
    }

    private static func header(of bytes: UnsafeRawBufferPointer, requireWholeFrame: Bool = true) throws(CodecError)
        -> Header
    {
        guard let base = bytes.baseAddress, bytes.count >= 1 else {
            throw CodecError(.truncated, expected: "a frame header", found: "an empty buffer", offset: 0)
        }
        guard base.load(as: UInt8.self) == CodecFormat.magic else {
            let found = base.load(as: UInt8.self)
            throw CodecError(
                .notAFrame, expected: "magic byte 0xcb", found: "0x\(String(found, radix: 16))", offset: 0)
        }
        guard bytes.count >= 2 else {
            throw CodecError(.truncated, expected: "a format version byte", found: "the end of the buffer", offset: 1)
        }
        let version = base.load(fromByteOffset: 1, as: UInt8.self)
        guard version == CodecFormat.version else {
            throw CodecError(
                .unsupportedVersion, expected: "format version \(CodecFormat.version)", found: "version \(version)",
                offset: 1)
        }
        var offset = 2
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else {
                throw CodecError(
                    .truncated, expected: "the payload length", found: "the end of the buffer", offset: offset)
            }
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            offset += 1
            guard shift < 63 || byte <= 1 else {
                throw CodecError(
                    .outOfRange, expected: "a payload length that fits in 64 bits", found: "a longer varint",
                    offset: 2)
            }
            length |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard length > 0 else {
            throw CodecError(.malformed, expected: "a payload of at least one byte", found: "length 0", offset: 2)
        }
        let available = bytes.count - offset
        guard length <= UInt64(Int.max - offset) else {
            throw CodecError(.outOfRange, expected: "a payload length", found: "\(length)", offset: 2)
        }
        if requireWholeFrame && length > UInt64(available) {
            throw CodecError(
                .truncated, expected: "\(length) payload bytes", found: "\(available)", offset: offset)
        }
        return Header(payloadStart: offset, frameLength: offset + Int(length))
    }
}
