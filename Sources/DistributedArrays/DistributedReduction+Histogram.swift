#if MPI
import Multiprocessing
import SharedArrays

extension DistributedReduction {
    /// A histogram of every element of the dataset `source` opens (flat), read as `Element`, across the ranks of
    /// `world`: at rank 0 the counts and edges ``SharedArrays/SharedArray/histogram(bins:range:)`` gives on one
    /// node (numpy's `np.histogram` rules), nil on the other ranks. Without `range` the data's min and max are
    /// found first, across the ranks, and rank 0 tells every rank the range (one more pass, as on one node).
    /// Counts add exactly, so each rank sends one partial of `bins` counts.
    ///
    /// ```swift
    /// if let (counts, edges) = try DistributedReduction.histogram(bins: 50, of: { try NpyStreamSource(path: "x.npy") },
    ///                                                              as: Double.self, on: pool, world: world) { ... }
    /// ```
    public static func histogram<Element: SharedElement, S: StreamSource>(
        bins: Int, range: ClosedRange<Double>? = nil, of source: () throws -> S, as _: Element.Type, on pool: WorkerPool,
        world: MPICommunicator, timeout: Duration? = nil
    ) throws -> (counts: [Int], edges: [Double])? {
        var observed: (min: Double?, max: Double?) = (nil, nil)
        if range == nil {
            // Rank 0 learns the extremes (an error is settled there, once) and sends them to every rank.
            let extremes = try statistics([.min, .max], of: source, as: Element.self, on: pool, world: world, timeout: timeout)
            let sent = try world.broadcast(
                extremes.map { PartialBytes.encode([Double($0.count), $0[.min] ?? .nan, $0[.max] ?? .nan]) } ?? [], timeout: timeout)
            let values = try PartialBytes.decode(sent, as: Double.self, from: 0)
            guard values.count == 3 else { throw DistributedError("rank 0 sent \(values.count) values for the histogram's range, not 3") }
            if values[0] > 0 { observed = (values[1], values[2]) }
        }
        // Every rank makes the same reduction; a refusal (bins, range) is settled with the reduction, once.
        let made = Result { () throws -> HistogramReduction<Element> in
            guard bins < Int.max, CheckedSize.byteCount(shape: [Swift.max(1, pool.workerCount), bins + 1], elementSize: 8) != nil else {
                throw ArrayError(.tooLarge, operation: "histogram", input: "bins", "\(bins) bins are more than can be counted")
            }
            return try HistogramReduction<Element>(bins: bins, range: range, dataMin: observed.min, dataMax: observed.max)
        }
        let reduction = try made.get(orPlaceholder: HistogramReduction<Element>(lower: 0, upper: 1, bins: 1))
        let counts = try reduce(
            reduction, of: { () throws -> S in
                _ = try made.get()
                return try source()
            }, on: pool, world: world, timeout: timeout)
        guard let counts else { return nil }
        return (counts.map { Int($0) }, reduction.edges)
    }
}

extension Result {
    /// The value, or `placeholder` when this is a failure (the failure is thrown later, where it is settled).
    fileprivate func get(orPlaceholder placeholder: @autoclosure () throws -> Success) throws -> Success {
        switch self {
        case .success(let value): value
        case .failure: try placeholder()
        }
    }
}
#endif
