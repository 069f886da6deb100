/// The wire format of ``BinaryEncoder`` frames.
///
/// A frame is a header and exactly one tagged value:
///
///     frame   = 0xCB, version (1), varint payloadLength, value      (payloadLength = bytes of `value`)
///     value   = tag byte, payload
///
/// | tag  | kind            | payload                                                                  |
/// |------|-----------------|--------------------------------------------------------------------------|
/// | 0x00 | nil             | none                                                                     |
/// | 0x01 | false           | none                                                                     |
/// | 0x02 | true            | none                                                                     |
/// | 0x03 | unsigned        | LEB128 varint (up to 19 bytes, for `UInt128`)                            |
/// | 0x04 | signed          | zigzag LEB128 varint                                                     |
/// | 0x05 | Float           | 4 bytes, little-endian bit pattern (NaN payloads and -0.0 survive)       |
/// | 0x06 | Double          | 8 bytes, little-endian bit pattern                                       |
/// | 0x07 | string          | varint byteCount, UTF-8                                                  |
/// | 0x08 | unkeyed         | varint count, varint byteCount, `count` values                           |
/// | 0x09 | keyed           | varint count, varint byteCount, `count` × (varint keyLength, UTF-8, value) |
/// | 0x0A | wrapper         | one value: marks `.some(x)` where x itself encodes as nil (`Int??`)       |
/// | 0x0B | bytes           | varint count, raw bytes (`[UInt8]`)                                      |
/// | 0x0C | packed signed   | varint count, varint byteCount, `count` zigzag varints (no tags)         |
/// | 0x0D | packed unsigned | varint count, varint byteCount, `count` varints                          |
/// | 0x0E | packed Float    | varint count, 4 × count bytes                                            |
/// | 0x0F | packed Double   | varint count, 8 × count bytes                                            |
///
/// Every value is self-describing, so a decoder can skip one it was not asked for, check that the type it
/// wants is the type that was written, and answer `decodeNil`, `contains` and `allKeys` exactly. Containers
/// carry their byte length so skipping them is O(1): looking up keys out of order costs no rescans. Unkeyed
/// containers whose elements are all integers or all floats of one kind are written packed, without a tag per
/// element (an `[Int]` of small numbers costs about one byte per element).
enum CodecFormat {
    /// First byte of every frame.
    static let magic: UInt8 = 0xCB
    /// Second byte of every frame; bumped when the format changes incompatibly.
    static let version: UInt8 = 1
    /// How deeply containers may nest before encoding or decoding gives up with ``CodecError/Kind/tooDeep``.
    static let defaultMaximumDepth = 512
    /// The longest varint the format has (a 128-bit integer).
    static let maximumVarintBytes = 19
}

/// The first byte of a value. `packedByte` never appears on the wire: it is how the decoder describes one
/// element of a `bytes` run.
enum Tag: UInt8 {
    case null = 0x00
    case falseValue = 0x01
    case trueValue = 0x02
    case unsigned = 0x03
    case signed = 0x04
    case float32 = 0x05
    case float64 = 0x06
    case string = 0x07
    case unkeyed = 0x08
    case keyed = 0x09
    case wrapper = 0x0A
    case bytes = 0x0B
    case packedSigned = 0x0C
    case packedUnsigned = 0x0D
    case packedFloat32 = 0x0E
    case packedFloat64 = 0x0F
    case packedByte = 0xFF

    /// The tag a byte read from a frame stands for, or nil for a byte that is no tag.
    init?(wire byte: UInt8) {
        guard byte <= Tag.packedFloat64.rawValue else { return nil }
        self.init(rawValue: byte)
    }

    /// How the tag reads in an error message.
    var name: String {
        switch self {
        case .null: "nil"
        case .falseValue, .trueValue: "Bool"
        case .unsigned: "unsigned integer"
        case .signed: "signed integer"
        case .float32: "Float"
        case .float64: "Double"
        case .string: "string"
        case .unkeyed: "unkeyed container"
        case .keyed: "keyed container"
        case .wrapper: "optional wrapper"
        case .bytes: "byte array"
        case .packedSigned: "packed signed integers"
        case .packedUnsigned: "packed unsigned integers"
        case .packedFloat32: "packed Floats"
        case .packedFloat64: "packed Doubles"
        case .packedByte: "byte"
        }
    }

    /// Tags whose payload is a sequence of elements an `UnkeyedDecodingContainer` can walk.
    var isUnkeyedSequence: Bool {
        switch self {
        case .unkeyed, .bytes, .packedSigned, .packedUnsigned, .packedFloat32, .packedFloat64: true
        default: false
        }
    }
}

/// Zigzag mapping: small magnitudes of either sign become small unsigned numbers (0, -1, 1, -2 → 0, 1, 2, 3).
enum ZigZag {
    @inline(__always) static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value &<< 1) ^ (value >> 63))
    }
    @inline(__always) static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
    @inline(__always) static func encode(_ value: Int128) -> UInt128 {
        UInt128(bitPattern: (value &<< 1) ^ (value >> 127))
    }
    @inline(__always) static func decode(_ value: UInt128) -> Int128 {
        Int128(bitPattern: value >> 1) ^ -Int128(bitPattern: value & 1)
    }
}

/// Appends format primitives to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    @inline(__always) static func varintSize(_ value: UInt64) -> Int {
        (64 - (value | 1).leadingZeroBitCount + 6) / 7
    }

    static func varintSize(_ value: UInt128) -> Int {
        (128 - (value | 1).leadingZeroBitCount + 6) / 7
    }

    @inline(__always) mutating func byte(_ value: UInt8) { bytes.append(value) }

    @inline(__always) mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func varint(_ value: UInt128) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always) mutating func length(_ value: Int) { varint(UInt64(value)) }

    @inline(__always) mutating func fixed32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func fixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func utf8(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }
}
