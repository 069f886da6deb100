extension SharedArray {
    /// A 1-D view of the flat elements `range`, sharing memory with this array.
    public func slice(_ range: Range<Int>) throws -> SharedArray {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw ArrayError(.outOfRange, operation: "slice", input: "range", "range \(range) is outside 0..<\(count)")
        }
        guard isContiguous || rank == 1 else { throw ArrayError(.notContiguous, operation: "slice", input: "array", "the array is not contiguous") }
        return SharedArray(
            storage: storage, shape: [range.count], offset: offset + range.lowerBound * stride, stride: stride, pool: pool)
    }

    /// A view of rows `range` of a 2-D array, sharing memory with it.
    public func rows(_ range: Range<Int>) throws -> SharedArray {
        guard rank == 2 else { throw ArrayError(.invalidShape, operation: "rows", input: "shape", "the array has shape \(shape), not 2-D") }
        guard range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw ArrayError(.outOfRange, operation: "rows", input: "range", "range \(range) is outside 0..<\(shape[0])")
        }
        return SharedArray(
            storage: storage, shape: [range.count, shape[1]], offset: offset + range.lowerBound * shape[1], stride: 1,
            pool: pool)
    }

    /// Row `i` of a 2-D array as a 1-D view sharing memory (numpy's `a[i]`).
    public func row(_ i: Int) throws -> SharedArray {
        guard rank == 2 else { throw ArrayError(.invalidShape, operation: "row", input: "shape", "the array has shape \(shape), not 2-D") }
        guard i >= 0, i < shape[0] else { throw ArrayError(.outOfRange, operation: "row", input: "index", "index \(i) is outside 0..<\(shape[0]) rows") }
        return SharedArray(storage: storage, shape: [shape[1]], offset: offset + i * shape[1], stride: 1, pool: pool)
    }

    /// Column `j` of a 2-D array as a strided 1-D view sharing memory (numpy's `a[:, j]`): usable by every
    /// reduction and element-wise operation, as input or as destination, without a copy.
    ///
    /// ```swift
    /// let pressure = try table.column(3)
    /// try pressure.apply(.scale(100))          // writes through into the table
    /// ```
    public func column(_ j: Int) throws -> SharedArray {
        guard rank == 2 else { throw ArrayError(.invalidShape, operation: "column", input: "shape", "the array has shape \(shape), not 2-D") }
        guard j >= 0, j < shape[1] else { throw ArrayError(.outOfRange, operation: "column", input: "index", "index \(j) is outside 0..<\(shape[1]) columns") }
        // A table of one row has one element per column: its stride never matters, and a stride of 1 keeps
        // the view contiguous.
        let step = shape[0] > 1 ? shape[1] : 1
        return SharedArray(storage: storage, shape: [shape[0]], offset: offset + j, stride: step, pool: pool)
    }

    /// The same elements as a 1-D view.
    public func flattened() -> SharedArray {
        SharedArray(storage: storage, shape: [count], offset: offset, stride: stride, pool: pool)
    }

    /// The same contiguous elements seen with another shape (`rows * columns == count`).
    public func reshaped(_ newShape: [Int]) throws -> SharedArray {
        let bytes = try Self.validate(shape: newShape)
        guard bytes / MemoryLayout<Element>.stride == count else {
            throw ArrayError(.invalidShape, operation: "reshaped", input: "shape", "cannot view \(count) elements as \(newShape)")
        }
        guard isContiguous else { throw ArrayError(.notContiguous, operation: "reshaped", input: "array", "the array is a strided view; copy() it first") }
        return SharedArray(storage: storage, shape: newShape, offset: offset, stride: 1, pool: pool)
    }

    /// `data[start::step]` as numpy writes it: a strided 1-D view sharing memory.
    public func strided(from start: Int, by step: Int) throws -> SharedArray {
        guard step >= 1 else { throw ArrayError(.invalidArgument, operation: "strided", input: "step", "step must be at least 1, got \(step)") }
        guard start >= 0, start <= count else { throw ArrayError(.outOfRange, operation: "strided", input: "start", "start \(start) is outside 0...\(count)") }
        let length = start < count ? (count - start - 1) / step + 1 : 0
        // A step past the end gives at most one element, whose stride never matters: cap it so the
        // product cannot overflow.
        let step = Swift.min(step, Swift.max(1, count))
        return SharedArray(
            storage: storage, shape: [length], offset: offset + start * stride, stride: stride * step, pool: pool)
    }

    /// The `k` interleaved parts `data[0::k]`, ..., `data[k-1::k]` of the seed example.
    public func strided(by k: Int) throws -> StridedPartition<Element> {
        guard k >= 1 else { throw ArrayError(.invalidArgument, operation: "strided(by:)", input: "k", "k must be at least 1, got \(k)") }
        // Every part gets a result: parts past the elements are empty, and a k of 2^40 would ask for
        // 2^40 results. Bounded, so an absurd k is an error rather than an allocation that kills the process.
        guard k <= Swift.max(count, 1 << 20) else {
            throw ArrayError(.tooLarge, operation: "strided(by:)", input: "k", "\(k) parts of \(count) elements; at most max(count, 2^20) parts")
        }
        return StridedPartition(base: flattened(), parts: k)
    }

    /// A contiguous copy (of a strided view, say), made by the workers.
    public func copy() throws -> SharedArray {
        let result = try SharedArray(zeros: shape, on: pool)
        try runMap(.copy, source: self, second: nil, into: result)
        return result
    }
}
