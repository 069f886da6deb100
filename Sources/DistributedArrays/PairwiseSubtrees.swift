import SharedArrays

/// The fixed pairwise tree of ``SharedArrays/pairwiseCombine(_:_:identity:)`` over `count` chunk partials,
/// cut along a rank's run of chunks: its shape depends only on `count` (node `lo..<hi` splits at
/// `lo + (hi - lo) / 2`), so a rank can merge every subtree that lies inside its run by itself and send only
/// those (at most about `2 log2 count` of them), and rank 0 finishes the same tree from them. The merges
/// are the same merges in the same order as on one node, so the bits are too.
enum PairwiseSubtrees {
    /// The largest subtrees inside `run`, in order (they tile `run`).
    static func maximal(inside run: Range<Int>, of count: Int) -> [Range<Int>] {
        var found: [Range<Int>] = []
        func visit(_ lo: Int, _ hi: Int) {
            guard lo < hi, lo < run.upperBound, hi > run.lowerBound else { return }
            if run.lowerBound <= lo && hi <= run.upperBound {
                found.append(lo..<hi)
                return
            }
            let mid = lo + (hi - lo) / 2
            visit(lo, mid)
            visit(mid, hi)
        }
        visit(0, count)
        return found
    }

    /// The combined partial of the tree over `count` chunks, from subtree values that tile `0..<count`
    /// (`width` slots each, keyed by their first chunk). Throws when a needed subtree is missing.
    static func finish<R: ChunkReduction>(
        _ reduction: R, subtrees: [Int: (range: Range<Int>, slots: [R.Slot])], count: Int, width: Int
    ) throws -> [R.Slot] {
        guard count > 0 else { return Array(repeating: reduction.identity, count: width) }
        func value(_ lo: Int, _ hi: Int) throws -> [R.Slot] {
            if let node = subtrees[lo], node.range.upperBound == hi { return node.slots }
            guard hi - lo >= 2 else { throw DistributedError("no rank sent the partial of chunk \(lo) of \(count)") }
            let mid = lo + (hi - lo) / 2
            var left = try value(lo, mid)
            let right = try value(mid, hi)
            left.withUnsafeMutableBufferPointer { a in right.withUnsafeBufferPointer { b in reduction.mergeEach(a, b) } }
            return left
        }
        return try value(0, count)
    }
}
