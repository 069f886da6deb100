import Multiprocessing
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
        runsInCaller(elements: elements, elementSize: elementSize, weight: operation.callerWeight)
    }

    /// Whether `elements` elements of `elementSize` bytes, each `weight` times a copy's cost, run in the caller.
    static func runsInCaller(elements: Int, elementSize: Int, weight: Int) -> Bool {
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: elementSize &* weight)
        return !overflow && bytes <= Self.bytes
    }
}

extension WorkerPool {
    /// Runs an element-wise job (a map, a cast, a comparison, a selection) in this process when
    /// ``SmallMapCutoff`` says it is small, else on the workers. Each element depends only on its inputs
    /// and index, so the result does not depend on where a chunk ran.
    func runElementwise<Job: WorkerJob>(
        _ job: Job, chunks: Int, inCaller: Bool, describeChunk: @escaping (Int) -> String
    ) throws {
        if inCaller {
            try runInCaller(job, chunks: chunks, describeChunk: describeChunk)
        } else {
            try run(job, chunks: chunks, describeChunk: describeChunk)
        }
    }
}
