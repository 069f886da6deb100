/// Combines per-chunk partials in a fixed balanced tree, in index order.
///
/// The tree splits the range at its midpoint (`lo + count / 2`) recursively and merges left with right, so
/// `merge` always sees the earlier range first and the shape depends only on `parts.count`: the same chunk
/// grid gives bit-identical results whatever the number of workers. Returns `identity` for no parts and
/// the part itself for one (merge is never called with `identity` otherwise).
///
/// ```swift
/// let total = pairwiseCombine(partials, Moments.merge, identity: .empty)
/// ```
public func pairwiseCombine<T>(_ parts: [T], _ merge: (T, T) -> T, identity: T) -> T {
    parts.withUnsafeBufferPointer { pairwiseCombine($0, merge, identity: identity) }
}

/// ``pairwiseCombine(_:_:identity:)`` over a buffer (for example partial slots in shared memory).
public func pairwiseCombine<T>(_ parts: UnsafeBufferPointer<T>, _ merge: (T, T) -> T, identity: T) -> T {
    guard let base = parts.baseAddress, parts.count > 0 else { return identity }
    return combineRange(base, 0, parts.count, merge)
}

private func combineRange<T>(_ p: UnsafePointer<T>, _ lo: Int, _ hi: Int, _ merge: (T, T) -> T) -> T {
    let count = hi - lo
    if count == 1 { return p[lo] }
    if count == 2 { return merge(p[lo], p[lo + 1]) }
    let mid = lo + count / 2
    return merge(combineRange(p, lo, mid, merge), combineRange(p, mid, hi, merge))
}
