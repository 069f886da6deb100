/// A value as the encoder collects it. Codable lets an encoder hand out several containers and write into them
/// in any order (and `superEncoder()` fills its slot later), so values are gathered into this small tree first
/// and written in one pass once the sizes are known.
enum EncodedValue {
    case null
    case bool(Bool)
    case signed(Int64)
    case unsigned(UInt64)
    /// An `Int128`, split so the enum keeps 8-byte alignment.
    case wideSigned(high: Int64, low: UInt64)
    /// A `UInt128`.
    case wideUnsigned(high: UInt64, low: UInt64)
    case float(Float)
    case double(Double)
    case string(String)
    /// Fast paths for the arrays tasks move most: written packed without per-element work.
    case bytes([UInt8])
    case ints([Int])
    case floats([Float])
    case doubles([Double])
    case unkeyed(UnkeyedStorage)
    case keyed(KeyedStorage)
    /// `.some(x)` where `x` itself encodes as nil or as another wrapper (`Int??` holding `.some(nil)`).
    indirect case wrapper(EncodedValue)
    /// The slot of an encoder handed out by `superEncoder()`, filled when that encoder is used.
    case deferred(EncoderNode)
}

/// The elements of an unkeyed container, with the layout chosen when the frame is measured.
final class UnkeyedStorage {
    @exclusivity(unchecked) var elements: [EncodedValue] = []
    var packing = Packing.none
    var bodySize = 0

    /// How the elements are written: each with its tag, or as one packed run of a single kind.
    enum Packing { case none, signed, unsigned, float32, float64 }
}

/// The entries of a keyed container in the order they were first encoded. Encoding a key again replaces its
/// value, as Foundation's encoders do, so the wire never carries duplicate keys.
final class KeyedStorage {
    struct Entry {
        var key: String
        var value: EncodedValue
    }

    @exclusivity(unchecked) var entries: [Entry] = []
    var bodySize = 0
    /// Built once a container grows past a handful of keys (dictionaries), so `set` stays O(1).
    @exclusivity(unchecked) private var positions: [String: Int]?

    func set(_ value: EncodedValue, for key: String) {
        if let positions {
            if let existing = positions[key] {
                entries[existing].value = value
                return
            }
        } else if let existing = entries.firstIndex(where: { $0.key == key }) {
            entries[existing].value = value
            return
        }
        if entries.isEmpty { entries.reserveCapacity(8) }
        entries.append(Entry(key: key, value: value))
        if positions != nil {
            positions![key] = entries.count - 1
        } else if entries.count > 12 {
            var table = [String: Int](minimumCapacity: entries.count * 2)
            for (position, entry) in entries.enumerated() { table[entry.key] = position }
            positions = table
        }
    }
}

/// Writes a finished value tree as a frame: one pass to measure (and to choose packings), one to write.
struct FrameSerializer {
    let maximumDepth: Int
    private var writer = ByteWriter()

    init(maximumDepth: Int) { self.maximumDepth = maximumDepth }

    /// The complete frame for `value`: header, then the value.
    mutating func frame(_ value: EncodedValue) throws -> [UInt8] {
        let payload = try measure(value, depth: 0)
        let total = 2 + ByteWriter.varintSize(UInt64(payload)) + payload
        writer.bytes.reserveCapacity(total)
        writer.byte(CodecFormat.magic)
        writer.byte(CodecFormat.version)
        writer.length(payload)
        write(value)
        assert(writer.bytes.count == total, "measured \(total) bytes, wrote \(writer.bytes.count)")
        return writer.bytes
    }

    // MARK: Measuring

    /// The bytes `value` takes, tag included. Caches container sizes and packings for `write`.
    private func measure(_ value: EncodedValue, depth: Int) throws -> Int {
        switch value {
        case .null, .bool: return 1
        case .signed(let v): return 1 + ByteWriter.varintSize(ZigZag.encode(v))
        case .unsigned(let v): return 1 + ByteWriter.varintSize(v)
        case .wideSigned(let high, let low):
            return 1 + ByteWriter.varintSize(ZigZag.encode(Int128(high) << 64 | Int128(low)))
        case .wideUnsigned(let high, let low):
            return 1 + ByteWriter.varintSize(UInt128(high) << 64 | UInt128(low))
        case .float: return 5
        case .double: return 9
        case .string(let s):
            let count = s.utf8.count
            return 1 + ByteWriter.varintSize(UInt64(count)) + count
        case .bytes(let a): return 1 + ByteWriter.varintSize(UInt64(a.count)) + a.count
        case .floats(let a): return 1 + ByteWriter.varintSize(UInt64(a.count)) + 4 * a.count
        case .doubles(let a): return 1 + ByteWriter.varintSize(UInt64(a.count)) + 8 * a.count
        case .ints(let a):
            return Self.sequenceSize(count: a.count, body: Self.packedSize(a))
        case .unkeyed(let storage):
            try checkDepth(depth)
            measurePacking(storage)
            if storage.packing == .none {
                var body = 0
                for element in storage.elements { body += try measure(element, depth: depth + 1) }
                storage.bodySize = body
            }
            switch storage.packing {
            case .float32, .float64:
                // Fixed-width runs carry no byte length: it follows from the count.
                return 1 + ByteWriter.varintSize(UInt64(storage.elements.count)) + storage.bodySize
            case .none, .signed, .unsigned:
                return Self.sequenceSize(count: storage.elements.count, body: storage.bodySize)
            }
        case .keyed(let storage):
            try checkDepth(depth)
            var body = 0
            for entry in storage.entries {
                let keyCount = entry.key.utf8.count
                body += ByteWriter.varintSize(UInt64(keyCount)) + keyCount
                body += try measure(entry.value, depth: depth + 1)
            }
            storage.bodySize = body
            return Self.sequenceSize(count: storage.entries.count, body: body)
        case .wrapper(let inner):
            try checkDepth(depth)
            return 1 + (try measure(inner, depth: depth + 1))
        case .deferred(let encoder):
            return try measure(encoder.resolvedValue, depth: depth)
        }
    }

    private func checkDepth(_ depth: Int) throws {
        guard depth < maximumDepth else {
            throw CodecError(
                .tooDeep, expected: "at most \(maximumDepth) nested containers",
                found: "deeper nesting while writing the frame")
        }
    }

    private static func sequenceSize(count: Int, body: Int) -> Int {
        1 + ByteWriter.varintSize(UInt64(count)) + ByteWriter.varintSize(UInt64(body)) + body
    }

    private static func packedSize(_ values: [Int]) -> Int {
        var body = 0
        for v in values { body += ByteWriter.varintSize(ZigZag.encode(Int64(v))) }
        return body
    }

    /// Packs an unkeyed container whose elements are all integers of one signedness or all floats of one
    /// width: it saves the tag byte per element and decodes the same way element by element.
    private func measurePacking(_ storage: UnkeyedStorage) {
        storage.packing = .none
        guard let first = storage.elements.first else { return }
        var body = 0
        switch first {
        case .signed:
            for element in storage.elements {
                guard case .signed(let v) = element else { return }
                body += ByteWriter.varintSize(ZigZag.encode(v))
            }
            storage.packing = .signed
        case .unsigned:
            for element in storage.elements {
                guard case .unsigned(let v) = element else { return }
                body += ByteWriter.varintSize(v)
            }
            storage.packing = .unsigned
        case .float:
            for element in storage.elements {
                guard case .float = element else { return }
            }
            body = 4 * storage.elements.count
            storage.packing = .float32
        case .double:
            for element in storage.elements {
                guard case .double = element else { return }
            }
            body = 8 * storage.elements.count
            storage.packing = .float64
        default:
            return
        }
        storage.bodySize = body
    }

    // MARK: Writing

    private mutating func write(_ value: EncodedValue) {
        switch value {
        case .null: writer.byte(Tag.null.rawValue)
        case .bool(let b): writer.byte(b ? Tag.trueValue.rawValue : Tag.falseValue.rawValue)
        case .signed(let v):
            writer.byte(Tag.signed.rawValue)
            writer.varint(ZigZag.encode(v))
        case .unsigned(let v):
            writer.byte(Tag.unsigned.rawValue)
            writer.varint(v)
        case .wideSigned(let high, let low):
            writer.byte(Tag.signed.rawValue)
            writer.varint(ZigZag.encode(Int128(high) << 64 | Int128(low)))
        case .wideUnsigned(let high, let low):
            writer.byte(Tag.unsigned.rawValue)
            writer.varint(UInt128(high) << 64 | UInt128(low))
        case .float(let v):
            writer.byte(Tag.float32.rawValue)
            writer.fixed32(v.bitPattern)
        case .double(let v):
            writer.byte(Tag.float64.rawValue)
            writer.fixed64(v.bitPattern)
        case .string(let s):
            writer.byte(Tag.string.rawValue)
            writer.length(s.utf8.count)
            writer.utf8(s)
        case .bytes(let a):
            writer.byte(Tag.bytes.rawValue)
            writer.length(a.count)
            writer.bytes.append(contentsOf: a)
        case .floats(let a):
            writer.byte(Tag.packedFloat32.rawValue)
            writer.length(a.count)
            #if _endian(little)
            a.withUnsafeBytes { writer.bytes.append(contentsOf: $0) }
            #else
            for v in a { writer.fixed32(v.bitPattern) }
            #endif
        case .doubles(let a):
            writer.byte(Tag.packedFloat64.rawValue)
            writer.length(a.count)
            #if _endian(little)
            a.withUnsafeBytes { writer.bytes.append(contentsOf: $0) }
            #else
            for v in a { writer.fixed64(v.bitPattern) }
            #endif
        case .ints(let a):
            writer.byte(Tag.packedSigned.rawValue)
            writer.length(a.count)
            writer.length(Self.packedSize(a))
            for v in a { writer.varint(ZigZag.encode(Int64(v))) }
        case .unkeyed(let storage):
            writeUnkeyed(storage)
        case .keyed(let storage):
            writer.byte(Tag.keyed.rawValue)
            writer.length(storage.entries.count)
            writer.length(storage.bodySize)
            for entry in storage.entries {
                writer.length(entry.key.utf8.count)
                writer.utf8(entry.key)
                write(entry.value)
            }
        case .wrapper(let inner):
            writer.byte(Tag.wrapper.rawValue)
            write(inner)
        case .deferred(let encoder):
            write(encoder.resolvedValue)
        }
    }

    private mutating func writeUnkeyed(_ storage: UnkeyedStorage) {
        let tag: Tag =
            switch storage.packing {
            case .none: .unkeyed
            case .signed: .packedSigned
            case .unsigned: .packedUnsigned
            case .float32: .packedFloat32
            case .float64: .packedFloat64
            }
        writer.byte(tag.rawValue)
        writer.length(storage.elements.count)
        switch storage.packing {
        case .none:
            writer.length(storage.bodySize)
            for element in storage.elements { write(element) }
        case .signed:
            writer.length(storage.bodySize)
            for case .signed(let v) in storage.elements { writer.varint(ZigZag.encode(v)) }
        case .unsigned:
            writer.length(storage.bodySize)
            for case .unsigned(let v) in storage.elements { writer.varint(v) }
        case .float32:
            for case .float(let v) in storage.elements { writer.fixed32(v.bitPattern) }
        case .float64:
            for case .double(let v) in storage.elements { writer.fixed64(v.bitPattern) }
        }
    }
}
