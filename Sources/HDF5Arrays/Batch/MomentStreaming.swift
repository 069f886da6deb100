#if canImport(Glibc)
import Glibc
#endif
import SharedArrays

/// Statistics of an HDF5 dataset streamed through a small buffer in one worker: slabs of whole
/// ``ChunkPlan`` chunks are read (converted to the compute type by HDF5) into a buffer the worker
/// reuses, and each chunk is folded by ``MomentsReduction`` while the slab is still in cache.
///
/// The chunk grid is the one ``SharedArray/statistics(_:ddof:)`` uses for the same element type, and the
/// partials are combined by ``ChunkReduction/combine(_:width:)`` in the same pairwise tree, so a batch gives
/// bit-identical results to loading the dataset and reducing it, for any number of workers, without
/// holding the dataset in memory.
enum MomentStreaming {
    /// Bytes per slab read: large enough that HDF5's per-call cost vanishes, small enough to stay in the
    /// last-level cache for the moments pass.
    static let defaultSlabBytes = 4 << 20

    /// The element type statistics are computed in for a stored type (int16 and uint8 widen to int32,
    /// as `mproc stats` does).
    static func computeType(for stored: DType) -> DType {
        switch stored {
        case .float64, .float32, .int64, .int32: stored
        case .int16, .uint8: .int32
        }
    }

    /// The chunk grid of `count` elements of `dtype`.
    static func plan(count: Int, dtype: DType) -> ChunkPlan { ChunkPlan(count: count, elementSize: dtype.byteSize) }

    /// Reads chunks `chunks` of `plan` from `reader` as `dtype` and calls `body(chunk, partial)` for each.
    static func stream(
        _ reader: any DatasetRangeReader, dtype: DType, plan: ChunkPlan, chunks: Range<Int>, needs: MomentNeeds,
        slabBytes: Int, _ body: (Int, Moments) -> Void
    ) throws {
        switch dtype {
        case .float64: try stream(Double.self, reader, plan, chunks, needs, slabBytes, body)
        case .float32: try stream(Float.self, reader, plan, chunks, needs, slabBytes, body)
        case .int64: try stream(Int64.self, reader, plan, chunks, needs, slabBytes, body)
        case .int32, .int16, .uint8: try stream(Int32.self, reader, plan, chunks, needs, slabBytes, body)
        }
    }

    private static func stream<E: SharedElement>(
        _: E.Type, _ reader: any DatasetRangeReader, _ plan: ChunkPlan, _ chunks: Range<Int>, _ needs: MomentNeeds,
        _ slabBytes: Int, _ body: (Int, Moments) -> Void
    ) throws {
        guard !chunks.isEmpty else { return }
        let size = MemoryLayout<E>.stride
        let perSlab = max(1, slabBytes / max(1, plan.chunkLength * size))
        let buffer = try WorkerScratch.buffer(bytes: perSlab * plan.chunkLength * size)
        let reduction = MomentsReduction<E>(needs: needs)
        var chunk = chunks.lowerBound
        while chunk < chunks.upperBound {
            let last = min(chunks.upperBound, chunk + perSlab) - 1
            let first = plan.range(of: chunk).lowerBound
            let end = plan.range(of: last).upperBound
            try reader.readElements(range: first..<end, into: buffer, as: E.dtype)
            let elements = buffer.assumingMemoryBound(to: E.self)
            for c in chunk...last {
                let range = plan.range(of: c)
                let values = UnsafeBufferPointer(start: elements + (range.lowerBound - first), count: range.count)
                var partial = Moments.empty
                withUnsafeMutablePointer(to: &partial) {
                    reduction.fold(
                        ReductionChunk(elements: values, firstIndex: range.lowerBound), into: UnsafeMutableBufferPointer(start: $0, count: 1))
                }
                body(c, partial)
            }
            chunk = last + 1
        }
    }

    /// The combined moments of a whole dataset, read in this process.
    static func wholeDataset(_ reader: any DatasetRangeReader, dtype: DType, needs: MomentNeeds, slabBytes: Int) throws
        -> Moments {
        let plan = plan(count: reader.info.count, dtype: dtype)
        var partials = [Moments](repeating: .empty, count: plan.chunkCount)
        try stream(reader, dtype: dtype, plan: plan, chunks: 0..<plan.chunkCount, needs: needs, slabBytes: slabBytes) {
            partials[$0] = $1
        }
        return try MomentsReduction<Double>(needs: needs).combine(partials, width: 1)[0]
    }
}
