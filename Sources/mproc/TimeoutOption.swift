import ArgumentParser
import SharedArrays

/// `--timeout SECONDS`: the most the parallel work may take before stuck workers are killed and the
/// command fails (for `batch`, per file: a file that takes longer is a failed record and the batch goes on).
struct TimeoutOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Give up after this many seconds of parallel work (per file for batch); stuck workers are killed.",
        valueName: "seconds"))
    var timeout: Double?

    /// The largest accepted value (about 31 years): anything bigger is a typo, not a deadline.
    static let maximumSeconds = 1e9

    func validate() throws {
        guard let timeout else { return }
        guard timeout.isFinite, timeout > 0, timeout <= Self.maximumSeconds else {
            throw ValidationError("--timeout must be a positive number of seconds, at most 1e9 (got \(timeout))")
        }
    }

    /// The timeout as a duration (nil: none).
    var duration: Duration? {
        timeout.map { .nanoseconds(Int64(($0 * 1e9).rounded(.up))) }
    }

    /// Runs `body` with every pool call in it bounded by one deadline `--timeout` from now.
    func bounding<Result>(_ body: () throws -> Result) throws -> Result {
        try WorkerPool.withTimeout(duration, body)
    }
}
