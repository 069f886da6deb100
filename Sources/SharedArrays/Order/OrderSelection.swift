import Multiprocessing
import Synchronization

/// Exact order statistics by parallel selection: a histogram pass (``KeyHistogram``) narrows each wanted
/// rank to a 16-bit digit of the key; a gather pass (``KeyGatherJob``) copies the keys of those digits, and
/// a serial radix select finishes. A digit holding too many keys to gather is narrowed by another
/// histogram pass over its keys. A median costs about two passes over the data, not a sort; every rank
/// shares them.
/// Where the passes of an exact order statistic run: one node's array (``SharedArray``), or the ranks of
/// an MPI job, each holding a share of the data. The selection (which digits to narrow, which keys to
/// gather, the final radix select) is the same code for both, so the results are the same bits.
public protocol OrderKeySource {
    associatedtype Element: SharedElement
    /// Elements in all.
    var count: Int { get }
    /// The 65,536 counts of every element's selection key (``OrderKey/selection(_:)``) by its top 16 bits
    /// (`prefixBits == 0`), or of the keys whose top `prefixBits` bits are `prefix` by their next 16 bits.
    func keyHistogram(prefixBits: Int, prefix: UInt64) throws -> [Int64]
    /// The keys under `prefix` whose next digit is one of `digits`: exactly `capacity` of them (the sum of
    /// those digits' counts), in any order.
    func gatherKeys(prefixBits: Int, prefix: UInt64, digits: [Int], capacity: Int) throws -> [UInt64]
    /// Keys up to this many in one digit are gathered; more are narrowed by another histogram pass.
    var gatherLimit: Int { get }
    /// Keys one gather pass collects at most (the largest digits beyond it are narrowed instead).
    var gatherTotalLimit: Int { get }
}

extension OrderKeySource {
    /// A gather pass reads the data once for every digit, a narrowing pass once per digit: gathering a few
    /// million keys and selecting among them serially is the cheaper way on one node.
    public var gatherLimit: Int { Swift.max(1 << 18, count >> 4) }
    public var gatherTotalLimit: Int { Swift.max(1 << 20, count >> 2) }

    /// The selection keys (``OrderKey/selection(_:)``) at ascending ranks `ranks` of the source's elements,
    /// given its top-level histogram `root`.
    func selectionKeys(at ranks: [Int], root: [Int64]) throws -> [UInt64] {
        var results = [UInt64](repeating: 0, count: ranks.count)
        let wanted = ranks.enumerated().map { (slot: $0.offset, rank: $0.element) }
        try resolveRanks(prefixBits: 0, prefix: 0, counts: root, wanted: wanted, into: &results)
        return results
    }

    private func resolveRanks(
        prefixBits: Int, prefix: UInt64, counts: [Int64], wanted: [(slot: Int, rank: Int)], into results: inout [UInt64]
    ) throws {
        let keyBits = MemoryLayout<Element>.stride * 8
        // Each wanted rank's digit, and its rank among that digit's keys.
        var byDigit: [Int: [(slot: Int, rank: Int)]] = [:]
        var below = 0
        var digit = 0
        for w in wanted.sorted(by: { $0.rank < $1.rank }) {
            while digit < counts.count - 1 && below + Int(counts[digit]) <= w.rank {
                below += Int(counts[digit])
                digit += 1
            }
            byDigit[digit, default: []].append((w.slot, w.rank - below))
        }
        let childBits = prefixBits + 16
        var gathered: [Int] = []
        // The smallest digits are gathered first, within the total limit.
        var gatheredKeys = 0
        var narrowed: Set<Int> = []
        for digit in byDigit.keys.sorted(by: { (counts[$0], $0) < (counts[$1], $1) }) {
            let c = Int(counts[digit])
            if c > gatherLimit || gatheredKeys + c > gatherTotalLimit { narrowed.insert(digit) } else { gatheredKeys += c }
        }
        for (digit, ranks) in byDigit.sorted(by: { $0.key < $1.key }) {
            let childPrefix = prefix << 16 | UInt64(digit)
            if childBits >= keyBits {
                // Every bit of the key is fixed: the digit is the answer.
                for w in ranks { results[w.slot] = childPrefix << UInt64(64 - childBits) }
            } else if narrowed.contains(digit) {
                let sub = try keyHistogram(prefixBits: childBits, prefix: childPrefix)
                try resolveRanks(prefixBits: childBits, prefix: childPrefix, counts: sub, wanted: ranks, into: &results)
            } else {
                gathered.append(digit)
            }
        }
        guard !gathered.isEmpty else { return }
        let keys = try gatherKeys(prefixBits: prefixBits, prefix: prefix, digits: gathered,
                                  capacity: gathered.reduce(0) { $0 + Int(counts[$1]) })
        let shift = UInt64(48 - prefixBits)
        var perDigit: [Int: [UInt64]] = [:]
        for d in gathered { perDigit[d] = [] }
        for k in keys { perDigit[Int((k >> shift) & 0xFFFF)]?.append(k) }
        for d in gathered {
            let digitKeys = perDigit[d] ?? []
            for w in byDigit[d] ?? [] {
                guard w.rank < digitKeys.count else {
                    throw ArrayError(.internalInconsistency, operation: "order statistics", "the gather pass found \(digitKeys.count) keys where the histogram counted more")
                }
                results[w.slot] = radixSelect(digitKeys, resolvedBits: childBits, rank: w.rank)
            }
        }
    }
}

/// One node's passes: the array's own workers.
extension SharedArray: OrderKeySource {
    /// Chunks of the histogram pass: large, because each chunk's partial is 65,536 counts.
    var orderHistogramPlan: ChunkPlan { ChunkPlan(count: count, elementSize: MemoryLayout<Element>.stride, targetBytes: 8 << 20) }

    /// The 65,536 counts of the keys' top 16 bits, or of the next 16 bits of the keys under `prefix`.
    /// The array must be contiguous.
    public func keyHistogram(prefixBits: Int, prefix: UInt64) throws -> [Int64] {
        try runReduction(
            KeyHistogram<Element>(prefixBits: prefixBits, prefix: prefix), layout: .flat, plan: orderHistogramPlan,
            second: .none, mask: .none)
    }

    /// The keys under `prefix` whose next digit is one of `digits` (exactly `capacity` of them), in no
    /// particular order.
    public func gatherKeys(prefixBits: Int, prefix: UInt64, digits: [Int], capacity: Int) throws -> [UInt64] {
        guard isContiguous else { throw ArrayError(.notContiguous, operation: "order statistics", input: "array", "keys are gathered from a contiguous array; copy() it first") }
        guard let bytes = KeyGatherBuffer.bytes(capacity: capacity) else {
            throw ArrayError(.tooLarge, operation: "order statistics", input: "keys", "\(capacity) keys are more than can be addressed")
        }
        return try ScratchSpace.with(bytes: bytes) { scratch in
            let buffer = KeyGatherBuffer(base: scratch.base)
            buffer.cursor.initialize(to: Atomic(0))
            buffer.bitmap.initialize(repeating: 0, count: 1024)
            for d in digits { buffer.bitmap[d >> 6] |= 1 << UInt64(d & 63) }
            let plan = ChunkPlan(count: count, elementSize: MemoryLayout<Element>.stride)
            let job = KeyGatherJob(
                source: location, plan: plan, prefixBits: prefixBits, prefix: prefix, buffer: scratch.reference, capacity: capacity)
            try pool.run(job, chunks: plan.chunkCount, describeChunk: describe(plan))
            let found = buffer.cursor.pointee.load(ordering: .relaxed)
            guard found == capacity else {
                throw ArrayError(.internalInconsistency, operation: "order statistics", "the gather pass found \(found) keys where the histogram counted \(capacity)")
            }
            return Array(UnsafeBufferPointer(start: buffer.keys, count: found))
        }
    }
}
