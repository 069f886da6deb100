import Multiprocessing

/// The shared plan of a parallel sample sort, laid out in one scratch segment for its jobs: which bucket
/// each top-16-bit key digit belongs to (buckets are runs of digits holding about ``targetBucketSize``
/// keys, so a bucket is sorted in cache), where each bucket starts in the output, and, per chunk and
/// bucket, the output position of that chunk's first key in that bucket.
///
/// Everything here depends only on the data and the chunk grid, so the sorted output and the argsort
/// (chunks scatter in index order, and the per-bucket sort is stable) are the same for any worker count.
struct SortWorkspace: BitwiseCopyable, Sendable {
    var buckets: Int
    var chunks: Int

    static let digits = 1 << 16
    static let tableBytes = digits * 4

    /// Keys per bucket the plan aims at: a bucket and its scratch copy stay in a 2 MiB cache.
    static func targetBucketSize(count: Int) -> Int { Swift.max(1 << 16, count / 4096) }

    /// Offset of the per-chunk, per-bucket positions (`chunks * buckets` Ints, chunk-major).
    var positionsOffset: Int { Self.tableBytes }
    /// Offset of the bucket starts (`buckets + 1` Ints).
    var startsOffset: Int { positionsOffset + chunks * buckets * 8 }
    /// Bytes of the whole workspace, or nil on overflow.
    var byteCount: Int? {
        guard let matrix = CheckedSize.product(chunks, buckets).flatMap({ CheckedSize.product($0, 8) }) else { return nil }
        let starts = (buckets + 1) * 8
        return matrix <= Int.max - Self.tableBytes - starts ? Self.tableBytes + matrix + starts : nil
    }

    func table(_ base: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt32> {
        base.assumingMemoryBound(to: UInt32.self)
    }
    func positions(_ base: UnsafeMutableRawPointer, chunk: Int) -> UnsafeMutablePointer<Int> {
        (base + positionsOffset).assumingMemoryBound(to: Int.self) + chunk * buckets
    }
    func starts(_ base: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Int> {
        (base + startsOffset).assumingMemoryBound(to: Int.self)
    }

    /// Groups the 65,536 digit counts into buckets of about `target` keys: the digit table and the
    /// bucket starts (`buckets + 1` entries, the last one the total).
    static func buckets(counts: [Int64], target: Int) -> (table: [UInt32], starts: [Int]) {
        var table = [UInt32](repeating: 0, count: digits)
        var starts = [0]
        var inBucket = 0
        var total = 0
        for d in 0..<digits {
            let c = Int(counts[d])
            if inBucket > 0 && inBucket + c > target {
                starts.append(total)
                inBucket = 0
            }
            table[d] = UInt32(starts.count - 1)
            inBucket += c
            total += c
        }
        starts.append(total)
        return (table, starts)
    }
}
