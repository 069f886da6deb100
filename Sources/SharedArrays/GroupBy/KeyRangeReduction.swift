/// The smallest and largest key: the first pass of a group-by, which decides between dense partials
/// (one slot per key in the range, like `np.bincount`) and the sparse path.
struct KeyRangeReduction<Element: SharedElement>: ChunkReduction {
    typealias Range = KeyRange

    var identity: Range { Range(min: .max, max: .min) }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Range>) {
        switch Element.dtype {
        case .int64: partial[0] = keyRange(chunk.elements.retyped(Int64.self))
        case .int32: partial[0] = keyRange(chunk.elements.retyped(Int32.self))
        default: break  // refused before the job
        }
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

private func keyRange<K: FixedWidthInteger>(_ keys: UnsafeBufferPointer<K>) -> KeyRange {
    var lo = K.max
    var hi = K.min
    for k in keys {
        lo = k < lo ? k : lo
        hi = k > hi ? k : hi
    }
    return KeyRange(min: Int64(lo), max: Int64(hi))
}
