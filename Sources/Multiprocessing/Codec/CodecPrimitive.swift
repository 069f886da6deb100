/// The standard-library types every Codable value bottoms out in.
protocol CodecPrimitive {
    var encodedValue: EncodedValue { get }
}

extension Bool: CodecPrimitive {
    var encodedValue: EncodedValue { .bool(self) }
}

extension String: CodecPrimitive {
    var encodedValue: EncodedValue { .string(self) }
}

extension Double: CodecPrimitive {
    var encodedValue: EncodedValue { .double(self) }
}

extension Float: CodecPrimitive {
    var encodedValue: EncodedValue { .float(self) }
}

/// Fixed-width integers: signed ones are written zigzag, unsigned ones plain; either decodes into any integer
/// type the value fits.
protocol CodecInteger: CodecPrimitive, FixedWidthInteger {}

extension CodecInteger {
    var encodedValue: EncodedValue {
        if Self.bitWidth > 64 {
            return Self.isSigned
                ? .wideSigned(high: Int64(truncatingIfNeeded: self >> 64), low: UInt64(truncatingIfNeeded: self))
                : .wideUnsigned(high: UInt64(truncatingIfNeeded: self >> 64), low: UInt64(truncatingIfNeeded: self))
        }
        return Self.isSigned ? .signed(Int64(truncatingIfNeeded: self)) : .unsigned(UInt64(truncatingIfNeeded: self))
    }
}

extension Int: CodecInteger {}
extension Int8: CodecInteger {}
extension Int16: CodecInteger {}
extension Int32: CodecInteger {}
extension Int64: CodecInteger {}
extension Int128: CodecInteger {}
extension UInt: CodecInteger {}
extension UInt8: CodecInteger {}
extension UInt16: CodecInteger {}
extension UInt32: CodecInteger {}
extension UInt64: CodecInteger {}
extension UInt128: CodecInteger {}

/// Generic `encode(_:)`/`decode(_:)` calls (every element of an `Array<Int32>`, say) recognise primitives by
/// comparing metadata pointers: a handful of compares, where a protocol-conformance cast would be a runtime
/// lookup per value.
enum Primitives {
    @inline(__always) static func encodedValue<T>(of value: T) -> EncodedValue? {
        if T.self == Int.self { return unsafeBitCast(value, to: Int.self).encodedValue }
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Double.self { return .double(unsafeBitCast(value, to: Double.self)) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == Float.self { return .float(unsafeBitCast(value, to: Float.self)) }
        if T.self == Int64.self { return unsafeBitCast(value, to: Int64.self).encodedValue }
        if T.self == Int32.self { return unsafeBitCast(value, to: Int32.self).encodedValue }
        if T.self == Int16.self { return unsafeBitCast(value, to: Int16.self).encodedValue }
        if T.self == Int8.self { return unsafeBitCast(value, to: Int8.self).encodedValue }
        if T.self == UInt.self { return unsafeBitCast(value, to: UInt.self).encodedValue }
        if T.self == UInt64.self { return unsafeBitCast(value, to: UInt64.self).encodedValue }
        if T.self == UInt32.self { return unsafeBitCast(value, to: UInt32.self).encodedValue }
        if T.self == UInt16.self { return unsafeBitCast(value, to: UInt16.self).encodedValue }
        if T.self == UInt8.self { return unsafeBitCast(value, to: UInt8.self).encodedValue }
        if T.self == Int128.self { return unsafeBitCast(value, to: Int128.self).encodedValue }
        if T.self == UInt128.self { return unsafeBitCast(value, to: UInt128.self).encodedValue }
        return nil
    }

    /// Whether `T` is one of the primitives `decode` handles. (Kept apart from `decode` so the unspecialized
    /// generic path never builds `Optional<T>` metadata, a runtime cache lookup per call.)
    @inline(__always) static func contains<T>(_ type: T.Type) -> Bool {
        T.self == Int.self || T.self == String.self || T.self == Double.self || T.self == Bool.self
            || T.self == Float.self || T.self == Int64.self || T.self == Int32.self || T.self == Int16.self
            || T.self == Int8.self || T.self == UInt.self || T.self == UInt64.self || T.self == UInt32.self
            || T.self == UInt16.self || T.self == UInt8.self || T.self == Int128.self || T.self == UInt128.self
    }

    /// Decodes a primitive `T` (callers checked ``contains(_:)``).
    static func decode<T>(
        _ type: T.Type, at ref: ValueRef, in decoder: DecoderNode, key: (any CodingKey)?
    ) throws -> T {
        if T.self == Int.self { return unsafeBitCast(try decoder.decodeInteger(Int.self, at: ref, key: key), to: T.self) }
        if T.self == String.self { return unsafeBitCast(try decoder.decodeString(at: ref, key: key), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(try decoder.decodeDouble(at: ref, key: key), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try decoder.decodeBool(at: ref, key: key), to: T.self) }
        if T.self == Float.self { return unsafeBitCast(try decoder.decodeFloat(at: ref, key: key), to: T.self) }
        if T.self == Int64.self { return try integer(Int64.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == Int32.self { return try integer(Int32.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == Int16.self { return try integer(Int16.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == Int8.self { return try integer(Int8.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == UInt.self { return try integer(UInt.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == UInt64.self { return try integer(UInt64.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == UInt32.self { return try integer(UInt32.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == UInt16.self { return try integer(UInt16.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == UInt8.self { return try integer(UInt8.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == Int128.self { return try integer(Int128.self, as: T.self, at: ref, in: decoder, key: key) }
        if T.self == UInt128.self { return try integer(UInt128.self, as: T.self, at: ref, in: decoder, key: key) }
        throw decoder.mismatch("\(T.self)", at: ref, key: key)
    }

    @inline(__always) private static func integer<I: FixedWidthInteger, T>(
        _ integer: I.Type, as type: T.Type, at ref: ValueRef, in decoder: DecoderNode, key: (any CodingKey)?
    ) throws -> T {
        unsafeBitCast(try decoder.decodeInteger(I.self, at: ref, key: key), to: T.self)
    }
}
