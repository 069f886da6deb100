import Multiprocessing

extension SharedArray {
    /// numpy's `np.where(mask, a, b)`: a new array of `mask`'s shape holding `a[i]` where the mask is true and
    /// `b[i]` elsewhere, built in parallel. `a`, `b` and `mask` must have the same shape.
    ///
    /// ```swift
    /// let clipped = try SharedArray.where(x > 0, x, 0)
    /// ```
    public static func `where`(_ mask: SharedMask, _ a: SharedArray, _ b: SharedArray) throws -> SharedArray {
        try a.check(operandOf: mask)
        try b.check(operandOf: mask)
        return try select(mask, a.selectOperand, b.selectOperand)
    }

    /// `np.where(mask, a, b)` with a scalar `b`.
    public static func `where`(_ mask: SharedMask, _ a: SharedArray, _ b: Element) throws -> SharedArray {
        try a.check(operandOf: mask)
        return try select(mask, a.selectOperand, scalarOperand(b))
    }

    /// `np.where(mask, a, b)` with a scalar `a`.
    public static func `where`(_ mask: SharedMask, _ a: Element, _ b: SharedArray) throws -> SharedArray {
        try b.check(operandOf: mask)
        return try select(mask, scalarOperand(a), b.selectOperand)
    }

    /// `np.where(mask, a, b)` with two scalars: an array of `mask`'s shape on its pool.
    public static func `where`(_ mask: SharedMask, _ a: Element, _ b: Element) throws -> SharedArray {
        try select(mask, scalarOperand(a), scalarOperand(b))
    }

    private static func select(_ mask: SharedMask, _ a: SelectOperand, _ b: SelectOperand) throws -> SharedArray {
        let result = try SharedArray(uninitialized: mask.shape, on: mask.pool)
        let plan = ChunkPlan(count: mask.count, elementSize: MemoryLayout<Element>.stride)
        guard plan.chunkCount > 0 else { return result }
        let job = SelectJob(
            mask: mask.operand, a: a, b: b, destination: result.storage.memory.reference,
            elementBytes: MemoryLayout<Element>.stride, plan: plan)
        try mask.pool.runElementwise(
            job, chunks: plan.chunkCount, elements: mask.count, elementSize: MemoryLayout<Element>.stride,
            describeChunk: result.describe(plan))
        return result
    }

    private func check(operandOf mask: SharedMask) throws {
        guard shape == mask.shape else { throw ArrayError(.shapeMismatch, operation: "where", input: "mask", "the mask has shape \(mask.shape) but an operand has shape \(shape)") }
        guard pool === mask.pool else { throw ArrayError(.differentPools, operation: "where", input: "mask", "the mask and the operands belong to different pools") }
    }

    private var selectOperand: SelectOperand { SelectOperand(array: OperandLocation(location), scalarBits: 0) }

    private static func scalarOperand(_ value: Element) -> SelectOperand {
        var bits: UInt64 = 0
        withUnsafeBytes(of: value) { raw in withUnsafeMutableBytes(of: &bits) { $0.copyMemory(from: raw) } }
        return SelectOperand(array: .none, scalarBits: bits)
    }
}
