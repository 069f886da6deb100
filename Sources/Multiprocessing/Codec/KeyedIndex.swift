/// The entries of one keyed container, located once so that keys can be looked up in any order.
///
/// Lookups compare the requested key's UTF-8 with the frame's bytes in place. Most decoders ask for keys in
/// the order they were written, so the entry after the last hit is tried first; small containers are then
/// scanned, large ones (dictionaries) get a hash table on the first miss.
final class KeyedIndex {
    struct Entry {
        var keyStart: Int
        var keyCount: Int
        var value: ValueRef
    }

    let context: DecodingContext
    let entries: [Entry]
    @exclusivity(unchecked) private var hint = 0
    private var table: [String: Int]?

    private static let scanLimit = 16

    init(ref: ValueRef, decoder: DecoderNode) throws {
        let context = decoder.context
        self.context = context
        let bounds = try context.sequenceBounds(of: .keyed, at: ref.payload, limit: ref.end, node: decoder, key: nil)
        var entries = [Entry]()
        entries.reserveCapacity(min(bounds.count, 1024))
        var offset = bounds.start
        for _ in 0..<bounds.count {
            let keyCount = try context.length(
                &offset, limit: bounds.end, what: "a key's byte count", node: decoder, key: nil)
            guard context.isValidUTF8(at: offset, count: keyCount) else {
                throw context.fail(
                    .invalidUTF8, expected: "a key of \(keyCount) bytes of UTF-8", found: "an invalid sequence",
                    at: offset, node: decoder, key: nil)
            }
            let keyStart = offset
            offset += keyCount
            let value: ValueRef
            do {
                value = try context.valueRef(at: offset, limit: bounds.end, node: decoder, key: nil)
            } catch var error as CodecError {
                error.codingPath.append(context.string(at: keyStart, count: keyCount))
                throw error
            }
            entries.append(Entry(keyStart: keyStart, keyCount: keyCount, value: value))
            offset = value.end
        }
        guard offset == bounds.end else {
            throw context.fail(
                .malformed, expected: "\(bounds.count) entries filling \(bounds.end - bounds.start) bytes",
                found: "\(bounds.end - offset) bytes left over", at: offset, node: decoder, key: nil)
        }
        self.entries = entries
    }

    func keyString(_ index: Int) -> String {
        context.string(at: entries[index].keyStart, count: entries[index].keyCount)
    }

    /// The value stored under `key`, or nil. With duplicate keys (never written by the encoder) the first wins.
    func lookup(_ key: String) -> ValueRef? {
        let n = entries.count
        guard n > 0 else { return nil }
        var key = key
        let found: Int?? = key.withUTF8 { wanted in
            if hint < n, matches(entries[hint], wanted) { return hint }
            guard n <= Self.scanLimit else { return Int??.none }
            for index in 0..<n where matches(entries[index], wanted) { return index }
            return Int?.none
        }
        let index: Int?
        switch found {
        case .some(let scanned): index = scanned
        case .none: index = hashedLookup(key)
        }
        guard let index else { return nil }
        hint = index + 1
        return entries[index].value
    }

    private func hashedLookup(_ key: String) -> Int? {
        if table == nil {
            var built = [String: Int](minimumCapacity: entries.count)
            for index in entries.indices where built[keyString(index)] == nil {
                built[keyString(index)] = index
            }
            table = built
        }
        return table![key]
    }

    private func matches(_ entry: Entry, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        guard entry.keyCount == wanted.count else { return false }
        for i in 0..<wanted.count where context.byte(at: entry.keyStart + i) != wanted[i] { return false }
        return true
    }

    /// The keys present, for error messages.
    func summary(limit: Int = 8) -> String {
        guard !entries.isEmpty else { return "an empty container" }
        let shown = entries.indices.prefix(limit).map { "\"\(keyString($0))\"" }.joined(separator: ", ")
        return "keys " + shown + (entries.count > limit ? ", … (\(entries.count) in all)" : "")
    }
}

extension DecodingContext {
    /// A `String` from bytes already checked by `isValidUTF8`.
    func string(at offset: Int, count: Int) -> String {
        String(decoding: utf8Buffer(at: offset, count: count), as: UTF8.self)
    }
}
