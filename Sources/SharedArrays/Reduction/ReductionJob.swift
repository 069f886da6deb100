import Multiprocessing

/// The one job every reduction runs on: chunk `c` of ``plan`` is laid out as ``layout`` says, folded by
/// ``reduction`` into its partial slots in ``results`` (or merged into the worker's own slots when the
/// reduction ``ChunkReduction/mergesInAnyOrder``, folded straight into them when it also
/// ``ChunkReduction/foldAccumulates``).
struct ReductionJob<R: ChunkReduction>: WorkerJob {
    var reduction: R
    var source: ArrayLocation
    var second: OperandLocation
    var mask: OperandLocation
    /// Per chunk, the number of selected elements before it (masked reductions only).
    var selectedBefore: OperandLocation
    var layout: ReductionLayout
    var plan: ChunkPlan
    /// Where the partials go; nil when the calling process folds the chunks itself into its own memory
    /// (``SmallReductionCutoff``).
    var results: SegmentReference?
    /// Item `i` of the job is chunk `firstChunk + i` of ``plan`` and writes the `i`-th partial: a run of
    /// the grid (one MPI rank's share) is reduced with the chunks' global element indices.
    var firstChunk = 0
    /// The grid index of the source's first element: 0 for a whole array, the run's first element for an
    /// array that holds only a run of the grid (a share loaded on its own; flat contiguous layout only).
    var sourceFirstElement = 0

    static func prepareWorker() { R.prepareWorker() }

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let inputs = ReductionInputs(
            source: try job.source.base(in: context), sourceFirstElement: job.sourceFirstElement, second: try job.second.base(in: context),
            mask: try job.mask.base(in: context), selectedBefore: try job.selectedBefore.base(in: context))
        guard let segment = job.results else { throw ArrayError(.invalidArgument, operation: nil, "ReductionJob: no results segment for chunk \(chunk)") }
        let results = try context.address(of: segment).assumingMemoryBound(to: R.Slot.self)
        job.fold(chunk: job.firstChunk + chunk, inputs: inputs, results: results, worker: context.workerIndex)
    }

    /// Runs chunk `chunk` (of the whole grid; its partial is the `chunk - firstChunk`-th of `results`) with
    /// operands already resolved to addresses (in a worker, or in the caller for work too small to wake the pool).
    func fold(chunk: Int, inputs: ReductionInputs, results: UnsafeMutablePointer<R.Slot>, worker: Int) {
        let range = plan.range(of: chunk)
        let width = reduction.slotCount
        let slots = layout.partialsPerChunk * width
        if case .rows(let columns) = layout {
            let base = inputs.source.assumingMemoryBound(to: R.Element.self)
            // One result per row; a run of the grid writes its rows from the start of `results`.
            let firstRow = firstChunk == 0 ? 0 : plan.range(of: firstChunk).lowerBound
            for row in range {
                let partial = UnsafeMutableBufferPointer(start: results + (row - firstRow) * width, count: width)
                partial.initialize(repeating: reduction.identity)
                let elements = UnsafeBufferPointer(start: base + row * columns, count: columns)
                reduction.fold(
                    ReductionChunk(elements: elements, firstIndex: 0, second: inputs.second.map { $0 + row * columns * second.elementBytes },
                                   secondStride: second.elementBytes),
                    into: partial)
            }
            return
        }
        let anyOrder = R.mergesInAnyOrder
        if anyOrder && R.foldAccumulates {
            foldLaidOut(range: range, chunk: chunk, inputs: inputs, into: UnsafeMutableBufferPointer(start: results + worker * slots, count: slots))
            return
        }
        let target = anyOrder ? ChunkScratch.take(bytes: slots * MemoryLayout<R.Slot>.stride).assumingMemoryBound(to: R.Slot.self)
            : results + (chunk - firstChunk) * slots
        let partial = UnsafeMutableBufferPointer(start: target, count: slots)
        partial.initialize(repeating: reduction.identity)
        foldLaidOut(range: range, chunk: chunk, inputs: inputs, into: partial)
        if anyOrder {
            let mine = UnsafeMutableBufferPointer(start: results + worker * slots, count: slots)
            reduction.mergeEach(mine, UnsafeBufferPointer(partial))
            ChunkScratch.giveBack(UnsafeMutableRawPointer(target))
        }
    }

    private func foldLaidOut(range: Range<Int>, chunk: Int, inputs: ReductionInputs, into partial: UnsafeMutableBufferPointer<R.Slot>) {
        let elementBytes = MemoryLayout<R.Element>.stride
        switch layout {
        case .flat:
            if let mask = inputs.mask {
                let first = inputs.selectedBefore!.load(fromByteOffset: chunk * 8, as: Int.self)
                let selected = compressSelected(range: range, inputs: inputs, mask: mask)
                reduction.fold(selected.chunk.rebased(firstIndex: first), into: partial)
                selected.release()
            } else if source.stride == 1 && (inputs.second == nil || second.stride == 1) {
                let base = inputs.source.assumingMemoryBound(to: R.Element.self) + (range.lowerBound - inputs.sourceFirstElement)
                reduction.fold(
                    ReductionChunk(
                        elements: UnsafeBufferPointer(start: base, count: range.count), firstIndex: range.lowerBound,
                        second: inputs.second.map { $0 + range.lowerBound * second.elementBytes }, secondStride: second.elementBytes),
                    into: partial)
            } else {
                let whole = ReductionChunk(
                    elements: UnsafeBufferPointer(
                        start: (inputs.source + range.lowerBound * source.stride * elementBytes).assumingMemoryBound(to: R.Element.self),
                        count: (range.count - 1) * source.stride + 1),
                    firstIndex: range.lowerBound,
                    second: inputs.second.map { $0 + range.lowerBound * second.stride * second.elementBytes },
                    secondStride: second.elementBytes)
                let gathered = whole.gatheredStrided(elementStride: source.stride, secondStride: second.stride, count: range.count)
                reduction.fold(gathered.chunk, into: partial)
                gathered.release()
            }
        case .residueClasses(let classes):
            let base = inputs.source.assumingMemoryBound(to: R.Element.self) + range.lowerBound
            reduction.foldClasses(
                ReductionChunk(
                    elements: UnsafeBufferPointer(start: base, count: range.count), firstIndex: range.lowerBound,
                    second: inputs.second.map { $0 + range.lowerBound * second.elementBytes }, secondStride: second.elementBytes),
                classes: classes, into: partial)
        case .columns(let columns):
            let base = inputs.source.assumingMemoryBound(to: R.Element.self) + range.lowerBound * columns
            reduction.foldColumns(
                ReductionChunk(
                    elements: UnsafeBufferPointer(start: base, count: range.count * columns), firstIndex: range.lowerBound,
                    second: inputs.second.map { $0 + range.lowerBound * columns * second.elementBytes }, secondStride: second.elementBytes),
                rows: range.count, columns: columns, into: partial)
        case .rows:
            preconditionFailure("rows are folded one by one")
        }
    }

    /// The elements of `range` whose mask byte is non-zero (and the second operand's beside them), packed
    /// by the branch-free ``compactSelected(_:stride:elementBytes:flags:flagStride:range:into:limit:)``.
    private func compressSelected(range: Range<Int>, inputs: ReductionInputs, mask: UnsafeRawPointer) -> GatheredChunk<R.Element> {
        let elementBytes = MemoryLayout<R.Element>.stride
        let buffer = ChunkScratch.take(bytes: range.count * (elementBytes + second.elementBytes))
        let flags = mask.assumingMemoryBound(to: UInt8.self)
        let n = compactSelected(
            inputs.source, stride: source.stride, elementBytes: elementBytes, flags: flags, flagStride: self.mask.stride,
            range: range, into: buffer, limit: range.count)
        var secondCopy: UnsafeRawPointer?
        if let s = inputs.second {
            let target = buffer + range.count * elementBytes
            _ = compactSelected(
                s, stride: second.stride, elementBytes: second.elementBytes, flags: flags, flagStride: self.mask.stride,
                range: range, into: target, limit: range.count)
            secondCopy = UnsafeRawPointer(target)
        }
        return GatheredChunk(
            chunk: ReductionChunk(
                elements: UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: R.Element.self), count: n), firstIndex: 0,
                second: secondCopy, secondStride: second.elementBytes),
            buffer: buffer)
    }
}

/// A job's optional operand: a segment, where its elements start, and how far apart they are.
struct OperandLocation: BitwiseCopyable, Sendable {
    var segment: SegmentReference?
    /// Byte offset of the first element in the segment.
    var byteOffset: Int
    /// Distance between consecutive elements, in elements.
    var stride: Int
    /// Bytes per element (0 when absent).
    var elementBytes: Int

    static let none = OperandLocation(segment: nil, byteOffset: 0, stride: 1, elementBytes: 0)

    init(segment: SegmentReference?, byteOffset: Int, stride: Int, elementBytes: Int) {
        self.segment = segment
        self.byteOffset = byteOffset
        self.stride = stride
        self.elementBytes = elementBytes
    }

    init(_ location: ArrayLocation) {
        self.init(segment: location.segment, byteOffset: location.offset * location.dtype.byteSize, stride: location.stride,
                  elementBytes: location.dtype.byteSize)
    }

    func base(in context: WorkerContext) throws -> UnsafeRawPointer? {
        guard let segment else { return nil }
        return UnsafeRawPointer(try context.address(of: segment) + byteOffset)
    }
}

/// A chunk's operands resolved to addresses in this process.
struct ReductionInputs {
    var source: UnsafeMutableRawPointer
    /// The flat index of the element at `source` (a streamed window's first element; 0 for a whole array).
    /// Read by the contiguous flat layout only, the one streaming uses.
    var sourceFirstElement = 0
    var second: UnsafeRawPointer?
    var mask: UnsafeRawPointer?
    var selectedBefore: UnsafeRawPointer?
}

extension ReductionChunk {
    func rebased(firstIndex: Int) -> ReductionChunk {
        ReductionChunk(elements: elements, firstIndex: firstIndex, second: second, secondStride: secondStride)
    }

    /// The strided elements starting at `elements[0]` (and the second operand's) gathered contiguously.
    func gatheredStrided(elementStride: Int, secondStride step: Int, count: Int) -> GatheredChunk<Element> {
        let elementBytes = MemoryLayout<Element>.stride
        let buffer = ChunkScratch.take(bytes: count * (elementBytes + secondStride))
        gatherBytes(UnsafeRawPointer(elements.baseAddress!), stride: elementStride * elementBytes, count: count,
                    elementBytes: elementBytes, into: buffer)
        var secondCopy: UnsafeRawPointer?
        if let second, secondStride > 0 {
            let target = buffer + count * elementBytes
            gatherBytes(second, stride: step * secondStride, count: count, elementBytes: secondStride, into: target)
            secondCopy = UnsafeRawPointer(target)
        }
        return GatheredChunk(
            chunk: ReductionChunk(
                elements: UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: Element.self), count: count),
                firstIndex: firstIndex, second: secondCopy, secondStride: secondStride),
            buffer: buffer)
    }
}
