/// The smallest and largest key: the first pass of a group-by, which decides between dense partials
/// (one slot per key in the range, like `np.bincount`) and the sparse path.
package struct KeyRangeReduction<Element: SharedElement>: ChunkReduction {
    package typealias Range = KeyRange

    package init() {}

    package var identity: Range { Range(min: .max, max: .min) }

    package func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Range>) {
        guard let base = chunk.elements.baseAddress else { return }
        partial[0] = keyRange(UnsafeRawPointer(base), count: chunk.elements.count, dtype: Element.dtype)
    }

    package func merge(_ a: UnsafeMutableBufferPointer<Range>, _ b: UnsafeBufferPointer<Range>) {
        a[0] = Range(min: Swift.min(a[0].min, b[0].min), max: Swift.max(a[0].max, b[0].max))
    }
}

/// The smallest and largest of some keys.
package struct KeyRange: BitwiseCopyable, Sendable {
    package var min: Int64
    package var max: Int64

    package init(min: Int64, max: Int64) {
        self.min = min
        self.max = max
    }
}

/// Dispatched outside generic code so that each key type's loop is specialised.
private func keyRange(_ keys: UnsafeRawPointer, count: Int, dtype: DType) -> KeyRange {
    switch dtype {
    case .int64: keyRange(UnsafeBufferPointer(start: keys.assumingMemoryBound(to: Int64.self), count: count))
    case .int32: keyRange(UnsafeBufferPointer(start: keys.assumingMemoryBound(to: Int32.self), count: count))
    default: KeyRange(min: .max, max: .min)  // refused before the job
    }
}

private func keyRange<K: FixedWidthInteger>(_ keys: UnsafeBufferPointer<K>) -> KeyRange {
    // Two independent (min, max) chains, so that one chain's compare-and-select latency does not bound the
    // loop (the default x86-64 target has no 64-bit integer SIMD min/max); more chains spill registers.
    guard let p = keys.baseAddress else { return KeyRange(min: .max, max: .min) }
    var (lo0, lo1) = (K.max, K.max)
    var (hi0, hi1) = (K.min, K.min)
    let n = keys.count
    var i = 0
    while i &+ 2 <= n {
        let a = p[i]
        let b = p[i &+ 1]
        lo0 = a < lo0 ? a : lo0
        hi0 = a > hi0 ? a : hi0
        lo1 = b < lo1 ? b : lo1
        hi1 = b > hi1 ? b : hi1
        i &+= 2
    }
    if i < n {
        lo0 = Swift.min(lo0, p[i])
        hi0 = Swift.max(hi0, p[i])
    }
    return KeyRange(min: Int64(Swift.min(lo0, lo1)), max: Int64(Swift.max(hi0, hi1)))
}
