/// State shared by every encoder of one `BinaryEncoder.encode` call.
final class EncodingContext {
    let userInfo: [CodingUserInfoKey: Any]
    let maximumDepth: Int
    /// The first contract violation seen; container methods cannot throw, so it is reported when `encode` ends.
    var firstMisuse: CodecError?
    /// Encoders handed out by `superEncoder()`. Their slot in the parent's container refers to them while they
    /// refer to their parent, a cycle that `releaseSuperEncoders()` breaks once the frame is written.
    private var superEncoders: [EncoderNode] = []

    init(userInfo: [CodingUserInfoKey: Any], maximumDepth: Int) {
        self.userInfo = userInfo
        self.maximumDepth = maximumDepth
    }

    func registerSuperEncoder(_ encoder: EncoderNode) { superEncoders.append(encoder) }

    func releaseSuperEncoders() {
        for encoder in superEncoders { encoder.parent = nil }
        superEncoders = []
    }
}

/// The `Encoder` handed to `encode(to:)`: one per nested value, holding that value once encoded.
final class EncoderNode: Encoder, CodingPathNode {
    let context: EncodingContext
    /// Cleared for super encoders once encoding ends (see `EncodingContext.releaseSuperEncoders`).
    fileprivate(set) var parent: EncoderNode?
    let key: (any CodingKey)?
    let depth: Int
    /// What this encoder produced; nil until a container is requested or a single value encoded.
    @exclusivity(unchecked) var value: EncodedValue?

    init(context: EncodingContext, parent: EncoderNode?, key: (any CodingKey)?, depth: Int) {
        self.context = context
        self.parent = parent
        self.key = key
        self.depth = depth
    }

    var parentNode: (any CodingPathNode)? { parent }
    var codingPath: [any CodingKey] { keyPath }
    var userInfo: [CodingUserInfoKey: Any] { context.userInfo }

    /// The value, with an encoder that wrote nothing standing for an empty keyed container (as in JSON `{}`).
    var resolvedValue: EncodedValue {
        if let value { return value }
        let empty = EncodedValue.keyed(KeyedStorage())
        value = empty
        return empty
    }

    func reportMisuse(_ expected: String, found: String) {
        guard context.firstMisuse == nil else { return }
        context.firstMisuse = CodecError(
            .invalidUse, expected: expected, found: found, codingPath: renderedPath(appending: nil))
    }

    /// An encoder for a value nested under `key`. Past the depth limit the misuse is recorded and reported
    /// when encoding ends (container methods cannot throw).
    func child(key: (any CodingKey)?) -> EncoderNode {
        if depth + 1 > context.maximumDepth, context.firstMisuse == nil {
            context.firstMisuse = CodecError(
                .tooDeep, expected: "at most \(context.maximumDepth) nested containers",
                found: "deeper nesting", codingPath: renderedPath(appending: key))
        }
        return EncoderNode(context: context, parent: self, key: key, depth: depth + 1)
    }

    /// An encoder for `superEncoder()`, whose value is read when the frame is written.
    func superChild(key: any CodingKey) -> EncoderNode {
        let encoder = child(key: key)
        context.registerSuperEncoder(encoder)
        return encoder
    }

    // MARK: Encoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedEncoding<Key>(encoder: self, storage: keyedStorage()))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedEncoding(encoder: self, storage: unkeyedStorage())
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueEncoding(encoder: self)
    }

    func keyedStorage() -> KeyedStorage {
        switch value {
        case .none:
            let storage = KeyedStorage()
            value = .keyed(storage)
            return storage
        case .keyed(let storage)?:
            return storage
        case .some:
            reportMisuse("one kind of container per encoder", found: "a keyed container after another value")
            return KeyedStorage()
        }
    }

    func unkeyedStorage() -> UnkeyedStorage {
        switch value {
        case .none:
            let storage = UnkeyedStorage()
            value = .unkeyed(storage)
            return storage
        case .unkeyed(let storage)?:
            return storage
        case .some:
            reportMisuse("one kind of container per encoder", found: "an unkeyed container after another value")
            return UnkeyedStorage()
        }
    }

    func setSingleValue(_ encoded: EncodedValue) {
        guard value == nil else {
            reportMisuse("one value per single-value container", found: "a second value")
            return
        }
        value = encoded
    }

    // MARK: Nested values

    /// Encodes a value nested under `key` (nil: the same position, from a single-value container).
    func encode<T: Encodable>(_ value: T, key: (any CodingKey)?) throws -> EncodedValue {
        if let primitive = Primitives.encodedValue(of: value) {
            return primitive
        }
        if let array = FastArrays.encodedValue(of: value) {
            return array
        }
        if let optional = T.self as? any CodecEncodableOptional.Type {
            return try optional.encodedValue(of: value, in: self, key: key)
        }
        guard depth < context.maximumDepth else {
            throw CodecError(
                .tooDeep, expected: "at most \(context.maximumDepth) nested containers",
                found: "deeper nesting while encoding \(T.self)", codingPath: renderedPath(appending: key))
        }
        let child = EncoderNode(context: context, parent: self, key: key, depth: depth + 1)
        try value.encode(to: child)
        return child.resolvedValue
    }
}
