/// The smallest and largest key: the first pass of a group-by, which decides between dense partials
/// (one slot per key in the range, like `np.bincount`) and the sparse path.
struct KeyRangeReduction<Element: SharedElement>: ChunkReduction {
    typealias Range = KeyRange

    var identity: Range { Range(min: .max, max: .min) }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Range>) {
        guard let base = chunk.elements.baseAddress else { return }
        partial[0] = keyRange(UnsafeRawPointer(base), count: chunk.elements.count, dtype: Element.dtype)
    }

    func merge(_ a: UnsafeMutableBufferPointer<Range>, _ b: UnsafeBufferPointer<Range>) {
        a[0] = Range(min: Swift.min(a[0].min, b[0].min), max: Swift.max(a[0].max, b[0].max))
    }
}

/// The smallest and largest of some keys.
struct KeyRange: BitwiseCopyable, Sendable {
    var min: Int64
    var max: Int64
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
    var lo = K.max
    var hi = K.min
    for k in keys {
        lo = k < lo ? k : lo
        hi = k > hi ? k : hi
    }
    return KeyRange(min: Int64(lo), max: Int64(hi))
}
