import Multiprocessing

/// The first pass of every masked operation: how many elements each chunk's mask selects. The parent turns
/// the counts into each chunk's first position in the selection (an exclusive prefix sum in chunk order),
/// which is what masked reductions report indices in and where ``SharedArray/filter(_:)`` scatters to.
struct SelectionCountJob: WorkerJob {
    var mask: OperandLocation
    var plan: ChunkPlan
    /// One Int per chunk.
    var counts: SegmentReference

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        guard let mask = try job.mask.base(in: context) else { return }
        let out = try context.address(of: job.counts).assumingMemoryBound(to: Int.self)
        out[chunk] = countSelected(mask.assumingMemoryBound(to: UInt8.self), range: job.plan.range(of: chunk), stride: job.mask.stride)
    }
}

/// Non-zero bytes among `flags[i * stride]` for `i` in `range`, counted without a data-dependent branch (a
/// random mask would mispredict every other byte).
func countSelected(_ flags: UnsafePointer<UInt8>, range: Range<Int>, stride: Int) -> Int {
    var n = 0
    var i = range.lowerBound
    if stride == 1 {
        // Eight mask bytes at a time as one word: adding 0x7F to the low seven bits of a byte carries into
        // its high bit exactly when those bits are non-zero, so after or-ing the byte itself back in, the
        // high bit of each byte says "non-zero", and a population count adds them up.
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let high: UInt64 = 0x8080_8080_8080_8080
        let raw = UnsafeRawPointer(flags)
        while i &+ 8 <= range.upperBound {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            n &+= ((((w & low) &+ low) | w) & high).nonzeroBitCount
            i &+= 8
        }
    }
    while i < range.upperBound {
        n &+= flags[i &* stride] != 0 ? 1 : 0
        i &+= 1
    }
    return n
}

extension WorkerPool {
    /// Runs the selection count over `plan` and returns, per chunk, the number of selected elements before it,
    /// plus the total; `body` gets the per-chunk positions in a segment jobs can read.
    func withSelectionOffsets<T>(
        mask: OperandLocation, plan: ChunkPlan, describeChunk: @escaping (Int) -> String,
        _ body: (_ offsets: SegmentReference, _ total: Int) throws -> T
    ) throws -> T {
        guard let bytes = CheckedSize.product(plan.chunkCount + 1, MemoryLayout<Int>.stride) else {
            throw ArrayError(.tooLarge, operation: "mask", "\(plan.chunkCount) chunks are more than can be counted")
        }
        return try ScratchSpace.with(bytes: bytes) { scratch in
            let counts = scratch.base.assumingMemoryBound(to: Int.self)
            try run(SelectionCountJob(mask: mask, plan: plan, counts: scratch.reference), chunks: plan.chunkCount,
                    describeChunk: describeChunk)
            var total = 0
            for c in 0..<plan.chunkCount {
                let n = counts[c]
                counts[c] = total
                total += n
            }
            counts[plan.chunkCount] = total
            return try body(scratch.reference, total)
        }
    }
}
