import COpenBLAS
import Synchronization

/// Reductions over arrays of at most ``bytes`` bytes run in the calling process instead of waking the
/// workers: waking them and waiting for their reports costs tens of microseconds, more than reducing a
/// few hundred KiB. The chunk grid, the fold of each chunk and the pairwise combine are the same either
/// way, so the result is bit for bit the same on both sides of the cutoff and for any number of workers.
///
/// The default is measured, not guessed: `Benchmarks/run.py --only small-sum,small-min,small-argmin,small-dot,small-norm`
/// times those reductions from 2^10 to 2^20 float64 values with every call forced onto the workers
/// (`mproc bench --caller-cutoff 0`) and forced into the caller, and reports the largest size up to which
/// the caller won for all of them: 2^17 values (1 MiB) on the 2-core machine of the README, under load.
///
/// ```swift
/// SmallReductionCutoff.bytes = 0      // always wake the workers (what the benchmark's sweep does)
/// ```
public enum SmallReductionCutoff {
    /// The measured default (see above): the reduced array's size in bytes (the span a strided view
    /// covers) up to which the caller computes alone.
    public static let defaultBytes = 1 << 20

    private static let current = Atomic<Int>(defaultBytes)

    /// The cutoff in force, for every pool in this process (0: always the workers, except empty arrays;
    /// `Int.max`: always the caller).
    public static var bytes: Int {
        get { current.load(ordering: .relaxed) }
        set { current.store(Swift.max(0, newValue), ordering: .relaxed) }
    }

    /// Whether a reduction over an array of `inputBytes` runs in the caller. Never while the caller's BLAS runs
    /// several threads (a user widened it): a threaded `ddot` splits a chunk differently from a worker's
    /// single-threaded one, and the bits must not depend on where a chunk ran.
    static func runsInCaller(inputBytes: Int) -> Bool {
        inputBytes <= bytes && openblas_get_num_threads() == 1
    }
}
