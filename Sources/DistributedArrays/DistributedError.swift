/// A failure of a distributed run: an MPI call that returned an error, a collective that did not finish
/// before its deadline, or the first error a rank reported (named by rank and host).
public struct DistributedError: Error, CustomStringConvertible, Sendable {
    /// The message, naming the operation or the rank that failed.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Thrown on every rank but the reporting one (rank 0) when a run failed: rank 0 has already printed the
/// one error message, so this one is meant to end the process with a non-zero status and print nothing.
public struct DistributedFailure: Error, CustomStringConvertible, Sendable {
    /// The rank that reported the failure.
    public let reportedBy: Int

    public init(reportedBy: Int) { self.reportedBy = reportedBy }

    public var description: String { "the run failed (reported by rank \(reportedBy))" }
}

/// The first error a rank reported in a run, thrown on rank 0 by ``RankOutcome/settle(_:on:timeout:)``.
/// Every rank has settled the run, so the ranks are still in step: print it, finalize and exit.
public struct RankFailure: Error, CustomStringConvertible, Sendable {
    /// The rank that reported it (the lowest one that failed).
    public let rank: Int
    /// Its message, starting with the rank and its host ("rank 1 (node07): ...").
    public let message: String

    public init(rank: Int, message: String) {
        self.rank = rank
        self.message = message
    }

    public var description: String { message }
}
