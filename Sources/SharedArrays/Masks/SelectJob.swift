import Multiprocessing

/// One side of ``SharedArray/where(_:_:_:)``: an array (its elements `stride` apart) or a scalar.
struct SelectOperand: BitwiseCopyable, Sendable {
    /// The array, or no segment for a scalar.
    var array: OperandLocation
    /// The scalar's bits, zero-extended (used when `array` has no segment).
    var scalarBits: UInt64
}

/// `out[i] = mask[i] ? a[i] : b[i]` over the chunks of `plan`, by element width: the elements are moved,
/// never interpreted, so one loop serves every element type.
struct SelectJob: WorkerJob {
    var mask: OperandLocation
    var a: SelectOperand
    var b: SelectOperand
    /// The result, contiguous from offset 0.
    var destination: SegmentReference
    var elementBytes: Int
    var plan: ChunkPlan

    static func run(_ job: SelectJob, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        guard let mask = try job.mask.base(in: context) else { return }
        let flags = mask.assumingMemoryBound(to: UInt8.self) + range.lowerBound
        let out = try context.address(of: job.destination) + range.lowerBound * job.elementBytes
        let a = try job.a.array.base(in: context), b = try job.b.array.base(in: context)
        switch job.elementBytes {
        case 8:
            select(UInt64.self, flags, job.a, a, job.b, b, first: range.lowerBound, count: range.count, into: out)
        case 4:
            select(UInt32.self, flags, job.a, a, job.b, b, first: range.lowerBound, count: range.count, into: out)
        default:
            throw ArrayError(.unsupportedType, operation: "where", input: "dtype", "\(job.elementBytes)-byte elements are not an array element type")
        }
    }

    /// Resolves each side to a base pointer and stride (a scalar is a one-element operand of stride 0).
    private static func select<T: FixedWidthInteger>(
        _: T.Type, _ flags: UnsafePointer<UInt8>, _ a: SelectOperand, _ aBase: UnsafeRawPointer?, _ b: SelectOperand,
        _ bBase: UnsafeRawPointer?, first: Int, count: Int, into out: UnsafeMutableRawPointer
    ) {
        var aScalar = T(truncatingIfNeeded: a.scalarBits), bScalar = T(truncatingIfNeeded: b.scalarBits)
        withUnsafePointer(to: &aScalar) { aValue in
            withUnsafePointer(to: &bScalar) { bValue in
                let (x, sx) = aBase.map { ($0.assumingMemoryBound(to: T.self) + first * a.array.stride, a.array.stride) } ?? (aValue, 0)
                let (y, sy) = bBase.map { ($0.assumingMemoryBound(to: T.self) + first * b.array.stride, b.array.stride) } ?? (bValue, 0)
                selectElements(flags, x, sx, y, sy, count: count, into: out.assumingMemoryBound(to: T.self))
            }
        }
    }
}

/// `out[i] = flags[i] != 0 ? x[i * sx] : y[i * sy]`, with the common strides as their own loops so that they
/// vectorise. Both sides are loaded and blended through a bit mask: written as a conditional, the compiler
/// may branch on the flag to skip a load, and a random mask mispredicts every other element.
func selectElements<T: FixedWidthInteger>(
    _ flags: UnsafePointer<UInt8>, _ x: UnsafePointer<T>, _ sx: Int, _ y: UnsafePointer<T>, _ sy: Int, count: Int,
    into out: UnsafeMutablePointer<T>
) {
    @inline(__always) func blend(_ flag: UInt8, _ a: T, _ b: T) -> T {
        let keep = T.zero &- T(truncatingIfNeeded: flag != 0 ? 1 : 0)
        return (a & keep) | (b & ~keep)
    }
    switch (sx, sy) {
    case (1, 1): for i in 0..<count { out[i] = blend(flags[i], x[i], y[i]) }
    case (1, 0):
        let v = y[0]
        for i in 0..<count { out[i] = blend(flags[i], x[i], v) }
    case (0, 1):
        let v = x[0]
        for i in 0..<count { out[i] = blend(flags[i], v, y[i]) }
    default: for i in 0..<count { out[i] = blend(flags[i], x[i &* sx], y[i &* sy]) }
    }
}
