import CHDF5

/// Splits a flat C-order element range of an N-D dataset into the fewest hyperslab boxes that cover it
/// exactly, in order. A range aligned to whole rows of the first dimension (always, for 1-D data) is one box;
/// any other range is at most `2 * rank - 1` boxes. Each box is contiguous in flat order, so box `i` reads into
/// the destination at `flatStart - range.lowerBound`.
struct HyperslabPlan: Equatable {
    struct Box: Equatable {
        /// Start index in each dimension.
        var start: [hsize_t]
        /// Extent in each dimension.
        var count: [hsize_t]
        /// The flat index of the box's first element.
        var flatStart: Int
        /// The number of elements in the box.
        var elements: Int
    }

    var boxes: [Box] = []

    init(shape: [Int], range: Range<Int>) {
        precondition(!shape.isEmpty, "HyperslabPlan needs a rank of at least 1")
        guard !range.isEmpty else { return }
        decompose(shape: shape, level: 0, prefix: [], base: 0, low: range.lowerBound, high: range.upperBound)
    }

    /// Covers `low..<high`, relative to the sub-array at `prefix` (of shape `shape[level...]`, starting at flat
    /// index `base`).
    private mutating func decompose(shape: [Int], level: Int, prefix: [Int], base: Int, low: Int, high: Int) {
        guard low < high else { return }
        let inner = shape[(level + 1)...].reduce(1, *)
        if low % inner == 0 && high % inner == 0 {
            let start = prefix + [low / inner] + Array(repeating: 0, count: shape.count - level - 1)
            let count = Array(repeating: 1, count: prefix.count) + [(high - low) / inner] + shape[(level + 1)...]
            boxes.append(Box(start: start.map { hsize_t($0) }, count: count.map { hsize_t($0) },
                             flatStart: base + low, elements: high - low))
            return
        }
        let first = low / inner, last = high / inner
        if first == last {
            decompose(shape: shape, level: level + 1, prefix: prefix + [first], base: base + first * inner,
                      low: low - first * inner, high: high - first * inner)
            return
        }
        var firstFull = first
        if low % inner != 0 {
            decompose(shape: shape, level: level + 1, prefix: prefix + [first], base: base + first * inner,
                      low: low - first * inner, high: inner)
            firstFull = first + 1
        }
        if last > firstFull {
            decompose(shape: shape, level: level, prefix: prefix, base: base, low: firstFull * inner, high: last * inner)
        }
        if high % inner != 0 {
            decompose(shape: shape, level: level + 1, prefix: prefix + [last], base: base + last * inner,
                      low: 0, high: high - last * inner)
        }
    }
}
