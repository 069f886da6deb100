/// A reduction the engine runs over the chunk grid, in rayon's and numpy's shape: an identity, a fold of
/// one chunk into a partial, and a merge of two partials.
///
/// A partial is ``slotCount`` values of ``Slot`` (one for `sum`, `bins` for a histogram, `keys` for a
/// group-by). The engine gives each chunk a fresh partial (every slot ``identity``), calls ``fold(_:into:)``,
/// and merges the chunks' partials in the fixed pairwise order of ``pairwiseCombine(_:_:identity:)``, so the
/// result depends only on the data, never on the number of workers. How the chunk's elements are laid out
/// (contiguous, a strided view, a column of a table, the elements a mask selects) is the plan's business:
/// ``fold(_:into:)`` always sees contiguous elements. Reductions with a faster way to read a layout in place
/// override ``foldClasses(_:classes:into:)`` or ``foldColumns(_:rows:columns:into:)``.
///
/// A new reduction is one type:
///
/// ```swift
/// struct CountAbove<Element: SharedElement>: ChunkReduction {
///     var threshold: Double
///     var identity: Int64 { 0 }
///     func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Int64>) {
///         for x in chunk.elements where x.asDouble > threshold { partial[0] += 1 }
///     }
///     func merge(_ a: UnsafeMutableBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) { a[0] += b[0] }
/// }
/// let n = try x.reduce(CountAbove(threshold: 10))[0]
/// ```
public protocol ChunkReduction: BitwiseCopyable, Sendable {
    /// The element type of the array reduced.
    associatedtype Element: SharedElement
    /// One value of a partial result.
    associatedtype Slot: BitwiseCopyable

    /// Slots in one partial (default 1).
    var slotCount: Int { get }
    /// The value of every slot of a fresh partial: the identity of ``merge(_:_:)``.
    var identity: Slot { get }
    /// Folds `chunk` into `partial`, which holds ``identity`` in every slot on entry (or earlier chunks'
    /// folds when the reduction ``foldAccumulates``).
    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Slot>)
    /// `a = a ⊕ b`, where `a` covers the earlier elements (ties go to `a`, so "first occurrence" holds).
    func merge(_ a: UnsafeMutableBufferPointer<Slot>, _ b: UnsafeBufferPointer<Slot>)
    /// Whether ``merge(_:_:)`` is exact and order-free (integer counts): then partials accumulate per worker
    /// instead of per chunk, which bounds the memory of reductions with many slots (histograms).
    static var mergesInAnyOrder: Bool { get }
    /// Whether ``fold(_:into:)`` adds to whatever `partial` holds (a histogram's `counts[bin] += 1`) rather
    /// than assuming it holds ``identity``: then a reduction that ``mergesInAnyOrder`` folds every chunk
    /// straight into its worker's partial, with no per-chunk partial to clear and merge. Default false.
    static var foldAccumulates: Bool { get }
    /// The element type this reduction reads as its second operand (``ReductionChunk/second(as:)``), or nil
    /// when it reads none (default). The engine refuses a call without that operand, or with another type,
    /// as an error instead of a trap in a worker.
    var secondOperandType: DType? { get }
    /// Called once in each worker process before its first chunk of this reduction (for example to make
    /// BLAS single-threaded there). Default: nothing.
    static func prepareWorker()
    /// Whether the calling process may fold the chunks of a small input itself, without waking the workers
    /// and so without ``prepareWorker()`` (``SmallReductionCutoff``): true for a reduction whose fold needs
    /// no per-process preparation. Default false.
    static var foldsInCaller: Bool { get }

    /// Folds one chunk of a contiguous span into `classes` partials (`classes * slotCount` slots): partial
    /// `r` covers the elements whose index in the span is `r` modulo `classes` (`data[r::classes]`), with
    /// indices in that class's own coordinates. The default gathers each class and calls ``fold(_:into:)``.
    func foldClasses(_ span: ReductionChunk<Element>, classes: Int, into partials: UnsafeMutableBufferPointer<Slot>)
    /// Folds a block of `rows` whole rows of a `columns`-wide table into `columns` partials, one per column,
    /// with row indices (`span.firstIndex` is the block's first row). The default gathers each column.
    func foldColumns(_ block: ReductionChunk<Element>, rows: Int, columns: Int, into partials: UnsafeMutableBufferPointer<Slot>)
}

extension ChunkReduction {
    public var slotCount: Int { 1 }
    public static var mergesInAnyOrder: Bool { false }
    public static var foldAccumulates: Bool { false }
    public var secondOperandType: DType? { nil }
    public static func prepareWorker() {}
    public static var foldsInCaller: Bool { false }

    /// `a = a ⊕ b` for runs of several partials (one per residue class or table column): merges each
    /// ``slotCount``-wide partial of `a` with the one at the same place in `b`, never across partials.
    public func mergeEach(_ a: UnsafeMutableBufferPointer<Slot>, _ b: UnsafeBufferPointer<Slot>) {
        let width = slotCount
        guard width >= 1 else { return }
        var start = 0
        while start + width <= a.count {
            merge(UnsafeMutableBufferPointer(rebasing: a[start..<start + width]), UnsafeBufferPointer(rebasing: b[start..<start + width]))
            start += width
        }
    }

    /// Combines `partials`, consecutive runs of `width` slots in chunk order (`width` a multiple of
    /// ``slotCount``: one partial per class or column), in the engine's fixed pairwise order, and returns one
    /// run of `width` slots (every slot ``identity`` when there are no partials). Code that produces
    /// partials elsewhere (a stream read in one process, pieces of a batch) combines them with this, so its
    /// results are bit-identical to ``SharedArray/reduce(_:layout:plan:timeout:)`` on the same grid.
    ///
    /// ```swift
    /// let total = try MomentsReduction<Double>(needs: needs).combine(perChunk, width: 1)[0]
    /// ```
    public func combine(_ partials: [Slot], width: Int) throws -> [Slot] {
        var copy = partials
        return try copy.withUnsafeMutableBufferPointer { try combine(consuming: $0, width: width) }
    }

    /// ``combine(_:width:)`` in place, for partials already in memory of their own (a batch's partials
    /// segment): the merges overwrite `partials`, whose contents are unspecified afterwards.
    public func combine(consuming partials: UnsafeMutableBufferPointer<Slot>, width: Int) throws -> [Slot] {
        guard slotCount >= 1, width >= 1, width % slotCount == 0, partials.count % width == 0 else {
            throw ArrayError(.internalInconsistency, operation: "combine", "\(partials.count) slots are not runs of \(width) slots (a multiple of the \(slotCount) per partial)")
        }
        guard let base = partials.baseAddress, !partials.isEmpty else { return Array(repeating: identity, count: width) }
        combinePairwise(base, parts: partials.count / width, width: width, self)
        return Array(partials[0..<width])
    }

    public func foldClasses(_ span: ReductionChunk<Element>, classes: Int, into partials: UnsafeMutableBufferPointer<Slot>) {
        let width = slotCount
        for r in 0..<classes {
            // The first element of class r in this chunk, and its index in the class's coordinates.
            let first = (r - span.firstIndex % classes + classes) % classes
            let partial = UnsafeMutableBufferPointer(rebasing: partials[r * width..<(r + 1) * width])
            guard first < span.elements.count else { continue }
            let length = (span.elements.count - first - 1) / classes + 1
            let gathered = span.gathered(from: first, stride: classes, count: length, firstIndex: (span.firstIndex + first) / classes)
            fold(gathered.chunk, into: partial)
            gathered.release()
        }
    }

    public func foldColumns(
        _ block: ReductionChunk<Element>, rows: Int, columns: Int, into partials: UnsafeMutableBufferPointer<Slot>
    ) {
        let width = slotCount
        for c in 0..<columns {
            let partial = UnsafeMutableBufferPointer(rebasing: partials[c * width..<(c + 1) * width])
            let gathered = block.gathered(from: c, stride: columns, count: rows, firstIndex: block.firstIndex)
            fold(gathered.chunk, into: partial)
            gathered.release()
        }
    }
}

/// The contiguous elements of one chunk as a reduction sees them, with an optional second operand of the
/// same length (the values of a group-by, the `y` of a dot product).
public struct ReductionChunk<Element: SharedElement> {
    /// The elements, contiguous.
    public let elements: UnsafeBufferPointer<Element>
    /// The index of `elements[0]` in the reduced sequence (a row index for column layouts; a position in the
    /// selection when a mask selects the elements).
    public let firstIndex: Int
    /// The second operand, element `i` beside `elements[i]`, if the reduction has one.
    public let second: UnsafeRawPointer?
    /// Bytes per element of `second`.
    let secondStride: Int

    public init(elements: UnsafeBufferPointer<Element>, firstIndex: Int, second: UnsafeRawPointer? = nil, secondStride: Int = 0) {
        self.elements = elements
        self.firstIndex = firstIndex
        self.second = second
        self.secondStride = secondStride
    }

    /// The second operand as `T` (the caller knows its type); empty when there is none.
    public func second<T: SharedElement>(as _: T.Type) -> UnsafeBufferPointer<T> {
        guard let second else { return UnsafeBufferPointer(start: nil, count: 0) }
        precondition(secondStride == MemoryLayout<T>.stride, "ReductionChunk: the second operand is not \(T.self)")
        return UnsafeBufferPointer(start: second.assumingMemoryBound(to: T.self), count: elements.count)
    }

    /// `count` elements from `start`, `stride` apart, copied into a contiguous scratch buffer (the second
    /// operand too); `release()` returns the buffer.
    func gathered(from start: Int, stride: Int, count: Int, firstIndex: Int) -> GatheredChunk<Element> {
        let elementBytes = MemoryLayout<Element>.stride
        let buffer = ChunkScratch.take(bytes: count * (elementBytes + secondStride))
        let base = UnsafeRawPointer(elements.baseAddress!) + start * elementBytes
        gatherBytes(base, stride: stride * elementBytes, count: count, elementBytes: elementBytes, into: buffer)
        var secondCopy: UnsafeRawPointer?
        if let second, secondStride > 0 {
            let target = buffer + count * elementBytes
            gatherBytes(second + start * secondStride, stride: stride * secondStride, count: count, elementBytes: secondStride, into: target)
            secondCopy = UnsafeRawPointer(target)
        }
        let chunk = ReductionChunk(
            elements: UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: Element.self), count: count),
            firstIndex: firstIndex, second: secondCopy, secondStride: secondStride)
        return GatheredChunk(chunk: chunk, buffer: buffer)
    }
}

/// A chunk copied into scratch memory by ``ReductionChunk/gathered(from:stride:count:firstIndex:)``.
struct GatheredChunk<Element: SharedElement> {
    let chunk: ReductionChunk<Element>
    let buffer: UnsafeMutableRawPointer
    func release() { ChunkScratch.giveBack(buffer) }
}

/// Copies `count` elements of `elementBytes` bytes, `stride` bytes apart, to contiguous `target`.
@inline(__always)
func gatherBytes(_ source: UnsafeRawPointer, stride: Int, count: Int, elementBytes: Int, into target: UnsafeMutableRawPointer) {
    switch elementBytes {
    case 8:
        let d = target.assumingMemoryBound(to: UInt64.self)
        for i in 0..<count { d[i] = source.loadUnaligned(fromByteOffset: i * stride, as: UInt64.self) }
    case 4:
        let d = target.assumingMemoryBound(to: UInt32.self)
        for i in 0..<count { d[i] = source.loadUnaligned(fromByteOffset: i * stride, as: UInt32.self) }
    case 2:
        let d = target.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { d[i] = source.loadUnaligned(fromByteOffset: i * stride, as: UInt16.self) }
    case 1:
        let d = target.assumingMemoryBound(to: UInt8.self)
        for i in 0..<count { d[i] = source.load(fromByteOffset: i * stride, as: UInt8.self) }
    default:
        for i in 0..<count { (target + i * elementBytes).copyMemory(from: source + i * stride, byteCount: elementBytes) }
    }
}
