import Multiprocessing

/// The reduction job: each chunk writes its ``Moments`` partial(s) to the scratch segment; the parent
/// combines them in a fixed pairwise order.
struct MomentsJob: WorkerJob {
    enum Mode: UInt8, BitwiseCopyable {
        /// One partial per chunk of a contiguous 1-D range.
        case flat
        /// `classes` partials per chunk: residue classes `i % classes` of a contiguous range.
        case residueClasses
        /// `columns` partials per chunk of whole rows (axis 0).
        case columns
        /// One partial per row, written at the row's index (axis 1).
        case rows
    }

    var source: ArrayLocation
    var mode: Mode
    var needs: UInt8
    var plan: ChunkPlan
    /// Columns (for `.columns` and `.rows`) or residue classes (for `.residueClasses`).
    var width: Int
    var results: SegmentReference

    static func run(_ job: MomentsJob, chunk: Int, context: WorkerContext) throws {
        try job.source.dtype.dispatch(ChunkVisitor(job: job, chunk: chunk, context: context))
    }

    private struct ChunkVisitor: ElementVisitor {
        let job: MomentsJob
        let chunk: Int
        let context: WorkerContext

        func visit<E: SharedElement>(_: E.Type) throws {
            let base = try job.source.base(in: context).assumingMemoryBound(to: E.self)
            let out = try context.address(of: job.results).assumingMemoryBound(to: Moments.self)
            let range = job.plan.range(of: chunk)
            let needs = MomentNeeds(rawValue: job.needs)
            switch job.mode {
            case .flat:
                let buffer = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
                out[chunk] = chunkMoments(buffer, firstIndex: range.lowerBound, needs: needs)
            case .residueClasses:
                let buffer = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
                let classes = stridedChunkMoments(buffer, firstIndex: range.lowerBound, stride: job.width, needs: needs)
                for (r, m) in classes.enumerated() { out[chunk * job.width + r] = m }
            case .columns:
                let columns = job.width
                let block = UnsafeBufferPointer(start: base + range.lowerBound * columns, count: range.count * columns)
                blockColumnMoments(
                    block, rows: range.count, columns: columns, firstRow: range.lowerBound, needs: needs,
                    into: UnsafeMutableBufferPointer(start: out + chunk * columns, count: columns))
            case .rows:
                let columns = job.width
                for row in range {
                    out[row] = rowMoments(UnsafeBufferPointer(start: base + row * columns, count: columns), needs: needs)
                }
            }
        }
    }
}

extension SharedArray {
    /// Runs the moments job and combines the partials: one ``Moments`` per output (1 for `.flat`,
    /// `width` for the others).
    func reduceMoments(mode: MomentsJob.Mode, needs: MomentNeeds, width: Int = 1) throws -> [Moments] {
        let plan: ChunkPlan
        var location = location
        switch mode {
        case .flat, .residueClasses:
            precondition(isContiguous)
            plan = ChunkPlan(count: count, elementSize: MemoryLayout<Element>.stride)
        case .columns, .rows:
            plan = ChunkPlan(rows: shape[0], rowLength: shape[1], elementSize: MemoryLayout<Element>.stride)
            location.count = count
        }
        let slots: Int =
            switch mode {
            case .flat: plan.chunkCount
            case .residueClasses, .columns: plan.chunkCount * width
            case .rows: shape[0]
            }
        if plan.chunkCount == 0 {
            return mode == .rows ? [] : Array(repeating: .empty, count: mode == .flat ? 1 : width)
        }
        return try ScratchSpace.with(bytes: slots * MemoryLayout<Moments>.stride) { scratch in
            let job = MomentsJob(
                source: location, mode: mode, needs: needs.rawValue, plan: plan, width: width, results: scratch.reference)
            try pool.run(job, chunks: plan.chunkCount, describeChunk: describe(plan, rows: mode == .columns || mode == .rows))
            let partials = UnsafeBufferPointer(start: scratch.base.assumingMemoryBound(to: Moments.self), count: slots)
            switch mode {
            case .flat:
                return [pairwiseCombine(partials, Moments.merge, identity: .empty)]
            case .rows:
                return Array(partials)
            case .residueClasses, .columns:
                return (0..<width).map { w in
                    let perChunk = (0..<plan.chunkCount).map { partials[$0 * width + w] }
                    return pairwiseCombine(perChunk, Moments.merge, identity: .empty)
                }
            }
        }
    }

    /// Names a chunk in errors: its index and element (or row) range.
    public func describe(_ plan: ChunkPlan, rows: Bool = false) -> (Int) -> String {
        { chunk in
            let range = plan.range(of: chunk)
            return "chunk \(chunk) (\(rows ? "rows" : "elements") \(range.lowerBound)..<\(range.upperBound))"
        }
    }
}
