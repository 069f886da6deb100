import Multiprocessing

/// The sort's counting pass: per chunk, how many of its keys fall in each bucket.
struct SortCountJob: WorkerJob {
    var source: ArrayLocation
    var plan: ChunkPlan
    var kind: KeyKind
    var layout: SortWorkspace
    var workspace: SegmentReference

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let base = try context.address(of: job.workspace)
        let range = job.plan.range(of: chunk)
        let source = UnsafeRawPointer(try job.source.base(in: context)) + range.lowerBound * job.source.dtype.byteSize
        let row = job.layout.positions(base, chunk: chunk)
        row.initialize(repeating: 0, count: job.layout.buckets)
        let (table, n) = (UnsafePointer(job.layout.table(base)), range.count)
        switch (job.source.dtype, job.kind) {
        case (.float64, .selection): countBuckets(SelectionKey<Float64Key>.self, source, n, table, row)
        case (.float64, .value): countBuckets(ValueKey<Float64Key>.self, source, n, table, row)
        case (.float64, .rank): countBuckets(RankKey<Float64Key>.self, source, n, table, row)
        case (.float32, .selection): countBuckets(SelectionKey<Float32Key>.self, source, n, table, row)
        case (.float32, .value): countBuckets(ValueKey<Float32Key>.self, source, n, table, row)
        case (.float32, .rank): countBuckets(RankKey<Float32Key>.self, source, n, table, row)
        case (.int64, .selection): countBuckets(SelectionKey<Int64Key>.self, source, n, table, row)
        case (.int64, .value): countBuckets(ValueKey<Int64Key>.self, source, n, table, row)
        case (.int64, .rank): countBuckets(RankKey<Int64Key>.self, source, n, table, row)
        case (.int32, .selection): countBuckets(SelectionKey<Int32Key>.self, source, n, table, row)
        case (.int32, .value): countBuckets(ValueKey<Int32Key>.self, source, n, table, row)
        case (.int32, .rank): countBuckets(RankKey<Int32Key>.self, source, n, table, row)
        case (.int16, _), (.uint8, _): throw ArrayError(.unsupportedType, operation: "sort", input: "dtype", "\(job.source.dtype.rawValue) is not an array element type")
        }
    }
}

/// Counts `n` elements' keys per bucket into `row`.
@inline(__always)
private func countBuckets<F: KeyFunction>(
    _: F.Type, _ source: UnsafeRawPointer, _ n: Int, _ table: UnsafePointer<UInt32>, _ row: UnsafeMutablePointer<Int>
) {
    let x = source.assumingMemoryBound(to: F.Element.self)
    for i in 0..<n { row[Int(table[Int(F.key(x[i]) >> 48)])] += 1 }
}

/// The sort's scatter pass: each chunk writes its elements (``sorted()``) or its keys and indices
/// (``argsort()``) to its positions in every bucket, in index order.
struct SortScatterJob: WorkerJob {
    var source: ArrayLocation
    var plan: ChunkPlan
    var kind: KeyKind
    var layout: SortWorkspace
    var workspace: SegmentReference
    /// The output elements (sorted) or the keys (argsort): 8 bytes each for keys.
    var target: SegmentReference
    var targetOffset: Int
    /// The indices (argsort only).
    var indices: SegmentReference?

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let base = try context.address(of: job.workspace)
        let range = job.plan.range(of: chunk)
        let source = UnsafeRawPointer(try job.source.base(in: context)) + range.lowerBound * job.source.dtype.byteSize
        let target = try context.address(of: job.target) + job.targetOffset
        let indices = try job.indices.map { try context.address(of: $0).assumingMemoryBound(to: Int64.self) }
        // A private copy of this chunk's positions, advanced as keys are written.
        let positions = UnsafeMutablePointer<Int>.allocate(capacity: job.layout.buckets)
        defer { positions.deallocate() }
        positions.update(from: job.layout.positions(base, chunk: chunk), count: job.layout.buckets)
        let (table, first, n) = (UnsafePointer(job.layout.table(base)), range.lowerBound, range.count)
        switch (job.source.dtype, job.kind) {
        case (.float64, .selection): scatterBuckets(SelectionKey<Float64Key>.self, source, first, n, table, positions, target, indices)
        case (.float64, .value): scatterBuckets(ValueKey<Float64Key>.self, source, first, n, table, positions, target, indices)
        case (.float64, .rank): scatterBuckets(RankKey<Float64Key>.self, source, first, n, table, positions, target, indices)
        case (.float32, .selection): scatterBuckets(SelectionKey<Float32Key>.self, source, first, n, table, positions, target, indices)
        case (.float32, .value): scatterBuckets(ValueKey<Float32Key>.self, source, first, n, table, positions, target, indices)
        case (.float32, .rank): scatterBuckets(RankKey<Float32Key>.self, source, first, n, table, positions, target, indices)
        case (.int64, .selection): scatterBuckets(SelectionKey<Int64Key>.self, source, first, n, table, positions, target, indices)
        case (.int64, .value): scatterBuckets(ValueKey<Int64Key>.self, source, first, n, table, positions, target, indices)
        case (.int64, .rank): scatterBuckets(RankKey<Int64Key>.self, source, first, n, table, positions, target, indices)
        case (.int32, .selection): scatterBuckets(SelectionKey<Int32Key>.self, source, first, n, table, positions, target, indices)
        case (.int32, .value): scatterBuckets(ValueKey<Int32Key>.self, source, first, n, table, positions, target, indices)
        case (.int32, .rank): scatterBuckets(RankKey<Int32Key>.self, source, first, n, table, positions, target, indices)
        case (.int16, _), (.uint8, _): throw ArrayError(.unsupportedType, operation: "sort", input: "dtype", "\(job.source.dtype.rawValue) is not an array element type")
        }
    }
}

/// Writes `n` elements (or their keys, and their indices from `first`, when `indices` is given) to their
/// buckets' next positions.
@inline(__always)
private func scatterBuckets<F: KeyFunction>(
    _: F.Type, _ source: UnsafeRawPointer, _ first: Int, _ n: Int, _ table: UnsafePointer<UInt32>,
    _ positions: UnsafeMutablePointer<Int>, _ target: UnsafeMutableRawPointer, _ indices: UnsafeMutablePointer<Int64>?
) {
    let x = source.assumingMemoryBound(to: F.Element.self)
    if let indices {
        let keys = target.assumingMemoryBound(to: UInt64.self)
        for i in 0..<n {
            let k = F.key(x[i])
            let b = Int(table[Int(k >> 48)])
            let at = positions[b]
            keys[at] = k
            indices[at] = Int64(first + i)
            positions[b] = at + 1
        }
    } else {
        let out = target.assumingMemoryBound(to: F.Element.self)
        for i in 0..<n {
            let v = x[i]
            let b = Int(table[Int(F.key(v) >> 48)])
            let at = positions[b]
            out[at] = v
            positions[b] = at + 1
        }
    }
}

/// The sort's last pass: each chunk sorts one bucket in cache (a stable radix sort of its keys), writing
/// the sorted elements back in place, or the indices of the sorted keys to the argsort output.
struct BucketSortJob: WorkerJob {
    var layout: SortWorkspace
    var workspace: SegmentReference
    var dtype: DType
    /// The scattered elements (sorted, sorted in place) or keys (argsort).
    var target: SegmentReference
    var targetOffset: Int
    /// argsort: the scattered indices and the Int64 output.
    var indices: SegmentReference?
    var output: SegmentReference?

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let starts = job.layout.starts(try context.address(of: job.workspace))
        let (start, n) = (starts[chunk], starts[chunk + 1] - starts[chunk])
        guard n > 0 else { return }
        let target = try context.address(of: job.target) + job.targetOffset
        if let indices = job.indices, let output = job.output {
            let keys = target.assumingMemoryBound(to: UInt64.self) + start
            let values = try context.address(of: indices).assumingMemoryBound(to: Int64.self) + start
            let out = try context.address(of: output).assumingMemoryBound(to: Int64.self) + start
            let scratch = SortScratch(bytes: n * 16)
            defer { scratch.release() }
            RadixSort.sort(
                keys, values, n, scratchKeys: scratch.base.assumingMemoryBound(to: UInt64.self),
                scratchValues: (scratch.base + n * 8).assumingMemoryBound(to: Int64.self))
            if out != values { out.update(from: values, count: n) }
            return
        }
        let scratch = SortScratch(bytes: n * 16)
        defer { scratch.release() }
        let keys = scratch.base.assumingMemoryBound(to: UInt64.self)
        let spare = (scratch.base + n * 8).assumingMemoryBound(to: UInt64.self)
        switch job.dtype {
        case .float64: sortElements(Float64Key.self, target, start, n, keys, spare)
        case .float32: sortElements(Float32Key.self, target, start, n, keys, spare)
        case .int64: sortElements(Int64Key.self, target, start, n, keys, spare)
        case .int32: sortElements(Int32Key.self, target, start, n, keys, spare)
        case .int16, .uint8: throw ArrayError(.unsupportedType, operation: "sort", input: "dtype", "\(job.dtype.rawValue) is not an array element type")
        }
    }
}

/// Sorts `n` elements at `start` of `base` in place through their value keys.
@inline(__always)
private func sortElements<K: OrderKey>(
    _: K.Type, _ base: UnsafeMutableRawPointer, _ start: Int, _ n: Int, _ keys: UnsafeMutablePointer<UInt64>,
    _ spare: UnsafeMutablePointer<UInt64>
) {
    let x = base.assumingMemoryBound(to: K.Element.self) + start
    var lo = UInt64.max
    var hi = UInt64.min
    for i in 0..<n {
        let k = K.value(x[i])
        keys[i] = k
        lo = Swift.min(lo, k)
        hi = Swift.max(hi, k)
    }
    let sorted: UnsafeMutablePointer<UInt64>
    switch RadixSort.sort(keys, n, scratch: spare, range: (lo, hi)) {
    case .unchanged: return
    case .inKeys: sorted = keys
    case .inScratch: sorted = spare
    }
    for i in 0..<n { x[i] = K.element(sorted[i]) }
}

/// A bucket's scratch memory: reused chunk scratch for cache-sized buckets, a private allocation (freed
/// at once) for a bucket of one heavy digit, so a worker never keeps a huge buffer.
private struct SortScratch {
    let base: UnsafeMutableRawPointer
    let pooled: Bool

    init(bytes: Int) {
        pooled = bytes <= 32 << 20
        base = pooled ? ChunkScratch.take(bytes: bytes) : UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    func release() {
        if pooled { ChunkScratch.giveBack(base) } else { base.deallocate() }
    }
}
