/// Keyed container of ``BinaryEncoder``: entries in first-encoded order, a repeated key replaces its value.
struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: EncoderNode
    let storage: KeyedStorage

    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil(forKey key: Key) throws { storage.set(.null, for: key.stringValue) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { storage.set(.bool(value), for: key.stringValue) }
    mutating func encode(_ value: String, forKey key: Key) throws {
        storage.set(.string(value), for: key.stringValue)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        storage.set(.double(value), for: key.stringValue)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws { storage.set(.float(value), for: key.stringValue) }
    mutating func encode(_ value: Int, forKey key: Key) throws { storage.set(value.encodedValue, for: key.stringValue) }
    mutating func encode(_ value: Int8, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: Int16, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: Int32, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: Int64, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: Int128, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }
    mutating func encode(_ value: UInt128, forKey key: Key) throws {
        storage.set(value.encodedValue, for: key.stringValue)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        storage.set(try encoder.encode(value, key: key), for: key.stringValue)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = encoder.child(key: key)
        let container = child.container(keyedBy: keyType)
        storage.set(child.resolvedValue, for: key.stringValue)
        return container
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = encoder.child(key: key)
        let container = child.unkeyedContainer()
        storage.set(child.resolvedValue, for: key.stringValue)
        return container
    }

    mutating func superEncoder() -> any Encoder { superEncoder(for: SuperKey()) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(for: key) }

    private func superEncoder(for key: some CodingKey) -> any Encoder {
        let child = encoder.superChild(key: key)
        storage.set(.deferred(child), for: key.stringValue)
        return child
    }
}

/// Unkeyed container of ``BinaryEncoder``.
struct UnkeyedEncoding: UnkeyedEncodingContainer {
    let encoder: EncoderNode
    let storage: UnkeyedStorage

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { storage.elements.count }

    mutating func encodeNil() throws { storage.elements.append(.null) }
    mutating func encode(_ value: Bool) throws { storage.elements.append(.bool(value)) }
    mutating func encode(_ value: String) throws { storage.elements.append(.string(value)) }
    mutating func encode(_ value: Double) throws { storage.elements.append(.double(value)) }
    mutating func encode(_ value: Float) throws { storage.elements.append(.float(value)) }
    mutating func encode(_ value: Int) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: Int8) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: Int16) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: Int32) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: Int64) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: Int128) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: UInt) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: UInt8) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: UInt16) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: UInt32) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: UInt64) throws { storage.elements.append(value.encodedValue) }
    mutating func encode(_ value: UInt128) throws { storage.elements.append(value.encodedValue) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        storage.elements.append(try encoder.encode(value, key: IndexKey(count)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = encoder.child(key: IndexKey(count))
        let container = child.container(keyedBy: keyType)
        storage.elements.append(child.resolvedValue)
        return container
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = encoder.child(key: IndexKey(count))
        let container = child.unkeyedContainer()
        storage.elements.append(child.resolvedValue)
        return container
    }

    mutating func superEncoder() -> any Encoder {
        let child = encoder.superChild(key: IndexKey(count))
        storage.elements.append(.deferred(child))
        return child
    }
}

/// Single-value container of ``BinaryEncoder``: the value takes the encoder's own slot.
struct SingleValueEncoding: SingleValueEncodingContainer {
    let encoder: EncoderNode

    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.setSingleValue(.null) }
    mutating func encode(_ value: Bool) throws { encoder.setSingleValue(.bool(value)) }
    mutating func encode(_ value: String) throws { encoder.setSingleValue(.string(value)) }
    mutating func encode(_ value: Double) throws { encoder.setSingleValue(.double(value)) }
    mutating func encode(_ value: Float) throws { encoder.setSingleValue(.float(value)) }
    mutating func encode(_ value: Int) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: Int8) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: Int16) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: Int32) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: Int64) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: Int128) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: UInt) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: UInt8) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: UInt16) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: UInt32) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: UInt64) throws { encoder.setSingleValue(value.encodedValue) }
    mutating func encode(_ value: UInt128) throws { encoder.setSingleValue(value.encodedValue) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.setSingleValue(try encoder.encode(value, key: nil))
    }
}
