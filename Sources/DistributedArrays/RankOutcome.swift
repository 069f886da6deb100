#if MPI
/// How the ranks of a run agree on its outcome, so that an error is reported once, not once per rank.
///
/// Every rank sends rank 0 either `[0] + payload` (its part of the result) or `[1] + message` (its error,
/// naming its rank and host). Rank 0 takes the first error in rank order, if any, and broadcasts the
/// verdict: on failure rank 0 throws it as a ``RankFailure`` (for the program to print) and every other rank throws a
/// quiet ``DistributedFailure`` (for the program to exit non-zero without printing). On success rank 0 gets
/// every rank's payload in rank order and the others an empty array.
///
/// ```swift
/// let mine = Result { try reduceMyShare() }            // Result<[UInt8], any Error>
/// let all = try RankOutcome.settle(mine, on: world)     // rank 0: [payload of rank 0, of rank 1, ...]
/// ```
public enum RankOutcome {
    /// Gathers `local` from every rank to rank 0 and settles the run as described above. Errors of the
    /// collectives themselves (a rank that died, a timeout) are thrown as ``DistributedError``s: the ranks
    /// are then out of step and the caller should ``MPICommunicator/abort(_:)``.
    public static func settle(_ local: Result<[UInt8], any Error>, on world: MPICommunicator, timeout: Duration? = nil) throws -> [[UInt8]] {
        let message: [UInt8]
        switch local {
        case .success(let payload): message = [0] + payload
        case .failure(let error as DistributedFailure): message = [2] + Array("\(error)".utf8)
        case .failure(let error): message = [1] + Array("\(world.describe(rank: world.rank)): \(error)".utf8)
        }
        let gathered = try world.gather(message, timeout: timeout)
        var verdict: [UInt8] = [0]
        var firstError: RankFailure?
        if world.rank == 0 {
            for (r, bytes) in gathered.enumerated() where bytes.first != 0 {
                firstError = RankFailure(
                    rank: r,
                    message: bytes.first == 1 ? String(decoding: bytes.dropFirst(), as: UTF8.self) : "\(world.describe(rank: r)) failed without a message")
                break
            }
            if firstError != nil { verdict = [1] }
        }
        let decided = try world.broadcast(verdict, timeout: timeout)
        guard decided.first == 0 else {
            if let firstError { throw firstError }
            throw DistributedFailure(reportedBy: 0)
        }
        return world.rank == 0 ? gathered.map { Array($0.dropFirst()) } : []
    }
}
#endif
