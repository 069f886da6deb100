import COpenBLAS
import Synchronization

/// Reductions that read fewer bytes than ``bytes`` run in the calling process instead of waking the
/// workers: waking them and waiting for their reports costs tens of microseconds, more than summing
/// a few hundred KiB. The chunk grid, the fold of each chunk and the pairwise combine are the same
/// either way, so the result is bit for bit the same on both sides of the cutoff and for any number of
/// workers.
///
/// The default is measured, not guessed: `Benchmarks/run.py --only cutoff` times `sum`, `min`, `argmin`,
/// `dot` and `norm` from 2^10 to 2^20 elements with every call forced onto the workers and forced into
/// the caller (`mproc bench --caller-cutoff`), and reports the size where the workers start to win
/// (README, "Small arrays").
///
/// ```swift
/// SmallReductionCutoff.bytes = 0      // always wake the workers (what the benchmark's sweep does)
/// ```
public enum SmallReductionCutoff {
    /// The measured default: the input size (bytes read, both operands of a dot product) below which
    /// the caller computes alone.
    public static let defaultBytes = 512 << 10

    private static let current = Atomic<Int>(defaultBytes)

    /// The cutoff in force, for every pool in this process (0: always the workers; `Int.max`: always the
    /// caller).
    public static var bytes: Int {
        get { current.load(ordering: .relaxed) }
        set { current.store(Swift.max(0, newValue), ordering: .relaxed) }
    }

    /// Whether a reduction reading `inputBytes` runs in the caller. Never while the caller's BLAS runs
    /// several threads (a user widened it): a threaded `ddot` splits a chunk differently from a worker's
    /// single-threaded one, and the bits must not depend on where a chunk ran.
    static func runsInCaller(inputBytes: Int) -> Bool {
        inputBytes < bytes && openblas_get_num_threads() == 1
    }
}
