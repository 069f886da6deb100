import Multiprocessing

/// What a rolling window reports.
public enum RollingStatistic: String, Sendable, CaseIterable, BitwiseCopyable {
    case sum, mean, min, max
    case variance = "var"
    case std
}

/// The windows of `window` consecutive elements of a 1-D array, from ``SharedArray/rolling(_:)``; each
/// statistic is a new float64 array of `count - window + 1` values (the "valid" windows only, like
/// `np.lib.stride_tricks.sliding_window_view(x, window).sum(axis=1)`, or pandas' rolling result with
/// its first `window - 1` NaN rows dropped).
///
/// NaN and ±inf follow numpy's statistic of each window (a NaN in the window gives NaN). Sums and
/// moments merge block partials with compensation and never subtract a leaving value (see the kernels),
/// so they agree with numpy to rounding, not bit for bit; minimum and maximum are exact. Values are read as Double (int64
/// beyond 2^53 rounds). The result is the same, bit for bit, for any number of workers.
///
/// ```swift
/// let smooth = try x.rolling(100).mean()
/// ```
public struct RollingWindows<Element: SharedElement>: Sendable {
    public let array: SharedArray<Element>
    public let window: Int

    public func sum(timeout: Duration? = nil) throws -> SharedArray<Double> { try compute(.sum, ddof: 0, timeout: timeout) }
    public func mean(timeout: Duration? = nil) throws -> SharedArray<Double> { try compute(.mean, ddof: 0, timeout: timeout) }
    public func min(timeout: Duration? = nil) throws -> SharedArray<Double> { try compute(.min, ddof: 0, timeout: timeout) }
    public func max(timeout: Duration? = nil) throws -> SharedArray<Double> { try compute(.max, ddof: 0, timeout: timeout) }
    /// The variance of each window with `ddof` (0 like numpy's `var`; pandas uses 1).
    public func variance(ddof: Int = 0, timeout: Duration? = nil) throws -> SharedArray<Double> {
        try compute(.variance, ddof: ddof, timeout: timeout)
    }
    /// The standard deviation of each window with `ddof` (0 like numpy's `std`; pandas uses 1).
    public func std(ddof: Int = 0, timeout: Duration? = nil) throws -> SharedArray<Double> { try compute(.std, ddof: ddof, timeout: timeout) }

    /// `statistic` of every window.
    public func compute(_ statistic: RollingStatistic, ddof: Int = 0, timeout: Duration? = nil) throws -> SharedArray<Double> {
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "rolling \(statistic.rawValue)", input: "ddof", "ddof must be >= 0, got \(ddof)") }
        let source = array.isContiguous ? array : try array.copy()
        let outputs = array.count - window + 1
        let result = try SharedArray<Double>(uninitialized: [outputs], on: array.pool)
        // At least four windows of outputs per chunk, so each chunk's first full window costs little.
        let target = Swift.max(ChunkPlan.defaultTargetBytes, CheckedSize.product(window, 32) ?? Int.max)
        let plan = ChunkPlan(count: outputs, elementSize: MemoryLayout<Double>.stride, targetBytes: target)
        try WorkerPool.withTimeout(timeout) {
            let job = RollingJob(
                statistic: statistic, ddof: ddof, window: window, source: source.location, destination: result.location, plan: plan)
            try array.pool.run(job, chunks: plan.chunkCount, describeChunk: result.describe(plan))
        }
        return result
    }
}

extension SharedArray {
    /// The rolling windows of `window` elements of this 1-D array (see ``RollingWindows``).
    ///
    /// Throws for a 2-D array, a window below 1 or longer than the array.
    public func rolling(_ window: Int) throws -> RollingWindows<Element> {
        guard rank == 1 else { throw ArrayError(.invalidShape, operation: "rolling", input: "shape", "needs a 1-D array; this one has shape \(shape)") }
        guard window >= 1 else { throw ArrayError(.invalidArgument, operation: "rolling", input: "window", "the window must be at least 1, got \(window)") }
        guard window <= count else {
            throw ArrayError(.invalidArgument, operation: "rolling", input: "window", "a window of \(window) is longer than the array (\(count) elements)")
        }
        return RollingWindows(array: self, window: window)
    }
}
