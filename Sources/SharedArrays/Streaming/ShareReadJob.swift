import Multiprocessing

/// Reads and folds one run of chunks of a source's grid, chunk by chunk: each item reads its chunk from the
/// source into the worker's scratch buffer and folds it with the reduction's own `fold`, with the chunk's
/// global first index, into its own partial slot (or, for a reduction that merges in any order, into the
/// worker's partial). No memory beyond one chunk per worker: a share of a dataset larger than the node's
/// memory reduces as well as a small one.
struct ShareReadJob<R: ChunkReduction, S: StreamSource>: WorkerJob {
    var reduction: R
    /// The ``StreamSource`` value, stored in a segment (it can be larger than a job).
    var source: SegmentReference
    /// The grid of the whole source (row blocks for ``ReductionLayout/columns(_:)``).
    var grid: ChunkPlan
    /// How a chunk's elements are folded: `.flat`, `.residueClasses(k)` or `.columns(n)`.
    var layout: ReductionLayout
    /// The first chunk of the run; item `i` is chunk `firstChunk + i`.
    var firstChunk: Int
    /// One partial per item (per worker when the reduction merges in any order).
    var results: SegmentReference
    /// The second operand's ``StreamSource`` value (flat layout only), read beside each chunk as `secondType`.
    var second: SegmentReference? = nil
    var secondType: DType? = nil

    static func prepareWorker() { R.prepareWorker() }

    static func run(_ job: Self, chunk item: Int, context: WorkerContext) throws {
        let chunk = job.firstChunk + item
        let range = job.grid.range(of: chunk)
        let rowLength = switch job.layout {
            case .columns(let n), .rows(let n): n
            case .flat, .residueClasses: 1
            }
        // Row blocks hold rowLength elements per row; the products fit (the source's count does).
        let elementRange = range.lowerBound * rowLength..<range.upperBound * rowLength
        let source = try context.address(of: job.source).loadUnaligned(as: S.self)
        let elementBytes = MemoryLayout<R.Element>.stride
        // The second operand's elements follow the chunk's, 64-byte aligned (the products fit: the chunk does).
        let secondOffset = (elementRange.count * elementBytes + 63) & ~63
        let secondBytes = job.second == nil ? 0 : job.secondType?.byteSize ?? 0
        let buffer = ChunkScratch.take(bytes: Swift.max(1, secondOffset + elementRange.count * secondBytes))
        defer { ChunkScratch.giveBack(buffer) }
        try source.read(elementRange, into: buffer, as: R.Element.dtype)
        var secondElements: UnsafeRawPointer?
        if let stored = job.second, let type = job.secondType {
            try context.address(of: stored).loadUnaligned(as: S.self).read(elementRange, into: buffer + secondOffset, as: type)
            secondElements = UnsafeRawPointer(buffer + secondOffset)
        }
        let width = job.reduction.slotCount * job.layout.partialsPerChunk
        let results = try context.address(of: job.results).assumingMemoryBound(to: R.Slot.self)
        let elements = UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: R.Element.self), count: elementRange.count)
        let folded = ReductionChunk(elements: elements, firstIndex: range.lowerBound, second: secondElements, secondStride: secondBytes)
        if case .rows(let columns) = job.layout {
            // One result per row, written from the run's first row on.
            let firstRow = job.grid.range(of: job.firstChunk).lowerBound
            for row in range {
                let partial = UnsafeMutableBufferPointer(start: results + (row - firstRow) * width, count: width)
                partial.initialize(repeating: job.reduction.identity)
                let offset = (row - range.lowerBound) * columns
                job.reduction.fold(
                    ReductionChunk(elements: UnsafeBufferPointer(rebasing: elements[offset..<offset + columns]), firstIndex: 0),
                    into: partial)
            }
        } else if case .residueClasses(let classes) = job.layout {
            let partial = UnsafeMutableBufferPointer(start: results + item * width, count: width)
            partial.initialize(repeating: job.reduction.identity)
            job.reduction.foldClasses(folded, classes: classes, into: partial)
        } else if case .columns(let columns) = job.layout {
            let partial = UnsafeMutableBufferPointer(start: results + item * width, count: width)
            partial.initialize(repeating: job.reduction.identity)
            job.reduction.foldColumns(folded, rows: range.count, columns: columns, into: partial)
        } else if R.mergesInAnyOrder {
            let mine = UnsafeMutableBufferPointer(start: results + context.workerIndex * width, count: width)
            if R.foldAccumulates {
                job.reduction.fold(folded, into: mine)
            } else {
                let scratch = UnsafeMutableBufferPointer<R.Slot>.allocate(capacity: width)
                defer { scratch.deallocate() }
                scratch.initialize(repeating: job.reduction.identity)
                job.reduction.fold(folded, into: scratch)
                job.reduction.merge(mine, UnsafeBufferPointer(scratch))
            }
        } else {
            let partial = UnsafeMutableBufferPointer(start: results + item * width, count: width)
            partial.initialize(repeating: job.reduction.identity)
            job.reduction.fold(folded, into: partial)
        }
    }

    /// Names item `item` in errors: its chunk and element range.
    func describe(_ item: Int) -> String {
        let chunk = firstChunk + item
        let range = grid.range(of: chunk)
        let unit = switch layout {
            case .columns, .rows: "rows"
            case .flat, .residueClasses: "elements"
            }
        return "chunk \(chunk) (\(unit) \(range.lowerBound)..<\(range.upperBound))"
    }
}
