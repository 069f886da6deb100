import Synchronization

/// Element-wise maps (ufuncs, fills, `axpy`, casts) whose work is at most ``bytes`` run in the calling process
/// instead of waking the workers, as small reductions do (``SmallReductionCutoff``). Every element of a map
/// depends only on its own inputs and index, so the result is bit for bit the same on both sides of the cutoff.
///
/// The work is the destination's bytes times the operation's cost class (``MapOperation/callerWeight``): a
/// transcendental function or a normal fill costs several times a copy per element, so its cutoff in elements
/// is that many times smaller. The default is measured by `Benchmarks/run.py --only small-maps`.
///
/// ```swift
/// SmallMapCutoff.bytes = 0      // always wake the workers
/// ```
public enum SmallMapCutoff {
    /// The measured default (see above), in weighted bytes.
    public static let defaultBytes = 2 << 20

    private static let current = Atomic<Int>(defaultBytes)

    /// The cutoff in force, for every pool in this process (0: always the workers; `Int.max`: always the caller).
    public static var bytes: Int {
        get { current.load(ordering: .relaxed) }
        set { current.store(Swift.max(0, newValue), ordering: .relaxed) }
    }

    /// Whether `operation` over `elements` elements of `elementSize` bytes runs in the caller.
    static func runsInCaller(_ operation: MapOperation, elements: Int, elementSize: Int) -> Bool {
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: elementSize &* operation.callerWeight)
        return !overflow && bytes <= Self.bytes
    }
}
