import Multiprocessing
import Synchronization

/// Element-wise work (ufuncs, fills, `axpy`, casts, comparisons, `where`) of at most ``bytes`` runs in the
/// calling process instead of waking the workers, as small reductions do (``SmallReductionCutoff``). Every
/// element depends only on its own inputs and index, so the result is bit for bit the same on both sides of
/// the cutoff.
///
/// The work is the destination's bytes times the operation's cost class (``MapOperation/callerWeight``): a
/// transcendental function or a normal fill costs many times a scale per element, so its cutoff in elements
/// is that many times smaller. With the default, the caller takes up to about 40 µs of work, one wake-up of
/// the workers. `Benchmarks/run.py --only small-scale,small-sqrt,small-exp` measures where the workers start
/// to win: on 2 cores, at 2 MiB of weighted work for a scale and a square root and 4 MiB for `exp` since the
/// pool's waits poll (``SpinWait``; 4 MiB or more for every row before), so the default is that 2 MiB.
///
/// ```swift
/// SmallMapCutoff.bytes = 0      // always wake the workers
/// ```
public enum SmallMapCutoff {
    /// The default (see above), in weighted bytes.
    public static let defaultBytes = 2 << 20

    private static let current = Atomic<Int>(defaultBytes)

    /// The cutoff in force, for every pool in this process (0: always the workers; `Int.max`: always the caller).
    public static var bytes: Int {
        get { current.load(ordering: .relaxed) }
        set { current.store(Swift.max(0, newValue), ordering: .relaxed) }
    }

    /// Whether `elements` elements of `elementSize` bytes, each `weight` times a copy's cost, run in the caller.
    static func runsInCaller(elements: Int, elementSize: Int, weight: Int) -> Bool {
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: elementSize &* weight)
        return !overflow && bytes <= Self.bytes
    }
}

extension WorkerPool {
    /// Runs an element-wise job (a map, a cast, a comparison, a selection) over `elements` elements of
    /// `elementSize` bytes, each `weight` times a scale's cost, in this process when ``SmallMapCutoff`` says
    /// it is small, else on the workers. Each element depends only on its inputs and index, so the result
    /// does not depend on where a chunk ran.
    func runElementwise<Job: WorkerJob>(
        _ job: Job, chunks: Int, elements: Int, elementSize: Int, weight: Int = 1,
        describeChunk: @escaping (Int) -> String
    ) throws {
        if SmallMapCutoff.runsInCaller(elements: elements, elementSize: elementSize, weight: weight) {
            try runInCaller(job, chunks: chunks, describeChunk: describeChunk)
        } else {
            try run(job, chunks: chunks, describeChunk: describeChunk)
        }
    }
}
