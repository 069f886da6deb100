import Multiprocessing

/// One step of a streamed element-wise map, double-buffered like ``StreamStepJob``: the workers read window
/// `k` into one buffer while they apply the operation in place to window `k - 1` in the other, one grid chunk
/// per item (the grid `map` uses in memory, so every element goes through the same kernel path).
struct StreamMapStepJob<S: StreamSource>: WorkerJob {
    var operation: UnaryOp
    var dtype: DType
    var windows: StreamWindows
    var source: SegmentReference
    var evenBuffer: SegmentReference
    var oddBuffer: SegmentReference
    var readWindow: Int
    var mapWindow: Int
    var reads: Int
    var maps: Int

    init(operation: UnaryOp, dtype: DType, windows: StreamWindows, source: SegmentReference, evenBuffer: SegmentReference,
         oddBuffer: SegmentReference, readWindow: Int, mapWindow: Int) {
        self.operation = operation
        self.dtype = dtype
        self.windows = windows
        self.source = source
        self.evenBuffer = evenBuffer
        self.oddBuffer = oddBuffer
        self.readWindow = readWindow
        self.mapWindow = mapWindow
        reads = readWindow >= 0 ? windows.readCount(of: readWindow) : 0
        maps = mapWindow >= 0 ? windows.chunks(of: mapWindow).count : 0
    }

    var items: Int { reads + maps }

    func buffer(of window: Int) -> SegmentReference { window % 2 == 0 ? evenBuffer : oddBuffer }

    static func run(_ job: Self, chunk item: Int, context: WorkerContext) throws {
        let (isRead, index) = StreamWindows.interleaved(item, reads: job.reads, others: job.maps)
        let elementBytes = job.dtype.byteSize
        if isRead {
            let source = try context.address(of: job.source).loadUnaligned(as: S.self)
            let range = job.windows.read(index, of: job.readWindow)
            let windowStart = job.windows.elements(of: job.readWindow).lowerBound
            let buffer = try context.address(of: job.buffer(of: job.readWindow))
            try source.read(range, into: buffer + (range.lowerBound - windowStart) * elementBytes, as: job.dtype)
        } else {
            let chunk = job.windows.chunks(of: job.mapWindow).lowerBound + index
            let range = job.windows.grid.range(of: chunk)
            let windowStart = job.windows.elements(of: job.mapWindow).lowerBound
            let start = try context.address(of: job.buffer(of: job.mapWindow)) + (range.lowerBound - windowStart) * elementBytes
            try job.dtype.dispatch(InPlace(operation: job.operation, start: start, count: range.count))
        }
    }

    /// `x = op(x)` over `count` elements at `start`.
    private struct InPlace: ElementVisitor {
        let operation: UnaryOp
        let start: UnsafeMutableRawPointer
        let count: Int

        func visit<E: SharedElement>(_: E.Type) throws {
            let elements = start.assumingMemoryBound(to: E.self)
            applyUnary(operation, UnsafeBufferPointer(start: elements, count: count), UnsafeMutableBufferPointer(start: elements, count: count))
        }
    }

    func describe(_ item: Int) -> String {
        let (isRead, index) = StreamWindows.interleaved(item, reads: reads, others: maps)
        let range = isRead ? windows.read(index, of: readWindow) : windows.grid.range(of: windows.chunks(of: mapWindow).lowerBound + index)
        return "\(isRead ? "read" : "map") of window \(isRead ? readWindow : mapWindow) (elements \(range.lowerBound)..<\(range.upperBound))"
    }
}

/// Element-wise maps of a dataset larger than the memory they may use, window by window (see
/// ``StreamedReduction`` for the windows and the double buffering).
///
/// ```swift
/// try StreamedMap.map(.sqrt, of: source, as: Double.self, memoryLimit: 256 << 20, on: pool) { range, values in
///     try writer.writeElements(dataset: "/out", range: range, from: values, dtype: .float64)
/// }
/// ```
public enum StreamedMap {
    /// Applies `op` to every element of `source` (flat) computed as `Element`, in windows that together take at
    /// most `memoryLimit` bytes, and hands each finished window to `write`, in order, in this process: the
    /// elements `range`, at `values`, valid during the call. The values are those ``SharedArray/apply(_:timeout:)``
    /// gives on the loaded array, bit for bit (same grid, same kernels).
    public static func map<Element: SharedElement, S: StreamSource>(
        _ op: UnaryOp, of source: S, as _: Element.Type, memoryLimit: Int, on pool: WorkerPool,
        progress: ((StreamedReduction.Progress) -> Void)? = nil, write: (Range<Int>, UnsafeRawPointer) throws -> Void
    ) throws {
        if !Element.dtype.isFloatingPoint, case .power(let p) = op, let k = integralValue(p), k < 0 {
            throw ArrayError(.invalidArgument, operation: nil, "power: integers to negative integer powers are not allowed (exponent \(p))")
        }
        let elementBytes = MemoryLayout<Element>.stride
        let grid = ChunkPlan(count: Swift.max(0, source.count), elementSize: elementBytes)
        guard grid.chunkCount > 0 else { return }
        let chunkBytes = grid.chunkLength * elementBytes
        guard memoryLimit / 2 >= chunkBytes else {
            throw ArrayError(
                .invalidArgument, operation: nil, "stream: a memory limit of \(formatBytes(memoryLimit)) is too small: streaming needs two windows of at least one "
                    + "\(formatBytes(chunkBytes)) chunk, \(formatBytes(2 * chunkBytes)) in all")
        }
        let windows = StreamWindows(
            grid: grid, chunksPerWindow: memoryLimit / 2 / chunkBytes, readAlignment: source.readAlignment, elementSize: elementBytes)
        let bufferBytes = windows.windowCapacity * elementBytes
        let even = try SharedMemory(byteCount: bufferBytes)
        let odd = windows.count > 1 ? try SharedMemory(byteCount: bufferBytes) : even
        let stored = try source.storedInSegment()
        var done = 0
        for step in 0...windows.count {
            let job = StreamMapStepJob<S>(
                operation: op, dtype: Element.dtype, windows: windows, source: stored.reference, evenBuffer: even.reference,
                oddBuffer: odd.reference, readWindow: step < windows.count ? step : -1, mapWindow: step - 1)
            try pool.run(job, chunks: job.items, describeChunk: { job.describe($0) })
            guard step >= 1 else { continue }
            let range = windows.elements(of: step - 1)
            try write(range, UnsafeRawPointer((step - 1) % 2 == 0 ? even.base : odd.base))
            done += range.count
            progress?(StreamedReduction.Progress(elementsDone: done, elementsTotal: grid.count, windowsDone: step, windows: windows.count))
        }
    }
}
