import Multiprocessing

extension SharedArray {
    /// A new array of element type `T` with this array's values converted as numpy's `astype` does: floats
    /// round to the nearest representable value (overflow gives ±inf), integers become the nearest float,
    /// floats truncate toward zero into integers, and integers keep their value in a wider integer.
    ///
    /// A value the target cannot hold — NaN, ±inf or a float outside the integer's range, an Int64 outside
    /// Int32's — is an error naming the first such element. With `unchecked: true` nothing is checked, as
    /// in numpy: such a float becomes `T.min` (what numpy gives on x86) and an integer keeps its low bits
    /// (wraps). Runs on the workers, chunk by chunk; strided views are read in place.
    ///
    /// ```swift
    /// let counts = try readings.astype(Int32.self)         // throws on NaN
    /// let x = try counts.astype(Double.self)
    /// ```
    public func astype<T: SharedElement>(_: T.Type, unchecked: Bool = false, timeout: Duration? = nil) throws -> SharedArray<T> {
        let result = try SharedArray<T>(uninitialized: shape, on: pool)
        let plan = ChunkPlan(count: count, elementSize: Swift.max(MemoryLayout<Element>.stride, MemoryLayout<T>.stride))
        guard plan.chunkCount > 0 else { return result }
        let firstInvalid: Int? = try ScratchSpace.with(bytes: plan.chunkCount * MemoryLayout<Int>.stride) { scratch in
            let job = AsTypeJob(
                source: location, destination: result.location, plan: plan, checked: !unchecked,
                firstInvalid: scratch.reference)
            try WorkerPool.withTimeout(timeout) {
                try pool.runElementwise(
                    job, chunks: plan.chunkCount, elements: count,
                    elementSize: Swift.max(MemoryLayout<Element>.stride, MemoryLayout<T>.stride), describeChunk: describe(plan))
            }
            let slots = scratch.base.assumingMemoryBound(to: Int.self)
            return (0..<plan.chunkCount).lazy.map { slots[$0] }.first { $0 >= 0 }
        }
        if let index = firstInvalid {
            let value = self[index]
            let why = Element.dtype.isFloatingPoint && !T.dtype.isFloatingPoint && !value.asDouble.isFinite
                ? "is not a finite number" : "is outside \(T.dtype.rawValue)'s range"
            throw ArrayError(
                .outOfRange, operation: "astype", input: "element",
                "element \(index) (\(value)) \(why); \(T.dtype.rawValue) cannot hold it "
                    + "(pass unchecked: true for numpy's unchecked cast)")
        }
        return result
    }
}
