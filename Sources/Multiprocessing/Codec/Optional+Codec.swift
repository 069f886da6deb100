/// Optionals are written as their wrapped value, or as nil. Only `.some(x)` where `x` itself comes out as nil
/// (an `Int??` holding `.some(nil)`) needs a wrapper tag, so nested optionals round-trip exactly while plain
/// ones cost nothing.
protocol CodecEncodableOptional {
    static func encodedValue<V>(of value: V, in encoder: EncoderNode, key: (any CodingKey)?) throws -> EncodedValue
}

extension Optional: CodecEncodableOptional where Wrapped: Encodable {
    static func encodedValue<V>(of value: V, in encoder: EncoderNode, key: (any CodingKey)?) throws -> EncodedValue {
        guard let wrapped = unsafeBitCast(value, to: Self.self) else { return .null }
        let inner = try encoder.encode(wrapped, key: key)
        switch inner {
        case .null, .wrapper: return .wrapper(inner)
        default: return inner
        }
    }
}

protocol CodecDecodableOptional {
    static func decodedValue<T>(
        _ type: T.Type, at ref: ValueRef, in decoder: DecoderNode, key: (any CodingKey)?
    ) throws -> T
}

extension Optional: CodecDecodableOptional where Wrapped: Decodable {
    static func decodedValue<T>(
        _ type: T.Type, at ref: ValueRef, in decoder: DecoderNode, key: (any CodingKey)?
    ) throws -> T {
        let value: Wrapped?
        switch ref.tag {
        case .null:
            value = nil
        case .wrapper:
            let inner = try decoder.context.valueRef(at: ref.payload, limit: ref.end, node: decoder, key: key)
            value = try decoder.decode(Wrapped.self, at: inner, key: key)
        default:
            value = try decoder.decode(Wrapped.self, at: ref, key: key)
        }
        return unsafeBitCast(value, to: T.self)
    }
}
