/// How a reduction's chunks lie in memory: the plan's half of a reduction (the kernel never sees it).
///
/// Every layout splits the data on a ``ChunkPlan`` grid that depends only on the data, so results are the
/// same for any number of workers.
public enum ReductionLayout: Sendable, Equatable, BitwiseCopyable {
    /// One partial for the whole array; the elements are contiguous, or a strided view gathered per chunk.
    case flat
    /// `classes` partials over a contiguous span: partial `r` covers `data[r::classes]`.
    case residueClasses(Int)
    /// A 2-D table of `columns` columns reduced along axis 0: one partial per column (chunks are row blocks).
    case columns(Int)
    /// A 2-D table of `columns` columns reduced along axis 1: one result per row (never merged).
    case rows(Int)

    /// Partials per chunk (per row for ``rows(_:)``).
    public var partialsPerChunk: Int {
        switch self {
        case .flat, .rows: 1
        case .residueClasses(let k): k
        case .columns(let n): n
        }
    }

    /// Whether this is ``rows(_:)``: one result per row rather than partials per chunk.
    public var isRows: Bool {
        if case .rows = self { true } else { false }
    }
}
