/// A dictionary of Codable values that several processes read and write (what Python users get from
/// `Manager().dict()`, without a manager process).
///
/// The whole dictionary is kept encoded in a shared segment of fixed capacity, guarded by a
/// cross-process ``Lock``; each process caches the decoded dictionary and decodes again only when
/// another process changed it. Suited to shared settings, counters and results of moderate size:
/// every write re-encodes the dictionary. Create it before forking.
///
/// ```swift
/// let results = try SharedDictionary<Double>()
/// let p = Process { try results.setValue(3.14, forKey: "pi") }
/// try p.start(); try p.join()
/// print(try results.value(forKey: "pi")!)   // 3.14
/// ```
public final class SharedDictionary<Value: Codable & Sendable>: @unchecked Sendable {
    private let segment: SharedMemory
    private let lock: Lock
    /// Bytes available for the encoded dictionary.
    public let byteCapacity: Int
    private var cachedVersion = -1
    private var cached: [String: Value] = [:]
    private static var headerSize: Int { 16 }

    /// An empty dictionary with room for `byteCapacity` bytes of encoded entries.
    public init(byteCapacity: Int = 1 << 20) throws {
        guard byteCapacity >= 64 else { throw SharedDictionaryError.tooLarge(bytes: 64, capacity: byteCapacity) }
        self.byteCapacity = byteCapacity
        segment = try SharedMemory(byteCount: Self.headerSize + byteCapacity)
        lock = try Lock()
        try write([:])
    }

    /// The value for `key`, nil if absent.
    public func value(forKey key: String) throws -> Value? { try lock.withLock { try read()[key] } }

    /// Sets (or with nil, removes) the value for `key`.
    public func setValue(_ value: Value?, forKey key: String) throws {
        try lock.withLock {
            var dictionary = try read()
            dictionary[key] = value
            try write(dictionary)
        }
    }

    /// Removes `key`; returns the value it had.
    @discardableResult
    public func removeValue(forKey key: String) throws -> Value? {
        try lock.withLock {
            var dictionary = try read()
            let old = dictionary.removeValue(forKey: key)
            try write(dictionary)
            return old
        }
    }

    /// Reads, changes and writes back the value for `key` atomically (no other process can interleave).
    public func update<R>(_ key: String, _ body: (inout Value?) throws -> R) throws -> R {
        try lock.withLock {
            var dictionary = try read()
            var value = dictionary[key]
            let result = try body(&value)
            dictionary[key] = value
            try write(dictionary)
            return result
        }
    }

    /// A copy of the whole dictionary.
    public func snapshot() throws -> [String: Value] { try lock.withLock { try read() } }

    /// Number of entries.
    public var count: Int { (try? snapshot().count) ?? 0 }

    // MARK: - Storage (called with the lock held)

    private var version: Int {
        get { segment.base.load(as: Int.self) }
        set { segment.base.storeBytes(of: newValue, as: Int.self) }
    }

    private func read() throws -> [String: Value] {
        let current = segment.base.load(as: Int.self)
        if current == cachedVersion { return cached }
        let length = segment.base.load(fromByteOffset: 8, as: Int.self)
        let bytes = UnsafeRawBufferPointer(start: segment.base + Self.headerSize, count: length)
        cached = try BinaryDecoder().decode([String: Value].self, from: bytes)
        cachedVersion = current
        return cached
    }

    private func write(_ dictionary: [String: Value]) throws {
        let bytes = try BinaryEncoder().encode(dictionary)
        guard bytes.count <= byteCapacity else {
            throw SharedDictionaryError.tooLarge(bytes: bytes.count, capacity: byteCapacity)
        }
        bytes.withUnsafeBytes { (segment.base + Self.headerSize).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        segment.base.storeBytes(of: bytes.count, toByteOffset: 8, as: Int.self)
        let next = segment.base.load(as: Int.self) + 1
        segment.base.storeBytes(of: next, as: Int.self)
        cached = dictionary
        cachedVersion = next
    }
}

/// Why a shared dictionary could not store a change.
public enum SharedDictionaryError: Error, CustomStringConvertible, Sendable, Equatable {
    case tooLarge(bytes: Int, capacity: Int)

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let capacity):
            "the dictionary would need \(bytes) encoded bytes; its capacity is \(capacity) (create it with a larger byteCapacity)"
        }
    }
}
