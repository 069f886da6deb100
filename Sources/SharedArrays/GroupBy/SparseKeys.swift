import Multiprocessing

/// The sparse path's first job: chunk `c` writes its distinct keys, ascending, as Int64 at its own element
/// range of `output`, and how many there are at `counts[c]`.
struct DistinctKeysJob: WorkerJob {
    var keys: ArrayLocation
    var output: SegmentReference
    var counts: SegmentReference
    var plan: ChunkPlan

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let target = try context.address(of: job.output).assumingMemoryBound(to: Int64.self) + range.lowerBound
        let base = try job.keys.base(in: context)
        switch job.keys.dtype {
        case .int64:
            target.update(from: base.assumingMemoryBound(to: Int64.self) + range.lowerBound, count: range.count)
        default:
            let k = base.assumingMemoryBound(to: Int32.self) + range.lowerBound
            for i in 0..<range.count { target[i] = Int64(k[i]) }
        }
        var buffer = UnsafeMutableBufferPointer(start: target, count: range.count)
        buffer.sort()
        var distinct = 0
        for i in 0..<range.count where distinct == 0 || buffer[distinct - 1] != buffer[i] {
            buffer[distinct] = buffer[i]
            distinct += 1
        }
        try context.address(of: job.counts).assumingMemoryBound(to: Int.self)[chunk] = distinct
    }
}

/// The sparse path's second job: each key's position in the sorted table of distinct keys, so that the
/// groups become dense indices `0..<groups`.
struct GroupIndexJob: WorkerJob {
    var keys: ArrayLocation
    var table: SegmentReference
    var groups: Int
    var indices: ArrayLocation
    var plan: ChunkPlan

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let table = UnsafeBufferPointer(start: try context.address(of: job.table).assumingMemoryBound(to: Int64.self), count: job.groups)
        let out = try job.indices.base(in: context).assumingMemoryBound(to: Int64.self) + range.lowerBound
        let base = try job.keys.base(in: context)
        func lookUp(_ key: Int64) -> Int64 {
            var lo = 0
            var hi = table.count
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                if table[mid] < key { lo = mid + 1 } else { hi = mid }
            }
            return lo < table.count && table[lo] == key ? Int64(lo) : -1
        }
        switch job.keys.dtype {
        case .int64:
            let k = base.assumingMemoryBound(to: Int64.self) + range.lowerBound
            for i in 0..<range.count { out[i] = lookUp(k[i]) }
        default:
            let k = base.assumingMemoryBound(to: Int32.self) + range.lowerBound
            for i in 0..<range.count { out[i] = lookUp(Int64(k[i])) }
        }
    }
}

extension SharedArray {
    /// The distinct values of this (int64 or int32, contiguous) array, ascending: per chunk in the workers,
    /// merged in the parent.
    package func distinctKeys(plan: ChunkPlan) throws -> [Int64] {
        guard let bytes = CheckedSize.product(Swift.max(count, 1), 8) else { throw ArrayError(.tooLarge, operation: "groupBy", input: "keys", "too many keys") }
        return try ScratchSpace.with(bytes: bytes) { output in
            try ScratchSpace.with(bytes: Swift.max(plan.chunkCount, 1) * 8) { counts in
                try pool.run(
                    DistinctKeysJob(keys: location, output: output.reference, counts: counts.reference, plan: plan),
                    chunks: plan.chunkCount, describeChunk: describe(plan))
                let all = output.base.assumingMemoryBound(to: Int64.self)
                let perChunk = counts.base.assumingMemoryBound(to: Int.self)
                var merged: [Int64] = []
                for c in 0..<plan.chunkCount {
                    merged.append(contentsOf: UnsafeBufferPointer(start: all + plan.range(of: c).lowerBound, count: perChunk[c]))
                }
                merged.sort()
                var distinct: [Int64] = []
                distinct.reserveCapacity(merged.count)
                for k in merged where distinct.last != k { distinct.append(k) }
                return distinct
            }
        }
    }

    /// Each key's index in `table` (sorted distinct keys), as a new int64 array.
    package func groupIndices(table: [Int64], plan: ChunkPlan) throws -> SharedArray<Int64> {
        let indices = try SharedArray<Int64>(uninitialized: [count], on: pool)
        try ScratchSpace.with(bytes: Swift.max(table.count, 1) * 8) { segment in
            table.withUnsafeBytes { if let p = $0.baseAddress { segment.base.copyMemory(from: p, byteCount: $0.count) } }
            try pool.run(
                GroupIndexJob(keys: location, table: segment.reference, groups: table.count, indices: indices.location, plan: plan),
                chunks: plan.chunkCount, describeChunk: describe(plan))
        }
        return indices
    }
}
