/// A dictionary of Codable values that several processes read and write (what Python users get from
/// `Manager().dict()`, without a manager process).
///
/// A hash table in one shared segment: each entry is stored encoded on its own (the key's UTF-8 bytes
/// and the value's binary encoding), and the buckets are guarded by 64 striped, process-shared, robust
/// mutexes. A read or a write locks one stripe and encodes or decodes one entry, so its cost does not
/// depend on how many entries the dictionary holds, and processes working on different keys rarely
/// wait for each other. Create it before forking.
///
/// ```swift
/// let results = try SharedDictionary<Double>()
/// let p = Process { try results.setValue(3.14, forKey: "pi") }
/// try p.start(); try p.join()
/// print(try results.value(forKey: "pi")!)   // 3.14
/// ```
///
/// **Capacity.** The segment is sized once, at creation: `byteCapacity` bytes for entries (each takes
/// its encoded size plus 32 bytes, rounded up to a power of two of at least 64). A write that does not
/// fit throws ``SharedDictionaryError/tooLarge(bytes:capacity:)`` and changes nothing. The memory is
/// touched only as entries are written, so a generous capacity costs little until it is used. Space a
/// removed or replaced entry held is reused by later entries of the same size class.
///
/// **A process that dies holding a lock** (killed inside ``update(_:_:)`` or mid-write) leaves every
/// key with either its old or its new value: a new entry is linked in by one aligned store after it
/// is complete. The next process to take that stripe recounts it and goes on; nothing is thrown.
///
/// Do not call the dictionary from inside an ``update(_:_:)`` body: a key in the same stripe throws
/// ``SyncError/Code/wouldDeadlock``, one in another stripe could deadlock with a process doing the
/// reverse (unless a ``timeout`` is set).
public final class SharedDictionary<Value: Codable & Sendable>: @unchecked Sendable {
    private let segment: SharedMemory
    private let table: SharedHashTable
    /// Bytes available for entries.
    public let byteCapacity: Int
    /// The most any call waits for a stripe another process holds (nil: no limit); then it throws
    /// ``SyncError/Code/timedOut``.
    public let timeout: Duration?

    /// An empty dictionary with room for `byteCapacity` bytes of entries.
    /// - Parameter timeout: see ``timeout``.
    /// - Throws: ``SharedDictionaryError/tooLarge(bytes:capacity:)`` below 64 bytes,
    ///   ``SharedDictionaryError/invalidCapacity(_:)`` for a size no segment can have, or the
    ///   ``SharedMemoryError`` of a capacity larger than the available memory.
    public init(byteCapacity: Int = 1 << 20, timeout: Duration? = nil) throws {
        guard byteCapacity >= 0 else { throw SharedDictionaryError.invalidCapacity(byteCapacity) }
        guard byteCapacity >= 64 else { throw SharedDictionaryError.tooLarge(bytes: 64, capacity: byteCapacity) }
        guard let shape = SharedHashTable.geometry(heapBytes: byteCapacity) else {
            throw SharedDictionaryError.invalidCapacity(byteCapacity)
        }
        if let timeout, timeout < .zero { throw SyncError(.invalidArgument, "SharedDictionary: negative timeout \(timeout)") }
        self.byteCapacity = byteCapacity
        self.timeout = timeout
        segment = try SharedMemory(byteCount: shape.total)
        table = SharedHashTable(base: segment.base, heapBytes: byteCapacity)
        try table.format()
    }

    /// The value for `key`, nil if absent.
    public func value(forKey key: String) throws -> Value? {
        try withEntry(key) { (found, _, _) -> Value? in
            guard let found else { return nil }
            return try BinaryDecoder().decode(Value.self, from: table.value(found))
        }
    }

    /// Sets (or with nil, removes) the value for `key`.
    public func setValue(_ value: Value?, forKey key: String) throws {
        guard let value else {
            try removeValue(forKey: key)
            return
        }
        let encoded = try BinaryEncoder().encode(value)
        try withEntry(key) { found, keyBytes, place in
            try encoded.withUnsafeBytes { bytes in
                try table.store(keyBytes, bytes, hash: place.hash, bucket: place.bucket, replacing: found)
            }
        }
    }

    /// Removes `key`; returns the value it had.
    @discardableResult
    public func removeValue(forKey key: String) throws -> Value? {
        try withEntry(key) { (found, _, place) -> Value? in
            guard let found else { return nil }
            let old = try BinaryDecoder().decode(Value.self, from: table.value(found))
            table.remove(found, bucket: place.bucket)
            return old
        }
    }

    /// Reads, changes and writes back the value for `key` atomically (no other process can interleave);
    /// setting it to nil removes the key. When `body` throws, nothing is written.
    public func update<R>(_ key: String, _ body: (inout Value?) throws -> R) throws -> R {
        try withEntry(key) { found, keyBytes, place in
            var value = try found.map { try BinaryDecoder().decode(Value.self, from: table.value($0)) }
            let result = try body(&value)
            if let value {
                let encoded = try BinaryEncoder().encode(value)
                try encoded.withUnsafeBytes { bytes in
                    try table.store(keyBytes, bytes, hash: place.hash, bucket: place.bucket, replacing: found)
                }
            } else if let found {
                table.remove(found, bucket: place.bucket)
            }
            return result
        }
    }

    /// A copy of the whole dictionary, taken with every stripe locked (a consistent snapshot).
    public func snapshot() throws -> [String: Value] {
        let deadline = SyncDeadline.after(timeout)
        var held: [Int] = []
        defer { for stripe in held.reversed() { table.mutex(stripe).unlock() } }
        for stripe in 0..<SharedHashTable.stripeCount {
            try lock(stripe, until: deadline)
            held.append(stripe)
        }
        var all: [String: Value] = [:]
        all.reserveCapacity(table.totalCount)
        let decoder = BinaryDecoder()
        for stripe in 0..<SharedHashTable.stripeCount {
            try table.forEach(stripe: stripe) { key, value in
                all[String(decoding: key, as: UTF8.self)] = try decoder.decode(Value.self, from: value)
            }
        }
        return all
    }

    /// Number of entries (the stripes' counts added up, without locking).
    public var count: Int { table.totalCount }

    /// Bytes of the capacity handed out so far (entries, recycled space, and space lost to a process
    /// that died mid-write).
    public var bytesUsed: Int { table.heapUsed }

    // MARK: - Locking

    private struct Place {
        let hash: UInt64
        let bucket: Int
    }

    /// Locks the stripe of `key`'s bucket, finds the entry and runs `body`, then unlocks.
    private func withEntry<R>(
        _ key: String, _ body: (SharedHashTable.Found?, UnsafeRawBufferPointer, Place) throws -> R
    ) throws -> R {
        var key = key
        return try key.withUTF8 { utf8 in
            let keyBytes = UnsafeRawBufferPointer(utf8)
            let hash = table.hash(keyBytes)
            let bucket = table.bucket(of: hash)
            let stripe = SharedHashTable.stripe(of: bucket)
            try lock(stripe, until: .after(timeout))
            defer { table.mutex(stripe).unlock() }
            let found = try table.find(keyBytes, hash: hash, bucket: bucket)
            return try body(found, keyBytes, Place(hash: hash, bucket: bucket))
        }
    }

    /// Locks `stripe`; after its holder died, recounts it first (see the type's discussion).
    private func lock(_ stripe: Int, until deadline: SyncDeadline) throws {
        let mutex = table.mutex(stripe)
        switch try mutex.lock(until: deadline, in: "SharedDictionary") {
        case .acquired:
            return
        case .ownerDied:
            do {
                try table.recount(stripe: stripe)
            } catch {
                mutex.unlock()
                throw error
            }
        case .timedOut:
            throw SyncError(
                .timedOut,
                "SharedDictionary: another process held a lock of the dictionary for longer than the timeout "
                    + "(\(timeout.map { "\($0)" } ?? "none")); it may be stopped or stuck")
        }
    }
}

/// Why a shared dictionary could not be made or could not store a change.
public enum SharedDictionaryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The entries would need `bytes` bytes; the dictionary was made with `capacity`.
    case tooLarge(bytes: Int, capacity: Int)
    /// A capacity no segment can have (negative, or too large to address).
    case invalidCapacity(Int)
    /// The shared segment holds something no dictionary operation writes (a process wrote over it).
    case damaged(String)

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let capacity):
            "the dictionary would need \(bytes) encoded bytes; its capacity is \(capacity) (create it with a larger byteCapacity)"
        case .invalidCapacity(let capacity):
            "invalid dictionary capacity \(capacity) bytes: it must be at least 64 and fit in memory"
        case .damaged(let what):
            "the shared dictionary's memory is damaged: \(what)"
        }
    }
}
