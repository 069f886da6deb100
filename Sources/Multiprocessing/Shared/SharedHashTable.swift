import Atomics
#if canImport(Glibc)
import Glibc
#endif

/// The bytes behind a ``SharedDictionary``: a chained hash table of encoded entries in one shared
/// segment, guarded by striped robust mutexes. This is the only place the dictionary touches raw memory.
///
/// Layout (byte offsets from the segment's base):
/// - 0 magic · 8 heap cursor (atomic: the next never-used heap byte) · 16 hash seed
/// - 64: ``stripeCount`` stripes of 512 bytes: a ``MutexCell`` (64) · entry count (atomic, at +64) ·
///   48 free-list heads, one per block size class (at +128)
/// - then ``bucketCount`` bucket heads (8 bytes each: the offset of the chain's first block, 0 = empty)
/// - then the heap: blocks of `64 << sizeClass` bytes, 64-aligned, handed out once by the cursor and
///   afterwards recycled through the free list of the stripe that freed them.
///
/// A block: 0 next (offset of the next block of the chain, 0 = end) · 8 size class (UInt32) · 12 key
/// length (UInt32) · 16 hash · 24 value length · 32 key bytes, then value bytes.
///
/// Bucket `b` belongs to stripe `b % stripeCount`; every read and write of a bucket's chain, of the
/// stripe's count and of its free lists happens with the stripe's mutex held.
///
/// **Crash consistency.** A writer that dies at any instruction leaves every chain valid: a new or
/// replacing block is filled completely before one aligned 8-byte store links it in, a removal is one
/// store, and a block is recycled only after it was unlinked. What a death can lose is a block (never
/// linked, or unlinked but not yet on a free list: space, not data) and the stripe's count, which the
/// next locker recomputes (``recount(stripe:)``) when the mutex reports its owner's death. So every key
/// always has either its old or its new value.
struct SharedHashTable {
    static let stripeCount = 64
    static let stripeStride = 512
    static let stripesOffset = 64
    static let sizeClasses = 48
    static let blockHeader = 32
    static let minimumBlock = 64
    private static let magic: UInt64 = 0x6d70_726f_6364_6963  // "mprocdic"

    let base: UnsafeMutableRawPointer
    let bucketCount: Int
    let bucketsOffset: Int
    let heapStart: Int
    let heapEnd: Int

    /// Bytes the segment needs for a heap of `heapBytes` bytes; nil when that does not fit in an `Int`.
    static func geometry(heapBytes: Int) -> (bucketCount: Int, bucketsOffset: Int, heapStart: Int, total: Int)? {
        // One bucket per smallest block the heap can hold keeps chains short at any fill.
        var buckets = 64
        while buckets < heapBytes / minimumBlock, buckets < 1 << 30 { buckets <<= 1 }
        let bucketsOffset = stripesOffset + stripeCount * stripeStride
        let (bucketBytes, o1) = buckets.multipliedReportingOverflow(by: 8)
        let (heapStart, o2) = bucketsOffset.addingReportingOverflow(bucketBytes)
        let (total, o3) = heapStart.addingReportingOverflow(heapBytes)
        guard !o1, !o2, !o3 else { return nil }
        return (buckets, bucketsOffset, heapStart, total)
    }

    /// The table in `base`, laid out for `heapBytes` (see ``geometry(heapBytes:)``).
    init(base: UnsafeMutableRawPointer, heapBytes: Int) {
        let shape = Self.geometry(heapBytes: heapBytes)!
        self.base = base
        bucketCount = shape.bucketCount
        bucketsOffset = shape.bucketsOffset
        heapStart = shape.heapStart
        heapEnd = shape.total
    }

    /// Initializes fresh (zeroed) memory: the mutexes, the cursor and the seed.
    func format() throws(SyncError) {
        for stripe in 0..<Self.stripeCount { try MutexCell.initialize(at: mutexBase(stripe)) }
        base.storeBytes(of: UInt64.random(in: 0 ... .max), toByteOffset: 16, as: UInt64.self)
        cursor.store(heapStart, ordering: .relaxed)
        base.storeBytes(of: Self.magic, as: UInt64.self)
    }

    // MARK: - Header and stripes

    private var cursor: UnsafeAtomic<Int> {
        UnsafeAtomic(at: (base + 8).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    private func mutexBase(_ stripe: Int) -> UnsafeMutableRawPointer {
        base + Self.stripesOffset + stripe * Self.stripeStride
    }

    func mutex(_ stripe: Int) -> MutexCell { MutexCell(base: mutexBase(stripe)) }

    func count(_ stripe: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (mutexBase(stripe) + 64).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    /// The offset of `stripe`'s free-list head for blocks of `sizeClass`.
    private func freeHead(_ stripe: Int, _ sizeClass: Int) -> Int {
        Self.stripesOffset + stripe * Self.stripeStride + 128 + sizeClass * 8
    }

    /// Entries in the whole table (the stripes' counts, read without locks).
    var totalCount: Int {
        (0..<Self.stripeCount).reduce(0) { $0 + count($1).load(ordering: .acquiring) }
    }

    /// Heap bytes handed out so far (blocks in use, on free lists, or lost to a dead writer).
    var heapUsed: Int { cursor.load(ordering: .relaxed) - heapStart }

    // MARK: - Keys

    /// FNV-1a over the key's bytes, seeded per dictionary (the same in every process, unlike `Hasher`).
    func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ base.load(fromByteOffset: 16, as: UInt64.self)
        for byte in key {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return h ^ (h >> 29)
    }

    func bucket(of hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & (bucketCount - 1) }

    static func stripe(of bucket: Int) -> Int { bucket & (stripeCount - 1) }

    private func word(_ offset: Int) -> Int { base.load(fromByteOffset: offset, as: Int.self) }
    private func setWord(_ offset: Int, _ value: Int) { base.storeBytes(of: value, toByteOffset: offset, as: Int.self) }

    private func headSlot(_ bucket: Int) -> Int { bucketsOffset + bucket * 8 }

    // MARK: - Blocks (with the stripe locked)

    /// A located entry: the slot that links to it (a bucket head or a block's next field) and the block.
    struct Found {
        let link: Int
        let block: Int
        let valueLength: Int
        let keyLength: Int
    }

    /// The entry for `key` in `bucket`, nil if absent.
    /// - Throws: ``SharedDictionaryError/damaged(_:)`` when a chain points outside the heap.
    func find(_ key: UnsafeRawBufferPointer, hash: UInt64, bucket: Int) throws(SharedDictionaryError) -> Found? {
        var link = headSlot(bucket)
        var steps = 0
        let limit = (heapEnd - heapStart) / Self.minimumBlock + 1
        while true {
            let block = word(link)
            if block == 0 { return nil }
            let (keyLength, valueLength) = try checkBlock(block)
            if base.load(fromByteOffset: block + 16, as: UInt64.self) == hash, keyLength == key.count,
                key.isEmpty || memcmp(base + block + Self.blockHeader, key.baseAddress!, key.count) == 0
            {
                return Found(link: link, block: block, valueLength: valueLength, keyLength: keyLength)
            }
            steps += 1
            guard steps <= limit else { throw .damaged("a chain of bucket \(bucket) loops") }
            link = block
        }
    }

    /// Validates a block offset read from shared memory; returns its key and value lengths.
    private func checkBlock(_ block: Int) throws(SharedDictionaryError) -> (key: Int, value: Int) {
        guard block >= heapStart, block <= heapEnd - Self.minimumBlock, block & 63 == 0 else {
            throw .damaged("a link points to offset \(block), outside the heap \(heapStart)..<\(heapEnd)")
        }
        let sizeClass = Int(base.load(fromByteOffset: block + 8, as: UInt32.self))
        let keyLength = Int(base.load(fromByteOffset: block + 12, as: UInt32.self))
        let valueLength = word(block + 24)
        guard sizeClass < Self.sizeClasses, (heapEnd - block) >> sizeClass >= Self.minimumBlock,
            valueLength >= 0, valueLength <= (Self.minimumBlock << sizeClass) - Self.blockHeader - keyLength
        else {
            throw .damaged("the block at offset \(block) declares sizes that do not fit in it")
        }
        return (keyLength, valueLength)
    }

    /// The value bytes of a found entry (valid while the stripe stays locked).
    func value(_ found: Found) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + found.block + Self.blockHeader + found.keyLength, count: found.valueLength)
    }

    /// Links a new block holding `key` and `value` in place of `existing` (or at the head of `bucket`),
    /// then recycles the old block. Changes nothing when there is no room.
    func store(
        _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, hash: UInt64, bucket: Int, replacing existing: Found?
    ) throws(SharedDictionaryError) {
        let stripe = Self.stripe(of: bucket)
        let (needed, overflow) = (Self.blockHeader + key.count).addingReportingOverflow(value.count)
        guard !overflow, needed <= heapEnd - heapStart else {
            throw .tooLarge(bytes: overflow ? Int.max : needed, capacity: heapEnd - heapStart)
        }
        var sizeClass = 0
        while Self.minimumBlock << sizeClass < needed, sizeClass < Self.sizeClasses - 1 { sizeClass += 1 }
        let block = try allocate(sizeClass, stripe: stripe)
        let next = existing.map { word($0.block) } ?? word(headSlot(bucket))
        setWord(block, next)
        base.storeBytes(of: UInt32(sizeClass), toByteOffset: block + 8, as: UInt32.self)
        base.storeBytes(of: UInt32(key.count), toByteOffset: block + 12, as: UInt32.self)
        base.storeBytes(of: hash, toByteOffset: block + 16, as: UInt64.self)
        setWord(block + 24, value.count)
        if !key.isEmpty { (base + block + Self.blockHeader).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        if !value.isEmpty {
            (base + block + Self.blockHeader + key.count).copyMemory(from: value.baseAddress!, byteCount: value.count)
        }
        // The one store that makes the new entry visible.
        setWord(existing?.link ?? headSlot(bucket), block)
        if let existing {
            recycle(existing.block, stripe: stripe)
        } else {
            count(stripe).wrappingIncrement(ordering: .releasing)
        }
    }

    /// Unlinks a found entry and recycles its block.
    func remove(_ found: Found, bucket: Int) {
        let stripe = Self.stripe(of: bucket)
        setWord(found.link, word(found.block))
        count(stripe).wrappingDecrement(ordering: .releasing)
        recycle(found.block, stripe: stripe)
    }

    private func allocate(_ sizeClass: Int, stripe: Int) throws(SharedDictionaryError) -> Int {
        let head = freeHead(stripe, sizeClass)
        let recycled = word(head)
        if recycled != 0 {
            _ = try checkBlock(recycled)
            setWord(head, word(recycled))
            return recycled
        }
        let size = Self.minimumBlock << sizeClass
        var current = cursor.load(ordering: .relaxed)
        while true {
            guard current <= heapEnd - size else {
                throw .tooLarge(bytes: current - heapStart + size, capacity: heapEnd - heapStart)
            }
            let (exchanged, original) = cursor.weakCompareExchange(
                expected: current, desired: current + size, ordering: .relaxed)
            if exchanged { return current }
            current = original
        }
    }

    private func recycle(_ block: Int, stripe: Int) {
        let sizeClass = Int(base.load(fromByteOffset: block + 8, as: UInt32.self))
        let head = freeHead(stripe, sizeClass)
        setWord(block, word(head))
        setWord(head, block)
    }

    // MARK: - Walking

    /// Calls `body` with the key and value bytes of every entry of `stripe`'s buckets.
    func forEach(
        stripe: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var bucket = stripe
        while bucket < bucketCount {
            var block = word(headSlot(bucket))
            var steps = 0
            while block != 0 {
                let (keyLength, valueLength) = try checkBlock(block)
                let key = UnsafeRawBufferPointer(start: base + block + Self.blockHeader, count: keyLength)
                let value = UnsafeRawBufferPointer(start: key.baseAddress! + keyLength, count: valueLength)
                try body(key, value)
                steps += 1
                guard steps <= (heapEnd - heapStart) / Self.minimumBlock else {
                    throw SharedDictionaryError.damaged("a chain of bucket \(bucket) loops")
                }
                block = word(block)
            }
            bucket += Self.stripeCount
        }
    }

    /// Recomputes `stripe`'s count from its chains, after a writer died holding its mutex.
    func recount(stripe: Int) throws {
        var entries = 0
        try forEach(stripe: stripe) { _, _ in entries += 1 }
        count(stripe).store(entries, ordering: .releasing)
    }
}
