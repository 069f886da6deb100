import SharedArrays

extension ChunkPlan {
    /// The chunks part `part` of `parts` takes: a contiguous run, runs in part order, their lengths
    /// differing by at most one, so that part 0 holds the first chunks and the last part the last ones.
    /// Each MPI rank reduces the share of its rank; concatenated in rank order the shares are the grid.
    ///
    /// ```swift
    /// let mine = grid.share(communicator.rank, of: communicator.size)   // e.g. 0..<13, 13..<26, ...
    /// ```
    public func share(_ part: Int, of parts: Int) throws -> Range<Int> {
        guard parts >= 1, (0..<parts).contains(part) else {
            throw ArrayError(.invalidArgument, operation: "share", input: "part", "part \(part) of \(parts) is not a part (0..<\(parts))")
        }
        // part * q + min(part, r) never overflows: it is at most chunkCount.
        let (q, r) = chunkCount.quotientAndRemainder(dividingBy: parts)
        let lower = part * q + Swift.min(part, r)
        return lower..<lower + q + (part < r ? 1 : 0)
    }

    /// The elements (or rows) a run of chunks covers.
    public func elements(of chunks: Range<Int>) -> Range<Int> {
        guard !chunks.isEmpty else {
            let at = Swift.min(count, chunks.lowerBound * chunkLength)
            return at..<at
        }
        return range(of: chunks.lowerBound).lowerBound..<range(of: chunks.upperBound - 1).upperBound
    }
}
