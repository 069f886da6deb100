#if MPI
import Multiprocessing
import SharedArrays

extension DistributedReduction {
    /// The dot product of the two datasets `source` and `other` open (flat, the same element count), both read
    /// as `Element`, across the ranks of `world`: at rank 0 the value ``SharedArrays/SharedArray/dot(_:)`` gives
    /// on one node, bit for bit (compensated Dot2 per chunk, double-double merges in the fixed pairwise order;
    /// numpy's wrapping Int64 sum for integers); nil on the other ranks. Each rank reads its share of both.
    ///
    /// ```swift
    /// let d = try DistributedReduction.dot(of: { try NpyStreamSource(path: "x.npy") }, with: { try NpyStreamSource(path: "y.npy") },
    ///                                      as: Double.self, on: pool, world: world)   // rank 0: the value
    /// ```
    public static func dot<Element: SharedElement, S: StreamSource>(
        of source: () throws -> S, with other: () throws -> S, as _: Element.Type, on pool: WorkerPool, world: MPICommunicator,
        timeout: Duration? = nil
    ) throws -> Double? {
        try reduce(DotReduction<Element>(), of: source, pairedWith: other, on: pool, world: world, timeout: timeout)?.first?.value
    }
}
#endif
