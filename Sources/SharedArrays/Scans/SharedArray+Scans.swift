import Multiprocessing

extension SharedArray {
    /// The cumulative sum, like `np.cumsum` (integers wrap around on overflow).
    ///
    /// A parallel two-pass scan: each chunk's total (a reduction on the chunk grid), the totals combined in
    /// chunk order in the parent, then each chunk scanned from the total before it. Integer results are
    /// exactly numpy's. Floating-point results are numpy's, bit for bit, for the first chunk (256 KiB of
    /// output: 32 Ki float64 values) and then differ by rounding only: numpy adds one element at a time from the start, while a chunk here
    /// starts from the sum of the chunks before it, each summed in four chains. The result is the same, bit
    /// for bit, for any number of workers.
    ///
    /// Int32 accumulates in Int32 here; numpy's `np.cumsum` of int32 gives int64: use `cumsum(as: Int64.self)`.
    ///
    /// ```swift
    /// let running = try x.cumsum()
    /// ```
    public func cumsum(timeout: Duration? = nil) throws -> SharedArray { try scan(.cumsum, as: Element.self, timeout: timeout) }
    /// The cumulative product, like `np.cumprod` (integers wrap around on overflow; rounding as ``cumsum(timeout:)``).
    public func cumprod(timeout: Duration? = nil) throws -> SharedArray { try scan(.cumprod, as: Element.self, timeout: timeout) }
    /// The running minimum, like `np.minimum.accumulate`: a NaN makes it NaN from there on.
    public func cummin(timeout: Duration? = nil) throws -> SharedArray { try scan(.cummin, as: Element.self, timeout: timeout) }
    /// The running maximum, like `np.maximum.accumulate`: a NaN makes it NaN from there on.
    public func cummax(timeout: Duration? = nil) throws -> SharedArray { try scan(.cummax, as: Element.self, timeout: timeout) }
    /// The cumulative sum counting NaN as 0, like `np.nancumsum`.
    public func nancumsum(timeout: Duration? = nil) throws -> SharedArray { try scan(.nancumsum, as: Element.self, timeout: timeout) }
    /// The cumulative product counting NaN as 1, like `np.nancumprod`.
    public func nancumprod(timeout: Duration? = nil) throws -> SharedArray { try scan(.nancumprod, as: Element.self, timeout: timeout) }

    /// The cumulative sum accumulated in `Output`, like `np.cumsum(x, dtype=...)`: `Int64` for int32 input
    /// is numpy's default.
    public func cumsum<Output: SharedElement>(as output: Output.Type, timeout: Duration? = nil) throws -> SharedArray<Output> {
        try scan(.cumsum, as: output, timeout: timeout)
    }

    /// The dtype numpy gives `operation` of this array: int32 sums and products widen to int64,
    /// everything else keeps its type.
    public static func numpyScanDType(_ operation: ScanOperation) -> DType {
        switch operation {
        case .cumsum, .cumprod, .nancumsum, .nancumprod: Element.dtype == .int32 ? .int64 : Element.dtype
        case .cummin, .cummax: Element.dtype
        }
    }

    /// `operation` over the flattened array (row-major for a 2-D table, like numpy without `axis`), with
    /// values accumulated in `Output`: the element type itself, Int64 for Int32, or Double for any.
    /// See ``cumsum(timeout:)`` for how it runs and how its rounding relates to numpy's.
    public func scan<Output: SharedElement>(
        _ operation: ScanOperation, as _: Output.Type, timeout: Duration? = nil
    ) throws -> SharedArray<Output> {
        guard ScanKernels.supports(input: Element.dtype, output: Output.dtype) else {
            throw ArrayError(
                .unsupportedType, operation: operation.rawValue, input: "accumulator",
                "cannot accumulate \(Element.dtype.rawValue) as \(Output.dtype.rawValue); "
                    + "use the same type, int64 for int32, or float64")
        }
        return try WorkerPool.withTimeout(timeout) {
            switch Output.dtype {
            case .float64: try scanned(operation, Double.self) as! SharedArray<Output>
            case .float32: try scanned(operation, Float.self) as! SharedArray<Output>
            case .int64: try scanned(operation, Int64.self) as! SharedArray<Output>
            case .int32: try scanned(operation, Int32.self) as! SharedArray<Output>
            case .int16, .uint8: throw ArrayError(.unsupportedType, operation: "\(operation.rawValue)", input: "dtype", "\(Output.dtype.rawValue) is not an accumulator type")
            }
        }
    }

    private func scanned<Output: ScanValue>(_ operation: ScanOperation, _: Output.Type) throws -> SharedArray<Output> {
        let source = isContiguous ? self : try copy()
        let result = try SharedArray<Output>(uninitialized: shape, on: pool)
        // One grid for both passes, in the wider of the two element sizes so chunks start on pages of both.
        let plan = ChunkPlan(count: count, elementSize: Swift.max(MemoryLayout<Element>.stride, MemoryLayout<Output>.stride))
        guard plan.chunkCount > 0 else { return result }
        let totals = try source.chunkPartials(ScanTotalsReduction<Element, Output>(operation: operation), plan: plan)
        let bytes = plan.chunkCount * MemoryLayout<Output>.stride  // no overflow: fewer chunks than elements
        try ScratchSpace.with(bytes: bytes) { scratch in
            // Exclusive combine in chunk order: slot c holds chunks 0..<c; slot 0 is unused.
            let offsets = scratch.base.bindMemory(to: Output.self, capacity: plan.chunkCount)
            var running = operation.identity(Output.self)
            for c in 0..<plan.chunkCount {
                offsets[c] = running
                running = c == 0 ? totals[0] : operation.combine(running, totals[c])
            }
            let job = ScanApplyJob(
                operation: operation, source: source.location, destination: result.location, offsets: scratch.reference,
                plan: plan)
            try pool.run(job, chunks: plan.chunkCount, describeChunk: describe(plan))
        }
        return result
    }
}
