/// `[UInt8]`, `[Int]`, `[Float]` and `[Double]` skip the per-element Codable calls: they are written as one
/// packed run and, when the frame holds that run, read back in one loop (a memory copy for bytes and floats).
enum FastArrays {
    // Array metadata is looked up in a runtime cache on every `[UInt8].self`; compare identities kept once.
    private static let byteArray = ObjectIdentifier([UInt8].self)
    private static let intArray = ObjectIdentifier([Int].self)
    private static let doubleArray = ObjectIdentifier([Double].self)
    private static let floatArray = ObjectIdentifier([Float].self)

    static func encodedValue<T>(of value: T) -> EncodedValue? {
        let type = ObjectIdentifier(T.self)
        if type == byteArray { return .bytes(unsafeBitCast(value, to: [UInt8].self)) }
        if type == intArray { return .ints(unsafeBitCast(value, to: [Int].self)) }
        if type == doubleArray { return .doubles(unsafeBitCast(value, to: [Double].self)) }
        if type == floatArray { return .floats(unsafeBitCast(value, to: [Float].self)) }
        return nil
    }

    /// Whether `T` has a fast path for the run at `ref` (else the frame holds it in the general form).
    static func applies<T>(to type: T.Type, at ref: ValueRef) -> Bool {
        switch ref.tag {
        case .bytes: ObjectIdentifier(T.self) == byteArray
        case .packedSigned: ObjectIdentifier(T.self) == intArray
        case .packedFloat64: ObjectIdentifier(T.self) == doubleArray
        case .packedFloat32: ObjectIdentifier(T.self) == floatArray
        default: false
        }
    }

    /// Decodes the run at `ref` (callers checked ``applies(to:at:)``).
    static func decode<T>(_ type: T.Type, at ref: ValueRef, in decoder: DecoderNode) throws -> T {
        switch ref.tag {
        case .bytes: unsafeBitCast(try decoder.decodeByteArray(at: ref), to: T.self)
        case .packedSigned: unsafeBitCast(try decoder.decodePackedInts(at: ref), to: T.self)
        case .packedFloat64: unsafeBitCast(try decoder.decodePackedFloats(Double.self, at: ref), to: T.self)
        default: unsafeBitCast(try decoder.decodePackedFloats(Float.self, at: ref), to: T.self)
        }
    }
}
